// Off unless MOTIA_NODE_MEMORY_LOG names a file. Then the runner appends one JSON line of
// process.memoryUsage() to it at start and every MOTIA_NODE_MEMORY_LOG_MS (default 1000) ms, from an
// unref'd timer: nothing on an invocation's path, and nothing that keeps the runner alive. For
// bench/uptime.py (issue 14, goal 4), to tell V8's heap sizing to its load from a leak.
import { appendFileSync } from 'node:fs';

const DEFAULT_EVERY_MS = 1000;

export function logMemoryPeriodically(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.MOTIA_NODE_MEMORY_LOG;
  if (!file) return;
  const everyMs = Number(env.MOTIA_NODE_MEMORY_LOG_MS) || DEFAULT_EVERY_MS;
  const write = (): void => {
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const line = { t: Date.now() / 1000, pid: process.pid, rss, heapTotal, heapUsed, external, arrayBuffers };
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // a bench's file gone away must not disturb the runner
    }
  };
  write();
  setInterval(write, everyMs).unref();
}
