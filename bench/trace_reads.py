"""What the trace API's reads cost with a full SQLite trace store, through the trace writer process.

Usage: .venv/bin/python bench/trace_reads.py [--traces 10000] [--batch 500] [--tries 7] [--root DIR]
       [--baseline DIR --rounds 4]

Fills a fresh ``traces.db`` as a busy server would: the recorder's events of batches of ``--batch``
trivial api traces (500: a busy server's flush; 5: a quiet one's), one in 100 with a second step
``Audit``, one in 20 failed ("card declined"; one in 1000 "gateway timeout") with a 500, a few still
running, one in 50 changed by a later batch (a state call), sent to a ``TraceWriter`` (the child
process ``motia`` runs) as the supervisor sends them, so that the store keeps what it keeps of a
running server's traces (a whole request as its event, where it does). Then it times what
``GET /__motia/traces``
and ``GET /__motia/traces/{id}`` ask of it: the first page, a page far back (by cursor), filters by a
rare step, by status, by a part of an id, by text (a rare step, none, every trace's name, a whole
id, a failure's error message, a rare one), and one trace, new and old. Wall time per read (the
writer's answer over its pipe included; the HTTP layer is the same for every store), min and median
of ``--tries``.

``--root DIR`` runs the ``supervisor`` package found in DIR (e.g. a ``git archive`` of another
commit). ``--baseline DIR`` (repeatable): an A/B in one run, ``--rounds`` rounds each running the
bench in a child process for each DIR and for ``--root`` (this checkout by default), in turn; per
case the median of the runs' medians and the ratio to the first baseline's, with the load average of
each run.
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

from writer_instructions import capturing_recorder


def _retention() -> Any:
    """Nothing pruned while the bench runs."""
    from supervisor.tracing import Retention

    return Retention(max_traces=10_000_000, max_log_lines=10_000_000, max_age_s=1e9)


async def _recorded(traces: int, size: int) -> tuple[list[str], list[list[Any]]]:
    """The trace ids and each flush's events, as the recorder hands them to the trace writer (the path
    a running server takes: most requests whole in one event, ``Batch.whole``, where the store keeps
    them so)."""
    from supervisor.protocol import ContextCall, ErrorInfo, InvokeResult, TriggerKind

    ok = InvokeResult(1, True, b"{}", None)
    ids: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        recorder, batches = capturing_recorder(Path(tmp), _retention())
        await recorder.start()
        for first in range(0, traces, size):
            for n in range(first, min(first + size, traces)):
                trace_id = f"{n:08x}-0000-7000-8000-{n * 7919 % 16**12:012x}"
                ids.append(trace_id)
                span = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, trace_id)
                span.ran_on("node#1", 4242)
                if n % 997 == 0:
                    continue  # still running
                if n % 100 == 3:
                    audit = recorder.start_span(
                        "Audit",
                        "steps/audit_step.py",
                        TriggerKind.EVENT,
                        trace_id,
                        "audit",
                        parent_span_id=span.span_id,
                    )
                    audit.ran_on("python#1", 4343)
                    recorder.end_span(audit, ok)
                if n % 20 == 7:
                    message = "gateway timeout" if n % 1000 == 7 else "card declined"
                    recorder.end_span(span, InvokeResult(1, False, b"", ErrorInfo("Error", message, "")))
                    recorder.http_response(trace_id, "Hello", "GET", "/hello", 500)
                else:
                    recorder.end_span(span, ok)
                    recorder.http_response(trace_id, "Hello", "GET", "/hello", 200)
            await recorder.flush()
            # one in 50 of them changed later (a state call recorded after its flush): a revision
            for n in range(first, min(first + size, traces)):
                if n % 50 == 25:
                    call = ContextCall(1, 1, ids[n], "Hello", "state.get", b"[]")
                    recorder.context_call(call, ["pets", "1"], None, time.time(), None)
            await recorder.flush()
        await recorder.stop()
    return ids, batches


async def _time(read: Callable[[], Awaitable[Any]], tries: int) -> tuple[float, float]:
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        await read()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


async def _run(traces: int, size: int, tries: int) -> dict[str, tuple[float, float]]:
    from supervisor.tracing import TraceQuery, TraceWriter

    with tempfile.TemporaryDirectory() as tmp:
        ids, batches = await _recorded(traces, size)
        writer = TraceWriter(Path(tmp) / "traces.db")
        try:
            await writer.start()
            await writer.assemble(_retention())
            await writer.recover()
            for events in batches:
                await writer.record(events)
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
                "traceId part (one)": lambda: writer.traces(
                    TraceQuery(limit=50, trace_id=ids[min(1234, len(ids) - 1)][-12:])
                ),
                "text=audit (1 in 100)": lambda: writer.traces(TraceQuery(limit=50, text="audit")),
                "text=nothing (none)": lambda: writer.traces(TraceQuery(limit=50, text="nothing")),
                "text=GET /hello (all)": lambda: writer.traces(TraceQuery(limit=50, text="GET /hello")),
                "text=whole id (one)": lambda: writer.traces(
                    TraceQuery(limit=50, text=ids[min(1234, len(ids) - 1)])
                ),
                "text=card declined (err)": lambda: writer.traces(TraceQuery(limit=50, text="card declined")),
                "text=gateway timeout": lambda: writer.traces(TraceQuery(limit=50, text="gateway timeout")),
                "trace(id), newest": lambda: writer.trace(ids[-1]),
                "trace(id), oldest": lambda: writer.trace(ids[0]),
            }
            for read in reads.values():  # once each first: the file's pages in the cache for all alike
                await read()
            return {name: await _time(read, tries) for name, read in reads.items()}
        finally:
            await writer.close()


def _ab(roots: list[Path], rounds: int, forwarded: list[str]) -> None:
    """``rounds`` rounds, each running the bench once per root (in turn, the first alternating), in
    child processes; per case the median over rounds of each run's median, and its ratio to the
    first root's."""
    import json
    import os
    import subprocess

    medians: dict[Path, dict[str, list[float]]] = {root: {} for root in roots}
    for round_ in range(rounds):
        order = roots[round_ % len(roots) :] + roots[: round_ % len(roots)]  # each goes first in turn
        for root in order:
            before = os.getloadavg()[0]
            out = subprocess.run(
                [sys.executable, __file__, "--root", str(root), "--json", *forwarded],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            for name, (_fastest, median) in json.loads(out).items():
                medians[root].setdefault(name, []).append(median)
            print(f"round {round_ + 1} {root}: load {before:.2f} -> {os.getloadavg()[0]:.2f}", flush=True)
    base = roots[0]
    print(f"{'':>26}" + "".join(f"{str(root)[-18:]:>20}" for root in roots) + "   ratio(s) to the first")
    for name in medians[base]:
        values = [statistics.median(medians[root][name]) for root in roots]
        ratios = "  ".join(f"{value / values[0]:.2f}" for value in values[1:])
        print(f"{name:>26}" + "".join(f"{value:17.2f} ms" for value in values) + f"   {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--tries", type=int, default=7)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument(
        "--baseline", type=Path, action="append", help="A/B: this checkout (repeatable) and --root, in turn"
    )
    parser.add_argument("--rounds", type=int, default=4, help="with --baseline")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline is not None:
        forwarded = ["--traces", str(args.traces), "--batch", str(args.batch), "--tries", str(args.tries)]
        _ab([*(root.resolve() for root in args.baseline), args.root.resolve()], args.rounds, forwarded)
        return
    sys.path.insert(0, str(args.root.resolve()))
    results = asyncio.run(_run(args.traces, args.batch, args.tries))
    if args.json:
        import json

        print(json.dumps(results))
        return
    for name, (fastest, median) in results.items():
        print(f"{name:>26}: min {fastest:7.2f}  median {median:7.2f} ms", flush=True)


if __name__ == "__main__":
    main()
