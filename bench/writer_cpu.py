"""The trace writer process's CPU time per trivial api request, by thread, natively (no valgrind): the
measure issue 12's overhead feels (bench/RESULTS.md, session 21: the trace writer's CPU per request).

Usage: .venv/bin/python bench/writer_cpu.py [--requests 100000] [--batch 2000] [--rounds 5] [--straddling 0]
       [--logs N] [--ops N] [--root DIR ...] [--frames FILE [--paced]]

As ``bench/writer_instructions.py`` (whose recorded batches and frames it uses): the recorder's calls
for one trivial api request are made ``--batch`` times between flushes (2,000: ``FLUSH_AT``, what a
flush holds at full speed), each flush's events framed as ``TraceWriter.record`` frames them, and the
real trace writer process (``python -m supervisor.tracing._writer_process``, over a new traces.db,
assembling with the default retention of 10,000 traces: it prunes as it goes) is sent the frames one at
a time, each after the answer to the one before. A fifth of them warm it up (the store reaches its
retention limit); then its threads' CPU time over the rest is read from ``/proc/PID/task/*/schedstat``
(nanoseconds on a CPU): the loop thread (reading, decoding, assembling) and the others (SQLite's
writer thread, which runs the write jobs' Python too: rows, segments' blobs, the index, prunes). Also
the largest size of its ``traces.db-wal`` seen after an answer (bench/RESULTS.md, session 24).

``--root DIR`` (repeatable): also the ``supervisor`` package found in DIR (e.g. a ``git archive`` of
integ), fed the same frames; checkouts take turns in each round (rotated), and the medians of rounds
are reported, with each checkout against the first. CPU time depends on the machine's load (note it).

``--ops N``: each request makes N state writes while it runs (each an operation of its trace); ``--logs N``:
each request logs N lines while it runs (a request with log lines is assembled as spans, not
kept whole); with the default retention (100,000 log lines) the store is past it after 100,000 lines, and
each prune then cuts the oldest.

``--frames FILE``: instead of the recorder's synthetic frames, the ``record`` frames a live writer was
sent, as bench/writer_live.py ``--capture`` saved them (``_writer_process.TEE_ENV``); requests are the
api spans they start. ``--paced``: each sent when it came in the capture (its gap after the one before
kept), not back to back: the live setting's wake-ups without its other processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from writer_instructions import RETENTION, _recorded_batches, _Writer

REPO = Path(__file__).resolve().parents[1]
#: the retention a project has unless it sets one (``supervisor/settings.TracingSettings``)
DEFAULT_RETENTION = {**RETENTION, "max_traces": 10_000, "max_log_lines": 100_000}


def threads_ns(pid: int) -> tuple[int, int]:
    """CPU time so far of a process's main thread (its event loop) and of its other threads together, ns."""
    loop = rest = 0
    task = Path(f"/proc/{pid}/task")
    for tid in os.listdir(task):
        ran = int((task / tid / "schedstat").read_text().split()[0])
        if int(tid) == pid:
            loop += ran
        else:
            rest += ran
    return loop, rest


def wal_size(workdir: Path) -> int:
    wal = workdir / "traces.db-wal"
    return wal.stat().st_size if wal.exists() else 0


#: a captured request's head (``_writer_process.TEE_HEAD``): when it came, and its payload's length
TEE_HEAD = struct.Struct(">dI")


def api_requests(events: list[list[Any]]) -> int:
    """The api requests a frame's events start (their STARTs: kind 0, span kind api)."""
    return sum(1 for event in events if event[0] == 0 and event[5] == "api")


def captured_frames(path: Path) -> tuple[list[bytes], list[int], list[float]]:
    """The ``record`` frames in a capture (bench/writer_live.py), each framed with id 1; the api
    requests each starts; when each came (monotonic seconds)."""
    from supervisor.tracing import _wire

    data = path.read_bytes()
    frames: list[bytes] = []
    sizes: list[int] = []
    times: list[float] = []
    offset = 0
    while offset < len(data):
        at, length = TEE_HEAD.unpack_from(data, offset)
        offset += TEE_HEAD.size
        payload = data[offset : offset + length]
        offset += length
        if _wire.record_request_id(payload) is None:
            continue
        body = b"[1" + payload[payload.index(b",") :]
        frames.append(_wire.HEADER.pack(len(body)) + body)
        sizes.append(api_requests(orjson.loads(payload)[2][0]))
        times.append(at)
    return frames, sizes, times


def measure(
    root: Path, frames: list[bytes], sizes: list[int], workdir: Path, times: list[float] | None = None
) -> tuple[float, float, int]:
    """µs per request of the loop thread and of the other threads, over all but the warm-up's frames,
    and the largest size of ``traces.db-wal`` seen after a frame's answer (bytes). ``times``: each frame
    sent when it came (``--paced``), not after the answer to the one before."""
    from supervisor.tracing import _wire

    workdir.mkdir(parents=True)
    writer = _Writer(root, workdir, native=True)
    try:
        writer.ask(_wire.request(writer.next_id(), "assemble", DEFAULT_RETENTION))
        writer.ask(_wire.request(writer.next_id(), "recover"))
        warm = len(frames) // 5
        for frame in frames[:warm]:
            writer.ask(_renumbered(frame, writer.next_id()))
        loop_before, rest_before = threads_ns(writer.proc.pid)
        largest_wal = 0
        began = time.monotonic()
        for index in range(warm, len(frames)):
            if times is not None:
                wait = times[index] - times[warm] - (time.monotonic() - began)
                if wait > 0:
                    time.sleep(wait)
            writer.ask(_renumbered(frames[index], writer.next_id()))
            largest_wal = max(largest_wal, wal_size(workdir))
        # what it keeps until its commit, committed (as a read would make it) and counted
        writer.ask(_wire.request(writer.next_id(), "traces", {"limit": 1}))
        loop_after, rest_after = threads_ns(writer.proc.pid)
    finally:
        writer.close()
    requests = sum(sizes[warm:])
    return (
        (loop_after - loop_before) / requests / 1000,
        (rest_after - rest_before) / requests / 1000,
        largest_wal,
    )


def _renumbered(frame: bytes, request_id: int) -> bytes:
    """A ``record_request`` frame made with id 1, with ``request_id`` instead (answers are by id)."""
    from supervisor.tracing import _wire

    head = b'[1,"record",'
    body = frame[_wire.HEADER.size :]
    assert body.startswith(head)
    body = b"[%d," % request_id + body[3:]
    return _wire.HEADER.pack(len(body)) + body


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--straddling", type=int, default=0, help="requests of a batch running at its flush")
    parser.add_argument("--logs", type=int, default=0, help="log lines per request")
    parser.add_argument("--ops", type=int, default=0, help="state writes per request")
    parser.add_argument("--root", type=Path, action="append", default=[], help="also this checkout's writer")
    parser.add_argument("--frames", type=Path, help="the record frames of a capture (bench/writer_live.py)")
    parser.add_argument("--paced", action="store_true", help="--frames sent with the gaps they came with")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from supervisor.tracing import _wire

    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}", flush=True)
    times: list[float] | None = None
    if args.frames is not None:
        frames, sizes, captured_times = captured_frames(args.frames)
        times = captured_times if args.paced else None
        print(
            f"{len(frames)} captured frames, {sum(sizes)} api requests, {len(frames[0]) if frames else 0} "
            f"bytes the first, over {captured_times[-1] - captured_times[0]:.1f} s",
            flush=True,
        )
    else:
        batches = asyncio.run(
            _recorded_batches(args.requests, args.batch, args.straddling, args.logs, args.ops)
        )
        frames = [_wire.record_request(1, events) for events in batches]
        # requests per frame: the api spans each starts (a flush with requests in flight at it goes as
        # two frames, the requests before the first in flight and the rest: ``Recorder._done_first``)
        sizes = [api_requests(orjson.loads(frame[_wire.HEADER.size :])[2][0]) for frame in frames]
    roots = {"this checkout": REPO, **{str(root): root.resolve() for root in args.root}}
    names = list(roots)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    largest_wal: dict[str, int] = dict.fromkeys(names, 0)
    with tempfile.TemporaryDirectory(prefix="motia-writer-cpu-") as tmp:
        for round_index in range(args.rounds):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                loop, rest, wal = measure(
                    roots[name], frames, sizes, Path(tmp) / f"{round_index}-{names.index(name)}", times
                )
                samples[name].append((loop, rest))
                largest_wal[name] = max(largest_wal[name], wal)
                print(
                    f"    round {round_index + 1}/{args.rounds} {name}: loop {loop:.2f} + other {rest:.2f} "
                    f"= {loop + rest:.2f} µs/req",
                    flush=True,
                )
    print(
        "\n| writer | loop thread µs/req | other threads µs/req | total µs/req | total over first "
        "| largest traces.db-wal |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    first = [loop + rest for loop, rest in samples[names[0]]]
    for name in names:
        loops = [loop for loop, _rest in samples[name]]
        rests = [rest for _loop, rest in samples[name]]
        totals = [loop + rest for loop, rest in samples[name]]
        ratio = statistics.median(total / base for total, base in zip(totals, first, strict=True))
        print(
            f"| {name} | {statistics.median(loops):.2f} | {statistics.median(rests):.2f} "
            f"| {statistics.median(totals):.2f} | {ratio * 100:.0f} % | {largest_wal[name] / 1e6:.1f} MB |"
        )
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(
        f"({args.requests} requests in batches of {args.batch}, "
        f"{args.straddling} of each running at its flush, "
        f"{args.ops} state write(s) and {args.logs} log line(s) each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
