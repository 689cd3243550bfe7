// Config encoding: zod schemas (3 or 4) -> JSON Schema, functions -> their
// names, everything else JSON-safe. Plain JSON-schema objects pass through.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { diagnostic } from './logs';

type JsonSchema = Record<string, unknown>;
type ToJsonSchemaParams = { unrepresentable?: 'any' | 'throw'; io?: 'input' | 'output'; target?: string };

let runnerRequire: NodeJS.Require | undefined;
export function setRunnerRoot(root: string): void {
  runnerRequire = createRequire(join(root, 'package.json'));
}

function requireFromRunner<T>(id: string): T {
  if (!runnerRequire) throw new Error('runner root not set');
  return runnerRequire(id) as T;
}

function isZod4(value: unknown): boolean {
  const z = (value as { _zod?: { def?: unknown } } | null)?._zod;
  return typeof value === 'object' && value !== null && typeof z === 'object' && z !== null && 'def' in z;
}

function isZod3(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const def = (value as { _def?: { typeName?: unknown } })._def;
  return typeof def === 'object' && def !== null && typeof def.typeName === 'string';
}

function isZodSchema(value: unknown): boolean {
  return isZod4(value) || isZod3(value);
}

/** A zod schema's output shape, beside its input shape when they differ (supervisor/codegen). */
const TYPES_KEY = 'x-motia-output';

/** Converts one zod schema; `io` picks the input or output shape of transforms/defaults. */
function zodToJsonSchema(schema: unknown, io: 'input' | 'output'): JsonSchema {
  if (isZod4(schema)) {
    const params: ToJsonSchemaParams = { unrepresentable: 'any', io };
    // Prefer the schema's own zod (keeps .describe()/.meta() from its registry).
    const own = (schema as { toJSONSchema?: (p: ToJsonSchemaParams) => JsonSchema }).toJSONSchema;
    if (typeof own === 'function') return own.call(schema, params);
    const core = requireFromRunner<{ toJSONSchema: (s: unknown, p: ToJsonSchemaParams) => JsonSchema }>(
      'zod/v4/core',
    );
    return core.toJSONSchema(schema, params);
  }
  const convert = requireFromRunner<{
    zodToJsonSchema: (s: unknown, o: Record<string, unknown>) => JsonSchema;
  }>('zod-to-json-schema').zodToJsonSchema;
  if (io === 'output') return convert(schema, { target: 'jsonSchema7', effectStrategy: 'any' });
  // What zod 3 accepts, as zod 4's input schema says it: a plain (strip) object takes fields it does
  // not name, only a .strict() one refuses them. zod-to-json-schema's default closes every object
  // (additionalProperties: false), which refused a body or warned of an event that zod would parse.
  return convert(schema, {
    target: 'jsonSchema7',
    effectStrategy: 'input',
    removeAdditionalStrategy: 'strict',
    allowedAdditionalProperties: undefined,
  });
}

function safeConvert(schema: unknown, io: 'input' | 'output', where: string, file: string): JsonSchema {
  try {
    return zodToJsonSchema(schema, io);
  } catch (error) {
    diagnostic('warn', `could not convert the zod schema at ${where} in ${file} to JSON Schema`, error);
    return {};
  }
}

/** The exported config as a JSON-safe value, plus "hasHandler". */
export function encodeConfig(config: unknown, hasHandler: boolean | undefined, file: string): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const walk = (value: unknown, path: string): unknown => {
    switch (typeof value) {
      case 'function':
        return (value as { name?: string }).name || 'anonymous';
      case 'bigint':
        return value.toString();
      case 'symbol':
      case 'undefined':
        return undefined;
      case 'number':
        return Number.isFinite(value) ? value : null;
      case 'object': {
        if (value === null) return null;
        if (isZodSchema(value)) {
          const io = /^responseSchema\b/.test(path) ? 'output' : 'input';
          const converted = safeConvert(value, io, path || 'config', file);
          if (io === 'output') return converted;
          // What the core validates is the input (a `.default()` field may be left out); the types
          // are the output's, as Motia 0.17 generates them from z.toJSONSchema's default (output):
          // a `.default()` field is there in the handler's value.
          const output = safeConvert(value, 'output', path || 'config', file);
          return JSON.stringify(output) === JSON.stringify(converted)
            ? converted
            : { ...converted, [TYPES_KEY]: output };
        }
        if (seen.has(value)) return '[Circular]';
        if (value instanceof Date) return value.toISOString();
        if (value instanceof RegExp) return String(value);
        seen.add(value);
        let out: unknown;
        if (Array.isArray(value)) {
          out = value.map((item, i) => walk(item, `${path}[${i}]`) ?? null);
        } else {
          const obj: Record<string, unknown> = {};
          for (const [key, item] of Object.entries(value)) {
            const encoded = walk(item, path ? `${path}.${key}` : key);
            if (encoded !== undefined) obj[key] = encoded;
          }
          out = obj;
        }
        seen.delete(value);
        return out;
      }
      default:
        return value;
    }
  };
  const encoded = walk(config, '');
  const result: Record<string, unknown> =
    encoded && typeof encoded === 'object' && !Array.isArray(encoded) ? (encoded as Record<string, unknown>) : {};
  if (hasHandler !== undefined) result.hasHandler = hasHandler;
  return result;
}
