// Calling user code for an Invoke: an api step's middleware chain and then its handler, an event
// or cron handler, or a hook (a hook file's authenticate, a stream's canAccess). This decides what
// runs; the session decides when its InvokeResult is sent.
import type { CallFn } from './context';
import type { Invoke } from './gen/motia/runner/v1/runner_pb';
import { TriggerKind } from './gen/motia/runner/v1/runner_pb';
import { jsonBytes } from './jsonutil';
import type { LoadedStep, Registry } from './loader';

export type Job = (payload: unknown, ctx: Record<string, unknown>, call: CallFn) => unknown;

/** An InvokeResult's content: the result as JSON, and an api response's binary body apart. */
export interface EncodedResult {
  resultJson: Uint8Array;
  body?: Uint8Array;
}

/** What an Invoke runs. ``keepResult``: the result goes back (api steps, hooks), or null. */
export interface Runnable {
  stepName: string;
  keepResult: boolean;
  run: Job;
  encode: (value: unknown) => EncodedResult;
  /** the step config's `flows`, handed to the handler as `ctx.flows` (as in Motia: undefined when absent) */
  flows?: unknown;
}

const encodeJson = (value: unknown): EncodedResult => ({ resultJson: jsonBytes(value) });

function binary(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value; // Buffer included
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/** An api response whose body is a Buffer (or any bytes) sends the bytes as they are, beside the JSON. */
function encodeResponse(value: unknown): EncodedResult {
  if (value && typeof value === 'object' && 'body' in value) {
    const body = binary((value as { body: unknown }).body);
    if (body) return { resultJson: jsonBytes({ ...(value as object), body: undefined }), body };
  }
  return encodeJson(value);
}

/**
 * An api step's request as the core sends it; ``validateBody`` is the core's instruction to ask
 * for body validation after the middleware chain (context call api.validateBody), not a field of
 * ``req``.
 */
function apiRequest(payload: unknown): { req: Record<string, unknown>; validateBody: boolean } {
  const req = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
  const validateBody = req.validateBody === true;
  if (validateBody) delete req.validateBody; // a delete only when there is one: it slows the object down
  for (const key of ['headers', 'pathParams', 'queryParams']) {
    if (req[key] === undefined || req[key] === null) req[key] = {};
  }
  if (typeof req.rawBody !== 'string') req.rawBody = '';
  return { req, validateBody };
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
    encode: kind === TriggerKind.API ? encodeResponse : encodeJson,
    flows: step.config.flows,
    run: (payload, ctx, call) => {
      if (kind === TriggerKind.API) {
        const { req, validateBody } = apiRequest(payload);
        const middleware = (Array.isArray(step.config.middleware) ? step.config.middleware : []).filter(
          (m): m is (...args: unknown[]) => unknown => typeof m === 'function',
        );
        // Validation sits where the chain ends: it sees the body as the middleware left it, and a
        // rejection goes back up through the middleware as the handler's response would.
        const last = validateBody
          ? async () => (await call('api.validateBody', req.body)) ?? handler(req, ctx)
          : () => handler(req, ctx);
        const chain = async (i: number): Promise<unknown> =>
          i < middleware.length ? middleware[i]!(req, ctx, () => chain(i + 1)) : last();
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
 * what `authenticate` returned (or resolved to), and `canAccess`'s answer as a boolean.
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
  const args = (payload: unknown) => (Array.isArray(payload) ? payload : [payload]);
  if (request.kind === TriggerKind.CAN_ACCESS) {
    // Motia reads canAccess's answer with Boolean(...): a truthy value admits, a falsy one refuses.
    return {
      stepName: request.stepName,
      keepResult: true,
      encode: encodeJson,
      run: async (payload, ctx) => Boolean(await hook(...args(payload), ctx)),
    };
  }
  return {
    stepName: request.stepName,
    keepResult: true,
    encode: encodeJson,
    run: (payload, ctx) => hook(...args(payload), ctx),
  };
}
