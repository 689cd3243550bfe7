// The wire codec of the runner protocol's hot messages, written by hand: InvokeResult, ContextCall,
// LogRecord and Pong out, Invoke, ContextReply, Cancel and Ping in (each sent or received once per
// invocation, context call or log line). protobuf-es (the generated runner_pb) was a sixth of the
// runner's busy time under load, mostly building and walking its reflection objects for messages of
// five flat fields. Everything else (Hello, LoadFiles, LoadResult, a Pong with a stall, anything this
// file does not expect: an out-of-range number, a malformed or merged message) goes through
// protobuf-es, which stays the reference: tests/test_runner_codec.py checks both give the same bytes
// and the same messages.
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  RunnerMessageSchema,
  type SupervisorMessage,
  SupervisorMessageSchema,
} from './gen/motia/runner/v1/runner_pb';

export type RunnerMessageInit = MessageInitShape<typeof RunnerMessageSchema>;

// ---------------------------------------------------------------- encoding (runner -> supervisor)

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const tag = (field: number, wire: number): number => (field << 3) | wire;

/** What the hand encoder does not take: protobuf-es encodes it (or throws its own error). */
class NotHandled extends Error {}
const NOT_HANDLED = new NotHandled();

type Uint64 = bigint | number;

/** A uint64 as a number when it is one exactly (the common case), else as a bigint in range. */
function uint64(value: unknown): Uint64 {
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= 0x1fffffffffffffn) return Number(value);
    if (value > 0n && value <= 0xffffffffffffffffn) return value;
  } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return value;
  } else if (value === undefined) {
    return 0;
  }
  throw NOT_HANDLED;
}

function varintSize(value: Uint64): number {
  if (typeof value === 'bigint') {
    let size = 1;
    for (let v = value; v >= 128n; v >>= 7n) size++;
    return size;
  }
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 5;
  for (let v = Math.floor(value / 0x800000000); v > 0; v = Math.floor(v / 128)) size++;
  return size;
}

function string(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  throw NOT_HANDLED;
}

function bytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value === undefined) return EMPTY;
  throw NOT_HANDLED;
}

function bool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === undefined) return false;
  throw NOT_HANDLED;
}

/** An ASCII string's length, or -1 (then Buffer.byteLength says): most strings here are ids and names. */
function asciiLength(text: string): number {
  const n = text.length;
  if (n > 64) return -1;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) > 0x7f) return -1;
  return n;
}

/** Sizes the fields of one message, then writes them in the same order into one buffer. */
class Writer {
  private buf: Buffer = EMPTY_BUFFER;
  private pos = 0;
  // per non-empty string, in sizing order: its UTF-8 length, or -length-1 when it is ASCII (copied by hand)
  private readonly lengths: number[] = [];
  private next = 0;

  reset(): void {
    this.lengths.length = 0;
    this.next = 0;
  }

  // --- sizing pass: each returns the bytes the field takes (0 when it is not written)

  sizeVarint(value: Uint64): number {
    return value === 0 ? 0 : 1 + varintSize(value);
  }

  sizeBool(value: boolean): number {
    return value ? 2 : 0;
  }

  sizeString(value: string): number {
    if (value === '') return 0;
    const ascii = asciiLength(value);
    const length = ascii >= 0 ? ascii : Buffer.byteLength(value, 'utf8');
    this.lengths.push(ascii >= 0 ? -length - 1 : length);
    return 1 + varintSize(length) + length;
  }

  sizeBytes(value: Uint8Array, always = false): number {
    if (value.length === 0 && !always) return 0;
    return 1 + varintSize(value.length) + value.length;
  }

  sizeDouble(value: number): number {
    return Object.is(value, 0) ? 0 : 9;
  }

  /** A message field: its tag and length around ``inner`` bytes. */
  sizeMessage(inner: number): number {
    return 1 + varintSize(inner) + inner;
  }

  // --- writing pass

  start(size: number): void {
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
  }

  finish(): Buffer {
    if (this.pos !== this.buf.length) throw new Error(`runner codec: wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }

  private varint(value: Uint64): void {
    const buf = this.buf;
    if (typeof value === 'bigint') {
      let v = value;
      while (v >= 128n) {
        buf[this.pos++] = Number(v & 127n) | 128;
        v >>= 7n;
      }
      buf[this.pos++] = Number(v);
      return;
    }
    let v = value;
    while (v >= 128) {
      buf[this.pos++] = (v & 127) | 128; // & keeps the low 7 bits of any integer below 2^53
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  writeVarint(field: number, value: Uint64): void {
    if (value === 0) return;
    this.buf[this.pos++] = tag(field, WIRE_VARINT);
    this.varint(value);
  }

  writeBool(field: number, value: boolean): void {
    if (!value) return;
    this.buf[this.pos++] = tag(field, WIRE_VARINT);
    this.buf[this.pos++] = 1;
  }

  writeString(field: number, value: string): void {
    if (value === '') return;
    const recorded = this.lengths[this.next++]!;
    this.buf[this.pos++] = tag(field, WIRE_LEN);
    if (recorded < 0) {
      const length = -recorded - 1;
      this.varint(length);
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos++] = value.charCodeAt(i);
      this.pos = pos;
      return;
    }
    this.varint(recorded);
    this.pos += this.buf.write(value, this.pos, recorded, 'utf8');
  }

  writeBytes(field: number, value: Uint8Array, always = false): void {
    if (value.length === 0 && !always) return;
    this.buf[this.pos++] = tag(field, WIRE_LEN);
    this.varint(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  writeDouble(field: number, value: number): void {
    if (Object.is(value, 0)) return;
    this.buf[this.pos++] = tag(field, WIRE_FIXED64);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  writeMessageHeader(field: number, inner: number): void {
    this.buf[this.pos++] = tag(field, WIRE_LEN);
    this.varint(inner);
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_BUFFER = Buffer.alloc(0);
const writer = new Writer();

type Init = Record<string, unknown>;

function encodeResult(value: Init): Buffer {
  const w = writer;
  w.reset();
  const invocationId = uint64(value.invocationId);
  const ok = bool(value.ok);
  const resultJson = bytes(value.resultJson);
  const body = value.body === undefined ? undefined : bytes(value.body);
  const declined = bool(value.declined);
  const error = value.error as Init | undefined | null;
  let errorName = '';
  let errorMessage = '';
  let errorStack = '';
  let errorSize = 0;
  if (error !== undefined) {
    if (error === null || typeof error !== 'object' || '$unknown' in error) throw NOT_HANDLED;
    errorName = string(error.name);
    errorMessage = string(error.message);
    errorStack = string(error.stack);
    errorSize = w.sizeString(errorName) + w.sizeString(errorMessage) + w.sizeString(errorStack);
  }
  const inner =
    w.sizeVarint(invocationId) +
    w.sizeBool(ok) +
    w.sizeBytes(resultJson) +
    (error !== undefined ? w.sizeMessage(errorSize) : 0) +
    (body !== undefined ? w.sizeBytes(body, true) : 0) +
    w.sizeBool(declined);
  w.start(w.sizeMessage(inner));
  w.writeMessageHeader(3, inner);
  w.writeVarint(1, invocationId);
  w.writeBool(2, ok);
  w.writeBytes(3, resultJson);
  if (error !== undefined) {
    w.writeMessageHeader(4, errorSize);
    w.writeString(1, errorName);
    w.writeString(2, errorMessage);
    w.writeString(3, errorStack);
  }
  if (body !== undefined) w.writeBytes(5, body, true);
  w.writeBool(6, declined);
  return w.finish();
}

function encodeCall(value: Init): Buffer {
  const w = writer;
  w.reset();
  const callId = uint64(value.callId);
  const invocationId = uint64(value.invocationId);
  const traceId = string(value.traceId);
  const stepName = string(value.stepName);
  const method = string(value.method);
  const argsJson = bytes(value.argsJson);
  const inner =
    w.sizeVarint(callId) +
    w.sizeVarint(invocationId) +
    w.sizeString(traceId) +
    w.sizeString(stepName) +
    w.sizeString(method) +
    w.sizeBytes(argsJson);
  w.start(w.sizeMessage(inner));
  w.writeMessageHeader(4, inner);
  w.writeVarint(1, callId);
  w.writeVarint(2, invocationId);
  w.writeString(3, traceId);
  w.writeString(4, stepName);
  w.writeString(5, method);
  w.writeBytes(6, argsJson);
  return w.finish();
}

function encodeLog(value: Init): Buffer {
  const w = writer;
  w.reset();
  const level = string(value.level);
  const message = string(value.message);
  const metaJson = bytes(value.metaJson);
  const invocationId = uint64(value.invocationId);
  const traceId = string(value.traceId);
  const stepName = string(value.stepName);
  const timeMs = value.timeMs === undefined ? 0 : value.timeMs;
  if (typeof timeMs !== 'number') throw NOT_HANDLED;
  const inner =
    w.sizeString(level) +
    w.sizeString(message) +
    w.sizeBytes(metaJson) +
    w.sizeVarint(invocationId) +
    w.sizeString(traceId) +
    w.sizeString(stepName) +
    w.sizeDouble(timeMs);
  w.start(w.sizeMessage(inner));
  w.writeMessageHeader(6, inner);
  w.writeString(1, level);
  w.writeString(2, message);
  w.writeBytes(3, metaJson);
  w.writeVarint(4, invocationId);
  w.writeString(5, traceId);
  w.writeString(6, stepName);
  w.writeDouble(7, timeMs);
  return w.finish();
}

function encodePong(value: Init): Buffer {
  if (value.stall !== undefined) throw NOT_HANDLED;
  const w = writer;
  w.reset();
  const seq = uint64(value.seq);
  const inner = w.sizeVarint(seq);
  w.start(w.sizeMessage(inner));
  w.writeMessageHeader(5, inner);
  w.writeVarint(1, seq);
  return w.finish();
}

/** The hand encoder's bytes for ``message``, or undefined when it leaves the message to protobuf-es. */
export function encodeByHand(message: RunnerMessageInit): Uint8Array | undefined {
  const kind = message.kind;
  const value = kind?.value as Init | undefined;
  if (!value || '$unknown' in value || '$unknown' in message) return undefined;
  try {
    switch (kind!.case) {
      case 'result':
        return encodeResult(value);
      case 'call':
        return encodeCall(value);
      case 'log':
        return encodeLog(value);
      case 'pong':
        return encodePong(value);
      default:
        return undefined;
    }
  } catch (error) {
    if (error !== NOT_HANDLED) throw error;
    return undefined;
  }
}

/** A RunnerMessage's bytes, as ``toBinary(RunnerMessageSchema, create(RunnerMessageSchema, message))``. */
export function encodeRunnerMessage(message: RunnerMessageInit): Uint8Array {
  return encodeByHand(message) ?? toBinary(RunnerMessageSchema, create(RunnerMessageSchema, message));
}

// ---------------------------------------------------------------- decoding (supervisor -> runner)

/** Reads fields of a message within [pos, end); anything unexpected throws NOT_HANDLED. */
class Reader {
  buf: Uint8Array = EMPTY;
  pos = 0;

  varint32(): number {
    // the low 32 bits of a varint of up to 10 bytes, as protobuf-es's int32/uint32 read it
    const buf = this.buf;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = buf[this.pos++];
      if (byte === undefined) throw NOT_HANDLED;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    throw NOT_HANDLED;
  }

  uint64(): bigint {
    const buf = this.buf;
    let value = 0;
    let factor = 1;
    const start = this.pos;
    for (let i = 0; i < 7; i++) {
      const byte = buf[this.pos++];
      if (byte === undefined) throw NOT_HANDLED;
      value += (byte & 0x7f) * factor;
      if (byte < 0x80) return BigInt(value);
      factor *= 128;
    }
    // beyond 49 bits: bigints (rare; ids count up from 1)
    this.pos = start;
    let big = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = buf[this.pos++];
      if (byte === undefined) throw NOT_HANDLED;
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, big);
    }
    throw NOT_HANDLED;
  }

  bool(): boolean {
    const buf = this.buf;
    let any = false;
    for (let i = 0; i < 10; i++) {
      const byte = buf[this.pos++];
      if (byte === undefined) throw NOT_HANDLED;
      if ((byte & 0x7f) !== 0) any = true;
      if (byte < 0x80) return any;
    }
    throw NOT_HANDLED;
  }

  /** The end of a length-delimited field's content (``pos`` is at its start). */
  lengthEnd(limit: number): number {
    const length = this.varint32() >>> 0;
    const end = this.pos + length;
    if (end > limit) throw NOT_HANDLED;
    return end;
  }

  bytes(limit: number): Uint8Array {
    const end = this.lengthEnd(limit);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(limit: number): string {
    const end = this.lengthEnd(limit);
    const buf = this.buf;
    const start = this.pos;
    this.pos = end;
    if (end - start <= 64) {
      let text = '';
      for (let i = start; i < end; i++) {
        const byte = buf[i]!;
        if (byte > 0x7f) return utf8(buf, start, end);
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return utf8(buf, start, end);
  }

  /** Skips an unknown field (its tag read): the wire types protobuf-es skips, but groups. */
  skip(wire: number, limit: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint32();
        break;
      case WIRE_FIXED64:
        this.pos += 8;
        break;
      case WIRE_LEN:
        this.pos = this.lengthEnd(limit);
        break;
      case WIRE_FIXED32:
        this.pos += 4;
        break;
      default:
        throw NOT_HANDLED; // groups (and invalid wire types): protobuf-es decides
    }
    if (this.pos > limit) throw NOT_HANDLED;
  }
}

// proto3 strings are checked UTF-8: protobuf-es refuses invalid bytes, so does this (and then lets
// protobuf-es throw its own error).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8(buf: Uint8Array, start: number, end: number): string {
  try {
    return strictUtf8.decode(buf.subarray(start, end));
  } catch {
    throw NOT_HANDLED;
  }
}

const reader = new Reader();

/** Reads one field's tag; the field number in the high bits, the wire type in the low 3. */
function readTag(r: Reader): number {
  const start = r.pos;
  const key = r.varint32() >>> 0;
  const length = r.pos - start;
  if (length > 5 || (length === 5 && r.buf[r.pos - 1]! > 0x0f)) throw NOT_HANDLED; // over 32 bits
  if (key >>> 3 === 0 || (key & 7) > 5) throw NOT_HANDLED;
  return key;
}

function decodeInvoke(r: Reader, end: number): SupervisorMessage['kind'] {
  let invocationId = 0n;
  let file = '';
  let stepName = '';
  let kind = 0;
  let payloadJson: Uint8Array = EMPTY;
  let traceId = '';
  let topic = '';
  while (r.pos < end) {
    const key = readTag(r);
    switch (key) {
      case tag(1, WIRE_VARINT):
        invocationId = r.uint64();
        break;
      case tag(2, WIRE_LEN):
        file = r.string(end);
        break;
      case tag(3, WIRE_LEN):
        stepName = r.string(end);
        break;
      case tag(4, WIRE_VARINT):
        kind = r.varint32() | 0;
        break;
      case tag(5, WIRE_LEN):
        payloadJson = r.bytes(end);
        break;
      case tag(6, WIRE_LEN):
        traceId = r.string(end);
        break;
      case tag(7, WIRE_LEN):
        topic = r.string(end);
        break;
      default:
        if (key >>> 3 <= 7) throw NOT_HANDLED; // a known field with another wire type
        r.skip(key & 7, end);
    }
  }
  return {
    case: 'invoke',
    value: {
      $typeName: 'motia.runner.v1.Invoke',
      invocationId,
      file,
      stepName,
      kind,
      payloadJson,
      traceId,
      topic,
    },
  };
}

function decodeContextReply(r: Reader, end: number): SupervisorMessage['kind'] {
  let callId = 0n;
  let ok = false;
  let resultJson: Uint8Array = EMPTY;
  let error = '';
  while (r.pos < end) {
    const key = readTag(r);
    switch (key) {
      case tag(1, WIRE_VARINT):
        callId = r.uint64();
        break;
      case tag(2, WIRE_VARINT):
        ok = r.bool();
        break;
      case tag(3, WIRE_LEN):
        resultJson = r.bytes(end);
        break;
      case tag(4, WIRE_LEN):
        error = r.string(end);
        break;
      default:
        if (key >>> 3 <= 4) throw NOT_HANDLED;
        r.skip(key & 7, end);
    }
  }
  return {
    case: 'contextReply',
    value: { $typeName: 'motia.runner.v1.ContextReply', callId, ok, resultJson, error },
  };
}

function decodeCancel(r: Reader, end: number): SupervisorMessage['kind'] {
  let invocationId = 0n;
  let reason = '';
  while (r.pos < end) {
    const key = readTag(r);
    switch (key) {
      case tag(1, WIRE_VARINT):
        invocationId = r.uint64();
        break;
      case tag(2, WIRE_LEN):
        reason = r.string(end);
        break;
      default:
        if (key >>> 3 <= 2) throw NOT_HANDLED;
        r.skip(key & 7, end);
    }
  }
  return { case: 'cancel', value: { $typeName: 'motia.runner.v1.Cancel', invocationId, reason } };
}

function decodePing(r: Reader, end: number): SupervisorMessage['kind'] {
  let seq = 0n;
  while (r.pos < end) {
    const key = readTag(r);
    if (key === tag(1, WIRE_VARINT)) {
      seq = r.uint64();
    } else {
      if (key >>> 3 <= 1) throw NOT_HANDLED;
      r.skip(key & 7, end);
    }
  }
  return { case: 'ping', value: { $typeName: 'motia.runner.v1.Ping', seq } };
}

const decoders: Record<number, (r: Reader, end: number) => SupervisorMessage['kind']> = {
  3: decodeInvoke,
  4: decodeContextReply,
  5: decodeCancel,
  6: decodePing,
};

/** The hand decoder's message, or undefined when it leaves ``bytes`` to protobuf-es. */
export function decodeByHand(bytes: Uint8Array): SupervisorMessage | undefined {
  const r = reader;
  r.buf = bytes;
  r.pos = 0;
  const end = bytes.length;
  let kind: SupervisorMessage['kind'] | undefined;
  try {
    while (r.pos < end) {
      const key = readTag(r);
      const decode = (key & 7) === WIRE_LEN ? decoders[key >>> 3] : undefined;
      if (decode !== undefined && kind === undefined) {
        const fieldEnd = r.lengthEnd(end);
        kind = decode(r, fieldEnd);
        if (r.pos !== fieldEnd) return undefined;
      } else if (key >>> 3 <= 7) {
        // Hello, LoadFiles, Shutdown; a second oneof member (merged by protobuf-es); a wrong wire type
        return undefined;
      } else {
        r.skip(key & 7, end);
      }
    }
  } catch (error) {
    if (error !== NOT_HANDLED) throw error;
    return undefined;
  } finally {
    r.buf = EMPTY; // do not keep the frame alive
  }
  if (kind === undefined) return undefined;
  return { $typeName: 'motia.runner.v1.SupervisorMessage', kind };
}

/** A SupervisorMessage from its bytes, as ``fromBinary(SupervisorMessageSchema, bytes)`` (but for
 *  ``$unknown``: unknown fields of the hot messages are skipped, not kept). */
export function decodeSupervisorMessage(bytes: Uint8Array): SupervisorMessage {
  return decodeByHand(bytes) ?? fromBinary(SupervisorMessageSchema, bytes);
}
