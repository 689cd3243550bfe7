"""The gRPC-style frame codec, byte in / byte out."""

from __future__ import annotations

import struct

import pytest

from supervisor.protocol import MAX_FRAME_SIZE, FrameDecoder, FramingError, encode_frame


def test_a_frame_is_flag_length_then_payload() -> None:
    assert encode_frame(b"abc") == b"\x00\x00\x00\x00\x03abc"


def test_empty_payload_round_trips() -> None:
    assert FrameDecoder().feed(encode_frame(b"")) == [b""]


def test_frames_split_at_every_byte_boundary_are_reassembled() -> None:
    stream = encode_frame(b"first") + encode_frame(b"") + encode_frame(b"x" * 300)
    decoder = FrameDecoder()
    frames: list[bytes] = []
    for index in range(len(stream)):
        frames.extend(decoder.feed(stream[index : index + 1]))
    assert frames == [b"first", b"", b"x" * 300]
    assert decoder.pending == 0


def test_many_frames_in_one_chunk_come_out_in_order() -> None:
    payloads = [str(i).encode() * i for i in range(50)]
    assert FrameDecoder().feed(b"".join(encode_frame(p) for p in payloads)) == payloads


def test_text_on_the_channel_is_a_framing_error_carrying_what_was_written() -> None:
    with pytest.raises(FramingError) as caught:
        FrameDecoder().feed(b"hello from console.log\n")
    assert caught.value.garbage.startswith(b"hello from console.log")


def test_a_length_over_the_limit_is_rejected_before_buffering() -> None:
    header = struct.pack(">BI", 0, MAX_FRAME_SIZE + 1)
    with pytest.raises(FramingError, match="too large"):
        FrameDecoder().feed(header)


def test_encoding_refuses_oversized_payloads() -> None:
    with pytest.raises(ValueError):
        encode_frame(b"x" * (MAX_FRAME_SIZE + 1))
