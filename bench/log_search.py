"""What a text search of the log lines (``GET /__motia/logs?q=``, ``motia logs --grep``), and a runner
filter (``runner=``, ``motia logs --runner``), cost in each trace store, over a full one.

Usage: .venv/bin/python bench/log_search.py [--lines 50000] [--tries 7] [--root DIR] [--redis]

Writes ``--lines`` log lines (one in 4 with metadata ``{"pet": "pet-N", "species": "dog"}``, one in 100
with the rare message word "hungry") into a fresh memory store, an SQLite store on a file (in process:
the trace writer's read is the same SQL) and, with ``--redis``, a Redis store on a redis-server the
bench starts; then times a page of 100 lines for a text no line holds (every line read: the whole
store), a rare one in messages, one in metadata (rare: ``pet-4``), the same written with JSON's usual
spacing (``"pet": "pet-4"``: its compact form is looked for too), and one every line's message holds
(the first page). The lines come from three runners in turn (node-0, node-1, python-0), every
1000th from a spare (node-spare-0): a runner filter is timed for a runner no line names (``ruby``),
one runner (``node-1``), a kind (``node``: 2 lines in 3) and a rare one (``node-spare``), beside a level
no line has (``critical``: the whole store, by a column) to compare with. Process CPU time per
search, min and median of ``--tries`` (ms); prints JSON.

``--root DIR`` runs the ``supervisor`` package found in DIR (e.g. a ``git archive`` of another
commit): run it for each DIR in turn, alternating, for an A/B.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

T0 = 1_700_000_000.0
SEARCHES: dict[str, dict[str, Any]] = {
    "absent": {"text": "no line says this"},
    "rare message": {"text": "hungry"},
    "in metadata": {"text": 'pet-4"'},
    "in metadata, JSON spacing": {"text": '"pet": "pet-4"'},
    "common": {"text": "line"},
    "runner absent": {"runner": "ruby"},
    "one runner (1 in 3)": {"runner": "node-1"},
    "runner kind (2 in 3)": {"runner": "node"},
    "rare runner (1 in 1000)": {"runner": "node-spare"},
    "level absent": {"level": "critical"},
}
RUNNERS = ("node-0", "node-1", "python-0")


def _lines(count: int) -> list[dict[str, Any]]:
    lines = []
    for n in range(count):
        lines.append(
            {
                "id": int((T0 + n / 100) * 1_000_000),
                "type": "log",
                "time": (T0 + n / 100) * 1000,
                "level": "info",
                "message": f"line {n} {'hungry' if n % 100 == 7 else 'fed'}",
                "step": "Feed",
                "traceId": f"trace-{n // 5}",
                "spanId": None,
                "runner": "node-spare-0" if n % 1000 == 999 else RUNNERS[n % len(RUNNERS)],
                "logger": "motia.step",
                "meta": {"pet": f"pet-{n}", "species": "dog"} if n % 4 == 0 else None,
            }
        )
    return lines


async def _timed(store: Any, tries: int) -> dict[str, tuple[float, float]]:
    from supervisor.tracing import LogQuery

    results = {}
    for name, filters in SEARCHES.items():
        times = []
        for _ in range(tries):
            started = time.process_time()
            await store.logs(LogQuery(**filters, limit=100))
            times.append((time.process_time() - started) * 1000)
        results[name] = (min(times), statistics.median(times))
    return results


async def _run(count: int, tries: int, redis: bool) -> dict[str, dict[str, tuple[float, float]]]:
    from supervisor.tracing import Batch, MemoryTraceStore, SqliteTraceStore

    lines = _lines(count)
    results = {}
    memory = MemoryTraceStore()
    await memory.write(Batch(logs=lines))
    results["memory"] = await _timed(memory, tries)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = await SqliteTraceStore.open(Path(tmp) / "traces.db")
        for start in range(0, count, 500):
            await sqlite.write(Batch(logs=lines[start : start + 500]))
        results["sqlite"] = await _timed(sqlite, tries)
        await sqlite.close()
        if redis:
            results["redis"] = await _run_redis(lines, tries, Path(tmp))
    return results


async def _run_redis(lines: list[dict[str, Any]], tries: int, tmp: Path) -> dict[str, tuple[float, float]]:
    from scale_out import redis_server

    from supervisor.storage import RedisConnection
    from supervisor.tracing import Batch, RedisTraceStore

    with redis_server(tmp) as (url, _process):
        connection = await RedisConnection.open(url, "bench:")
        store = RedisTraceStore(connection)
        try:
            for start in range(0, len(lines), 500):
                await store.write(Batch(logs=lines[start : start + 500]))
            return await _timed(store, tries)
        finally:
            await store.close()
            await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--tries", type=int, default=7)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--redis", action="store_true", help="a RedisTraceStore too")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    print(json.dumps(asyncio.run(_run(args.lines, args.tries, args.redis))))


if __name__ == "__main__":
    main()
