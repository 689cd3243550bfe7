"""gRPC-style message framing, without I/O.

A frame is 1 flag byte (0 = uncompressed), a 4-byte big-endian length, then
that many bytes of protobuf. ``FrameDecoder`` is fed whatever bytes arrive and
hands back complete payloads; it never blocks and never touches a stream.
"""

from __future__ import annotations

import struct

HEADER = struct.Struct(">BI")
HEADER_SIZE = HEADER.size
MAX_FRAME_SIZE = 64 * 1024 * 1024


def frame_payload(frame: bytes) -> bytes:
    """The message a frame carries, for a transport that frames messages itself (gRPC)."""
    return frame[HEADER_SIZE:]


class FramingError(Exception):
    """The byte stream is not a sequence of frames (corrupt or foreign output)."""

    def __init__(self, message: str, garbage: bytes) -> None:
        super().__init__(message)
        self.garbage = garbage


def encode_frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME_SIZE:
        raise ValueError(f"frame of {len(payload)} bytes exceeds the {MAX_FRAME_SIZE}-byte limit")
    return HEADER.pack(0, len(payload)) + payload


class FrameDecoder:
    """Accumulates bytes and yields complete frame payloads."""

    def __init__(self, max_frame_size: int = MAX_FRAME_SIZE) -> None:
        self._buffer = bytearray()
        self._max = max_frame_size

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a complete frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames: list[bytes] = []
        buffer = self._buffer
        offset = 0
        while len(buffer) - offset >= HEADER_SIZE:
            flag, length = HEADER.unpack_from(buffer, offset)
            if flag != 0 or length > self._max:
                garbage = bytes(buffer[offset : offset + 200])
                reason = f"unknown frame flag {flag}" if flag != 0 else f"frame length {length} too large"
                raise FramingError(f"not a protocol frame ({reason})", garbage)
            end = offset + HEADER_SIZE + length
            if end > len(buffer):
                break
            frames.append(bytes(buffer[offset + HEADER_SIZE : end]))
            offset = end
        if offset:
            del buffer[:offset]
        return frames
