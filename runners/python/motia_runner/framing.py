"""gRPC-style frames: 1 flag byte (0), 4-byte big-endian length, protobuf bytes."""

from __future__ import annotations

import struct

HEADER = struct.Struct(">BI")
HEADER_SIZE = HEADER.size
MAX_FRAME_SIZE = 64 * 1024 * 1024


class FramingError(Exception):
    """The incoming byte stream is not a sequence of frames."""


def encode_frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME_SIZE:
        raise ValueError(f"frame of {len(payload)} bytes exceeds the {MAX_FRAME_SIZE}-byte limit")
    return HEADER.pack(0, len(payload)) + payload


class FrameDecoder:
    """Accumulates bytes and returns complete frame payloads."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        buffer = self._buffer
        frames: list[bytes] = []
        offset = 0
        while len(buffer) - offset >= HEADER_SIZE:
            flag, length = HEADER.unpack_from(buffer, offset)
            if flag != 0:
                raise FramingError(f"unknown frame flag {flag}")
            if length > MAX_FRAME_SIZE:
                raise FramingError(f"frame length {length} too large")
            end = offset + HEADER_SIZE + length
            if end > len(buffer):
                break
            frames.append(bytes(buffer[offset + HEADER_SIZE : end]))
            offset = end
        if offset:
            del buffer[:offset]
        return frames
