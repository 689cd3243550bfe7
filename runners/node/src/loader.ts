// LoadFiles: import each file, report its config or where it broke.
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  LoadErrorSchema,
  LoadedFileSchema,
  LoadFiles,
  LoadResultSchema,
} from './gen/motia/runner/v1/runner_pb';
import { locateError } from './errors';
import { errorShape, jsonBytes } from './jsonutil';
import { scope } from './current';
import { isRunnerFrame, isUserFrame } from './stack';
import { encodeConfig } from './config_encoding';

export interface LoadedStep {
  file: string;
  config: Record<string, unknown>;
  handler: ((...args: unknown[]) => unknown) | undefined;
}

type HookFunction = (...args: unknown[]) => unknown;

/** The functions a hook file provides (see LoadFiles.hook_files). */
export interface LoadedHooks {
  authenticate: HookFunction | undefined;
}

export interface Registry {
  steps: Map<string, LoadedStep>;
  streamNames: Set<string>;
  /** stream file -> its name, to forget names of files that are reloaded */
  streamFiles: Map<string, string>;
  /** stream file -> its config object, functions (canAccess) included */
  streamConfigs: Map<string, Record<string, unknown>>;
  /** hook file -> its hook functions */
  hooks: Map<string, LoadedHooks>;
}

export function emptyRegistry(): Registry {
  return { steps: new Map(), streamNames: new Set(), streamFiles: new Map(), streamConfigs: new Map(), hooks: new Map() };
}

export type ImportModule = (url: string) => Promise<unknown>;

const IMPORT_TIMEOUT_MS = 60_000;
const generation = new Map<string, number>();

function normalizeRel(file: string): string {
  return file.replace(/\\/g, '/');
}

function pickExports(mod: unknown): { config: unknown; handler: unknown } {
  const m = (mod ?? {}) as Record<string, unknown>;
  const def = (m.default ?? undefined) as Record<string, unknown> | undefined;
  const fromDefault = (key: string): unknown =>
    def !== null && (typeof def === 'object' || typeof def === 'function') ? def[key] : undefined;
  const config = m.config !== undefined ? m.config : fromDefault('config');
  const handler = m.handler !== undefined ? m.handler : fromDefault('handler');
  return { config, handler };
}

/**
 * Why a file gave no config, said without its path (the summary puts the path in front). A default
 * export shaped as a whole step (`export default defineStep({ type, handler })`, as some articles write
 * steps) is named, since Motia reads `config` and `handler` as exports of their own.
 */
function missingConfig(mod: unknown): string {
  const field = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  // A TypeScript file compiled to CommonJS and imported as ESM nests its default export once more.
  const def = field(mod, 'default');
  const step = field(def, 'type') !== undefined ? def : field(def, 'default');
  const shaped = field(step, 'type') !== undefined || field(step, 'handler') !== undefined;
  return shaped
    ? 'does not export a `config` object: its default export holds the whole step, but a step exports ' +
        '`config` (`export const config = { type, name, ... }`) and `handler` by name'
    : 'does not export a `config` object (`export const config = { type, name, ... }`)';
}

/**
 * `authenticate` from a hook file: exported by name (motia.auth.ts), or Motia's
 * `export default defineConfig({ streamAuth: { authenticate } })` in motia.config.ts.
 */
function pickAuthenticate(mod: unknown): HookFunction | undefined {
  const field = (value: unknown, key: string): unknown =>
    value !== null && (typeof value === 'object' || typeof value === 'function')
      ? (value as Record<string, unknown>)[key]
      : undefined;
  // A TypeScript file compiled to CommonJS and imported as ESM nests its default export once more.
  const m = mod ?? {};
  const def = field(m, 'default');
  const candidates = [m, def, field(def, 'default')].flatMap((scope) => [
    field(scope, 'authenticate'),
    field(field(scope, 'streamAuth'), 'authenticate'),
  ]);
  return candidates.find((c): c is HookFunction => typeof c === 'function');
}

/** Node's error for a CommonJS name (`module.exports`, `require`) used in a file evaluated as ESM. */
function commonJsInModuleScope(error: unknown): boolean {
  return (
    error instanceof ReferenceError &&
    /^(module|exports|require|__dirname|__filename) is not defined in ES module scope/.test(error.message)
  );
}

async function importFile(projectRoot: string, rel: string, importModule: ImportModule): Promise<unknown> {
  const abs = isAbsolute(rel) ? rel : resolve(projectRoot, rel);
  const seen = generation.get(abs) ?? 0;
  generation.set(abs, seen + 1);
  let url = pathToFileURL(abs).href;
  if (seen > 0) {
    // A reload: a fresh URL re-evaluates the file (ESM); the CJS cache is keyed by path.
    url += `?motia_reload=${seen}`;
    try {
      const req = createRequire(abs);
      delete req.cache[abs];
    } catch {
      /* not in the CJS cache */
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`importing ${rel} did not finish within ${IMPORT_TIMEOUT_MS / 1000}s`)),
      IMPORT_TIMEOUT_MS,
    );
    timer.unref();
  });
  const load = async (): Promise<unknown> => {
    try {
      return await importModule(url);
    } catch (error) {
      if (!commonJsInModuleScope(error)) throw error;
      // A file written as CommonJS (`module.exports = { config, handler }`, `require('zod')`: Motia's
      // docs and its JavaScript template write steps so) in a project whose package.json says
      // "type": "module", as `motia create` writes it: Node evaluates the file as an ES module, where
      // `module`, `exports` and `require` do not exist, so it is loaded through require instead, by
      // tsx's CommonJS hook, which also takes `export` beside `require` (the api reference mixes them).
      return createRequire(abs)(abs) as unknown;
    }
  };
  try {
    return await scope.run({ invocationId: 0n, traceId: '', stepName: '', file: rel }, () =>
      Promise.race([load(), timeout]),
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Message and stack for a LoadError; esbuild transform failures are reported as syntax errors. */
function describeLoadError(error: unknown): { message: string; stack: string } {
  const shape = errorShape(error);
  const transform = /^Transform failed with \d+ errors?:\n([\s\S]*)$/.exec(shape.message);
  if (transform) {
    const details = transform[1]!.trim();
    const first = /: ERROR: (.*)/.exec(details);
    return { message: `SyntaxError: ${first ? first[1] : details}`, stack: details };
  }
  const message = shape.name === 'Error' ? shape.message : `${shape.name}: ${shape.message}`;
  return { message, stack: importMachineryDropped(shape.stack) };
}

/**
 * A load error's stack without the frames of the import machinery (tsx, the runner's fallbacks,
 * node's module loader) when none is the user's: a package not installed ("Cannot find module",
 * its "Require stack" naming the user's file) fails there alone, and those frames, the whole stack
 * but its message, tell the user nothing. Empty when nothing else is left: the message says it.
 */
function importMachineryDropped(stack: string): string {
  const lines = stack.split('\n');
  if (lines.some(isUserFrame)) return stack;
  const kept = lines.filter((line) => !(line.startsWith('    at ') && isRunnerFrame(line)));
  return kept.some((line) => line.startsWith('    at ')) ? kept.join('\n') : '';
}

type LoadResultInit = MessageInitShape<typeof LoadResultSchema>;

export async function loadFiles(
  request: LoadFiles,
  projectRoot: string,
  registry: Registry,
  importModule: ImportModule,
): Promise<LoadResultInit> {
  const result: {
    steps: MessageInitShape<typeof LoadedFileSchema>[];
    streams: MessageInitShape<typeof LoadedFileSchema>[];
    hooks: MessageInitShape<typeof LoadedFileSchema>[];
    errors: MessageInitShape<typeof LoadErrorSchema>[];
  } = { steps: [], streams: [], hooks: [], errors: [] };
  type Kind = 'step' | 'stream' | 'hook';
  const jobs: Array<{ file: string; kind: Kind }> = [
    ...request.streamFiles.map((file) => ({ file: normalizeRel(file), kind: 'stream' as Kind })),
    ...request.stepFiles.map((file) => ({ file: normalizeRel(file), kind: 'step' as Kind })),
    ...request.hookFiles.map((file) => ({ file: normalizeRel(file), kind: 'hook' as Kind })),
  ];
  const outcomes = await Promise.all(
    jobs.map(async (job) => {
      try {
        return { job, mod: await importFile(projectRoot, job.file, importModule) };
      } catch (error) {
        return { job, error: error ?? new Error('import failed') };
      }
    }),
  );
  for (const { job, mod, error } of outcomes) {
    const abs = resolve(projectRoot, job.file);
    if (error !== undefined) {
      registry.hooks.delete(job.file);
      registry.streamConfigs.delete(job.file);
      const where = locateError(error, abs);
      result.errors.push({ file: job.file, line: where.line, column: where.column, ...describeLoadError(error) });
      continue;
    }
    if (job.kind === 'hook') {
      const authenticate = pickAuthenticate(mod);
      registry.hooks.set(job.file, { authenticate });
      result.hooks.push({ file: job.file, configJson: jsonBytes({ exports: authenticate ? ['authenticate'] : [] }) });
      continue;
    }
    const { config, handler } = pickExports(mod);
    if (config === null || typeof config !== 'object') {
      result.errors.push({
        file: job.file,
        line: 0,
        column: 0,
        message: missingConfig(mod),
        stack: '',
      });
      continue;
    }
    try {
      if (job.kind === 'stream') {
        const encoded = encodeConfig(config, undefined, job.file);
        const previous = registry.streamFiles.get(job.file);
        if (previous !== undefined) registry.streamNames.delete(previous);
        const name = (config as { name?: unknown }).name;
        if (typeof name === 'string' && name) {
          registry.streamNames.add(name);
          registry.streamFiles.set(job.file, name);
        }
        registry.streamConfigs.set(job.file, config as Record<string, unknown>);
        result.streams.push({ file: job.file, configJson: jsonBytes(encoded) });
      } else {
        const fn = typeof handler === 'function' ? (handler as LoadedStep['handler']) : undefined;
        const encoded = encodeConfig(config, fn !== undefined, job.file);
        registry.steps.set(job.file, { file: job.file, config: config as Record<string, unknown>, handler: fn });
        result.steps.push({ file: job.file, configJson: jsonBytes(encoded) });
      }
    } catch (err) {
      const shape = errorShape(err);
      result.errors.push({
        file: job.file,
        line: 0,
        column: 0,
        message: `could not encode the config: ${shape.message}`,
        stack: shape.stack,
      });
    }
  }
  return result;
}
