// Everything the runner writes: protocol frames on the real stdout, logs as
// LogRecord frames. User code never reaches fd 1 as text: console.* becomes a
// LogRecord and other writes to process.stdout are redirected to stderr.
import { AsyncLocalStorage } from 'node:async_hooks';
import { format, inspect } from 'node:util';
import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { RunnerMessageSchema } from './gen/motia/runner/v1/runner_pb';
import { encodeFrame } from './framing';
import { jsonBytes, normalizeMeta } from './jsonutil';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Who is running: set for the duration of an invocation (and for work it spawns). */
export interface InvocationScope {
  invocationId: bigint;
  traceId: string;
  stepName: string;
  /** set while a file is being imported */
  file?: string;
}

export const scope = new AsyncLocalStorage<InvocationScope>();

type RunnerMessageInit = MessageInitShape<typeof RunnerMessageSchema>;

const stdout = process.stdout;
const realWrite = stdout.write.bind(stdout) as (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean;

let helloSent = false;
const beforeHello: Buffer[] = [];
let minLevel = 0;

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

export function setLogLevel(level: string): void {
  const order = LEVEL_ORDER[level as LogLevel];
  minLevel = order === undefined ? 0 : order;
}

export function log(level: LogLevel, message: string, meta?: unknown, who?: InvocationScope): void {
  if (LEVEL_ORDER[level] < minLevel) return;
  const current = who ?? scope.getStore();
  let metaJson: Uint8Array = new Uint8Array();
  let normalized = normalizeMeta(meta);
  if (current?.file && current.invocationId === 0n) normalized = { ...(normalized ?? {}), file: current.file };
  if (normalized !== undefined) {
    try {
      metaJson = jsonBytes(normalized);
    } catch {
      metaJson = jsonBytes({ value: inspect(meta) });
    }
  }
  send({
    kind: {
      case: 'log',
      value: {
        level,
        message,
        metaJson,
        invocationId: current?.invocationId ?? 0n,
        traceId: current?.traceId ?? '',
        stepName: current?.stepName ?? '',
        timeMs: Date.now(),
      },
    },
  });
}

/** The runner's own diagnostics (invocation_id 0). */
export function diagnostic(level: LogLevel, message: string, meta?: unknown): void {
  log(level, message, meta, { invocationId: 0n, traceId: '', stepName: '' });
}

let installed = false;

export function installOutputGuards(): void {
  if (installed) return;
  installed = true;

  // Any other write to stdout (process.stdout.write, libraries printing) goes to stderr.
  const toStderr = function (this: unknown, ...args: unknown[]): boolean {
    return (process.stderr.write as (...a: unknown[]) => boolean)(...args);
  };
  stdout.write = toStderr as typeof stdout.write;

  const c = console as unknown as Record<string, unknown>;
  const at = (level: LogLevel) =>
    function (...args: unknown[]): void {
      log(level, format(...args));
    };
  c.log = at('info');
  c.info = at('info');
  c.warn = at('warn');
  c.error = at('error');
  c.debug = at('debug');
  c.trace = function (...args: unknown[]): void {
    const err = { name: 'Trace', message: format(...args) } as Error;
    Error.captureStackTrace(err, c.trace as () => void);
    log('debug', err.stack ?? err.message);
  };
  c.dir = function (value: unknown, options?: object): void {
    log('info', inspect(value, { customInspect: false, ...options }));
  };
  // table/time/count/group/assert go through this.log / this.warn, which are patched above.

  stdout.on('error', () => process.exit(0)); // supervisor went away
}
