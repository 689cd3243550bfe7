"""What encoding an event and keeping it until its flush costs the supervisor, per event: orjson's own
output kept, against ``_wire.encode_event`` (the same JSON, cut from orjson's buffer).

Usage: .venv/bin/python bench/kept_events.py [--batch 256] [--batches 400] [--repeat 7]

A trivial api request's answered START (as ``Recorder`` makes it) is encoded ``--batch`` times and each
encoding kept, as the recorder keeps them until a flush (``FLUSH_AT``), then all let go at once; best of
``--repeat`` runs of ``--batches`` batches, the two ways interleaved in each run (same process, same
heap). orjson writes into a 1 KiB buffer from the C heap and shrinks it in place: kept, each such
event holds a chunk of its own (bench/RESULTS.md, session 24: the supervisor's encoded events).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import orjson

from supervisor.tracing._wire import encode_event


def answered_start() -> list[Any]:
    now = time.time()
    return [
        0,
        "a5d792b3158681e8",
        "01a2351d-4d6e-7054-8e8e-8ab90eda1cb6",
        "TsHello",
        "steps/ts_hello.step.ts",
        "api",
        None,
        None,
        False,
        None,
        1,
        now,
        "node-0",
        30698,
        now + 0.0013,
        "ok",
        None,
        "GET",
        "/ts/hello",
        200,
        now + 0.0013,
    ]


def orjson_kept(event: list[Any]) -> bytes:
    return orjson.dumps(event, default=str)


def per_event_ns(encode: Callable[[list[Any]], bytes], batch: int, batches: int) -> float:
    event = answered_start()
    began = time.perf_counter()
    for _ in range(batches):
        kept: list[bytes | None] = [None] * batch
        for at in range(batch):
            kept[at] = encode(event)
        del kept
    return (time.perf_counter() - began) / (batch * batches) * 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sample = answered_start()
    assert encode_event(sample) == orjson_kept(sample)  # the same JSON either way
    ways: dict[str, Callable[[list[Any]], bytes]] = {
        "orjson's output kept": orjson_kept,
        "encode_event (cut from the buffer)": encode_event,
    }
    best = {name: float("inf") for name in ways}
    for _ in range(args.repeat):
        for name, encode in ways.items():
            best[name] = min(best[name], per_event_ns(encode, args.batch, args.batches))
    print(f"{args.batch} events kept per flush, best of {args.repeat} x {args.batches} batches")
    print("| way | ns per kept event |\n| --- | ---: |")
    for name, ns in best.items():
        print(f"| {name} | {ns:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
