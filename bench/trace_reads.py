"""What the trace API's reads cost with a full SQLite trace store, through the trace writer process.

Usage: .venv/bin/python bench/trace_reads.py [--traces 10000] [--batch 500] [--tries 7] [--root DIR]
       [--baseline DIR --rounds 4] [--redis]

Fills a fresh ``traces.db`` as a busy server would: the recorder's events of batches of ``--batch``
trivial api traces (500: a busy server's flush; 5: a quiet one's), one in 100 with a second step
``Audit``, one in 20 failed ("card declined"; one in 1000 "gateway timeout") with a 500, one in 100
answered 4xx without failing (404; one in 1000 a 400), a few still running, one in 50 changed by a
later batch (a state call), sent to a ``TraceWriter`` (the child process ``motia`` runs) as the
supervisor sends them, so that the store keeps what it keeps of a running server's traces (a whole
request as its event, where it does). Then it times what ``GET /__motia/traces`` and
``GET /__motia/traces/{id}`` ask of it: the first page, a page far back (by cursor), filters by a
rare step, by status, by the status code a request was answered with, by a part of an id (held by one
id, by all), by text (a rare step, none, every trace's name, a whole id, a failure's error message, a
rare one), by a whole
id (a trace's row: finished, revised, running), and one trace, new and old. Wall time per read (the
writer's answer over its pipe included; the HTTP layer is the same for every store), min and median
of ``--tries``; and the CPU time of opening the store on
the file (``[CPU]``). With ``--redis``, recovery's build of the status and answer indexes, too.

``--redis``: the same traces in a ``RedisTraceStore`` (written by the supervisor's own pipeline, as
with ``MOTIA_REDIS_URL``) on a redis-server the bench starts, read from it in process.

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


async def _recorded(traces: int, size: int, encoding: bool = True) -> tuple[list[str], list[list[Any]]]:
    """The trace ids and each flush's events, as the recorder hands them to the trace writer (the path
    a running server takes: most requests whole in one event, ``Batch.whole``, where the store keeps
    them so)."""
    from supervisor.protocol import ContextCall, ErrorInfo, InvokeResult, TriggerKind

    ok = InvokeResult(1, True, b"{}", None)
    ids: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        recorder, batches = capturing_recorder(Path(tmp), _retention(), encoding=encoding)
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
                    code = 200 if n % 100 != 11 else 400 if n % 1000 == 11 else 404
                    recorder.http_response(trace_id, "Hello", "GET", "/hello", code)
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
    from supervisor.tracing import TraceWriter

    with tempfile.TemporaryDirectory() as tmp:
        ids, batches = await _recorded(traces, size)
        writer = TraceWriter(Path(tmp) / "traces.db")
        try:
            await writer.start()
            await writer.assemble(_retention())
            await writer.recover()
            for events in batches:
                await writer.record(events)
            timed = await _timed_reads(writer, ids, tries)
        finally:
            await writer.close()
        timed["open the file [CPU]"] = await _open_cpu(Path(tmp) / "traces.db", tries)
        return timed


async def _open_cpu(path: Path, tries: int) -> tuple[float, float]:
    """The CPU time (ms, every thread) of opening the store on the file: what a trace writer process
    does before its first write or read (the index of the segments rebuilt from them)."""
    from supervisor.tracing import SqliteTraceStore

    times = []
    for _ in range(tries):
        started = time.process_time()
        store = SqliteTraceStore(path)
        times.append((time.process_time() - started) * 1000)
        await store.close()
    return min(times), statistics.median(times)


async def _run_redis(traces: int, size: int, tries: int) -> dict[str, tuple[float, float]]:
    from scale_out import redis_server

    from supervisor.storage import RedisConnection
    from supervisor.tracing import RedisTraceStore
    from supervisor.tracing._pipeline import TracePipeline

    ids, batches = await _recorded(traces, size, encoding=False)
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _process):
        connection = await RedisConnection.open(url, "bench:")
        store = RedisTraceStore(connection)
        try:
            pipeline = TracePipeline(store, None, _retention())
            for events in batches:
                await pipeline.take(events)
            await connection.execute("CONFIG", "SET", "slowlog-log-slower-than", "0")
            await connection.execute("CONFIG", "SET", "slowlog-max-len", "10000")
            timed = await _timed_reads(store, ids, tries, connection)
            # recovery's build of the status and answer indexes (once per store written before them)
            builds = []
            for _ in range(tries):
                await connection.execute("DEL", "bench:t:answered-indexed")
                started = time.perf_counter()
                await store._index_earlier_statuses()
                builds.append((time.perf_counter() - started) * 1000)
            timed["recovery's index build"] = (min(builds), statistics.median(builds))
            return timed
        finally:
            await store.close()
            await connection.close()


async def _longest_command(read: Callable[[], Awaitable[Any]], redis: Any) -> Callable[[], Awaitable[Any]]:
    """A read timed by what Redis did: the longest command (script) it ran, in ms, from the slow log
    (every command logged): how long it kept every other client of that Redis (queue, state) waiting."""

    async def timed() -> float:
        await redis.execute("SLOWLOG", "RESET")
        await read()
        entries = await redis.execute("SLOWLOG", "GET", "10000")
        return max((int(entry[2]) for entry in entries if b"SLOWLOG" not in entry[3][0]), default=0) / 1000

    return timed


async def _timed_reads(
    store: Any, ids: list[str], tries: int, redis: Any = None
) -> dict[str, tuple[float, float]]:
    """Each read's min and median time (``--tries``), the cursor 20 pages of 50 back; with ``redis``,
    each read's longest script too (its median, as a case of its own, ``[script]``)."""
    from supervisor.tracing import TraceQuery

    cursor = None
    for _ in range(20):  # 20 pages of 50 back
        cursor = (await store.traces(TraceQuery(limit=50, before=cursor))).next_cursor
    # half way back, and a time range of a tenth of the traces from there (by their starts)
    halfway, starts = None, list[float]()
    while len(starts) < len(ids) // 2:
        page = await store.traces(TraceQuery(limit=500, before=halfway))
        starts += [summary["startedAt"] / 1000 for summary in page.traces]  # the API's ms
        halfway = page.next_cursor
    since, until = starts[-1] - (starts[0] - starts[-1]) / 5, starts[-1]
    one = ids[min(1234, len(ids) - 1)]

    def listing(**filters: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: store.traces(TraceQuery(limit=50, **filters))

    def answered(codes: str, **filters: Any) -> Callable[[], Awaitable[Any]]:
        from supervisor.tracing import parse_answered

        return listing(answered=parse_answered(codes), **filters)

    reads: dict[str, Callable[[], Awaitable[Any]]] = {
        "first page (50)": listing(),
        "page 21 (by cursor)": listing(before=cursor),
        "half way back (cursor)": listing(before=halfway),
        "time range (a tenth)": listing(since=since, until=until),
        "step=Audit (1 in 100)": listing(step="Audit"),
        "step=Nothing (none)": listing(step="Nothing"),
        "status=error": listing(status="error"),
        "status=running": listing(status="running"),
        "status=ok": listing(status="ok"),
        "status=error, page 21": listing(status="error", before=cursor),
        "traceId part (one)": listing(trace_id=one[-12:]),
        "traceId part (all)": listing(trace_id="-7000-8000-"),
        # a whole id: the row looked up by its key (the Workbench's Endpoints panel, each second)
        "traceId whole (one)": listing(trace_id=one),
        "traceId whole, revised": listing(trace_id=ids[min(1225, len(ids) - 1)]),
        "traceId whole, running": listing(trace_id=ids[min(997, len(ids) - 1)]),
        "text=audit (1 in 100)": listing(text="audit"),
        "text=nothing (none)": listing(text="nothing"),
        "text=GET /hello (all)": listing(text="GET /hello"),
        "text=whole id (one)": listing(text=one),
        "text=card declined (err)": listing(text="card declined"),
        "text=gateway timeout": listing(text="gateway timeout"),
        "trace(id), newest": lambda: store.trace(ids[-1]),
        "trace(id), oldest": lambda: store.trace(ids[0]),
    }
    if "answered" in TraceQuery.__dataclass_fields__:  # not in a baseline from before the filter
        reads.update(
            {
                "answered=4xx (1 in 100)": answered("4xx"),
                "answered=400 (1 in 1000)": answered("400"),
                "answered=4xx,5xx (1 in 17)": answered("4xx,5xx"),
                "answered=2xx (most)": answered("2xx"),
                "answered=4xx, page 21": answered("4xx", before=cursor),
            }
        )
    first: dict[str, float] = {}
    for name, read in reads.items():  # once each first: the file's pages in the cache for all alike
        first[name] = (await _time(read, 1))[0]
    timed = {name: await _time(read, tries) for name, read in reads.items()}
    if redis is None:
        return timed
    # a text filter's first run builds the texts of the traces it reads, which the next runs find kept
    timed.update({f"{name} [first run]": (ms, ms) for name, ms in first.items() if name.startswith("text=")})
    for name, read in reads.items():
        longest = await _longest_command(read, redis)
        spans = sorted([await longest() for _ in range(tries)])
        timed[f"{name} [script]"] = (spans[0], statistics.median(spans))
    return timed


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
    parser.add_argument("--redis", action="store_true", help="a RedisTraceStore instead (see above)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline is not None:
        forwarded = ["--traces", str(args.traces), "--batch", str(args.batch), "--tries", str(args.tries)]
        forwarded += ["--redis"] if args.redis else []
        _ab([*(root.resolve() for root in args.baseline), args.root.resolve()], args.rounds, forwarded)
        return
    sys.path.insert(0, str(args.root.resolve()))
    results = asyncio.run((_run_redis if args.redis else _run)(args.traces, args.batch, args.tries))
    if args.json:
        import json

        print(json.dumps(results))
        return
    for name, (fastest, median) in results.items():
        print(f"{name:>26}: min {fastest:7.2f}  median {median:7.2f} ms", flush=True)


if __name__ == "__main__":
    main()
