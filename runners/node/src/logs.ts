// LogRecords: ctx.logger, console.* from user code (tagged with the current invocation), and the
// runner's own diagnostics. Records below Hello.log_level are dropped.
import { format, inspect } from 'node:util';
import { current, RUNNER, type InvocationScope } from './current';
import { jsonBytes, normalizeMeta } from './jsonutil';
import { userStack } from './stack';
import { send } from './transport';

/** Motia's four levels, and critical above error (the supervisor records it as its own level). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'critical';
// The supervisor's names (supervisor/logs/_levels.py), copied to drop what is below the threshold here;
// tests/test_level_names_agree.py holds the copy to them.
export const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, critical: 50 };
export const ALIASES = new Map<string, LogLevel>([
  ['warning', 'warn'],
  ['fatal', 'critical'],
  ['trace', 'debug'],
]);

/** A level named by user code (``logger.log({ level })``) as one of ours; one not known is info. */
export function levelOf(name: unknown): LogLevel {
  const lower = typeof name === 'string' ? name.toLowerCase() : '';
  const level = ALIASES.get(lower) ?? lower;
  return Object.hasOwn(LEVEL_ORDER, level) ? (level as LogLevel) : 'info';
}

let minLevel = 0;

// The wall clock to the microsecond: Date.now() counts whole milliseconds, so a line logged 0.9 ms
// after a state.set or emit (which the supervisor times to the microsecond) sorted before it in the
// trace, as a step's first line did before its span's start. performance.now() is monotonic and may
// drift from the wall clock over a long run: its reading is kept within the wall clock's millisecond,
// the offset moved by as much as it drifted out of it.
let clockOffsetMs = performance.timeOrigin;

function wallClockMs(): number {
  const wall = Date.now();
  const precise = clockOffsetMs + performance.now();
  const kept = Math.min(Math.max(precise, wall), wall + 0.999);
  clockOffsetMs += kept - precise;
  return kept;
}

export function setLogLevel(level: string): void {
  const order = LEVEL_ORDER[level as LogLevel];
  minLevel = order === undefined ? 0 : order;
}

/** One LogRecord; a stack in ``message`` without the runner's frames, as a thrown error's. */
export function log(level: LogLevel, message: string, meta?: unknown, who?: InvocationScope): void {
  if (LEVEL_ORDER[level] < minLevel) return;
  const scope = who ?? current();
  let metaJson: Uint8Array = new Uint8Array();
  let normalized = normalizeMeta(meta);
  if (scope?.file && scope.invocationId === 0n) normalized = { ...(normalized ?? {}), file: scope.file };
  if (normalized !== undefined) {
    try {
      metaJson = jsonBytes(normalized);
    } catch {
      metaJson = jsonBytes({ data: inspect(meta) });
    }
  }
  send({
    kind: {
      case: 'log',
      value: {
        level,
        // console.error(err), logger.error(`failed: ${err.stack}`)
        message: userStack(message),
        metaJson,
        invocationId: scope?.invocationId ?? 0n,
        traceId: scope?.traceId ?? '',
        stepName: scope?.stepName ?? '',
        timeMs: wallClockMs(),
      },
    },
  });
}

/** The runner's own diagnostics (invocation_id 0). */
export function diagnostic(level: LogLevel, message: string, meta?: unknown): void {
  log(level, message, meta, RUNNER);
}

let captured = false;

/**
 * console.* becomes LogRecords of the current invocation (or of the file being imported), each at its
 * own level: log/info at info, warn at warn, error at error, debug/trace at debug.
 */
export function captureConsole(): void {
  if (captured) return;
  captured = true;
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

  // Node prints process warnings (deprecations, experimental features) to stderr itself; as records
  // they keep their level and the step that caused them.
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error) => {
    log('warn', `${warning.name}: ${warning.message}`);
  });
}
