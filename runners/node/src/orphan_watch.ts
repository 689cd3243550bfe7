// A runner learns that its supervisor is gone from the end of stdin, which the main thread reads.
// While the main thread is held in a synchronous call (inspector.waitForDebugger(), until a debugger
// attaches) it reads nothing, and a runner whose supervisor was killed would wait on, orphaned, for
// ever. A worker thread runs on regardless: it ends the process once the parent has died, which the
// kernel shows by re-parenting the runner (its parent pid changes).
import { Worker } from 'node:worker_threads';

const POLL_MS = 200;

/** The pid of the process that started this runner (the supervisor), read before it could die. */
const PARENT_PID = process.ppid;

// Plain CommonJS, evaluated as is: no loader hooks (tsx) to wait for, nothing of the runner's loaded.
// SIGKILL, because the main thread, blocked, could run no handler and has nothing to flush.
const WATCH = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(process.pid, 'SIGKILL');
}, workerData.pollMs);
`;

/** Ends the process if its parent dies before the returned function is called. */
export function exitIfOrphaned(): () => void {
  const worker = new Worker(WATCH, {
    eval: true,
    workerData: { parent: PARENT_PID, pollMs: POLL_MS },
    execArgv: [],
    // fd 1 is the supervisor's channel: nothing of the worker's may be forwarded there
    stdout: true,
    stderr: true,
  });
  worker.unref();
  return () => void worker.terminate();
}
