// The V8 inspector, opened on the address the supervisor gives in MOTIA_INSPECT (motia dev
// --inspect-node). A runner started by a hot reload finds its port still held by the runner it
// replaces, which finishes its work first: it takes the port over once that one has exited.
// MOTIA_INSPECT_WAIT=1: the steps are loaded only once a debugger has attached, so that a
// breakpoint at the top of a step file is hit; a supervisor that dies meanwhile takes the runner
// with it (orphan_watch.ts).
import * as inspector from 'node:inspector';
import { createServer } from 'node:net';
import { diagnostic } from './logs';
import { exitIfOrphaned } from './orphan_watch';

const RETRY_MS = 100;

export interface InspectPlan {
  host: string;
  port: number;
  wait: boolean;
}

export function inspectPlan(env: NodeJS.ProcessEnv = process.env): InspectPlan | undefined {
  const address = env.MOTIA_INSPECT;
  if (!address) return undefined;
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(at + 1)), wait: env.MOTIA_INSPECT_WAIT === '1' };
}

/** Whether a debugger may pause this runner: motia's --inspect-node, or an inspector the process was
 *  started with (NODE_OPTIONS=--inspect). */
export function debuggable(plan: InspectPlan | undefined): boolean {
  return plan !== undefined || inspector.url() !== undefined;
}

/** Whether nothing listens on the port: inspector.open() only prints to stderr when it is taken. */
function portFree(plan: InspectPlan): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(plan.port, plan.host, () => probe.close(() => resolve(true)));
  });
}

let opened: Promise<void> | undefined;

/** Opens the inspector, once the port is free; resolves when it listens. */
export function openInspector(plan: InspectPlan): Promise<void> {
  opened ??= (async () => {
    let told = false;
    for (;;) {
      if (await portFree(plan)) {
        inspector.open(plan.port, plan.host, false);
        const url = inspector.url();
        if (url) {
          const ws = url.replace(/^ws:\/\//, '');
          diagnostic(
            'info',
            `inspector listening on ${url}: open chrome://inspect in Chrome (Configure: add ` +
              `${plan.host}:${plan.port}), or devtools://devtools/bundled/js_app.html?v8only=true&ws=${ws}, ` +
              `or attach your IDE to ${plan.host}:${plan.port}`,
          );
          return;
        }
      }
      if (!told) {
        told = true;
        diagnostic('info', `inspector port ${plan.port} is still held (by the runner this one replaces); taking it once free`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  })();
  return opened;
}

/** With MOTIA_INSPECT_WAIT: returns once a debugger has attached (and told the runner to go on). */
export async function waitForDebugger(plan: InspectPlan): Promise<void> {
  if (!plan.wait) return; // a reload's runner loads at once: its port frees only once it serves
  await openInspector(plan);
  diagnostic('info', `waiting for a debugger on ${plan.host}:${plan.port} before loading the steps`);
  const stopWatching = exitIfOrphaned(); // the wait blocks the thread that would see stdin end
  try {
    inspector.waitForDebugger();
  } finally {
    stopWatching();
  }
}

/** Lets debuggers go before the process exits: Node would otherwise wait for them to disconnect. */
export function closeInspector(): void {
  if (opened) inspector.close();
}
