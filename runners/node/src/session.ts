// The node runner's session: read SupervisorMessage frames from stdin, answer
// with RunnerMessage frames on stdout. See proto/README.md.
import { fromBinary } from '@bufbuild/protobuf';
import { type SupervisorMessage, SupervisorMessageSchema } from './gen/motia/runner/v1/runner_pb';
import { FrameDecoder } from './framing';
import { Invoker } from './invoke';
import { errorShape } from './jsonutil';
import { emptyRegistry, loadFiles, type ImportModule, type Registry } from './loader';
import { diagnostic, flushStdout, installOutputGuards, log, send, setLogLevel } from './transport';
import { setRunnerRoot } from './config_encoding';

export const PROTOCOL_VERSION = 1;

export interface RunnerOptions {
  runnerRoot: string;
  importModule: ImportModule;
  /** Registers the ESM loader hooks (tsx + fallback resolver); idempotent. */
  registerEsmHooks: () => Promise<void>;
}

export function main(options: RunnerOptions): void {
  installOutputGuards();
  setRunnerRoot(options.runnerRoot);

  const projectRoot = process.env.MOTIA_PROJECT_ROOT || process.cwd();
  const registry: Registry = emptyRegistry();
  const invoker = new Invoker(registry);
  let loadChain: Promise<void> = Promise.resolve();
  let shuttingDown = false;
  let esmReady: Promise<void> | undefined;
  const ensureEsm = (): Promise<void> => (esmReady ??= options.registerEsmHooks());

  process.on('unhandledRejection', (reason) => {
    const e = errorShape(reason);
    log('error', `unhandled promise rejection: ${e.message}`, reason instanceof Error ? reason : { value: reason });
  });
  process.on('uncaughtException', (error) => {
    const e = errorShape(error);
    log('error', `uncaught exception: ${e.message}`, error);
  });

  const exit = async (code: number): Promise<never> => {
    await flushStdout();
    process.exit(code);
  };

  const shutdown = (graceMs: number): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, graceMs)).unref());
    void Promise.race([Promise.all([invoker.whenIdle(), loadChain]), deadline]).then(() => exit(0));
  };

  const handle = (message: SupervisorMessage): void => {
    const kind = message.kind;
    switch (kind.case) {
      case 'hello': {
        setLogLevel(kind.value.logLevel);
        send({
          kind: {
            case: 'hello',
            value: {
              protocolVersion: PROTOCOL_VERSION,
              language: 'node',
              runtime: `node ${process.version}`,
              pid: process.pid,
            },
          },
        });
        if (kind.value.protocolVersion !== PROTOCOL_VERSION) {
          diagnostic('warn', `supervisor speaks protocol ${kind.value.protocolVersion}, runner speaks ${PROTOCOL_VERSION}`);
        }
        // Start the loader-hooks thread now; LoadFiles waits for it.
        setImmediate(() => void ensureEsm().catch(() => undefined));
        return;
      }
      case 'load': {
        const request = kind.value;
        loadChain = loadChain.then(async () => {
          try {
            await ensureEsm();
            const result = await loadFiles(request, projectRoot, registry, options.importModule);
            send({ kind: { case: 'loaded', value: { requestId: request.requestId, ...result } } });
          } catch (error) {
            // Should not happen (per-file errors are caught); answer anyway.
            const e = errorShape(error);
            send({
              kind: {
                case: 'loaded',
                value: {
                  requestId: request.requestId,
                  errors: [...request.stepFiles, ...request.streamFiles, ...request.hookFiles].map((file) => ({
                    file,
                    message: e.message,
                    stack: e.stack,
                  })),
                },
              },
            });
          }
        });
        return;
      }
      case 'invoke':
        if (shuttingDown) return invoker.reject(kind.value, 'runner is shutting down', 'ShuttingDown');
        return invoker.invoke(kind.value);
      case 'contextReply':
        return invoker.reply(kind.value);
      case 'cancel':
        return invoker.cancel(kind.value.invocationId, kind.value.reason);
      case 'ping':
        return send({ kind: { case: 'pong', value: { seq: kind.value.seq } } });
      case 'shutdown':
        return shutdown(kind.value.graceMs);
      default:
        diagnostic('warn', 'ignoring an empty or unknown supervisor message');
    }
  };

  const decoder = new FrameDecoder();
  process.stdin.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.feed(chunk);
    } catch (error) {
      process.stderr.write(`motia node runner: protocol error on stdin: ${errorShape(error).message}\n`);
      void exit(1);
      return;
    }
    for (const frame of frames) {
      let message: SupervisorMessage;
      try {
        message = fromBinary(SupervisorMessageSchema, frame);
      } catch (error) {
        process.stderr.write(`motia node runner: undecodable frame: ${errorShape(error).message}\n`);
        void exit(1);
        return;
      }
      try {
        handle(message);
      } catch (error) {
        diagnostic('error', `failed to handle ${message.kind.case ?? 'message'}`, error);
      }
    }
  });
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
}
