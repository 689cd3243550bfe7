"""The supervisor's own CPU per context call, in process: a ``RunnerConnection`` whose runner is a
loopback (each reply hands the next call back to the connection in the next loop turn, as a runner's
next call arrives), over the real ``ContextCalls`` and a SQLite state store, on uvloop.

``inline`` (a call that needs no waiting answered in the turn that read it, no task) against ``task``
(every call awaited in a task of its own, as on Redis and as before), alternating, per method. What it
leaves out: the pipe write and read, the frame decode and the trace (untraced), which are the same
either way.

``.venv/bin/python bench/context_call_dispatch.py [--calls 20000] [--rounds 5]``
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
from typing import Any

import orjson
import uvloop

from supervisor.config import StreamConfig
from supervisor.core._context_calls import ContextCalls
from supervisor.core._registry import Registry
from supervisor.protocol import ContextCall
from supervisor.runners import RunnerConnection
from supervisor.runners._spec import RunnerSpec
from supervisor.state import SqliteStateStore
from supervisor.storage import SqliteDatabase
from supervisor.streams import SqliteStreamStore, Streams
from supervisor.tracing import Recorder, Retention

PET = {"id": "p1", "name": "Rex", "species": "dog", "ageMonths": 24, "status": "in_quarantine", "tags": []}
METHODS: dict[str, list[Any]] = {
    "state.get": ["pets", "p1"],
    "state.set": ["pets", "p1", PET],
    "streams.set": ["petCreation", "trace", "progress", {"message": "Generated 20 words", "petId": "p1"}],
}


class Loopback(RunnerConnection):
    """A connection whose runner answers each reply with its next call, in the next loop turn."""

    def __init__(self, calls: ContextCalls, method: str, count: int) -> None:
        super().__init__(RunnerSpec("python", ()), "loopback", Path("."), "info", calls)
        self._call = ContextCall(0, 1, "trace", "Step", method, orjson.dumps(METHODS[method]))
        self._left = count
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def _send(self, frame: bytes) -> None:
        self._left -= 1
        if self._left > 0:
            asyncio.get_running_loop().call_soon(self._take, self._call)
        else:
            self.done.set_result(None)

    def start_calls(self) -> None:
        self._take(self._call)


async def measure(calls: ContextCalls, method: str, count: int) -> float:
    """µs of the loop thread's CPU per call."""
    connection = Loopback(calls, method, count)
    started = time.thread_time()
    connection.start_calls()
    await connection.done
    return (time.thread_time() - started) / count * 1e6


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motia-dispatch-") as tmp:
        db = await SqliteDatabase.open(Path(tmp) / ".motia" / "motia.db")
        registry = Registry(streams={"petCreation": StreamConfig(name="petCreation")})
        untraced = Recorder(None, Retention(1, 1, 1.0), Path(tmp))
        state, streams = SqliteStateStore(db), Streams(SqliteStreamStore(db))

        async def emit(*_: Any, **__: Any) -> int:
            return 0

        dispatch = {
            name: ContextCalls(lambda: registry, state, streams, emit, untraced, inline=name == "inline")
            for name in ("task", "inline")
        }
        await state.set("pets", "p1", PET)
        results: dict[tuple[str, str], list[float]] = {}
        for round_index in range(args.rounds):
            for method in METHODS:
                order = list(dispatch.items())
                for name, calls in order if round_index % 2 == 0 else order[::-1]:
                    await measure(calls, method, args.calls // 10)  # warm
                    results.setdefault((method, name), []).append(await measure(calls, method, args.calls))
        await db.close()
    print(
        f"load average {os.getloadavg()[0]:.2f}; µs of loop-thread CPU per call,"
        f" median of {args.rounds} rounds"
    )
    for method in METHODS:
        task, inline = (statistics.median(results[(method, name)]) for name in ("task", "inline"))
        rounds = {
            name: " ".join(f"{us:.1f}" for us in results[(method, name)]) for name in ("task", "inline")
        }
        print(
            f"{method:12} task {task:6.1f}  inline {inline:6.1f}  ({inline - task:+.1f} µs,"
            f" {100 * (inline - task) / task:+.0f} %);"
            f" rounds: task {rounds['task']}, inline {rounds['inline']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(uvloop.run(main()))
