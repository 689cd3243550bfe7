"""What the trace API's reads cost with a full SQLite trace store, through the trace writer process.

Usage: .venv/bin/python bench/trace_reads.py [--traces 10000] [--batch 500] [--tries 7] [--root DIR]

Fills a fresh ``traces.db`` as a busy server would (batches of ``--batch`` trivial api traces (500: a
busy server's flush; 5: a quiet one's), one in 100 with
a second step ``Audit``, one in 20 failed, a few still running, one in 50 changed by a later batch)
through a ``TraceWriter`` (the child process ``motia`` runs), then times what ``GET /__motia/traces``
and ``GET /__motia/traces/{id}`` ask of it: the first page, a page far back (by cursor), filters by a
rare step, by status, by a part of an id, by text (a rare step, none, every trace's name, a whole
id), and one trace, new and old. Wall time per read (the
writer's answer over its pipe included; the HTTP layer is the same for every store), min and median
of ``--tries``.

``--root DIR`` runs the ``supervisor`` package found in DIR (e.g. a ``git archive`` of another
commit): run it once per checkout for an A/B.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

T0 = 1_800_000_000.0


async def _fill(writer: Any, traces: int, size: int) -> list[str]:
    from supervisor.tracing import Batch, Span, TraceDelta

    ids = []
    for first in range(0, traces, size):
        batch = Batch()
        for n in range(first, min(first + size, traces)):
            trace_id = f"{n:08x}-0000-7000-8000-{n * 7919 % 16**12:012x}"
            ids.append(trace_id)
            started = T0 + n * 0.01
            running = n % 997 == 0
            failed = n % 20 == 7
            steps = (
                [("Hello", "steps/hello.step.ts"), ("Audit", "steps/audit_step.py")] if n % 100 == 3 else []
            )
            steps = steps or [("Hello", "steps/hello.step.ts")]
            for index, (step, file) in enumerate(steps):
                kind: Any = "api" if index == 0 else "event"
                span = Span(
                    trace_id, f"{n:012x}{index:04x}", step, kind, "typescript", file, started + index * 0.001
                )
                span.ran_on("node#1", 4242)
                if not running:
                    span.ended_at = started + 0.004
                    span.status = "error" if failed and index == 0 else "ok"
                    span.status_code = 500 if failed else 200
                batch.spans.append(span)
            delta = TraceDelta(
                started, started + 0.004, "api", "Hello", "GET", "/hello", 200, spans=len(steps)
            )
            delta.open = 1 if running else 0
            delta.failures = 1 if failed else 0
            batch.traces[trace_id] = delta
        await writer.write(batch)
        # one in 50 of them changed later (a late log line's touch): a revision of its segment
        touched = {
            ids[n]: TraceDelta(T0 + n * 0.01 + 1, T0 + n * 0.01 + 1)
            for n in range(first, min(first + size, traces))
            if n % 50 == 25
        }
        if touched:
            await writer.write(Batch(touched))
    return ids


async def _time(read: Callable[[], Awaitable[Any]], tries: int) -> tuple[float, float]:
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        await read()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


async def _run(traces: int, size: int, tries: int) -> None:
    from supervisor.tracing import TraceQuery, TraceWriter

    with tempfile.TemporaryDirectory() as tmp:
        writer = TraceWriter(Path(tmp) / "traces.db")
        try:
            await writer.start()
            ids = await _fill(writer, traces, size)
            cursor = None
            for _ in range(20):  # 20 pages of 50 back
                cursor = (await writer.traces(TraceQuery(limit=50, before=cursor))).next_cursor
            reads: dict[str, Callable[[], Awaitable[Any]]] = {
                "first page (50)": lambda: writer.traces(TraceQuery(limit=50)),
                "page 21 (by cursor)": lambda: writer.traces(TraceQuery(limit=50, before=cursor)),
                "step=Audit (1 in 100)": lambda: writer.traces(TraceQuery(limit=50, step="Audit")),
                "step=Nothing (none)": lambda: writer.traces(TraceQuery(limit=50, step="Nothing")),
                "status=error": lambda: writer.traces(TraceQuery(limit=50, status="error")),
                "status=running": lambda: writer.traces(TraceQuery(limit=50, status="running")),
                "traceId part (one)": lambda: writer.traces(TraceQuery(limit=50, trace_id=ids[1234][-12:])),
                "text=audit (1 in 100)": lambda: writer.traces(TraceQuery(limit=50, text="audit")),
                "text=nothing (none)": lambda: writer.traces(TraceQuery(limit=50, text="nothing")),
                "text=GET /hello (all)": lambda: writer.traces(TraceQuery(limit=50, text="GET /hello")),
                "text=whole id (one)": lambda: writer.traces(TraceQuery(limit=50, text=ids[1234])),
                "trace(id), newest": lambda: writer.trace(ids[-1]),
                "trace(id), oldest": lambda: writer.trace(ids[0]),
            }
            for name, read in reads.items():
                fastest, median = await _time(read, tries)
                print(f"{name:>24}: min {fastest:7.2f}  median {median:7.2f} ms", flush=True)
        finally:
            await writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--tries", type=int, default=7)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    asyncio.run(_run(args.traces, args.batch, args.tries))


if __name__ == "__main__":
    main()
