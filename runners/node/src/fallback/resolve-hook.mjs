// ESM side of the module-resolution fallback (a node:module register() hook,
// registered after tsx so it runs first). When bare 'motia' or 'zod' (or a
// subpath) cannot be resolved from the importing file, 'motia' resolves to the
// runner's stub and 'zod' to the runner's own zod.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const FALLBACK = /^(motia|zod)(\/.*)?$/;
let stubUrl = '';
let runnerParentUrl = '';

export function initialize(data) {
  stubUrl = pathToFileURL(join(data.runnerRoot, 'src', 'fallback', 'motia-stub.cjs')).href;
  runnerParentUrl = pathToFileURL(join(data.runnerRoot, 'package.json')).href;
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const match = error && error.code === 'ERR_MODULE_NOT_FOUND' ? FALLBACK.exec(specifier) : null;
    if (!match) throw error;
    if (match[1] === 'motia') return { url: stubUrl, format: 'commonjs', shortCircuit: true };
    try {
      return await nextResolve(specifier, { ...context, parentURL: runnerParentUrl });
    } catch {
      throw error;
    }
  }
}
