"""Writes that arrive together: the first write of a loop turn commits at once on the loop's thread; the
others of the turn (two handlers whose context calls come in one read of the pipe) are committed after
the turn, together, on the loop's thread (``group``) or handed to the writer thread and back
(``thread``, ``MAX_GROUP_NOW = 0``: what every such write did before). Per turn of ``--writes`` state
writes, on uvloop: the process's CPU (every thread) and the time until the last write is committed.

``--part calls``: the same writes as context calls that arrive in one read of a runner's pipe, answered by
a real ``RunnerConnection`` over the real ``ContextCalls`` (a loopback runner: the next read comes a loop
turn after the last answer). The first write is answered in the read; the others' calls wait in tasks for
their commit, right after the turn. ``at once``: a task that finds its write committed when it first runs
goes on (``Resumed``); ``turn later``: it hands the done future to the task, which resumes a loop turn
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
from collections.abc import Awaitable, Callable, Generator
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import uvloop

from supervisor.core._context_calls import ContextCalls
from supervisor.core._registry import Registry
from supervisor.eager import Resumed
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


_at_once = Resumed.__await__


def _a_turn_later(self: Any) -> Generator[Any, Any, Any]:
    """``Resumed.__await__`` as it was: a future already done still goes to the task first."""
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


Results = dict[tuple[int, str], list[tuple[float, float]]]
Measure = Callable[[int, int], Awaitable[tuple[float, float]]]


def writes_per_turn(args: argparse.Namespace) -> list[int]:
    return [int(w) for w in args.writes.split(",")]


async def interleaved(
    args: argparse.Namespace, modes: list[tuple[str, Callable[[], None]]], measure: Measure
) -> Results:
    """``measure(turns, writes)`` in each mode (named, and switched to by calling its function), for
    each count of writes, in ``--rounds`` rounds whose order of modes alternates, each after a tenth
    of its turns to warm up: every (writes, mode)'s result per round."""
    results: Results = {}
    for round_index in range(args.rounds):
        for writes in writes_per_turn(args):
            for name, switch in modes if round_index % 2 == 0 else modes[::-1]:
                switch()
                await measure(args.turns // 10, writes)
                results.setdefault((writes, name), []).append(await measure(args.turns, writes))
    return results


def print_medians(
    args: argparse.Namespace,
    results: Results,
    title: str,
    rows: str,
    modes: tuple[str, str],
    columns: tuple[str, str],
) -> None:
    """Under ``title``, a line per count of writes (``rows``: what they are): the medians in the two
    ``modes`` (``columns``: what the two numbers measure), then the second's less the first's round by
    round."""
    before, after = modes
    cpu_label, wall_label = columns
    print(f"load average {os.getloadavg()[0]:.2f}; {title}, median of {args.rounds} rounds")
    for writes in writes_per_turn(args):
        row = []
        for name in (before, after):
            cpu = statistics.median(r[0] for r in results[(writes, name)])
            wall = statistics.median(r[1] for r in results[(writes, name)])
            row.append(f"{name}: {cpu_label} {cpu:6.1f} µs, {wall_label} {wall:6.1f} µs")
        print(f"{writes} {rows}: " + "; ".join(row))
        pairs = zip(results[(writes, before)], results[(writes, after)], strict=True)
        print(
            f"  {after} - {before} per round, {cpu_label} / {wall_label} µs: "
            + ", ".join(f"{b[0] - a[0]:+.1f} / {b[1] - a[1]:+.1f}" for a, b in pairs)
        )


async def compare_calls(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="motia-turns-") as tmp:
        db = await SqliteDatabase.open(Path(tmp) / ".motia" / "motia.db")
        untraced = Recorder(None, Retention(1, 1, 1.0), Path(tmp))

        async def emit(*_: Any, **__: Any) -> int:
            return 0

        calls = ContextCalls(Registry, SqliteStateStore(db), Streams(MemoryStreamStore()), emit, untraced)

        def resuming(resume: Callable[[Any], Generator[Any, Any, Any]]) -> Callable[[], None]:
            return partial(setattr, Resumed, "__await__", resume)

        modes = [("at once", resuming(_at_once)), ("turn later", resuming(_a_turn_later))]
        results = await interleaved(args, modes, partial(measure_reads, calls))
        Resumed.__await__ = _at_once  # type: ignore[method-assign]  # the modes swap it; this puts it back
        await db.close()
    title, rows = "context calls per read", "state.set calls in a read"
    print_medians(args, results, title, rows, ("turn later", "at once"), ("loop CPU", "last answer after"))


async def compare_writes(args: argparse.Namespace) -> None:
    group_max = database_module.MAX_GROUP_NOW

    def group_at_most(limit: int) -> Callable[[], None]:
        return partial(setattr, database_module, "MAX_GROUP_NOW", limit)

    with tempfile.TemporaryDirectory(prefix="motia-turns-") as tmp:
        db = await SqliteDatabase.open(Path(tmp) / ".motia" / "motia.db")
        state = SqliteStateStore(db)
        modes = [("group", group_at_most(group_max)), ("thread", group_at_most(0))]
        results = await interleaved(args, modes, partial(measure, state))
        database_module.MAX_GROUP_NOW = group_max
        await db.close()
    rows = "writes in a turn"
    print_medians(args, results, "per turn", rows, ("thread", "group"), ("CPU", "committed after"))


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--part", choices=("writes", "calls", "both"), default="both")
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--writes", default="2,3")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.part != "writes":
        await compare_calls(args)
    if args.part != "calls":
        await compare_writes(args)
    return 0


if __name__ == "__main__":
    sys.exit(uvloop.run(main()))
