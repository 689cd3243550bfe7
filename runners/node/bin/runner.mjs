#!/usr/bin/env node
// Entry point of the motia node runner. The supervisor spawns exactly
//   node runners/node/bin/runner.mjs
// with cwd = the user's project root and speaks the runner protocol
// (proto/README.md) over stdin/stdout. Started by hand (in a debugger) with
//   node --inspect runners/node/bin/runner.mjs --connect [ADDR] [--cookie C] [--steps A,B]
// it dials a `motia dev --runner-listen` supervisor over gRPC instead (src/transport_grpc.ts).
//
// Start-up order matters for speed:
//   1. cookie guard (nothing loaded yet);
//   2. tsx's CommonJS hook (synchronous, cheap) and the CJS fallback for bare
//      'motia'/'zod', then the TypeScript runner itself is loaded through it;
//   3. the runner answers Hello, and only then are the ESM hooks (tsx's loader
//      and our fallback resolver) registered. They run in a hooks thread whose
//      start-up costs ~100 ms, so it overlaps with the supervisor's next message.
import { createRequire, register as registerHooks } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const COOKIE = 'motia-runner-v1';
const connecting = process.argv.includes('--connect');
if (!connecting && process.env.MOTIA_RUNNER_COOKIE !== COOKIE) {
  process.stderr.write(
    'motia node runner: this program is started by the motia supervisor and speaks a binary protocol on stdio; ' +
      `it is not meant to be run by hand (MOTIA_RUNNER_COOKIE is not "${COOKIE}"). To attach it to a ` +
      '`motia dev --runner-listen ADDR` supervisor, start it with --connect ADDR.\n',
  );
  process.exit(2);
}

const runnerRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

require('tsx/cjs/api').register();
const fallback = require('../src/fallback/cjs-fallback.cjs');
fallback.install(runnerRoot);

let esmHooks;
function registerEsmHooks() {
  esmHooks ??= (async () => {
    const { register } = await import('tsx/esm/api');
    register();
    // Registered after tsx, so it runs first and sees tsx's resolution failures.
    registerHooks(pathToFileURL(resolve(runnerRoot, 'src/fallback/resolve-hook.mjs')).href, {
      parentURL: import.meta.url,
      data: { runnerRoot },
    });
  })();
  return esmHooks;
}

function connectChannel() {
  const { grpcChannel, parseConnectArgs, resolveLink } = require('../src/transport_grpc.ts');
  try {
    return grpcChannel(resolveLink(parseConnectArgs(process.argv.slice(2)), process.env.MOTIA_PROJECT_ROOT || process.cwd()));
  } catch (error) {
    process.stderr.write(`motia node runner: ${error.message}\n`);
    process.exit(2);
  }
}

const { runSession } = require('../src/session.ts');
runSession({
  runnerRoot,
  importModule: (url) => import(url),
  registerEsmHooks,
  channel: connecting ? connectChannel() : undefined,
});
