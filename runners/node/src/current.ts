// Which invocation the running code belongs to: set for the duration of an invocation and
// inherited by the work it spawns (timers, promises), so console.* and late context calls keep
// the invocation's ids.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface InvocationScope {
  invocationId: bigint;
  traceId: string;
  stepName: string;
  /** set while a file is being imported */
  file?: string;
}

/** The runner itself, outside any invocation (invocation_id 0). */
export const RUNNER: InvocationScope = { invocationId: 0n, traceId: '', stepName: '' };

export const scope = new AsyncLocalStorage<InvocationScope>();

export function current(): InvocationScope | undefined {
  return scope.getStore();
}
