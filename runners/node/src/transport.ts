// The channel to the supervisor. By default (the supervisor started this runner): RunnerMessage
// frames on the real stdout, SupervisorMessage frames from stdin. Nothing else may reach fd 1, so
// other writes to process.stdout are sent to stderr (console.* becomes LogRecords, see logs.ts).
// A runner started by hand with --connect speaks over gRPC instead (transport_grpc.ts): the same
// messages, through the same send().
import type { SupervisorMessage } from './gen/motia/runner/v1/runner_pb';
import { decodeSupervisorMessage, encodeRunnerMessage, type RunnerMessageInit } from './codec';
import { encodeFrame, FrameDecoder } from './framing';
import { errorShape } from './jsonutil';
import { OutputBound } from './backpressure';

const stdout = process.stdout;
/** why a runner whose frames the supervisor no longer takes exits (1), on stderr (the Python runner's words) */
const PIPE_CLOSED = "the supervisor's pipe closed (writing to stdout failed)";
const realWrite = stdout.write.bind(stdout) as (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean;

export interface FrameHandlers {
  message: (message: SupervisorMessage) => void;
  /** the channel is not a message stream any more: the runner cannot go on (exits with ``code``) */
  broken: (reason: string, code?: number) => void;
  /** the supervisor closed the channel: it is gone or wants the runner to stop */
  end: () => void;
}

/** Where RunnerMessages go and SupervisorMessages come from. */
export interface Channel {
  /** Starts reading; each SupervisorMessage goes to ``handlers.message``. */
  open(handlers: FrameHandlers): void;
  /** Sends one RunnerMessage's bytes. */
  write(payload: Uint8Array): void;
  /** Resolves once everything sent so far is on its way (at most ``timeoutMs`` later). */
  flush(timeoutMs?: number): Promise<void>;
  /** It is the process's own stdin/stdout (which then must carry nothing else). */
  readonly stdio: boolean;
}

let helloSent = false;
const beforeHello: Uint8Array[] = [];

export function send(message: RunnerMessageInit): void {
  const payload = encodeRunnerMessage(message);
  if (!helloSent && message.kind?.case !== 'hello') {
    beforeHello.push(payload); // nothing may precede HelloReply
    return;
  }
  channel.write(payload);
  if (message.kind?.case === 'hello') {
    helloSent = true;
    for (const pending of beforeHello.splice(0)) channel.write(pending);
  }
}

/** Resolves once everything written to stdout so far has been handed to the OS. */
function flushStdout(timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (stdout.writableLength === 0 || stdout.destroyed) return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    stdout.once('drain', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

let guarded = false;

/** Keeps fd 1 for frames: any other write to stdout (process.stdout.write, libraries) goes to stderr. */
export function guardStdout(): void {
  if (guarded) return;
  guarded = true;
  const toStderr = function (this: unknown, ...args: unknown[]): boolean {
    return (process.stderr.write as (...a: unknown[]) => boolean)(...args);
  };
  stdout.write = toStderr as typeof stdout.write;
  // The supervisor died or closed its end: a session end no Shutdown asked for, an error (exit 1, as the
  // Python runner; at once, as nothing more can reach the supervisor).
  stdout.on('error', () => {
    process.stderr.write(`motia node runner: ${PIPE_CLOSED}; exiting\n`);
    process.exit(1);
  });
}

/** Reads SupervisorMessage frames from stdin. */
function readFrames(handlers: FrameHandlers): void {
  const decoder = new FrameDecoder();
  process.stdin.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.feed(chunk);
    } catch (error) {
      handlers.broken(`protocol error on stdin: ${errorShape(error).message}`);
      return;
    }
    for (const frame of frames) {
      let message: SupervisorMessage;
      try {
        message = decodeSupervisorMessage(frame);
      } catch (error) {
        handlers.broken(`undecodable frame: ${errorShape(error).message}`);
        return;
      }
      handlers.message(message);
    }
  });
  process.stdin.on('end', handlers.end);
  process.stdin.on('error', handlers.end);
}

// Frames sent during one turn of the event loop go out in one write, at its end (setImmediate: the
// check phase of the same turn, before the loop waits again). A write to a pipe is a system call
// that wakes the supervisor's reader, and one per frame was a fifth of the runner's busy time under
// load (results, context calls and log lines of many handlers in the same turn). Work that decides
// what the turn sends last (an invocation's completion check, which sends its result) runs in the
// same place, before the write (atTurnEnd), so a result joins the log lines and calls of its turn
// instead of waiting for a write of its own a loop iteration later. The price: a frame sent just
// before a handler blocks the loop goes out when the block ends, with everything else.
let pending: Uint8Array[] = [];
let scheduled = false;
const turnEnd: Array<() => void> = [];

function scheduleTurnEnd(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(endTurn);
}

function endTurn(): void {
  // callbacks may send frames and add callbacks: those run here too, all before the one write
  for (let i = 0; i < turnEnd.length; i++) {
    try {
      turnEnd[i]!();
    } catch (error) {
      process.nextTick(() => {
        throw error; // the process's uncaughtException handler reports it; the others still ran
      });
    }
  }
  turnEnd.length = 0;
  scheduled = false;
  writePending();
}

/** Runs ``callback`` at the end of this loop turn, before the turn's frames are written. */
export function atTurnEnd(callback: () => void): void {
  turnEnd.push(callback);
  scheduleTurnEnd();
}

// Backpressure: a write to a full pipe does not block; Node keeps the bytes. Past the high mark of
// what waits (backpressure.ts) the runner stops reading stdin, so no new invocation or reply adds to
// them, until the supervisor has read it down to the low mark. What handlers already running send
// still queues, bounded by what they do.
const output = new OutputBound(
  () => process.stdin.pause(),
  () => process.stdin.resume(),
);

function writeOut(chunk: Uint8Array): void {
  const size = chunk.length;
  output.queued(size);
  realWrite(chunk, () => output.taken(size));
}

function writePending(): void {
  if (pending.length === 0) return;
  const frames = pending;
  pending = [];
  writeOut(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
}

// process.exit() (user code, or ours after flush) ends the turn early: its frames go out first.
process.on('exit', writePending);

let batching = true;

/** From now on each frame goes out at once, in a write of its own: a debugger pauses the loop (at a
 *  breakpoint, or waiting to attach), and what was logged before the pause must show during it. */
export function writeFramesAtOnce(): void {
  writePending();
  batching = false;
}

/** The supervisor started this runner: frames on stdin and stdout. */
export const stdioChannel: Channel = {
  open: readFrames,
  write: (payload) => {
    if (!batching) {
      writeOut(encodeFrame(payload));
      return;
    }
    pending.push(encodeFrame(payload));
    scheduleTurnEnd();
  },
  flush: (timeoutMs) => {
    writePending();
    return flushStdout(timeoutMs);
  },
  stdio: true,
};

let channel: Channel = stdioChannel;

/** Speak over ``next`` from now on (before anything is sent). */
export function useChannel(next: Channel): void {
  channel = next;
}
