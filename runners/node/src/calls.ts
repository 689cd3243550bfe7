// ContextCalls: requests from handlers to the supervisor (emit, state.*, streams.*). A call is sent
// the moment the handler makes it and settled by its ContextReply; a failed call rejects with the
// stack of the user's call, not of the reply handler.
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
  resolve: (value: unknown) => void;
  reject: (reason: Error) => void;
  method: string;
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
    const site: { stack?: string } = {};
    Error.captureStackTrace(site, this.start);
    const promise = new Promise<unknown>((resolve, reject) => {
      const rejectAtSite = (error: Error) => {
        const frames = site.stack?.split('\n').slice(1).join('\n');
        if (frames) error.stack = `${error.name}: ${error.message}\n${frames}`;
        reject(error);
      };
      this.calls.set(callId, { owner, resolve, reject: rejectAtSite, method });
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
    return promise;
  }

  reply(reply: ContextReply): void {
    const call = this.calls.get(reply.callId);
    if (!call) return; // unknown or duplicate: nothing to do
    this.calls.delete(reply.callId);
    if (!reply.ok) {
      const error = new Error(reply.error || `${call.method} failed`);
      error.name = 'ContextCallError';
      call.reject(error);
    } else {
      try {
        call.resolve(parseJsonBytes(reply.resultJson));
      } catch (error) {
        call.reject(new Error(`${call.method}: the supervisor sent invalid JSON (${errorShape(error).message})`));
      }
    }
    call.owner.callSettled();
  }
}
