// The node runner's session: dispatch each SupervisorMessage (Hello, LoadFiles, Invoke, Cancel,
// ContextReply, Ping, Shutdown), keep the invocations in flight, and send each InvokeResult once
// the handler is done and every context call it started has been answered. See proto/README.md.
import type { Invoke, SupervisorMessage } from './gen/motia/runner/v1/runner_pb';
import { CallClient, isRefusedCall, type CallOwner } from './calls';
import { buildContext } from './context';
import { scope, type InvocationScope } from './current';
import { prepare, type Runnable } from './invoke';
import { errorShape, jsonBytes, parseJsonBytes, type ErrorShape } from './jsonutil';
import { emptyRegistry, loadFiles, type ImportModule, type Registry } from './loader';
import { captureConsole, diagnostic, log, setLogLevel } from './logs';
import { setRunnerRoot } from './config_encoding';
import { atTurnEnd, guardStdout, send, stdioChannel, useChannel, writeFramesAtOnce, type Channel } from './transport';
import { closeInspector, debuggable, inspectPlan, openInspector, waitForDebugger } from './inspect';
import { logMemoryPeriodically } from './memory_log';

export const PROTOCOL_VERSION = 1;

export interface RunnerOptions {
  runnerRoot: string;
  importModule: ImportModule;
  /** Registers the ESM loader hooks (tsx + fallback resolver); idempotent. */
  registerEsmHooks: () => Promise<void>;
  /** Where to speak to the supervisor (default: stdio; gRPC for a runner started with --connect). */
  channel?: Channel;
}

type Outcome = { ok: true; resultJson: Uint8Array; body?: Uint8Array } | { ok: false; error: ErrorShape };

class Invocation implements CallOwner {
  pending = 0;
  handlerDone = false;
  completed = false;
  cancelledBecause: string | undefined;
  outcome: Outcome | undefined;
  private checkScheduled = false;
  private refusalTold = false;

  constructor(
    readonly scope: InvocationScope,
    private readonly onComplete: (inv: Invocation) => void,
    private readonly onCallSettled: () => void,
  ) {}

  get id(): bigint {
    return this.scope.invocationId;
  }

  callRefused(method: string): void {
    if (this.refusalTold) return;
    this.refusalTold = true;
    const step = this.scope.stepName;
    log(
      'warn',
      `step ${step} ran on after it was cancelled (${this.cancelledBecause}): its context calls since are ` +
        `refused, nothing it writes or emits now lands (first refused: ${method}; said once per invocation)`,
      undefined,
      this.scope,
    );
  }

  callStarted(): void {
    this.pending++;
  }

  callSettled(): void {
    this.pending--;
    this.scheduleCheck();
    this.onCallSettled();
  }

  finishHandler(outcome: Outcome): void {
    this.handlerDone = true;
    this.outcome = outcome;
    this.scheduleCheck();
  }

  /**
   * Checked at the turn's end, after its microtasks, so promise chains hanging off a just-answered
   * call (`emit(a).then(() => emit(b))`) get to start their next call first; the result then goes
   * out in the turn's write.
   */
  scheduleCheck(): void {
    if (this.completed || this.checkScheduled) return;
    this.checkScheduled = true;
    atTurnEnd(this.check);
  }

  private readonly check = (): void => {
    this.checkScheduled = false;
    if (!this.completed && this.handlerDone && this.pending === 0 && this.outcome) {
      this.complete(this.outcome);
    }
  };

  complete(outcome: Outcome): void {
    if (this.completed) return;
    this.completed = true;
    send({
      kind: {
        case: 'result',
        value: outcome.ok
          ? { invocationId: this.id, ok: true, resultJson: outcome.resultJson, body: outcome.body }
          : { invocationId: this.id, ok: false, error: outcome.error },
      },
    });
    this.onComplete(this);
  }
}

/** The invocations in flight: started by Invoke, ended by their result or a Cancel. */
class Invocations {
  readonly calls = new CallClient();
  private readonly inFlight = new Map<bigint, Invocation>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly registry: Registry) {}

  /** Resolves when no invocation is waiting for its result and no context call for a reply. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get idle(): boolean {
    return this.inFlight.size === 0 && this.calls.pending === 0;
  }

  private wakeIfIdle = (): void => {
    if (this.idle) for (const wake of this.idleWaiters.splice(0)) wake();
  };

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
    inv.cancelledBecause = reason || 'no reason given';
    inv.complete({
      ok: false,
      error: { name: 'CancelledError', message: `cancelled: ${reason || 'no reason given'}`, stack: '' },
    });
  }

  invoke(request: Invoke): void {
    const prepared = prepare(this.registry, request);
    if (!('run' in prepared)) return this.reject(request, prepared.message, prepared.name);
    this.start(request, prepared);
  }

  /** Runs ``job`` as invocation ``request``: ctx, scope, result once the job and its calls are done. */
  private start(request: Invoke, job: Runnable): void {
    if (this.inFlight.has(request.invocationId)) {
      return this.reject(request, `duplicate invocation id ${request.invocationId}`, 'DuplicateInvocation');
    }
    const who: InvocationScope = {
      invocationId: request.invocationId,
      traceId: request.traceId,
      stepName: job.stepName,
    };
    const inv = new Invocation(who, this.onComplete, this.wakeIfIdle);
    this.inFlight.set(inv.id, inv);

    let payload: unknown;
    try {
      payload = parseJsonBytes(request.payloadJson);
    } catch (error) {
      inv.finishHandler({ ok: false, error: errorShape(error) });
      return;
    }
    const call = (method: string, ...args: unknown[]) => this.calls.start(inv, method, args);
    const ctx = buildContext(call, who, this.registry.streamNames, job.flows);

    scope.run(who, () => {
      const run = async (): Promise<unknown> => job.run(payload, ctx, call);
      run().then(
        (value) => {
          if (!job.keepResult) return inv.finishHandler({ ok: true, resultJson: jsonBytes(null) });
          let encoded: ReturnType<Runnable['encode']>;
          try {
            encoded = job.encode(value ?? null);
          } catch (error) {
            return inv.finishHandler({ ok: false, error: errorShape(error) });
          }
          inv.finishHandler({ ok: true, ...encoded });
        },
        (error: unknown) => inv.finishHandler({ ok: false, error: errorShape(error) }),
      );
    });
  }
}

export function runSession(options: RunnerOptions): void {
  const channel = options.channel ?? stdioChannel;
  useChannel(channel);
  if (channel.stdio) guardStdout();
  captureConsole();
  setRunnerRoot(options.runnerRoot);
  logMemoryPeriodically();

  let projectRoot = process.env.MOTIA_PROJECT_ROOT || process.cwd();
  const registry: Registry = emptyRegistry();
  const invocations = new Invocations(registry);
  let loadChain: Promise<void> = Promise.resolve();
  let shuttingDown = false;
  let esmReady: Promise<void> | undefined;
  const ensureEsm = (): Promise<void> => (esmReady ??= options.registerEsmHooks());

  process.on('unhandledRejection', (reason) => {
    if (isRefusedCall(reason)) return; // its invocation said it once (Invocation.callRefused)
    const e = errorShape(reason);
    log('error', `unhandled promise rejection: ${e.message}`, reason instanceof Error ? reason : { value: reason });
  });
  process.on('uncaughtException', (error) => {
    const e = errorShape(error);
    log('error', `uncaught exception: ${e.message}`, error);
  });

  const debug = inspectPlan();
  if (debuggable(debug)) writeFramesAtOnce();
  const exit = async (code: number): Promise<never> => {
    closeInspector();
    await channel.flush();
    process.exit(code);
  };

  const shutdown = (graceMs: number): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, graceMs)).unref());
    void Promise.race([Promise.all([invocations.whenIdle(), loadChain]), deadline]).then(() => exit(0));
  };

  const handle = (message: SupervisorMessage): void => {
    const kind = message.kind;
    switch (kind.case) {
      case 'hello': {
        setLogLevel(kind.value.logLevel);
        if (kind.value.projectRoot && kind.value.projectRoot !== projectRoot) {
          // a runner started by hand elsewhere (--connect) runs in the project, as the supervisor's do
          projectRoot = kind.value.projectRoot;
          process.chdir(projectRoot);
          process.env.MOTIA_PROJECT_ROOT = projectRoot;
        }
        send({
          kind: {
            case: 'hello',
            value: {
              protocolVersion: PROTOCOL_VERSION,
              language: 'node',
              runtime: `node ${process.version}`,
              pid: process.pid,
            },
          },
        });
        if (kind.value.protocolVersion !== PROTOCOL_VERSION) {
          diagnostic('warn', `supervisor speaks protocol ${kind.value.protocolVersion}, runner speaks ${PROTOCOL_VERSION}`);
        }
        // Start the loader-hooks thread now; LoadFiles waits for it.
        setImmediate(() => void ensureEsm().catch(() => undefined));
        if (debug) void openInspector(debug);
        return;
      }
      case 'load': {
        const request = kind.value;
        loadChain = loadChain.then(async () => {
          try {
            await ensureEsm();
            if (debug) await waitForDebugger(debug);
            const result = await loadFiles(request, projectRoot, registry, options.importModule);
            send({ kind: { case: 'loaded', value: { requestId: request.requestId, ...result } } });
          } catch (error) {
            // Should not happen (per-file errors are caught); answer anyway.
            const e = errorShape(error);
            send({
              kind: {
                case: 'loaded',
                value: {
                  requestId: request.requestId,
                  errors: [...request.stepFiles, ...request.streamFiles, ...request.hookFiles].map((file) => ({
                    file,
                    message: e.message,
                    stack: e.stack,
                  })),
                },
              },
            });
          }
        });
        return;
      }
      case 'invoke':
        if (shuttingDown) return invocations.reject(kind.value, 'runner is shutting down', 'ShuttingDown');
        return invocations.invoke(kind.value);
      case 'contextReply':
        return invocations.calls.reply(kind.value);
      case 'cancel':
        return invocations.cancel(kind.value.invocationId, kind.value.reason);
      case 'ping':
        return send({ kind: { case: 'pong', value: { seq: kind.value.seq } } });
      case 'shutdown':
        return shutdown(kind.value.graceMs);
      default:
        diagnostic('warn', 'ignoring an empty or unknown supervisor message');
    }
  };

  channel.open({
    message: (message) => {
      try {
        handle(message);
      } catch (error) {
        diagnostic('error', `failed to handle ${message.kind.case ?? 'message'}`, error);
      }
    },
    broken: (reason, code = 1) => {
      process.stderr.write(`motia node runner: ${reason}\n`);
      void exit(code);
    },
    end: () => shutdown(0),
  });
}
