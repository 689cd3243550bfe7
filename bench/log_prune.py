"""What a prune of log lines costs the SQLite trace store once it holds its limit of them.

Usage: .venv/bin/python bench/log_prune.py [--kept 100000] [--lines 2000] [--prunes 15] [--root DIR ...]

A fresh ``traces.db`` is filled with ``--kept`` log lines as a step's logger writes them (batches of 2,000,
the writer's commits), pruned to ``--kept`` (``maxLogLines``; 100,000 by default); then, ``--prunes`` times, a
batch of ``--lines`` new lines is written and pruned away again (a prune comes every ~2,000 traces at full
speed: a project logging a line per request adds that many between two). Prints the median and the fastest
prune, ms (wall time of ``SqliteTraceStore.prune`` in this process: the same job the trace writer runs).

``--root DIR`` (repeatable): also the ``supervisor`` package found in DIR (e.g. a ``git archive`` of
integ), each in a child process of its own, in turns (bench/RESULTS.md, session 22).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _line(number: int, first_id: int) -> dict[str, Any]:
    return {
        "id": first_id + number,
        "type": "log",
        "time": (first_id + number) / 1000,
        "level": "info",
        "message": "busy request served",
        "step": "Busy",
        "traceId": f"{number:032x}",
        "spanId": None,
        "runner": "node-0",
        "logger": "motia.step",
        "meta": {"request": number},
    }


async def _prune_times(kept: int, lines: int, prunes: int) -> list[float]:
    from supervisor.tracing import Retention
    from supervisor.tracing._records import Batch
    from supervisor.tracing._sqlite import SqliteTraceStore

    first_id = int(time.time() * 1_000_000) - 60_000_000
    retention = Retention(max_traces=10_000, max_log_lines=kept, max_age_s=3600)
    written = 0

    async def write(count: int) -> None:
        nonlocal written
        await store.write(Batch(logs=[_line(written + n, first_id) for n in range(count)]))
        written += count

    with tempfile.TemporaryDirectory(prefix="motia-log-prune-") as tmp:
        store = await SqliteTraceStore.open(Path(tmp) / "traces.db")
        try:
            while written < kept + lines:
                await write(min(2000, kept + lines - written))
            await store.prune(retention, time.time())
            times = []
            for _ in range(prunes):
                await write(lines)
                started = time.perf_counter()
                pruned = await store.prune(retention, time.time())
                times.append(time.perf_counter() - started)
                assert pruned.logs == lines, pruned
        finally:
            await store.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kept", type=int, default=100_000, help="log lines kept (maxLogLines)")
    parser.add_argument("--lines", type=int, default=2000, help="new lines between two prunes")
    parser.add_argument("--prunes", type=int, default=15)
    parser.add_argument("--root", type=Path, action="append", default=[], help="also this checkout's store")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        times = asyncio.run(_prune_times(args.kept, args.lines, args.prunes))
        print(f"{statistics.median(times) * 1000:.2f} {min(times) * 1000:.2f}")
        return 0
    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}", flush=True)
    print(f"{args.kept} log lines kept, {args.lines} written and pruned away {args.prunes} times")
    print("| store | prune, median ms | fastest ms |\n| --- | ---: | ---: |")
    for name, root in [("this checkout", REPO), *((str(root), root.resolve()) for root in args.root)]:
        child = [sys.executable, __file__, "--child", *("--kept", str(args.kept), "--lines", str(args.lines))]
        child += ["--prunes", str(args.prunes)]
        env = {**os.environ, "PYTHONPATH": str(root)}
        median, fastest = subprocess.run(
            child, env=env, check=True, capture_output=True, text=True
        ).stdout.split()
        print(f"| {name} | {median} | {fastest} |", flush=True)
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
