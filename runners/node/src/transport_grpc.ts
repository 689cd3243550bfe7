// The channel to a supervisor over gRPC, for a runner started by hand (in a debugger):
//   node --inspect runners/node/bin/runner.mjs --connect [ADDR] [--cookie C] [--steps A,B]
// It calls RunnerSession.Connect on the address `motia dev --runner-listen` serves, with its
// cookie, language and steps in the metadata; the stream then carries the messages stdio carries.
// Without ADDR or --cookie, both are read from the project's .motia/runner-listen.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { fromBinary } from '@bufbuild/protobuf';
import { RunnerSession, SupervisorMessageSchema } from './gen/motia/runner/v1/runner_pb';
import type { Channel, FrameHandlers } from './transport';
import { OutputBound } from './backpressure';

const CONNECTION_FILE = join('.motia', 'runner-listen.json');
const MAX_MESSAGE = 64 * 1024 * 1024;
const CONNECT_PATH = `/${RunnerSession.typeName}/${RunnerSession.method.connect.name}`;

export interface ConnectArgs {
  address?: string;
  cookie?: string;
  steps: string[];
}

export interface Link {
  address: string;
  cookie: string;
  steps: string[];
}

/** ``--connect [ADDR] [--cookie C] [--steps A,B]`` from the command line; undefined without --connect. */
export function parseConnectArgs(argv: string[]): ConnectArgs | undefined {
  const at = argv.indexOf('--connect');
  if (at < 0) return undefined;
  const value = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    const next = index >= 0 ? argv[index + 1] : undefined;
    return next !== undefined && !next.startsWith('--') ? next : undefined;
  };
  const steps = (value('--steps') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return { address: value('--connect'), cookie: value('--cookie'), steps };
}

/** The address and cookie given, or those the supervisor wrote into the project folder. */
export function resolveLink(args: ConnectArgs, projectDir: string): Link {
  if (args.address && args.cookie) return { address: args.address, cookie: args.cookie, steps: args.steps };
  const path = join(projectDir, CONNECTION_FILE);
  let written: { address?: unknown; cookie?: unknown };
  try {
    written = JSON.parse(readFileSync(path, 'utf8')) as typeof written;
  } catch (error) {
    const missing = args.address ? '--cookie' : 'an address (--connect ADDR) and --cookie';
    throw new Error(
      `no ${missing} given, and ${path} cannot be read (${(error as Error).message}); is ` +
        '`motia dev --runner-listen ADDR` running in this project? Start the runner in the project folder, or pass both',
    );
  }
  return {
    address: args.address ?? String(written.address),
    cookie: args.cookie ?? String(written.cookie),
    steps: args.steps,
  };
}

/** A channel over one Connect call; it dials when opened. */
export function grpcChannel(link: Link): Channel {
  const client = new grpc.Client(link.address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': MAX_MESSAGE,
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.per_rpc_retry_buffer_size': 0,
  });
  const metadata = new grpc.Metadata();
  metadata.set('motia-cookie', link.cookie);
  metadata.set('motia-language', 'node');
  if (link.steps.length) metadata.set('motia-steps', link.steps.join(','));
  let call: grpc.ClientDuplexStream<Uint8Array, Buffer> | undefined;
  let ended: Promise<void> | undefined;
  // Backpressure, as over stdio (backpressure.ts): a write is counted until its callback runs. grpc-js
  // would run it at once while its retry buffer (1 MiB a call) has room, so many small messages would
  // fill that buffer before the runner stopped reading; without a retry buffer (no retries are
  // configured for this call anyway) the callback runs once HTTP/2's flow control let the bytes go.
  // Paused, the runner reads no more of the stream, grpc-js reads no more of the HTTP/2 stream, and the
  // supervisor's sends wait in turn. One difference with the Python runner, which takes one message at
  // a time: grpc-js reads ahead of a paused stream up to its readable high-water mark (16 messages),
  // which makeBidiStreamRequest does not let us lower; those are handed over once it resumes.
  let output: OutputBound | undefined;

  return {
    stdio: false,
    open(handlers: FrameHandlers): void {
      const stream = client.makeBidiStreamRequest<Uint8Array, Buffer>(
        CONNECT_PATH,
        (payload) => Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        (payload) => payload,
        metadata,
      );
      call = stream;
      output = new OutputBound(
        () => stream.pause(),
        () => stream.resume(),
      );
      const bound = output;
      ended = new Promise((resolve) =>
        stream.on('status', () => {
          bound.release(); // nothing more will be taken: read on, to the end
          resolve();
        }),
      );
      let received = false;
      let over = false;
      stream.on('data', (payload: Buffer) => {
        received = true;
        let message;
        try {
          message = fromBinary(SupervisorMessageSchema, payload);
        } catch (error) {
          over = true;
          handlers.broken(`undecodable message from the supervisor: ${(error as Error).message}`);
          return;
        }
        handlers.message(message);
      });
      // A call the supervisor cancels (or whose connection goes) ends here at once, paused or not, as
      // in the Python runner (its call's done callback releases the paused reader). A status the
      // supervisor sends instead waits behind what it sent before, unread while paused: see
      // runners/python/motia_runner/backpressure.py.
      stream.on('error', (error: grpc.ServiceError) => {
        if (over) return;
        over = true;
        if (!received && error.code === grpc.status.UNAVAILABLE) {
          handlers.broken(
            `no supervisor answers at ${link.address} (${error.details}); start ` +
              `\`motia dev --runner-listen ${link.address}\` first`,
            2,
          );
        } else if (!received) {
          handlers.broken(`the supervisor at ${link.address} refused this runner: ${error.details}`, 2);
        } else {
          handlers.broken(`the supervisor at ${link.address} ended the session: ${error.details}`);
        }
      });
      stream.on('end', () => {
        if (over) return;
        over = true;
        handlers.end();
      });
    },
    write(payload: Uint8Array): void {
      const stream = call;
      if (!stream || !output) return;
      const size = payload.byteLength;
      const bound = output;
      bound.queued(size);
      stream.write(payload, () => bound.taken(size));
    },
    async flush(timeoutMs = 5000): Promise<void> {
      // Everything written goes out before the runner's side of the stream ends.
      call?.end();
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
  };
}
