// The ctx handed to handlers and hooks: emit, logger, state, streams, traceId, flows.
import type { InvocationScope } from './current';
import { jsonText } from './jsonutil';
import { levelOf, log, type LogLevel } from './logs';

/** Starts a context call for the invocation the ctx belongs to. */
export type CallFn = (method: string, ...args: unknown[]) => Promise<unknown>;

/** A plain object of fields (not an array, not an Error: those are one value of meta). */
function isFields(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error);
}

/**
 * Older Motia named an event's topic ``type`` (``emit({ type: 'x', data })``), as some of MotiaDev's
 * examples still do; Motia 0.17 drops such an event with a console line. The error says what to rename.
 */
function oldTypeHint(event: unknown): string {
  const type = event !== null && typeof event === 'object' ? (event as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? `, got { type: ${JSON.stringify(type)} }: name it \`topic\`` : '';
}

export function buildContext(
  call: CallFn,
  who: InvocationScope,
  streamNames: Iterable<string>,
  flows?: unknown,
): Record<string, unknown> {
  const makeLogger = (bound: Record<string, unknown> | undefined): Record<string, unknown> => {
    const write = (level: LogLevel, message: unknown, meta?: unknown): void => {
      const text = typeof message === 'string' ? message : jsonText(message);
      let merged = meta;
      if (bound) {
        merged = isFields(meta) ? { ...bound, ...meta } : meta === undefined ? bound : { ...bound, data: meta };
      }
      log(level, text, merged, who);
    };
    const at =
      (level: LogLevel) =>
      (message: unknown, meta?: unknown): void =>
        write(level, message, meta);
    return {
      info: at('info'),
      warn: at('warn'),
      warning: at('warn'),
      error: at('error'),
      critical: at('critical'),
      debug: at('debug'),
      // Motia's log({ level, msg, ...fields }): at the level named (info when none), the rest as meta
      log: (entry: unknown, meta?: unknown): void => {
        if (!isFields(entry)) return write('info', entry, meta);
        const { level, msg, ...fields } = entry;
        write(levelOf(level), msg ?? '', Object.keys(fields).length ? fields : undefined);
      },
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
  for (const name of streamNames) known[name] = streamApi(name);
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
      return Promise.reject(new TypeError(`emit expects { topic: string, data, messageGroupId? }${oldTypeHint(event)}`));
    }
    return call('emit', event);
  };
  return {
    emit,
    logger: makeLogger(undefined),
    state,
    streams,
    traceId: who.traceId,
    flows,
  };
}
