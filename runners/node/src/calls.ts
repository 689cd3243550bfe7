// ContextCalls: requests from handlers to the supervisor (emit, state.*, streams.*). A call is sent
// the moment the handler makes it and settled by its ContextReply; a failed call throws in the
// caller's await chain, so its stack is the user's (V8's async stack traces: "at async handler
// (steps/x.step.ts:12:5)"), not the reply handler's. A call's promise chained with .then/.catch
// instead, which no await chain reaches, records where it was chained, the one time it is.
import type { ContextReply } from './gen/motia/runner/v1/runner_pb';
import type { InvocationScope } from './current';
import { errorShape, jsonBytes, parseJsonBytes } from './jsonutil';
import { isRunnerFrame, isUserFrame } from './stack';
import { send } from './transport';

/** The invocation a call belongs to, told when each of its calls starts and is answered. */
export interface CallOwner {
  readonly scope: InvocationScope;
  /** Why the supervisor cancelled this invocation (its timeout, ...); undefined while it may run. */
  readonly cancelledBecause: string | undefined;
  /** A call made after the cancel was refused (``method``): said once per invocation, by the owner. */
  callRefused(method: string): void;
  callStarted(): void;
  callSettled(): void;
}

interface PendingCall {
  owner: CallOwner;
  answer: (reply: ContextReply) => void;
  /** the stack where the caller chained the call's promise (.then, .catch, .finally, Promise.all) */
  chained?: { stack?: string };
}

/** A call's promise, which knows its call. */
type CallPromise = Promise<unknown> & { [CALL]?: PendingCall };

const CALL = Symbol('motia.contextCall');

/** Marks the error of a call refused after its invocation's cancel (``isRefusedCall``). */
const REFUSED = Symbol('motia.refusedCall');

/**
 * Whether ``reason`` is a call refused after its invocation was cancelled: its invocation has said so
 * once (``CallOwner.callRefused``), so the rejection of one the handler made in a callback it never
 * awaited is no "unhandled promise rejection" error line each.
 */
export function isRefusedCall(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && REFUSED in reason;
}

/**
 * The call promise's own ``then``. ``await`` never looks it up (a native promise is awaited as it is),
 * so an awaited call pays nothing; ``.then``/``.catch``/``.finally`` and Promise.all call it, and the
 * first time it captures the caller's stack: the only user frames a failure reached only through a
 * then-chain can name.
 */
function chainedThen(this: CallPromise, ...handlers: [unknown?, unknown?]): Promise<unknown> {
  const call = this[CALL];
  if (call && !call.chained) {
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, chainedThen);
    call.chained = site;
  }
  return Promise.prototype.then.apply(this, handlers as Parameters<Promise<unknown>['then']>);
}

/** A failure reached through a then-chain only: the frames where the chain was made (without ours). */
function withChainedFrames(error: Error, call: PendingCall): void {
  const stack = error.stack ?? '';
  const lines = stack.split('\n');
  if (lines.some(isUserFrame)) return; // awaited: V8's async stack already names the caller
  const site = (call.chained?.stack ?? '').split('\n').slice(1);
  const frames = site.filter((line) => !isRunnerFrame(line));
  const last = frames.findLastIndex(isUserFrame);
  if (last < 0) return;
  frames.length = last + 1; // what called the handler is the runner's (through AsyncLocalStorage.run)
  const header = lines.filter((line) => !line.startsWith('    at '));
  error.stack = [...header, ...frames].join('\n');
}

/**
 * What the caller's promise settles to once ``reply`` comes. An async function, so that a failure is
 * thrown where the caller awaits: capturing the caller's stack when each call starts instead (in case
 * it fails) was a tenth of the runner's busy time.
 */
async function outcome(reply: Promise<ContextReply>, method: string, call: PendingCall): Promise<unknown> {
  const answer = await reply;
  if (!answer.ok) {
    const error = new Error(answer.error || `${method} failed`);
    error.name = 'ContextCallError';
    Error.captureStackTrace(error, outcome); // the header with the name; from the caller's frames on
    if (call.chained) withChainedFrames(error, call);
    throw error;
  }
  try {
    return parseJsonBytes(answer.resultJson);
  } catch (error) {
    const invalid = new Error(`${method}: the supervisor sent invalid JSON (${errorShape(error).message})`);
    Error.captureStackTrace(invalid, outcome);
    if (call.chained) withChainedFrames(invalid, call);
    throw invalid;
  }
}

export class CallClient {
  private nextCallId = 1n;
  private readonly calls = new Map<bigint, PendingCall>();

  /** Calls sent and not answered yet. */
  get pending(): number {
    return this.calls.size;
  }

  start(owner: CallOwner, method: string, args: unknown[]): Promise<unknown> {
    if (owner.cancelledBecause !== undefined) {
      // A promise cannot be stopped: the handler of a cancelled invocation runs on, but what it does
      // after (state writes, emits) must not land while its retry runs, as in Motia, whose timed-out
      // handler's process is killed.
      const refused = new Error(
        `${method} refused: this invocation of step ${owner.scope.stepName} was cancelled (${owner.cancelledBecause})`,
      );
      Object.defineProperty(refused, REFUSED, { value: true });
      owner.callRefused(method);
      return Promise.reject(refused);
    }
    let argsJson: Uint8Array;
    try {
      argsJson = jsonBytes(args);
    } catch (error) {
      return Promise.reject(new Error(`${method}: arguments are not JSON-serialisable: ${errorShape(error).message}`));
    }
    const callId = this.nextCallId++;
    let call!: PendingCall;
    const reply = new Promise<ContextReply>((answer) => {
      call = { owner, answer, chained: undefined };
      this.calls.set(callId, call);
    });
    owner.callStarted();
    send({
      kind: {
        case: 'call',
        value: {
          callId,
          invocationId: owner.scope.invocationId,
          traceId: owner.scope.traceId,
          stepName: owner.scope.stepName,
          method,
          argsJson,
        },
      },
    });
    const promise: CallPromise = outcome(reply, method, call);
    promise[CALL] = call;
    promise.then = chainedThen as CallPromise['then'];
    return promise;
  }

  reply(reply: ContextReply): void {
    const call = this.calls.get(reply.callId);
    if (!call) return; // unknown or duplicate: nothing to do
    this.calls.delete(reply.callId);
    call.answer(reply);
    call.owner.callSettled();
  }
}
