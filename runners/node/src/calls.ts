// ContextCalls: requests from handlers to the supervisor (emit, state.*, streams.*). A call is sent
// the moment the handler makes it and settled by its ContextReply; a failed call throws in the
// caller's await chain, so its stack is the user's (V8's async stack traces: "at async handler
// (steps/x.step.ts:12:5)"), not the reply handler's.
import type { ContextReply } from './gen/motia/runner/v1/runner_pb';
import type { InvocationScope } from './current';
import { errorShape, jsonBytes, parseJsonBytes } from './jsonutil';
import { send } from './transport';

/** The invocation a call belongs to, told when each of its calls starts and is answered. */
export interface CallOwner {
  readonly scope: InvocationScope;
  callStarted(): void;
  callSettled(): void;
}

interface PendingCall {
  owner: CallOwner;
  answer: (reply: ContextReply) => void;
}

/**
 * What the caller's promise settles to once ``reply`` comes. An async function, so that a failure is
 * thrown where the caller awaits: capturing the caller's stack when each call starts instead (in case
 * it fails) was a tenth of the runner's busy time.
 */
async function outcome(reply: Promise<ContextReply>, method: string): Promise<unknown> {
  const answer = await reply;
  if (!answer.ok) {
    const error = new Error(answer.error || `${method} failed`);
    error.name = 'ContextCallError';
    Error.captureStackTrace(error, outcome); // the header with the name; from the caller's frames on
    throw error;
  }
  try {
    return parseJsonBytes(answer.resultJson);
  } catch (error) {
    const invalid = new Error(`${method}: the supervisor sent invalid JSON (${errorShape(error).message})`);
    Error.captureStackTrace(invalid, outcome);
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
    let argsJson: Uint8Array;
    try {
      argsJson = jsonBytes(args);
    } catch (error) {
      return Promise.reject(new Error(`${method}: arguments are not JSON-serialisable: ${errorShape(error).message}`));
    }
    const callId = this.nextCallId++;
    const reply = new Promise<ContextReply>((answer) => this.calls.set(callId, { owner, answer }));
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
    return outcome(reply, method);
  }

  reply(reply: ContextReply): void {
    const call = this.calls.get(reply.callId);
    if (!call) return; // unknown or duplicate: nothing to do
    this.calls.delete(reply.callId);
    call.answer(reply);
    call.owner.callSettled();
  }
}
