// Drives the node runner's hand-written codec (runners/node/src/codec.ts) against protobuf-es, the
// reference, over generated and hand-picked messages. Run by tests/test_runner_codec.py:
//   node tests/support/runner_codec_check.cjs [SEED]
// Prints one JSON object: counts per check, the first mismatches, and a few hand-encoded messages (hex)
// for the Python side to parse with the supervisor's own generated code.
'use strict';
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');

const runnerRoot = path.resolve(__dirname, '..', '..', 'runners', 'node');
// resolved as the runner resolves them (bin/runner.mjs)
const runnerRequire = require('node:module').createRequire(path.join(runnerRoot, 'bin', 'runner.mjs'));
runnerRequire('tsx/cjs/api').register();
const { create, fromBinary, toBinary } = runnerRequire('@bufbuild/protobuf');
const pb = require(path.join(runnerRoot, 'src', 'gen', 'motia', 'runner', 'v1', 'runner_pb.ts'));
const codec = require(path.join(runnerRoot, 'src', 'codec.ts'));

// ---------------------------------------------------------------- values

let seed = Number(process.argv[2] || 1) >>> 0;
function random() {
  // mulberry32: the same cases on every run with the same seed
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (items) => items[Math.floor(random() * items.length)];
const maybe = (value, p = 0.8) => (random() < p ? value : undefined);

const STRINGS = [
  '',
  'a',
  'info',
  'state.set',
  'ProcessFoodOrder',
  '0b7c2a6e-5d0f-4c8b-9a51-3f6f2f3c1e2d',
  'x'.repeat(64),
  'y'.repeat(65),
  'z'.repeat(200),
  'héllo wörld',
  'ペット🐶 in quarantine',
  '\u{1F600}'.repeat(40),
  '\ufeffstarts with a BOM',
  'a lone surrogate \ud800 here',
  'trailing lone \udfff',
  'nul \u0000 inside',
  'é'.repeat(33),
  'Error: boom\n    at handler (steps/a.step.ts:3:9)\n    at run (runners/node/src/session.ts:1:1)'.repeat(20),
];
const randomAscii = () => {
  const n = Math.floor(random() * 100);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(32 + Math.floor(random() * 95));
  return s;
};
const randomText = () => {
  const n = Math.floor(random() * 40);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCodePoint(pick([0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xffff, 0x10000, 0x10ffff, 0xe9]) + (random() < 0.5 ? 0 : 0));
  return s;
};
const str = () => (random() < 0.6 ? pick(STRINGS) : random() < 0.5 ? randomAscii() : randomText());

const UINT64 = [
  0n,
  1n,
  127n,
  128n,
  300n,
  16383n,
  16384n,
  2n ** 21n - 1n,
  2n ** 28n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 35n,
  2n ** 49n - 1n,
  2n ** 49n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 56n + 3n,
  2n ** 63n,
  2n ** 64n - 1n,
];
const u64 = () => {
  if (random() < 0.7) return pick(UINT64);
  const bits = BigInt(Math.floor(random() * 64) + 1);
  let v = 0n;
  for (let i = 0n; i < bits; i += 16n) v = (v << 16n) | BigInt(Math.floor(random() * 65536));
  return BigInt.asUintN(Number(bits), v);
};
// The runner's own code passes bigints; an init may carry a number too.
const u64Init = () => {
  const v = u64();
  return random() < 0.2 && v <= 2n ** 53n - 1n ? Number(v) : v;
};

const DOUBLES = [0, -0, 1, -1, 1.5, Date.now(), -1e300, 1e300, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity];
const dbl = () => (random() < 0.8 ? pick(DOUBLES) : (random() - 0.5) * 10 ** Math.floor(random() * 40));

const LARGE = new Uint8Array(3 * 1024 * 1024 + 7);
for (let i = 0; i < LARGE.length; i++) LARGE[i] = (i * 2654435761) >>> 24;
const bytes = () => {
  const r = random();
  if (r < 0.25) return new Uint8Array(0);
  if (r < 0.26) return LARGE;
  const n = Math.floor(random() * (r < 0.9 ? 200 : 20000));
  const out = random() < 0.5 ? new Uint8Array(n) : Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
};
const json = (value) => new TextEncoder().encode(JSON.stringify(value));
const bool = () => pick([true, false, undefined]);
const ENUMS = [0, 1, 2, 3, 4, 5, 99, -1, -2147483648, 2147483647];

// ---------------------------------------------------------------- runner -> supervisor

function runnerMessages() {
  const out = [];
  const errorInfo = () => ({ name: maybe(str()), message: maybe(str()), stack: maybe(str()) });
  for (let i = 0; i < 400; i++) {
    out.push({
      kind: {
        case: 'result',
        value: {
          invocationId: maybe(u64Init()),
          ok: bool(),
          resultJson: maybe(bytes()),
          error: maybe(errorInfo(), 0.4),
          body: maybe(bytes(), 0.3),
          declined: bool(),
        },
      },
    });
    out.push({
      kind: {
        case: 'call',
        value: {
          callId: maybe(u64Init()),
          invocationId: maybe(u64Init()),
          traceId: maybe(str()),
          stepName: maybe(str()),
          method: maybe(str()),
          argsJson: maybe(bytes()),
        },
      },
    });
    out.push({
      kind: {
        case: 'log',
        value: {
          level: maybe(str()),
          message: maybe(str()),
          metaJson: maybe(bytes()),
          invocationId: maybe(u64Init()),
          traceId: maybe(str()),
          stepName: maybe(str()),
          timeMs: maybe(dbl()),
        },
      },
    });
    out.push({ kind: { case: 'pong', value: { seq: maybe(u64Init()) } } });
  }
  // what the runner sends, as it sends it
  out.push(
    { kind: { case: 'result', value: { invocationId: 7n, ok: true, resultJson: json({ status: 201, body: { id: 'p1' } }), body: undefined } } },
    { kind: { case: 'result', value: { invocationId: 8n, ok: true, resultJson: json({ status: 200 }), body: Buffer.from('PNG\u0000') } } },
    { kind: { case: 'result', value: { invocationId: 9n, ok: true, resultJson: json({ status: 204 }), body: new Uint8Array(0) } } },
    { kind: { case: 'result', value: { invocationId: 10n, ok: false, error: { name: 'TypeError', message: 'x is not a function', stack: '' } } } },
    { kind: { case: 'result', value: { invocationId: 11n, ok: false, error: {} } } },
    { kind: { case: 'call', value: { callId: 1n, invocationId: 7n, traceId: 'trace-1', stepName: 'CreatePet', method: 'emit', argsJson: json([{ topic: 'pet.created', data: { id: 1 } }]) } } },
    { kind: { case: 'log', value: { level: 'info', message: 'pet created', metaJson: json({ petId: 'p1' }), invocationId: 7n, traceId: 'trace-1', stepName: 'CreatePet', timeMs: 1764460800123 } } },
    { kind: { case: 'log', value: { level: 'warn', message: '', metaJson: new Uint8Array(), invocationId: 0n, traceId: '', stepName: '', timeMs: 0 } } },
    { kind: { case: 'pong', value: { seq: 0n } } },
  );
  return out;
}

/** Messages the hand encoder leaves to protobuf-es: they must still come out right. */
function fallbackRunnerMessages() {
  return [
    { kind: { case: 'hello', value: { protocolVersion: 1, language: 'node', runtime: 'node v20', pid: 42 } } },
    { kind: { case: 'loaded', value: { requestId: 3n, steps: [{ file: 'steps/a.step.ts', configJson: json({ name: 'A' }) }] } } },
    { kind: { case: 'pong', value: { seq: 5n, stall: { stalledMs: 1200, invocationId: 7n, where: 'steps/a.step.ts:3' } } } },
    { kind: { case: undefined } },
    {},
  ];
}

/** Values protobuf-es refuses: the runner must refuse them the same way (an error, not other bytes). */
function invalidRunnerMessages() {
  return [
    { kind: { case: 'call', value: { callId: -1n } } },
    { kind: { case: 'call', value: { callId: 2n ** 64n } } },
    { kind: { case: 'result', value: { invocationId: -5 } } },
    { kind: { case: 'log', value: { invocationId: 1.5 } } },
  ];
}

// ---------------------------------------------------------------- supervisor -> runner

function supervisorMessages() {
  const out = [];
  for (let i = 0; i < 400; i++) {
    out.push(
      create(pb.SupervisorMessageSchema, {
        kind: {
          case: 'invoke',
          value: {
            invocationId: maybe(u64()),
            file: maybe(str()),
            stepName: maybe(str()),
            kind: maybe(pick(ENUMS)),
            payloadJson: maybe(bytes()),
            traceId: maybe(str()),
            topic: maybe(str()),
          },
        },
      }),
      create(pb.SupervisorMessageSchema, {
        kind: { case: 'contextReply', value: { callId: maybe(u64()), ok: bool(), resultJson: maybe(bytes()), error: maybe(str()) } },
      }),
      create(pb.SupervisorMessageSchema, { kind: { case: 'cancel', value: { invocationId: maybe(u64()), reason: maybe(str()) } } }),
      create(pb.SupervisorMessageSchema, { kind: { case: 'ping', value: { seq: maybe(u64()) } } }),
    );
  }
  return out;
}

const concat = (...parts) => Buffer.concat(parts.map((p) => (Array.isArray(p) ? Buffer.from(p) : p)));
const varint = (value) => {
  const out = [];
  let v = BigInt(value);
  while (v >= 128n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
const field = (no, wire, payload) => [...varint(BigInt(no) * 8n + BigInt(wire)), ...payload];
const lengthDelimited = (no, content) => concat(field(no, 2, varint(content.length)), content);

/** Unknown fields of every wire type the decoder skips (a newer supervisor's additions). */
function unknownFields() {
  return [
    ...field(50, 0, varint(2n ** 64n - 1n)),
    ...field(51, 1, [1, 2, 3, 4, 5, 6, 7, 8]),
    ...lengthDelimited(52, Buffer.from('a field from the future')),
    ...field(53, 5, [9, 9, 9, 9]),
    ...field(536870911, 0, [0]),
  ];
}

const NESTED = { invoke: [3, pb.InvokeSchema], contextReply: [4, pb.ContextReplySchema], cancel: [5, pb.CancelSchema], ping: [6, pb.PingSchema] };

/** ``message``'s bytes with unknown fields around and inside its oneof member, and one of its fields repeated. */
function withExtras(message, variant) {
  const [no, schema] = NESTED[message.kind.case];
  let inner = toBinary(schema, message.kind.value);
  if (variant & 1) inner = concat(unknownFields(), inner, unknownFields());
  if (variant & 2) inner = concat(inner, field(1, 0, varint(12345n))); // the last occurrence wins
  const outer = lengthDelimited(no, inner);
  const all = variant & 4 ? concat(unknownFields(), outer, unknownFields()) : outer;
  return variant & 8 ? all : new Uint8Array(all);
}

function fallbackSupervisorBytes() {
  const out = [
    create(pb.SupervisorMessageSchema, { kind: { case: 'hello', value: { protocolVersion: 1, projectRoot: '/p', runnerId: 'node-0', logLevel: 'info' } } }),
    create(pb.SupervisorMessageSchema, { kind: { case: 'load', value: { requestId: 1n, stepFiles: ['steps/a.step.ts'] } } }),
    create(pb.SupervisorMessageSchema, { kind: { case: 'shutdown', value: { graceMs: 5000 } } }),
    create(pb.SupervisorMessageSchema, {}),
  ].map((m) => toBinary(pb.SupervisorMessageSchema, m));
  // two oneof members (protobuf-es merges / replaces), a known field with the wrong wire type, a group
  const ping = toBinary(pb.SupervisorMessageSchema, create(pb.SupervisorMessageSchema, { kind: { case: 'ping', value: { seq: 1n } } }));
  const cancel = toBinary(pb.SupervisorMessageSchema, create(pb.SupervisorMessageSchema, { kind: { case: 'cancel', value: { invocationId: 2n, reason: 'r' } } }));
  const invoke = toBinary(
    pb.SupervisorMessageSchema,
    create(pb.SupervisorMessageSchema, { kind: { case: 'invoke', value: { invocationId: 3n, file: 'f', traceId: 't' } } }),
  );
  out.push(new Uint8Array([...ping, ...cancel]), new Uint8Array([...invoke, ...invoke]));
  out.push(new Uint8Array(lengthDelimited(6, Buffer.from(field(1, 2, [1, 65])))));
  out.push(new Uint8Array([...field(60, 3, []), ...field(60, 4, []), ...ping]));
  return out;
}

// ---------------------------------------------------------------- checks

const report = { counts: {}, mismatches: [], samples: {} };
const count = (name) => (report.counts[name] = (report.counts[name] || 0) + 1);
const describe = (value) =>
  JSON.stringify(value, (k, v) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes ${Buffer.from(v.subarray(0, 16)).toString('hex')}>` : v,
  ).slice(0, 600);
const mismatch = (check, detail) => {
  count(`${check}: mismatch`);
  if (report.mismatches.length < 20) report.mismatches.push({ check, detail });
};

function withoutUnknown(value) {
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) if (k !== '$unknown') out[k] = withoutUnknown(v);
  return out;
}

const attempt = (fn) => {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: String(error && error.message) };
  }
};

for (const message of runnerMessages()) {
  const reference = toBinary(pb.RunnerMessageSchema, create(pb.RunnerMessageSchema, message));
  const hand = codec.encodeByHand(message);
  if (hand === undefined) {
    mismatch('encode: left to protobuf-es', describe(message));
    continue;
  }
  count('encode: by hand');
  if (!Buffer.from(hand).equals(Buffer.from(reference))) {
    mismatch('encode: bytes differ', { message: describe(message), hand: Buffer.from(hand).toString('hex').slice(0, 400), reference: Buffer.from(reference).toString('hex').slice(0, 400) });
  } else {
    count('encode: same bytes');
  }
  if (!Buffer.from(codec.encodeRunnerMessage(message)).equals(Buffer.from(reference))) mismatch('encode: public path', describe(message));
}

for (const message of fallbackRunnerMessages()) {
  const reference = toBinary(pb.RunnerMessageSchema, create(pb.RunnerMessageSchema, message));
  if (codec.encodeByHand(message) !== undefined) mismatch('encode fallback: taken by hand', describe(message));
  if (Buffer.from(codec.encodeRunnerMessage(message)).equals(Buffer.from(reference))) count('encode fallback: same bytes');
  else mismatch('encode fallback: bytes differ', describe(message));
}

for (const message of invalidRunnerMessages()) {
  const reference = attempt(() => toBinary(pb.RunnerMessageSchema, create(pb.RunnerMessageSchema, message)));
  const ours = attempt(() => codec.encodeRunnerMessage(message));
  if (reference.error !== undefined && ours.error === reference.error) count('encode invalid: same error');
  else mismatch('encode invalid: not refused alike', { message: describe(message), reference: reference.error, ours: ours.error });
}

let variant = 0;
for (const message of supervisorMessages()) {
  const plain = toBinary(pb.SupervisorMessageSchema, message);
  for (const bytes of [plain, withExtras(message, variant++ % 16)]) {
    const reference = fromBinary(pb.SupervisorMessageSchema, bytes);
    const hand = codec.decodeByHand(bytes);
    if (hand === undefined) {
      mismatch('decode: left to protobuf-es', describe(message));
      continue;
    }
    count('decode: by hand');
    if (isDeepStrictEqual(hand, withoutUnknown(reference))) count('decode: same message');
    else mismatch('decode: messages differ', { hand: describe(hand), reference: describe(reference) });
  }
}

for (const bytes of fallbackSupervisorBytes()) {
  if (codec.decodeByHand(bytes) !== undefined) mismatch('decode fallback: taken by hand', Buffer.from(bytes).toString('hex'));
  const reference = attempt(() => fromBinary(pb.SupervisorMessageSchema, bytes));
  const ours = attempt(() => codec.decodeSupervisorMessage(bytes));
  if (isDeepStrictEqual(ours, reference)) count('decode fallback: same result');
  else mismatch('decode fallback: results differ', { ours: describe(ours), reference: describe(reference) });
}

// Truncated and corrupted frames: the same message or the same error as protobuf-es, never a third answer.
let corrupt = 0;
for (const message of supervisorMessages().slice(0, 200)) {
  const bytes = withExtras(message, corrupt % 16);
  const cut = Math.floor(random() * bytes.length);
  const flipped = new Uint8Array(bytes);
  flipped[cut] ^= 1 << corrupt % 8;
  const variants = [bytes.subarray(0, cut), flipped];
  corrupt++;
  for (const broken of variants) {
    const reference = attempt(() => withoutUnknown(fromBinary(pb.SupervisorMessageSchema, broken)));
    const ours = attempt(() => withoutUnknown(codec.decodeSupervisorMessage(broken)));
    if (isDeepStrictEqual(ours, reference)) count('decode corrupt: same result');
    else mismatch('decode corrupt: results differ', { bytes: Buffer.from(broken).toString('hex').slice(0, 300), ours: describe(ours), reference: describe(reference) });
  }
}

// What the Python side parses with the supervisor's generated code.
report.samples = {
  result: Buffer.from(
    codec.encodeByHand({ kind: { case: 'result', value: { invocationId: 2n ** 63n + 5n, ok: true, resultJson: json({ status: 200, body: 'ペット🐶' }), body: new Uint8Array(0) } } }),
  ).toString('hex'),
  call: Buffer.from(
    codec.encodeByHand({ kind: { case: 'call', value: { callId: 300n, invocationId: 7n, traceId: 'tr\u00e9ce', stepName: 'Create Pet', method: 'state.set', argsJson: json(['pets', 'p1', { name: 'Rex' }]) } } }),
  ).toString('hex'),
  log: Buffer.from(
    codec.encodeByHand({ kind: { case: 'log', value: { level: 'error', message: 'boom \ud800', metaJson: json({ a: 1 }), invocationId: 1n, traceId: 't', stepName: 's', timeMs: -1.5 } } }),
  ).toString('hex'),
  error: Buffer.from(
    codec.encodeByHand({ kind: { case: 'result', value: { invocationId: 1n, ok: false, error: { name: 'TypeError', message: 'bad', stack: 'at x' } } } }),
  ).toString('hex'),
};

process.stdout.write(JSON.stringify(report) + '\n');
