"""What writing traces costs the Redis server: its main thread's CPU per trace while the supervisor's
pipeline writes ``bench/trace_reads.py``'s traces to a ``RedisTraceStore`` (the write scripts), and its
memory after. The Redis's own counters (``INFO cpu``, ``INFO memory``): the bench and the load around
it do not count, only preemptions of the server.

Usage: .venv/bin/python bench/trace_redis_writes.py [--traces 10000] [--rounds 3] [--root DIR ...]

Each ``--root DIR`` (repeatable; this checkout without any) runs the ``supervisor`` package found in
DIR (e.g. a ``git archive`` of another commit) in a child process, the roots in turn each round.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def _cpu(info: bytes) -> float:
    fields = dict(line.split(":", 1) for line in info.decode().splitlines() if ":" in line)
    return float(fields["used_cpu_user_main_thread"]) + float(fields["used_cpu_sys_main_thread"])


async def _measure(traces: int) -> tuple[float, int]:
    """Microseconds of the server's main thread per trace written, and the bytes it uses after."""
    from scale_out import redis_server
    from trace_reads import _recorded, _retention

    from supervisor.storage import RedisConnection
    from supervisor.tracing import RedisTraceStore
    from supervisor.tracing._pipeline import TracePipeline

    _ids, batches = await _recorded(traces, 500, encoding=False)
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _process):
        connection = await RedisConnection.open(url, "bench:")
        store = RedisTraceStore(connection)
        try:
            pipeline = TracePipeline(store, None, _retention())
            before = _cpu(await connection.execute("INFO", "cpu"))
            for events in batches:
                await pipeline.take(events)
            spent = _cpu(await connection.execute("INFO", "cpu")) - before
            memory = await connection.execute("INFO", "memory")
            used = int(
                dict(line.split(":", 1) for line in memory.decode().splitlines() if ":" in line)[
                    "used_memory"
                ]
            )
            return spent / traces * 1e6, used
        finally:
            await store.close()
            await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--root", type=Path, action="append")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        sys.path.insert(0, str(args.one.resolve()))
        per_trace, used = asyncio.run(_measure(args.traces))
        print(f"{per_trace} {used}")
        return
    roots = [root.resolve() for root in (args.root or [Path(__file__).resolve().parent.parent])]
    results: dict[Path, list[tuple[float, int]]] = {root: [] for root in roots}
    for round_ in range(args.rounds):
        for root in roots[round_ % len(roots) :] + roots[: round_ % len(roots)]:
            load = os.getloadavg()[0]
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(root), "--traces", str(args.traces)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            results[root].append((float(out[0]), int(out[1])))
            print(
                f"round {round_ + 1} {root}: {float(out[0]):.1f} us/trace, {int(out[1]):,} B, load {load:.2f}"
            )
    for root, runs in results.items():
        cpu = statistics.median(run[0] for run in runs)
        print(f"{str(root)[-30:]:>30}: median {cpu:.1f} us of Redis CPU per trace, {runs[-1][1]:,} B used")


if __name__ == "__main__":
    main()
