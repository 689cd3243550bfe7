"""Writes that arrive together: the first write of a loop turn commits at once on the loop's thread; the
others of the turn (two handlers whose context calls come in one read of the pipe) are committed after
the turn, together, on the loop's thread (``group``) or handed to the writer thread and back
(``thread``, ``MAX_GROUP_NOW = 0``: what every such write did before). Per turn of ``--writes`` state
writes, on uvloop: the process's CPU (every thread) and the time until the last write is committed.

``--part calls``: the same writes as context calls that arrive in one read of a runner's pipe, answered by
a real ``RunnerConnection`` over the real ``ContextCalls`` (a loopback runner: the next read comes a loop
turn after the last answer). The first write is answered in the read; the others' calls wait in tasks for
their commit, right after the turn. ``at once``: a task that finds its write committed when it first runs
goes on (``_Resumed``); ``turn later``: it hands the done future to the task, which resumes a loop turn
later (as before). The loop's CPU per read and the time from the read to its last answer.

``.venv/bin/python bench/turn_writes.py [--part writes|calls|both] [--turns 3000] [--writes 2,3]
[--rounds 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import orjson
import uvloop

from supervisor.core import _context_calls as context_calls_module
from supervisor.core._context_calls import ContextCalls
from supervisor.core._registry import Registry
from supervisor.protocol import ContextCall
from supervisor.runners import RunnerConnection
from supervisor.runners._spec import RunnerSpec
from supervisor.state import SqliteStateStore
from supervisor.storage import SqliteDatabase
from supervisor.storage import _database as database_module
from supervisor.streams import MemoryStreamStore, Streams
from supervisor.tracing import Recorder, Retention

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


class Reads(RunnerConnection):
    """A connection whose runner sends ``writes`` state.set calls in one read, and its next read a loop
    turn after it got the last answer."""

    def __init__(self, calls: ContextCalls, writes: int, reads: int) -> None:
        super().__init__(RunnerSpec("python", ()), "loopback", Path("."), "info", calls)
        self._calls = [
            ContextCall(n, 1, "trace", "Step", "state.set", orjson.dumps(["pets", f"p{n}", PET]))
            for n in range(writes)
        ]
        self._left, self._answers, self._reads = reads, 0, reads
        self._read_at = 0.0
        self.latencies: list[float] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def read(self) -> None:
        self._read_at = time.perf_counter()
        for call in self._calls:
            self._take(call)

    def _send(self, frame: bytes) -> None:
        self._answers += 1
        if self._answers < len(self._calls):
            return
        self.latencies.append(time.perf_counter() - self._read_at)
        self._answers, self._left = 0, self._left - 1
        if self._left > 0:
            asyncio.get_running_loop().call_soon(self.read)
        else:
            self.done.set_result(None)


_at_once = context_calls_module._Resumed.__await__


def _a_turn_later(self: Any) -> Generator[Any, Any, Any]:
    """``_Resumed.__await__`` as it was: a future already done still goes to the task first."""
    if isinstance(self._waiting_on, asyncio.Future) and self._waiting_on.done():
        yield self._waiting_on
    return (yield from _at_once(self))


async def measure_reads(calls: ContextCalls, turns: int, writes: int) -> tuple[float, float]:
    """(µs of the loop thread's CPU, µs from the read to its last answer) per read of ``writes`` calls."""
    connection = Reads(calls, writes, turns)
    cpu = time.thread_time()
    connection.read()
    await connection.done
    return (time.thread_time() - cpu) / turns * 1e6, statistics.median(connection.latencies) * 1e6


async def compare_calls(args: argparse.Namespace) -> None:
    results: dict[tuple[int, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-turns-") as tmp:
        db = await SqliteDatabase.open(Path(tmp) / ".motia" / "motia.db")
        untraced = Recorder(None, Retention(1, 1, 1.0), Path(tmp))

        async def emit(*_: Any, **__: Any) -> int:
            return 0

        calls = ContextCalls(Registry, SqliteStateStore(db), Streams(MemoryStreamStore()), emit, untraced)
        modes = [("at once", _at_once), ("turn later", _a_turn_later)]
        for round_index in range(args.rounds):
            for writes in (int(w) for w in args.writes.split(",")):
                for name, resume in modes if round_index % 2 == 0 else modes[::-1]:
                    context_calls_module._Resumed.__await__ = resume  # type: ignore[method-assign]
                    await measure_reads(calls, args.turns // 10, writes)
                    results.setdefault((writes, name), []).append(
                        await measure_reads(calls, args.turns, writes)
                    )
        context_calls_module._Resumed.__await__ = _at_once  # type: ignore[method-assign]
        await db.close()
    print(f"load average {os.getloadavg()[0]:.2f}; context calls per read, median of {args.rounds} rounds")
    for writes in (int(w) for w in args.writes.split(",")):
        row = []
        for name in ("turn later", "at once"):
            cpu = statistics.median(r[0] for r in results[(writes, name)])
            wall = statistics.median(r[1] for r in results[(writes, name)])
            row.append(f"{name}: loop CPU {cpu:6.1f} µs, last answer after {wall:6.1f} µs")
        print(f"{writes} state.set calls in a read: " + "; ".join(row))
        pairs = zip(results[(writes, "turn later")], results[(writes, "at once")], strict=True)
        print(
            "  at once - turn later per round, CPU / last answer µs: "
            + ", ".join(f"{b[0] - a[0]:+.1f} / {b[1] - a[1]:+.1f}" for a, b in pairs)
        )


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--part", choices=("writes", "calls", "both"), default="both")
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--writes", default="2,3")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.part != "writes":
        await compare_calls(args)
    if args.part == "calls":
        return 0
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
