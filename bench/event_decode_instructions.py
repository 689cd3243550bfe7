"""What reading a ``record`` frame's whole-request events costs the trace writer, per event, counted
by callgrind (instructions do not depend on the machine's load): ``orjson.loads`` of the frame and
freeing it (what ``_writer_process`` does) against two ways of taking only what a whole trace needs
(span id, trace id, step, start, failed) out of the bytes without decoding them whole.

Usage: .venv/bin/python bench/event_decode_instructions.py [--events 500] [--frames 20]

Each way runs in a process of its own under ``valgrind --tool=callgrind``, once with 4 frames and once
with 4 + ``--frames``; the difference over ``--frames`` x ``--events`` is its cost per event (start-up
and warm-up cancel out). Frames are the recorder's (``bench/writer_instructions.py``'s trivial api
requests: one event each, END and RESPONSE folded in).

- ``orjson``: ``orjson.loads(payload)`` and dropping the result.
- ``split``: per event (the frame cut at ``,\\n``, as ``_wire.events_json`` does already), a check that
  it is the plain 21-field shape (no backslash, 21 pieces at commas, quotes where strings go) and the
  five values made of its pieces.
- ``bulk``: the whole frame cut at its quotes in one ``split`` (no backslash: quotes only delimit
  strings) and every event's values taken by slices of stride 18 (C loops, no Python per event).
- ``compact``: ``orjson.loads`` of only ``[span id, trace id, step, start, failed]`` per event (what a
  recorder could send beside the events' bytes; an estimate of that lever, not a way the writer has).
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

EVENT = (
    b'[0,"7d537d9ff4e0ed2f","0af7651916cd43dd8448eb211c80319c","Hello","steps/hello_step.py","api",null,'
    b'null,false,null,1,1796052637.1763082,"python#1",4242,1796052637.1763468,"ok",null,"GET",'
    b'"/py/hello",200,1796052637.1763494]'
)
QUOTE = 34


def by_orjson(payload: bytes, body: bytes, count: int) -> Any:
    return orjson.loads(payload)


def by_split(payload: bytes, body: bytes, count: int) -> Any:
    digests = []
    for piece in body.split(b",\n"):
        if piece[:3] != b"[0," or b"\\" in piece:
            return None
        fields = piece.split(b",")
        if len(fields) != 21:
            return None
        (
            _,
            span,
            trace,
            step,
            file,
            kind,
            topic,
            parent,
            _r,
            _d,
            _a,
            at,
            runner,
            _p,
            ended,
            status,
            error,
        ) = fields[:17]
        method, path, code, answered = fields[17:]
        if status != b'"ok"' or error != b"null" or (kind != b'"api"' and kind != b'"cron"'):
            return None
        strings = 11 - (topic == b"null") - (parent == b"null") - (runner == b"null")
        if piece.count(b'"') != 2 * strings:
            return None
        for text in (span, trace, step, file, method, path):
            if len(text) < 2 or text[0] != QUOTE or text[-1] != QUOTE:
                return None
        digests.append(
            (
                7,
                span[1:-1].decode(),
                trace[1:-1].decode(),
                step[1:-1].decode(),
                min(float(at), float(ended), float(answered[:-1])),
                int(code) >= 500,
            )
        )
    return digests


def by_bulk(payload: bytes, body: bytes, count: int) -> Any:
    if b"\\" in body:
        return None
    q = body.split(b'"')
    if len(q) != 18 * count + 1 or q[0] != b"[0,":
        return None
    for slot in (2, 4, 6, 8, 16):
        if q[slot::18].count(b",") != count:
            return None
    kinds = q[9::18]
    if (
        q[14::18].count(b",null,") != count
        or q[13::18].count(b"ok") != count
        or kinds.count(b"api") + kinds.count(b"cron") != count
    ):
        return None
    head = b"".join(q[10::18]).split(b",")
    middle = b"".join(q[12::18]).split(b",")
    tail = (b"".join(q[18::18]) + b",\n[0,").split(b"],\n[0,")
    if len(head) != 7 * count + 1 or len(middle) != 3 * count + 1 or len(tail) != count + 1:
        return None
    ends = b"".join(tail).split(b",")
    if len(ends) != 2 * count + 1:
        return None
    starts = list(map(min, map(float, head[6::7]), map(float, middle[2::3]), map(float, ends[2::2])))
    failed = list(map((500).__le__, map(int, ends[1::2])))
    spans = b"\x00".join(q[1::18]).decode().split("\x00")
    traces = b"\x00".join(q[3::18]).decode().split("\x00")
    steps = b"\x00".join(q[5::18]).decode().split("\x00")
    return list(zip([7] * count, spans, traces, steps, starts, failed, strict=True))


COMPACT_EVENT = b'["7d537d9ff4e0ed2f","0af7651916cd43dd8448eb211c80319c","Hello",1796052637.1763082,false]'


@functools.cache
def compact_frame(count: int) -> bytes:
    return b"[" + b",".join([COMPACT_EVENT] * count) + b"]"


def by_compact(payload: bytes, body: bytes, count: int) -> Any:
    return orjson.loads(compact_frame(count))


WAYS = {"orjson": by_orjson, "split": by_split, "bulk": by_bulk, "compact": by_compact}


def frame(events: int) -> tuple[bytes, bytes]:
    body = b",\n".join(EVENT.replace(b"0af7651916cd43dd", b"%016x" % index) for index in range(events))
    return b'[7,"record",[[' + body + b"]]]", body


def run(way: str, events: int, frames: int) -> None:
    """In the process under callgrind: decode ``frames`` frames and drop each result."""
    payload, body = frame(events)
    decode = WAYS[way]
    for _ in range(frames):
        result = decode(payload, body, events)
        assert result is not None and len(result[2][0] if way == "orjson" else result) == events
        del result


def instructions(way: str, events: int, frames: int, workdir: Path) -> int:
    out = workdir / f"{way}-{frames}.out"
    subprocess.run(
        [
            *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__),
            *("--inside", way, "--events", str(events), "--frames", str(frames)),
        ],
        check=True,
        capture_output=True,
    )
    for line in out.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError(f"no summary in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--inside", choices=sorted(WAYS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        run(args.inside, args.events, args.frames)
        return
    payload, body = frame(args.events)
    reference = [
        (7, e[1], e[2], e[3], min(e[11], e[14], e[20]), e[19] >= 500) for e in orjson.loads(payload)[2][0]
    ]
    for way in ("split", "bulk"):
        assert WAYS[way](payload, body, args.events) == reference, way
    with tempfile.TemporaryDirectory() as tmp:
        for way in WAYS:
            base = instructions(way, args.events, 4, Path(tmp))
            more = instructions(way, args.events, 4 + args.frames, Path(tmp))
            print(f"{way:8} {(more - base) / (args.frames * args.events):9,.0f} instructions per event")


if __name__ == "__main__":
    main()
