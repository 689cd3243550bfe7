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
import { errorShape, jsonBytes } from './json';
import { scope } from './output';
import { encodeConfig } from './schema';

export interface LoadedStep {
  file: string;
  config: Record<string, unknown>;
  handler: ((...args: unknown[]) => unknown) | undefined;
}

export interface Registry {
  steps: Map<string, LoadedStep>;
  streamNames: Set<string>;
  /** stream file -> its name, to forget names of files that are reloaded */
  streamFiles: Map<string, string>;
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
  try {
    return await scope.run({ invocationId: 0n, traceId: '', stepName: '', file: rel }, () =>
      Promise.race([importModule(url), timeout]),
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
  return { message, stack: shape.stack };
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
    errors: MessageInitShape<typeof LoadErrorSchema>[];
  } = { steps: [], streams: [], errors: [] };
  const jobs = [
    ...request.streamFiles.map((file) => ({ file: normalizeRel(file), stream: true })),
    ...request.stepFiles.map((file) => ({ file: normalizeRel(file), stream: false })),
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
      const where = locateError(error, abs);
      result.errors.push({ file: job.file, line: where.line, column: where.column, ...describeLoadError(error) });
      continue;
    }
    const { config, handler } = pickExports(mod);
    if (config === null || typeof config !== 'object') {
      result.errors.push({
        file: job.file,
        line: 0,
        column: 0,
        message: `${job.file} does not export a \`config\` object`,
        stack: '',
      });
      continue;
    }
    try {
      if (job.stream) {
        const encoded = encodeConfig(config, undefined, job.file);
        const previous = registry.streamFiles.get(job.file);
        if (previous !== undefined) registry.streamNames.delete(previous);
        const name = (config as { name?: unknown }).name;
        if (typeof name === 'string' && name) {
          registry.streamNames.add(name);
          registry.streamFiles.set(job.file, name);
        }
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
