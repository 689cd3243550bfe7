'use strict';
// CommonJS side of the module-resolution fallback: when a require() of bare
// 'motia' or 'zod' (or a subpath) cannot be resolved from the requiring file,
// 'motia' becomes the runner's stub and 'zod' the runner's own zod. Everything
// else resolves normally, from the project's own node_modules.
const Module = require('node:module');
const path = require('node:path');

const FALLBACK = /^(motia|zod)(\/.*)?$/;

function install(runnerRoot) {
  if (Module.__motiaFallbackInstalled) return;
  Module.__motiaFallbackInstalled = true;
  const stub = path.join(runnerRoot, 'src', 'fallback', 'motia-stub.cjs');
  const runnerRequire = Module.createRequire(path.join(runnerRoot, 'package.json'));
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveWithFallback(request, parent, isMain, options) {
    try {
      return original.call(this, request, parent, isMain, options);
    } catch (error) {
      const match = error && error.code === 'MODULE_NOT_FOUND' ? FALLBACK.exec(request) : null;
      if (!match) throw error;
      if (match[1] === 'motia') return stub;
      try {
        return runnerRequire.resolve(request);
      } catch {
        throw error;
      }
    }
  };
}

module.exports = { install };
