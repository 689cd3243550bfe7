// Invoke: build ctx, run middleware + handler, track ContextCalls, and send
// InvokeResult once the handler is done and every call it started so far has
// been answered.
import type { ContextReply, Invoke } from './gen/motia/runner/v1/runner_pb';
import { TriggerKind } from './gen/motia/runner/v1/runner_pb';
import { errorShape, jsonBytes, jsonText, parseJsonBytes, type ErrorShape } from './jsonutil';
import type { LoadedStep, Registry } from './loader';
import { log, scope, send, type InvocationScope, type LogLevel } from './transport';

interface PendingCall {
  invocation: Invocation;
  resolve: (value: unknown) => void;
  reject: (reason: Error) => void;
  method: string;
}

type Outcome = { ok: true; resultJson: Uint8Array } | { ok: false; error: ErrorShape };

class Invocation {
  pending = 0;
  handlerDone = false;
  completed = false;
  outcome: Outcome | undefined;
  private checkScheduled = false;

  constructor(
    readonly scope: InvocationScope,
    private readonly onComplete: (inv: Invocation) => void,
  ) {}

  get id(): bigint {
    return this.scope.invocationId;
  }

  finishHandler(outcome: Outcome): void {
    this.handlerDone = true;
    this.outcome = outcome;
    this.scheduleCheck();
  }

  /**
   * Checked on a later turn, so promise chains hanging off a just-answered call
   * (`emit(a).then(() => emit(b))`) get to start their next call first.
   */
  scheduleCheck(): void {
    if (this.completed || this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      if (!this.completed && this.handlerDone && this.pending === 0 && this.outcome) {
        this.complete(this.outcome);
      }
    });
  }

  complete(outcome: Outcome): void {
    if (this.completed) return;
    this.completed = true;
    send({
      kind: {
        case: 'result',
        value: outcome.ok
          ? { invocationId: this.id, ok: true, resultJson: outcome.resultJson }
          : { invocationId: this.id, ok: false, error: outcome.error },
      },
    });
    this.onComplete(this);
  }
}

export class Invoker {
  private nextCallId = 1n;
  private readonly calls = new Map<bigint, PendingCall>();
  private readonly inFlight = new Map<bigint, Invocation>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly registry: Registry) {}

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Resolves when no invocation is waiting for its result and no context call for a reply. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get idle(): boolean {
    return this.inFlight.size === 0 && this.calls.size === 0;
  }

  private wakeIfIdle(): void {
    if (this.idle) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private onComplete = (inv: Invocation): void => {
    this.inFlight.delete(inv.id);
    this.wakeIfIdle();
  };

  reject(request: Invoke, message: string, name = 'Error'): void {
    send({
      kind: {
        case: 'result',
        value: { invocationId: request.invocationId, ok: false, error: { name, message, stack: '' } },
      },
    });
  }

  cancel(invocationId: bigint, reason: string): void {
    const inv = this.inFlight.get(invocationId);
    if (!inv) return;
    inv.complete({
      ok: false,
      error: { name: 'CancelledError', message: `cancelled: ${reason || 'no reason given'}`, stack: '' },
    });
  }

  reply(reply: ContextReply): void {
    const call = this.calls.get(reply.callId);
    if (!call) return; // unknown or duplicate: nothing to do
    this.calls.delete(reply.callId);
    call.invocation.pending--;
    if (reply.ok) {
      let value: unknown;
      try {
        value = parseJsonBytes(reply.resultJson);
      } catch (error) {
        call.reject(new Error(`${call.method}: the supervisor sent invalid JSON (${errorShape(error).message})`));
        call.invocation.scheduleCheck();
        this.wakeIfIdle();
        return;
      }
      call.resolve(value);
    } else {
      const error = new Error(reply.error || `${call.method} failed`);
      error.name = 'ContextCallError';
      call.reject(error);
    }
    call.invocation.scheduleCheck();
    this.wakeIfIdle();
  }

  private call(inv: Invocation, method: string, args: unknown[]): Promise<unknown> {
    let argsJson: Uint8Array;
    try {
      argsJson = jsonBytes(args);
    } catch (error) {
      return Promise.reject(new Error(`${method}: arguments are not JSON-serialisable: ${errorShape(error).message}`));
    }
    const callId = this.nextCallId++;
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, this.call);
    const promise = new Promise<unknown>((resolve, reject) => {
      // A failure is reported with the stack of the user's call, not of the reply handler.
      const rejectAtSite = (error: Error) => {
        const frames = site.stack?.split('\n').slice(1).join('\n');
        if (frames) error.stack = `${error.name}: ${error.message}\n${frames}`;
        reject(error);
      };
      this.calls.set(callId, { invocation: inv, resolve, reject: rejectAtSite, method });
    });
    inv.pending++;
    send({
      kind: {
        case: 'call',
        value: {
          callId,
          invocationId: inv.id,
          traceId: inv.scope.traceId,
          stepName: inv.scope.stepName,
          method,
          argsJson,
        },
      },
    });
    return promise;
  }

  private buildContext(inv: Invocation): Record<string, unknown> {
    const call = (method: string, ...args: unknown[]) => this.call(inv, method, args);
    const makeLogger = (bound: Record<string, unknown> | undefined): Record<string, unknown> => {
      const at =
        (level: LogLevel) =>
        (message: unknown, meta?: unknown): void => {
          const text = typeof message === 'string' ? message : jsonText(message);
          let merged = meta;
          if (bound) {
            merged =
              meta && typeof meta === 'object' && !Array.isArray(meta) && !(meta instanceof Error)
                ? { ...bound, ...(meta as object) }
                : meta === undefined
                  ? bound
                  : { ...bound, value: meta };
          }
          log(level, text, merged, inv.scope);
        };
      return {
        info: at('info'),
        warn: at('warn'),
        warning: at('warn'),
        error: at('error'),
        debug: at('debug'),
        log: at('info'),
        child: (meta: Record<string, unknown>) => makeLogger({ ...bound, ...meta }),
      };
    };
    const state = {
      get: (groupId: string, key: string) => call('state.get', groupId, key),
      set: (groupId: string, key: string, value: unknown) => call('state.set', groupId, key, value),
      delete: (groupId: string, key: string) => call('state.delete', groupId, key),
      getGroup: (groupId: string) => call('state.getGroup', groupId),
      clear: (groupId: string) => call('state.clear', groupId),
    };
    const streamApi = (name: string) => ({
      set: (groupId: string, id: string, data: unknown) => call('streams.set', name, groupId, id, data),
      get: (groupId: string, id: string) => call('streams.get', name, groupId, id),
      getGroup: (groupId: string) => call('streams.getGroup', name, groupId),
      delete: (groupId: string, id: string) => call('streams.delete', name, groupId, id),
      send: (channel: unknown, event: unknown) => call('streams.send', name, channel, event),
    });
    const known: Record<string, unknown> = {};
    for (const name of this.registry.streamNames) known[name] = streamApi(name);
    const streams = new Proxy(known, {
      get(target, prop, receiver) {
        if (typeof prop !== 'string' || prop in target || prop === 'then' || prop === 'toJSON') {
          return Reflect.get(target, prop, receiver);
        }
        const api = streamApi(prop);
        target[prop] = api;
        return api;
      },
    });
    const emit = (event: unknown) => {
      if (event === null || typeof event !== 'object' || typeof (event as { topic?: unknown }).topic !== 'string') {
        return Promise.reject(new TypeError('emit expects { topic: string, data, messageGroupId? }'));
      }
      return call('emit', event);
    };
    return {
      emit,
      logger: makeLogger(undefined),
      state,
      streams,
      traceId: inv.scope.traceId,
    };
  }

  invoke(request: Invoke): void {
    if (request.kind === TriggerKind.AUTHENTICATE || request.kind === TriggerKind.CAN_ACCESS) {
      return this.invokeHook(request);
    }
    const step: LoadedStep | undefined = this.registry.steps.get(request.file.replace(/\\/g, '/'));
    if (!step) return this.reject(request, `step file not loaded: ${request.file}`, 'StepNotLoaded');
    const handler = step.handler;
    if (!handler) return this.reject(request, `step ${request.stepName || request.file} has no handler`, 'NoHandler');
    const kind = request.kind;
    const stepName = request.stepName || String(step.config.name ?? '');
    this.start(request, stepName, kind === TriggerKind.API, (payload, ctx) => {
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
    });
  }

  /**
   * AUTHENTICATE runs a hook file's `authenticate(request, ctx)`; CAN_ACCESS a stream config's
   * `canAccess(subscription, authContext, ctx)`. The payload is the argument list; the result is
   * whatever the function returned (or resolved to).
   */
  private invokeHook(request: Invoke): void {
    const file = request.file.replace(/\\/g, '/');
    let fn: ((...args: unknown[]) => unknown) | undefined;
    if (request.kind === TriggerKind.AUTHENTICATE) {
      const hooks = this.registry.hooks.get(file);
      if (!hooks) return this.reject(request, `hook file not loaded: ${request.file}`, 'HookNotLoaded');
      fn = hooks.authenticate;
      if (!fn) return this.reject(request, `${request.file} does not export authenticate()`, 'NoHook');
    } else {
      const config = this.registry.streamConfigs.get(file);
      if (!config) return this.reject(request, `stream file not loaded: ${request.file}`, 'StreamNotLoaded');
      const canAccess = config.canAccess;
      if (typeof canAccess !== 'function') {
        return this.reject(request, `canAccess in ${request.file} is not a function`, 'NoHook');
      }
      fn = canAccess as (...args: unknown[]) => unknown;
    }
    const hook = fn;
    this.start(request, request.stepName, true, (payload, ctx) =>
      hook(...(Array.isArray(payload) ? payload : [payload]), ctx),
    );
  }

  /** Runs `body` as invocation `request`: ctx, scope, result once the body and its calls are done. */
  private start(
    request: Invoke,
    stepName: string,
    keepResult: boolean,
    body: (payload: unknown, ctx: Record<string, unknown>) => unknown,
  ): void {
    if (this.inFlight.has(request.invocationId)) {
      return this.reject(request, `duplicate invocation id ${request.invocationId}`, 'DuplicateInvocation');
    }
    const who: InvocationScope = { invocationId: request.invocationId, traceId: request.traceId, stepName };
    const inv = new Invocation(who, this.onComplete);
    this.inFlight.set(inv.id, inv);

    let payload: unknown;
    try {
      payload = parseJsonBytes(request.payloadJson);
    } catch (error) {
      inv.finishHandler({ ok: false, error: errorShape(error) });
      return;
    }
    const ctx = this.buildContext(inv);

    scope.run(who, () => {
      const run = async (): Promise<unknown> => body(payload, ctx);
      run().then(
        (value) => {
          if (!keepResult) return inv.finishHandler({ ok: true, resultJson: jsonBytes(null) });
          let resultJson: Uint8Array;
          try {
            resultJson = jsonBytes(value ?? null);
          } catch (error) {
            return inv.finishHandler({ ok: false, error: errorShape(error) });
          }
          inv.finishHandler({ ok: true, resultJson });
        },
        (error: unknown) => inv.finishHandler({ ok: false, error: errorShape(error) }),
      );
    });
  }
}
