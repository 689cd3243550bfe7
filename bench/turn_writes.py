"""Writes that arrive together: the first write of a loop turn commits at once on the loop's thread; the
others of the turn (two handlers whose context calls come in one read of the pipe) are committed after
the turn, together, on the loop's thread (``group``) or handed to the writer thread and back
(``thread``, ``MAX_GROUP_NOW = 0``: what every such write did before). Per turn of ``--writes`` state
writes, on uvloop: the process's CPU (every thread) and the time until the last write is committed.

``.venv/bin/python bench/turn_writes.py [--turns 3000] [--writes 2,3] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import uvloop

from supervisor.state import SqliteStateStore
from supervisor.storage import SqliteDatabase
from supervisor.storage import _database as database_module

PET = {"id": "p1", "name": "Rex", "species": "dog", "ageMonths": 24, "status": "in_quarantine", "tags": []}


async def measure(state: SqliteStateStore, turns: int, writes: int) -> tuple[float, float]:
    """(µs of CPU, µs until committed) per turn of ``writes`` writes."""
    cpu, latencies = time.process_time(), []
    for turn in range(turns):
        started = time.perf_counter()
        await asyncio.gather(*(state.set("pets", f"p{turn % 50}-{n}", PET) for n in range(writes)))
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0)
    return (time.process_time() - cpu) / turns * 1e6, statistics.median(latencies) * 1e6


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--writes", default="2,3")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    group_max = database_module.MAX_GROUP_NOW
    results: dict[tuple[int, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-turns-") as tmp:
        db = await SqliteDatabase.open(Path(tmp) / ".motia" / "motia.db")
        state = SqliteStateStore(db)
        for round_index in range(args.rounds):
            for writes in (int(w) for w in args.writes.split(",")):
                modes = [("group", group_max), ("thread", 0)]
                for name, limit in modes if round_index % 2 == 0 else modes[::-1]:
                    database_module.MAX_GROUP_NOW = limit
                    await measure(state, args.turns // 10, writes)
                    results.setdefault((writes, name), []).append(await measure(state, args.turns, writes))
        database_module.MAX_GROUP_NOW = group_max
        await db.close()
    print(f"load average {os.getloadavg()[0]:.2f}; per turn, median of {args.rounds} rounds")
    for writes in (int(w) for w in args.writes.split(",")):
        row = []
        for name in ("thread", "group"):
            cpu = statistics.median(r[0] for r in results[(writes, name)])
            wall = statistics.median(r[1] for r in results[(writes, name)])
            row.append(f"{name}: CPU {cpu:6.1f} µs, committed after {wall:6.1f} µs")
        print(f"{writes} writes in a turn: " + "; ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(uvloop.run(main()))
