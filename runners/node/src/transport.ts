// The channel to the supervisor: RunnerMessage frames on the real stdout, SupervisorMessage
// frames from stdin. Nothing else may reach fd 1, so other writes to process.stdout are sent to
// stderr (console.* becomes LogRecords, see logs.ts).
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  RunnerMessageSchema,
  type SupervisorMessage,
  SupervisorMessageSchema,
} from './gen/motia/runner/v1/runner_pb';
import { encodeFrame, FrameDecoder } from './framing';
import { errorShape } from './jsonutil';

type RunnerMessageInit = MessageInitShape<typeof RunnerMessageSchema>;

const stdout = process.stdout;
const realWrite = stdout.write.bind(stdout) as (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean;

let helloSent = false;
const beforeHello: Buffer[] = [];

export function send(message: RunnerMessageInit): void {
  const frame = encodeFrame(toBinary(RunnerMessageSchema, create(RunnerMessageSchema, message)));
  if (!helloSent && message.kind?.case !== 'hello') {
    beforeHello.push(frame); // nothing may precede HelloReply
    return;
  }
  realWrite(frame);
  if (message.kind?.case === 'hello') {
    helloSent = true;
    for (const pending of beforeHello.splice(0)) realWrite(pending);
  }
}

/** Resolves once everything written to stdout so far has been handed to the OS. */
export function flushStdout(timeoutMs = 5000): Promise<void> {
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
  stdout.on('error', () => process.exit(0)); // supervisor went away
}

export interface FrameHandlers {
  message: (message: SupervisorMessage) => void;
  /** stdin is not a frame stream any more: the runner cannot go on */
  broken: (reason: string) => void;
  /** stdin closed: the supervisor is gone or wants the runner to stop */
  end: () => void;
}

/** Reads SupervisorMessage frames from stdin. */
export function readFrames(handlers: FrameHandlers): void {
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
        message = fromBinary(SupervisorMessageSchema, frame);
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
