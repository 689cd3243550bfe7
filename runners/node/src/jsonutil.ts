// JSON encoding that never throws on the usual suspects: Errors become
// {name, message, stack} (the stack without the runner's frames), bigints become strings, cycles
// become "[Circular]".
import { userStack } from './stack';

export interface ErrorShape {
  name: string;
  message: string;
  stack: string;
}

export function errorShape(error: unknown): ErrorShape {
  if (isErrorLike(error)) {
    const e = error as Partial<Error>;
    const name = typeof e.name === 'string' && e.name ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : String(e.message);
    // one rule for the error and its causes: a cause made in node's internals alone (the
    // ``connect ECONNREFUSED`` under fetch's ``fetch failed``) has no frame of the user's, and kept
    // node's frames where the error's own stack dropped them
    const own = typeof e.stack === 'string' ? e.stack : '';
    const stack = userStack(own + causes(error, own));
    return { name, message, stack };
  }
  return { name: 'Error', message: describe(error), stack: '' };
}

const isErrorLike = (value: unknown): value is object =>
  value instanceof Error || (typeof value === 'object' && value !== null && 'message' in value);

/** How many causes deep a stack tells (``new Error(m, { cause })`` chains, each one's cause). */
const MAX_CAUSES = 8;

/**
 * ``error``'s chain of causes, each a "Caused by:" paragraph (its stack, else its name and message),
 * as the Python runner's stacks carry ``raise ... from``: the reason an error gives is often only in
 * its cause (Node's fetch fails with "fetch failed", the cause naming the host it could not resolve
 * or the connection refused), and the stack V8 gives holds none of it. A cause the error's own
 * ``stack`` already tells ("Caused by: ..." in it, as axios writes its errors' stacks) is not told
 * again; its own causes still are.
 */
function causes(error: object, stack: string): string {
  const seen = new Set<unknown>([error]);
  let text = '';
  let cause = (error as { cause?: unknown }).cause;
  for (let depth = 0; cause !== undefined && cause !== null && !seen.has(cause) && depth < MAX_CAUSES; depth++) {
    seen.add(cause);
    let told: string;
    if (isErrorLike(cause)) {
      const e = cause as Partial<Error>;
      const name = typeof e.name === 'string' && e.name ? e.name : 'Error';
      const header = `${name}: ${typeof e.message === 'string' ? e.message : String(e.message)}`;
      told = typeof e.stack === 'string' && e.stack.includes(String(e.message)) ? e.stack : header;
    } else told = describe(cause);
    if (!(stack + text).includes(`Caused by: ${told.split('\n', 1)[0]}`)) text += `\n\nCaused by: ${told}`;
    cause = typeof cause === 'object' ? (cause as { cause?: unknown }).cause : undefined;
  }
  return text;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

/** A JSON-safe deep copy. */
export function toPlain(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    switch (typeof v) {
      case 'bigint':
        return v.toString();
      case 'function':
      case 'symbol':
      case 'undefined':
        return undefined;
      case 'object': {
        if (v === null) return null;
        if (seen.has(v)) return '[Circular]';
        if (isError(v)) {
          const shape: Record<string, unknown> = { ...errorShape(v) };
          seen.add(v);
          for (const [k, item] of Object.entries(v)) if (!(k in shape)) shape[k] = walk(item);
          seen.delete(v);
          return shape;
        }
        const toJSON = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') return walk(toJSON.call(v));
        if (v instanceof Map) v = Object.fromEntries(v);
        else if (v instanceof Set) v = [...v];
        else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) v = Array.from(v as unknown as ArrayLike<number>);
        seen.add(v as object);
        let out: unknown;
        if (Array.isArray(v)) {
          out = v.map((item) => {
            const w = walk(item);
            return w === undefined ? null : w;
          });
        } else {
          const obj: Record<string, unknown> = {};
          for (const [k, item] of Object.entries(v as object)) {
            const w = walk(item);
            if (w !== undefined) obj[k] = w;
          }
          out = obj;
        }
        seen.delete(v as object);
        return out;
      }
      case 'number':
        return Number.isFinite(v) ? v : null;
      default:
        return v;
    }
  };
  return walk(value);
}

/** How deep ``isPlainJson`` looks before leaving a value to ``toPlain`` (which also catches cycles). */
const PLAIN_DEPTH = 32;

/**
 * Whether ``JSON.stringify(value)`` already says what ``JSON.stringify(toPlain(value))`` says: nothing
 * in it that toPlain rewrites (a bigint, an Error, a Map or Set, a typed array, a boxed primitive, an
 * object with its own toJSON but a Date's) and no cycle. Payloads, results and context-call arguments
 * almost always are, and then need no copy: toPlain's walk was a tenth of the runner's busy time.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'bigint':
      return false;
    case 'object': {
      if (value === null) return true;
      if (depth > PLAIN_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        if (value instanceof Date) return proto === Date.prototype;
        if (
          isError(value) ||
          value instanceof Map ||
          value instanceof Set ||
          ArrayBuffer.isView(value) ||
          value instanceof Number ||
          value instanceof String ||
          value instanceof Boolean
        ) {
          return false;
        }
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) return false; // inherited keys: toPlain's walk
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

export function jsonText(value: unknown): string {
  if (isPlainJson(value, 0)) return JSON.stringify(value) ?? 'null';
  const plain = toPlain(value);
  return plain === undefined ? 'null' : JSON.stringify(plain);
}

export function jsonBytes(value: unknown): Uint8Array {
  return Buffer.from(jsonText(value), 'utf8'); // TextEncoder's bytes, from Buffer's pool
}

const decoder = new TextDecoder();

export function parseJsonBytes(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return null;
  // frames are Buffers: their own UTF-8 decoding is cheaper than TextDecoder's, which also drops a BOM
  const text =
    bytes instanceof Buffer && bytes[0] !== 0xef ? bytes.toString('utf8', 0, bytes.length) : decoder.decode(bytes);
  return JSON.parse(text);
}

/**
 * LogRecord meta: a JSON object. An Error becomes {name,message,stack}; anything else that is not an
 * object of fields (a string, a number, an array) becomes {data: it}, under the key Motia's Python
 * logger uses (Node Motia spreads it: a string into one field per character, a number into nothing).
 */
export function normalizeMeta(meta: unknown): Record<string, unknown> | undefined {
  if (meta === undefined || meta === null) return undefined;
  if (isError(meta)) return toPlain(meta) as Record<string, unknown>;
  if (typeof meta === 'object' && !Array.isArray(meta)) {
    if (isPlainJson(meta, 0)) return meta as Record<string, unknown>;
    const plain = toPlain(meta);
    if (plain && typeof plain === 'object' && !Array.isArray(plain)) return plain as Record<string, unknown>;
    return { data: plain };
  }
  return { data: toPlain(meta) ?? String(meta) };
}
