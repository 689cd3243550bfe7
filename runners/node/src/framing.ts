// gRPC-style framing: 1 flag byte (0), 4-byte big-endian length, payload.
export const HEADER_SIZE = 5;
export const MAX_FRAME_SIZE = 64 * 1024 * 1024;

export class FramingError extends Error {
  constructor(
    message: string,
    readonly garbage: Buffer,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}

export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.length > MAX_FRAME_SIZE) {
    throw new Error(`frame of ${payload.length} bytes exceeds the ${MAX_FRAME_SIZE}-byte limit`);
  }
  const frame = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  frame[0] = 0;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, HEADER_SIZE);
  return frame;
}

/** Accumulates bytes and hands back complete frame payloads. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  feed(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    let offset = 0;
    const buffer = this.buffer;
    while (buffer.length - offset >= HEADER_SIZE) {
      const flag = buffer[offset];
      const length = buffer.readUInt32BE(offset + 1);
      if (flag !== 0 || length > MAX_FRAME_SIZE) {
        const reason = flag !== 0 ? `unknown frame flag ${flag}` : `frame length ${length} too large`;
        throw new FramingError(`not a protocol frame (${reason})`, buffer.subarray(offset, offset + 200));
      }
      const end = offset + HEADER_SIZE + length;
      if (end > buffer.length) break;
      frames.push(buffer.subarray(offset + HEADER_SIZE, end));
      offset = end;
    }
    if (offset > 0) this.buffer = buffer.subarray(offset);
    return frames;
  }
}
