"""The trace writer's CPU per trivial api request live: ``motia start`` under ``wrk -c32`` on the ts api
step, its writer's threads read from ``/proc/PID/task/*/schedstat`` (bench/RESULTS.md, session 25).

Usage: .venv/bin/python bench/writer_live.py [--rounds 4] [--duration 6] [--code DIR ...]
       [--capture FILE] [--lang ts]

Every server is started at once (this checkout, then each ``--code DIR``: a ``git archive`` of another
version), tracing on, each a project of its own (``projects.write_bench_project``); each round runs wrk
on each in turn (rotated), after a read that makes its writer commit what it held. Per run: the
writer's loop thread and its other threads (SQLite's) in µs per request, how often the writer process
was woken (voluntary context switches) per 1,000 requests, and the load average.

``--capture FILE``: instead, one server of this checkout whose trace writer appends every request it is
sent to FILE (``_writer_process.TEE_ENV``), under one wrk run of ``--duration``: what bench/writer_cpu.py
``--frames FILE`` feeds back to the writer alone.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from constants import CONNECTIONS
from load import run_wrk
from projects import write_bench_project
from servers import Server, motia
from tracing_overhead import trace_writers
from writer_cpu import threads_ns

TEE_ENV = "MOTIA_TRACE_WRITER_TEE"


def _writer(server: Server) -> psutil.Process:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        writers = trace_writers(server)
        if writers:
            return writers[0]
        time.sleep(0.1)
    raise RuntimeError(f"{server.name}: no trace writer process")


def _flush(server: Server) -> None:
    """A read: the writer commits what it held before answering."""
    with contextlib.suppress(OSError, http.client.HTTPException):
        server.get("/__motia/traces?limit=1", timeout=60)


def run(server: Server, path: str, duration: float) -> dict[str, float]:
    writer = _writer(server)
    _flush(server)
    loop_before, rest_before = threads_ns(writer.pid)
    woken_before = writer.num_ctx_switches().voluntary
    load = os.getloadavg()[0]
    result = run_wrk(f"http://127.0.0.1:{server.port}{path}", CONNECTIONS, duration)
    _flush(server)
    loop_after, rest_after = threads_ns(writer.pid)
    woken = writer.num_ctx_switches().voluntary - woken_before
    requests = max(1, int(result["requests"]))
    return {
        "rps": float(result["rps"]),
        "loop": (loop_after - loop_before) / requests / 1000,
        "other": (rest_after - rest_before) / requests / 1000,
        "woken_per_1k": woken * 1000 / requests,
        "load": load,
    }


def capture(path: str, duration: float, into: Path) -> int:
    into.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="motia-writer-live-") as tmp:
        project = write_bench_project(Path(tmp) / "project")
        with motia(project, env={TEE_ENV: str(into.resolve())}, name="capture") as server:
            result = run(server, path, duration)
    print(
        f"captured {into.stat().st_size / 1e6:.1f} MB: {result['rps']:.0f} req/s, writer (teeing) "
        f"{result['loop']:.2f} + {result['other']:.2f} µs/req, load {result['load']:.2f}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per wrk run")
    parser.add_argument("--lang", default="ts")
    parser.add_argument("--code", type=Path, action="append", default=[], help="also this version's code")
    parser.add_argument("--capture", type=Path, help="tee this checkout's writer's requests to this file")
    args = parser.parse_args()
    path = f"/{args.lang}/hello"
    if args.capture is not None:
        return capture(path, args.duration, args.capture)
    codes: dict[str, Path | None] = {
        "this checkout": None,
        **{str(code): code.resolve() for code in args.code},
    }
    names = list(codes)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="motia-writer-live-") as tmp, contextlib.ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                motia(write_bench_project(Path(tmp) / f"p{index}"), code=code, name=f"s{index}")
            )
            for index, (name, code) in enumerate(codes.items())
        }
        for server in servers.values():  # warm-up
            run_wrk(f"http://127.0.0.1:{server.port}{path}", CONNECTIONS, 2)
        for round_index in range(args.rounds):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                sample = run(servers[name], path, args.duration)
                samples[name].append(sample)
                print(
                    f"    round {round_index + 1}/{args.rounds} {name}: {sample['rps']:.0f} req/s, writer "
                    f"{sample['loop']:.2f} + {sample['other']:.2f} = {sample['loop'] + sample['other']:.2f} "
                    f"µs/req, woken {sample['woken_per_1k']:.1f} per 1k req, load {sample['load']:.2f}",
                    flush=True,
                )
    print("\n| writer | req/s | loop µs/req | other µs/req | total µs/req | over first | woken per 1k req |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    first = [each["loop"] + each["other"] for each in samples[names[0]]]
    for name in names:
        runs = samples[name]
        totals = [each["loop"] + each["other"] for each in runs]
        ratio = statistics.median(total / base for total, base in zip(totals, first, strict=True))
        print(
            f"| {name} | {statistics.median(each['rps'] for each in runs):.0f} "
            f"| {statistics.median(each['loop'] for each in runs):.2f} "
            f"| {statistics.median(each['other'] for each in runs):.2f} | {statistics.median(totals):.2f} "
            f"| {ratio * 100:.0f} % | {statistics.median(each['woken_per_1k'] for each in runs):.1f} |"
        )
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
