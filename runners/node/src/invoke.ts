// Calling user code for an Invoke: an api step's middleware chain and then its handler, an event
// or cron handler, or a hook (a hook file's authenticate, a stream's canAccess). This decides what
// runs; the session decides when its InvokeResult is sent.
import type { Invoke } from './gen/motia/runner/v1/runner_pb';
import { TriggerKind } from './gen/motia/runner/v1/runner_pb';
import type { LoadedStep, Registry } from './loader';

export type Job = (payload: unknown, ctx: Record<string, unknown>) => unknown;

/** What an Invoke runs. ``keepResult``: the result goes back (api steps, hooks), or null. */
export interface Runnable {
  stepName: string;
  keepResult: boolean;
  run: Job;
}

/** Why an Invoke cannot run; answered at once as a failed result with this error name. */
export interface Refusal {
  name: string;
  message: string;
}

export function prepare(registry: Registry, request: Invoke): Runnable | Refusal {
  if (request.kind === TriggerKind.AUTHENTICATE || request.kind === TriggerKind.CAN_ACCESS) {
    return prepareHook(registry, request);
  }
  const step: LoadedStep | undefined = registry.steps.get(request.file.replace(/\\/g, '/'));
  if (!step) return { name: 'StepNotLoaded', message: `step file not loaded: ${request.file}` };
  const handler = step.handler;
  if (!handler) return { name: 'NoHandler', message: `step ${request.stepName || request.file} has no handler` };
  const kind = request.kind;
  const stepName = request.stepName || String(step.config.name ?? '');
  return {
    stepName,
    keepResult: kind === TriggerKind.API,
    run: (payload, ctx) => {
      if (kind === TriggerKind.API) {
        const req = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
        for (const key of ['headers', 'pathParams', 'queryParams']) {
          if (req[key] === undefined || req[key] === null) req[key] = {};
        }
        const middleware = (Array.isArray(step.config.middleware) ? step.config.middleware : []).filter(
          (m): m is (...args: unknown[]) => unknown => typeof m === 'function',
        );
        const chain = async (i: number): Promise<unknown> =>
          i < middleware.length ? middleware[i]!(req, ctx, () => chain(i + 1)) : handler(req, ctx);
        return chain(0);
      }
      if (kind === TriggerKind.CRON) return handler(ctx);
      return handler(payload, ctx);
    },
  };
}

/**
 * AUTHENTICATE runs a hook file's `authenticate(request, ctx)`; CAN_ACCESS a stream config's
 * `canAccess(subscription, authContext, ctx)`. The payload is the argument list; the result is
 * whatever the function returned (or resolved to).
 */
function prepareHook(registry: Registry, request: Invoke): Runnable | Refusal {
  const file = request.file.replace(/\\/g, '/');
  let hook: (...args: unknown[]) => unknown;
  if (request.kind === TriggerKind.AUTHENTICATE) {
    const hooks = registry.hooks.get(file);
    if (!hooks) return { name: 'HookNotLoaded', message: `hook file not loaded: ${request.file}` };
    if (!hooks.authenticate) return { name: 'NoHook', message: `${request.file} does not export authenticate()` };
    hook = hooks.authenticate;
  } else {
    const config = registry.streamConfigs.get(file);
    if (!config) return { name: 'StreamNotLoaded', message: `stream file not loaded: ${request.file}` };
    const canAccess = config.canAccess;
    if (typeof canAccess !== 'function') {
      return { name: 'NoHook', message: `canAccess in ${request.file} is not a function` };
    }
    hook = canAccess as (...args: unknown[]) => unknown;
  }
  return {
    stepName: request.stepName,
    keepResult: true,
    run: (payload, ctx) => hook(...(Array.isArray(payload) ? payload : [payload]), ctx),
  };
}
