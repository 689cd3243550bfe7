// JSON encoding that never throws on the usual suspects: Errors become
// {name, message, stack}, bigints become strings, cycles become "[Circular]".

export interface ErrorShape {
  name: string;
  message: string;
  stack: string;
}

export function errorShape(error: unknown): ErrorShape {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as Partial<Error>;
    const name = typeof e.name === 'string' && e.name ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : String(e.message);
    const stack = typeof e.stack === 'string' ? e.stack : '';
    return { name, message, stack };
  }
  return { name: 'Error', message: describe(error), stack: '' };
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

const encoder = new TextEncoder();

export function jsonText(value: unknown): string {
  const plain = toPlain(value);
  return plain === undefined ? 'null' : JSON.stringify(plain);
}

export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(jsonText(value));
}

const decoder = new TextDecoder();

export function parseJsonBytes(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return null;
  return JSON.parse(decoder.decode(bytes));
}

/** LogRecord meta: a JSON object. An Error becomes {name,message,stack}; a non-object becomes {value}. */
export function normalizeMeta(meta: unknown): Record<string, unknown> | undefined {
  if (meta === undefined || meta === null) return undefined;
  if (isError(meta)) return toPlain(meta) as Record<string, unknown>;
  if (typeof meta === 'object' && !Array.isArray(meta)) {
    const plain = toPlain(meta);
    if (plain && typeof plain === 'object' && !Array.isArray(plain)) return plain as Record<string, unknown>;
    return { value: plain };
  }
  return { value: toPlain(meta) ?? String(meta) };
}
