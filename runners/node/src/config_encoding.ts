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
  const module = requireFromRunner<{
    zodToJsonSchema: (s: unknown, o: Record<string, unknown>) => JsonSchema;
  }>('zod-to-json-schema');
  if (io === 'output') {
    // As zod 4's output shape: a refine or preprocess is its inner schema (zod-to-json-schema's "any"
    // strategy typed a z.string().refine() as unknown), a pipe its output side (not `in & out`), and
    // a `.default()` or `.catch()` field is there in the parsed value. A transform's result has no
    // JSON Schema: its input side, as fillUnrepresentable gives it for zod 4.
    return module.zodToJsonSchema(schema, {
      target: 'jsonSchema7',
      effectStrategy: 'input',
      pipeStrategy: 'output',
      postProcess: requireDefaultedFields,
    });
  }
  // What zod 3 accepts, as zod 4's input schema says it: a plain (strip) object takes fields it does
  // not name, only a .strict() one refuses them. zod-to-json-schema's default closes every object
  // (additionalProperties: false), which refused a body or warned of an event that zod would parse.
  // A pipe is its input side: the default, `in` and `out` together, refused every body of
  // z.string().transform(Number).pipe(z.number()) (a string and a number at once).
  return module.zodToJsonSchema(schema, {
    target: 'jsonSchema7',
    effectStrategy: 'input',
    pipeStrategy: 'input',
    removeAdditionalStrategy: 'strict',
    allowedAdditionalProperties: undefined,
  });
}

type Zod3Schema = { _def?: Zod3Def; isOptional?: () => boolean };
type Zod3Def = {
  typeName?: string;
  shape?: () => Record<string, Zod3Schema>;
  effect?: { type?: string };
  schema?: Zod3Schema;
};

/** Whether a zod 3 object field is there in the value parsed, where its input may leave it out. */
function presentOnceParsed(field: Zod3Schema): boolean {
  const def = field._def;
  if (def?.typeName === 'ZodDefault' || def?.typeName === 'ZodCatch') return true;
  // z.preprocess(fn, z.string()) takes undefined (fn may make it a string); it gives a string
  return def?.effect?.type === 'preprocess' && def.schema?.isOptional?.() === false;
}

/** zod-to-json-schema's postProcess for the output shape: a zod 3 object's `.default()`, `.catch()`
 * and preprocessed fields are required, as zod 4 writes them (the value parsed has them). */
function requireDefaultedFields(json: JsonSchema | undefined, def: Zod3Def): JsonSchema | undefined {
  if (!json || def.typeName !== 'ZodObject' || typeof def.shape !== 'function') return json;
  const properties = json.properties as Record<string, unknown> | undefined;
  if (!properties) return json;
  const required = new Set(Array.isArray(json.required) ? (json.required as string[]) : []);
  for (const [name, field] of Object.entries(def.shape())) {
    if (name in properties && presentOnceParsed(field)) required.add(name);
  }
  if (required.size) json.required = [...required]; // in place: zod-to-json-schema keeps this object
  return json;
}

const ANNOTATIONS = new Set(['$schema', 'description', 'title']);

function isPlainObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The output shape, with each part it cannot say (`{}`: a `.transform()`'s result, which zod's
 * toJSONSchema leaves as any) taken from the input shape at the same place. Nothing runs zod's parse on
 * a body, an event or a response (neither Motia nor this runner): the handler gets, and returns, the
 * value as sent, which the input side describes. Motia 0.17 refused the step instead (z.toJSONSchema
 * throws on a transform); `unknown` typed nothing.
 */
function fillUnrepresentable(output: unknown, input: unknown): unknown {
  if (!isPlainObject(output) || !isPlainObject(input)) return output;
  if (Object.keys(output).every((key) => ANNOTATIONS.has(key))) {
    return JSON.stringify(input).includes('"$ref"') ? output : { ...input, ...output };
  }
  const filled: JsonSchema = { ...output };
  for (const key of ['properties', '$defs', 'definitions']) {
    const outs = output[key];
    const ins = input[key];
    if (!isPlainObject(outs) || !isPlainObject(ins)) continue;
    filled[key] = Object.fromEntries(
      Object.entries(outs).map(([name, sub]) => [name, name in ins ? fillUnrepresentable(sub, ins[name]) : sub]),
    );
  }
  for (const key of ['items', 'additionalProperties', 'not']) {
    if (key in output && key in input) filled[key] = fillUnrepresentable(output[key], input[key]);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    const outs = output[key];
    const ins = input[key];
    if (Array.isArray(outs) && Array.isArray(ins) && outs.length === ins.length) {
      filled[key] = outs.map((sub, i) => fillUnrepresentable(sub, ins[i]));
    }
  }
  return filled;
}

function safeConvert(schema: unknown, io: 'input' | 'output', where: string, file: string): JsonSchema | undefined {
  try {
    return zodToJsonSchema(schema, io);
  } catch (error) {
    diagnostic('warn', `could not convert the zod schema at ${where} in ${file} to JSON Schema`, error);
    return undefined;
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
          const where = path || 'config';
          const converted = safeConvert(value, 'input', where, file);
          if (!converted) return {}; // said once, not once per shape
          const output = fillUnrepresentable(safeConvert(value, 'output', where, file) ?? {}, converted);
          // A response is shown, documented and typed as what the handler returns: the output shape.
          if (/^responseSchema\b/.test(path)) return output;
          // What the core validates is the input (a `.default()` field may be left out); the types
          // are the output's, as Motia 0.17 generates them from z.toJSONSchema's default (output):
          // a `.default()` field is there in the handler's value.
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
