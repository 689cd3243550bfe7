"""The recorder keeps tracing off the request path: recording only buffers, the store is written in
batches by a task of its own, readers see everything recorded before they asked, and retention runs
as traces come in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from supervisor.logs import log_event
from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.storage import JsonObject
from supervisor.storage._migrations import apply_migrations
from supervisor.tracing import (
    Batch,
    LogPage,
    LogQuery,
    MemoryTraceStore,
    Pruned,
    Recorder,
    Retention,
    Span,
    SqliteTraceStore,
    TraceDelta,
    TracePage,
    TraceQuery,
    TraceWriter,
    _assembler,
    _recorder,
    _wire,
)
from supervisor.tracing._recorder import FLUSH_INTERVAL_S
from supervisor.tracing._schema import TRACE_MIGRATIONS
from tests.support.earlier_traces import write_earlier_traces

OK = InvokeResult(1, True, b"{}", None)


class CountingStore:
    """A memory store that counts the batches it was given."""

    def __init__(self) -> None:
        self.inner = MemoryTraceStore()
        self.batches: list[Batch] = []

    async def write(self, batch: Batch) -> None:
        self.batches.append(batch)
        await self.inner.write(batch)

    async def recover(self) -> int:
        return await self.inner.recover()

    async def traces(self, query: TraceQuery) -> TracePage:
        return await self.inner.traces(query)

    async def trace(self, trace_id: str) -> JsonObject | None:
        return await self.inner.trace(trace_id)

    async def logs(self, query: LogQuery) -> LogPage:
        return await self.inner.logs(query)

    async def prune(self, retention: Retention, now: float) -> Pruned:
        return await self.inner.prune(retention, now)

    async def close(self) -> None:
        pass


class CapturingExporter:
    """A span exporter (OpenTelemetry's place) that keeps what it is given."""

    def __init__(self) -> None:
        self.exported: list[tuple[Span, list[JsonObject]]] = []

    def export(self, spans: Any) -> None:
        self.exported.extend(spans)

    def shutdown(self) -> None:
        return None


def request(recorder: Recorder, trace_id: str) -> None:
    """What one trivial api request records: its span, started and ended, and its answer."""
    span = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, trace_id)
    recorder.end_span(span, OK)
    recorder.http_response(trace_id, "Hello", "GET", "/hello", 200)


async def test_requests_only_buffer_and_the_store_gets_them_in_one_batch_per_interval(tmp_path: Path) -> None:
    """A store in the supervisor (memory here; Redis) assembles each batch in this process: it gets
    batches of up to ``LOCAL_FLUSH_AT`` events, not the trace writer's small frames (``FLUSH_AT``)."""
    store = CountingStore()
    recorder = Recorder(store, Retention(10_000, 10_000, 3600), tmp_path)
    await recorder.start()
    count = 4 * _recorder.FLUSH_AT
    assert count < _recorder.LOCAL_FLUSH_AT
    for n in range(count):
        request(recorder, f"trace-{n}")
        if n % 100 == 99:
            await asyncio.sleep(0)  # the loop turns, as it does between requests
    assert store.batches == []  # nothing written while requests are served
    await asyncio.sleep(FLUSH_INTERVAL_S + 0.3)  # the flush interval passes
    assert len(store.batches) == 1
    assert len(store.batches[0].traces) == count and len(store.batches[0].spans) == count
    listed = (await recorder.traces(TraceQuery(limit=5000))).traces
    assert len(listed) == count
    assert all(t["status"] == "ok" and t["entry"]["statusCode"] == 200 for t in listed)
    await recorder.stop()


async def test_a_store_that_falls_behind_bounds_what_waits_and_what_is_dropped_is_counted_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One batch goes to the store at a time; while it is being written, new events wait in memory, at
    most ``MAX_BUFFERED`` of them. Past that, new ones are dropped, counted, and the count is logged as
    a warning once the store answers; what waited reaches the store then, none of it lost."""
    monkeypatch.setattr(_recorder, "MAX_BUFFERED", 30)
    store = CountingStore()
    entered, released = asyncio.Event(), asyncio.Event()
    write = store.write

    async def slow_write(batch: Batch) -> None:
        entered.set()
        await released.wait()
        await write(batch)

    store.write = slow_write  # type: ignore[method-assign]
    recorder = Recorder(store, Retention(10_000, 10_000, 3600), tmp_path)
    await recorder.start()
    for n in range(10):
        request(recorder, f"first-{n}")
    flushing = asyncio.create_task(recorder.flush())
    await asyncio.wait_for(entered.wait(), 5)  # the store is busy with the first 10
    for n in range(100):
        request(recorder, f"later-{n}")
    # 30 requests wait (one event each: the answer is folded into its span's start); each of the other
    # 70 loses its start, its end and its answer
    assert len(recorder._events) == 30
    with caplog.at_level(logging.WARNING, logger="motia.tracing"):
        released.set()
        await flushing
        await recorder.flush()
    assert "210 trace and log events dropped: the store could not keep up" in caplog.text
    listed = {t["traceId"] for t in (await recorder.traces(TraceQuery(limit=500))).traces}
    assert listed == {f"first-{n}" for n in range(10)} | {f"later-{n}" for n in range(30)}
    assert recorder.dropped == 0  # counted from zero again once logged
    await recorder.stop()


async def test_a_read_sees_what_was_recorded_before_it(tmp_path: Path) -> None:
    recorder = Recorder(CountingStore(), Retention(100, 100, 3600), tmp_path)
    await recorder.start()
    request(recorder, "just-now")
    trace = await recorder.trace("just-now")  # no wait for the flush interval
    assert trace is not None and trace["spans"][0]["statusCode"] == 200
    await recorder.stop()


async def test_retention_prunes_as_traces_come_in(tmp_path: Path) -> None:
    store = CountingStore()
    recorder = Recorder(store, Retention(max_traces=5, max_log_lines=100, max_age_s=3600), tmp_path)
    await recorder.start()
    for n in range(150):  # past the 100 new traces that make a prune due before its 10 s timer
        request(recorder, f"trace-{n:03d}")
    await recorder.flush()
    listed = (await store.inner.traces(TraceQuery(limit=500))).traces
    assert [t["traceId"] for t in listed] == [f"trace-{n:03d}" for n in range(149, 144, -1)]
    await recorder.stop()


async def test_a_busy_server_prunes_once_two_fifths_of_max_traces_came_and_keeps_no_more_beyond(
    tmp_path: Path,
) -> None:
    """Retention's promise (README: what ``maxTraces`` means): a prune comes once two fifths of
    ``maxTraces`` new traces came (not each fifth: at full speed, every commit of the trace writer),
    and until it comes at most that many are kept beyond ``maxTraces``."""
    store = CountingStore()
    recorder = Recorder(store, Retention(max_traces=1000, max_log_lines=100, max_age_s=3600), tmp_path)
    await recorder.start()
    kept: list[int] = []
    for flush in range(30):
        for n in range(100):
            request(recorder, f"trace-{flush:02d}-{n:02d}")
        await recorder.flush()
        kept.append(len((await store.inner.traces(TraceQuery(limit=5000))).traces))
    assert max(kept) == 1400  # 400 beyond, then the prune at the next 100
    assert kept[10:] == [1100, 1200, 1300, 1400, 1000] * 4
    await recorder.stop()


async def test_a_span_still_running_at_a_flush_is_written_again_when_it_ends(tmp_path: Path) -> None:
    recorder = Recorder(CountingStore(), Retention(100, 100, 3600), tmp_path)
    await recorder.start()
    span = recorder.start_span("Slow", "steps/slow_step.py", TriggerKind.API, "slow")
    running = await recorder.trace("slow")
    assert running is not None and running["status"] == "running"
    assert running["spans"][0]["status"] == "running" and running["spans"][0]["language"] == "python"
    recorder.end_span(span, OK)
    ended = await recorder.trace("slow")
    assert ended is not None and ended["status"] == "ok" and ended["spans"][0]["status"] == "ok"
    await recorder.stop()


async def test_sqlite_spans_written_whole_by_earlier_versions_read_back_alike(tmp_path: Path) -> None:
    """The SQLite store leaves a span's columns and nulls out of its blob; a database written before
    keeps whole spans in it, and both read back as the same JSON."""
    span = Span("t1", "s1", "Create", "api", "typescript", "steps/create.step.ts", 1_800_000_000.0)
    span.ended_at = 1_800_000_000.5
    span.status_code = 201
    span.status = "ok"
    whole = span.to_json()
    store = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        await store.write(Batch({"t1": TraceDelta(1_800_000_000.0, 1_800_000_000.5, spans=1)}, [span]))
        old = {**whole, "traceId": "t2"}
        await store.write(Batch({"t2": TraceDelta(1_800_000_001.0, 1_800_000_001.5, spans=1)}))
        with sqlite3.connect(store.path, isolation_level=None) as conn:
            conn.execute(
                "INSERT INTO trace_spans (trace_seq, span_id, step, language, started_at, status, data) "
                "VALUES ((SELECT seq FROM traces WHERE trace_id = 't2'), 's1', 'Create', 'typescript', "
                "1800000000.0, 'ok', ?)",
                (orjson.dumps(old),),
            )
        new_trace, old_trace = await store.trace("t1"), await store.trace("t2")
        assert new_trace is not None and old_trace is not None
        assert new_trace["spans"] == [whole] and old_trace["spans"] == [old]
        assert list(new_trace["spans"][0]) == list(whole)  # the fields in the API's order
    finally:
        await store.close()


@pytest.mark.parametrize("schema", [1, 2, 3])
async def test_a_traces_file_of_an_earlier_schema_keeps_its_traces(tmp_path: Path, schema: int) -> None:
    """Schema 2 keys spans and operations by a trace's number (its order of arrival) instead of its
    id; schema 3 drops the index of spans by step; schema 4 adds segments. A file written with schema 1
    (or written then and migrated to 2 or 3) is migrated on open and reads back as it did: spans,
    events, the step filter, the order of the listing, and a span left running is marked lost; a
    trace written after goes into a segment and is listed among them."""
    path = tmp_path / "traces.db"
    with sqlite3.connect(path, isolation_level=None) as conn:
        apply_migrations(conn, TRACE_MIGRATIONS[:1], str(path))
        write_earlier_traces(conn, logs=False)
        apply_migrations(conn, TRACE_MIGRATIONS[:schema], str(path))
    store = await SqliteTraceStore.open(path)
    try:
        assert await store.recover() >= 1_800_000_000
        trace = await store.trace("t-old")
        assert trace is not None
        assert [(span["spanId"], span["step"], span["status"]) for span in trace["spans"]] == [
            ("s0", "A", "ok"),
            ("s1", "A", "lost"),
        ]
        assert [event["topic"] for event in trace["events"]] == ["t"]
        listed = await store.traces(TraceQuery())
        assert [row["traceId"] for row in listed.traces] == ["t-new", "t-old"]
        by_step = await store.traces(TraceQuery(step="A"))
        assert [row["traceId"] for row in by_step.traces] == ["t-old"]
        assert by_step.traces[0]["steps"] == [{"name": "A", "language": "typescript"}]
        assert (await store.traces(TraceQuery(step="Z"))).traces == []

        between = Span("t-mid", "m1", "A", "api", "python", "steps/a_step.py", 1_800_000_050.0)
        between.ended_at, between.status = 1_800_000_050.1, "ok"
        delta = TraceDelta(1_800_000_050.0, 1_800_000_050.1, kind="api", name="A", spans=1)
        await store.write(Batch({"t-mid": delta}, [between]))
        listed = await store.traces(TraceQuery())
        assert [row["traceId"] for row in listed.traces] == ["t-new", "t-mid", "t-old"]
        by_step = await store.traces(TraceQuery(step="A", limit=1))
        assert [row["traceId"] for row in by_step.traces] == ["t-mid"]
        older = await store.traces(TraceQuery(step="A", limit=1, before=by_step.next_cursor))
        assert [row["traceId"] for row in older.traces] == ["t-old"] and older.next_cursor is None
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT trace_ids FROM segments").fetchall() == [("t-mid",)]
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(TRACE_MIGRATIONS)
    assert "trace_spans_by_step" not in indexes


def runner_line(ident: int, runner: str | None) -> JsonObject:
    return {
        "id": ident,
        "type": "log",
        "time": 1_800_000_000_000.0 + ident,
        "level": "info",
        "message": f"line {ident}",
        "step": None,
        "traceId": None,
        "spanId": None,
        "runner": runner,
        "logger": "motia.step",
        "meta": None,
    }


async def test_a_traces_file_of_schema_7_gets_the_runner_of_each_log_line_in_an_indexed_column(
    tmp_path: Path,
) -> None:
    """Schema 8 keeps a log line's runner in a column of its own, with an index: the lines of a file
    written before get theirs from their JSON as it is opened, and a runner filter finds old lines and
    new ones by the index (the core's lines, with no runner, stay out of it)."""
    path = tmp_path / "traces.db"
    earlier = [runner_line(1, "node-0"), runner_line(2, None), runner_line(3, "python-0")]
    earlier.append(runner_line(4, "node-spare-1"))
    with sqlite3.connect(path, isolation_level=None) as conn:
        apply_migrations(conn, TRACE_MIGRATIONS[:7], str(path))
        conn.executemany(
            "INSERT INTO logs (id, time, level, step, trace_id, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (line["id"], line["time"] / 1000, "info", None, None, line["message"], orjson.dumps(line))
                for line in earlier
            ],
        )
    store = await SqliteTraceStore.open(path)
    try:
        await store.write(Batch(logs=[runner_line(5, "node-1")]))
        for runner, shown in [
            ("node", ["line 5", "line 4", "line 1"]),
            ("node-spare", ["line 4"]),
            ("python-0", ["line 3"]),
            ("ruby", []),
        ]:
            page = await store.logs(LogQuery(runner=runner))
            assert [line["message"] for line in page.logs] == shown, runner
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, runner FROM logs ORDER BY id").fetchall() == [
            (1, "node-0"),
            (2, None),
            (3, "python-0"),
            (4, "node-spare-1"),
            (5, "node-1"),
        ]
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT data FROM logs WHERE runner = ? AND id < ? ORDER BY id DESC LIMIT 9",
            ("node-0", 5),
        ).fetchall()
        assert "USING INDEX logs_by_runner (runner=? AND id<?)" in " ".join(row[-1] for row in plan), plan


async def test_a_span_whose_trace_has_no_row_yet_gets_one_in_the_sqlite_store(tmp_path: Path) -> None:
    """Spans and operations are keyed by their trace's number: one whose trace is not in the batch
    (nor already stored) gets an empty trace row rather than failing the batch it is in."""
    span = Span("lone", "s1", "Late", "event", "python", "steps/late_step.py", 1_800_000_000.0)
    span.ended_at, span.status = 1_800_000_000.2, "ok"
    operation: JsonObject = {"id": 1, "type": "state", "traceId": "op-only", "time": 1_800_000_001_000.0}
    store = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        await store.write(Batch(spans=[span], operations=[operation]))
        lone, op_only = await store.trace("lone"), await store.trace("op-only")
        assert lone is not None and [s["spanId"] for s in lone["spans"]] == ["s1"]
        assert op_only is not None and [e["id"] for e in op_only["events"]] == [1]
    finally:
        await store.close()


async def test_a_span_with_every_field_set_reads_back_from_sqlite_as_recorded(tmp_path: Path) -> None:
    """The SQLite store writes a span's row from the ``Span`` itself (its columns, and a blob of the
    other fields that are not null), apart from ``Span.to_json``: every field must come back."""
    span = Span("t1", "s2", "Handle", "event", "python", "steps/handle_step.py", 1_800_000_000.0)
    span.parent_span_id, span.topic, span.attempt, span.delivery_id = "s1", "pet.created", 3, 42
    span.ran_on("python-1", 4321)
    span.ended_at, span.status, span.status_code = 1_800_000_000.25, "error", 500
    span.error = {"name": "Boom", "message": "failed", "stack": "at x", "location": None}
    assert None not in span.to_json().values()
    store = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        await store.write(Batch({"t1": TraceDelta(1_800_000_000.0, 1_800_000_000.25, spans=1)}, [span]))
        trace = await store.trace("t1")
        assert trace is not None and trace["spans"] == [span.to_json()]
    finally:
        await store.close()


async def test_the_trace_writer_process_assembles_what_the_recorder_sends(tmp_path: Path) -> None:
    """With the SQLite store in its writer process, the recorder sends events only: spans, trace
    summaries, the spans of log lines and retention are the writer's work."""
    writer = TraceWriter(tmp_path / "traces.db")
    recorder = Recorder(writer, Retention(max_traces=5, max_log_lines=100, max_age_s=3600), tmp_path)
    await recorder.start()
    try:
        span = recorder.start_span("Slow", "steps/slow_step.py", TriggerKind.API, "slow")
        span.ran_on("python-1", 4321)
        line = logging.LogRecord("motia.step", logging.INFO, __file__, 1, "working", None, None)
        line.step, line.trace_id = "Slow", "slow"
        recorder.log_record(line)
        running = await recorder.trace("slow")
        assert running is not None and running["status"] == "running"
        [started] = running["spans"]
        assert (started["status"], started["runner"], started["pid"]) == ("running", "python-1", 4321)
        assert [(e["message"], e["spanId"]) for e in running["events"]] == [("working", started["spanId"])]
        recorder.end_span(span, OK)
        recorder.http_response("slow", "Slow", "GET", "/slow", 503)
        ended = await recorder.trace("slow")
        assert ended is not None and ended["status"] == "error"
        assert ended["spans"][0]["status"] == "error" and ended["spans"][0]["statusCode"] == 503
        assert ended["entry"] == {
            "type": "api",
            "step": "Slow",
            "method": "GET",
            "path": "/slow",
            "statusCode": 503,
        }

        for n in range(150):  # past the 100 new traces that make a prune due before its 10 s timer
            request(recorder, f"trace-{n:03d}")
        await recorder.flush()
        listed = (await recorder.traces(TraceQuery(limit=500))).traces
        assert [t["traceId"] for t in listed] == [f"trace-{n:03d}" for n in range(149, 144, -1)]
    finally:
        await recorder.stop()
        await writer.close()


async def test_the_trace_writer_applies_frames_as_they_come_and_writes_them_in_larger_batches(
    tmp_path: Path,
) -> None:
    """The recorder sends small frames (``FLUSH_AT``), so as not to keep thousands of events until it
    sends them; the trace writer answers each as it comes, and applies them and writes what they
    changed once ``COMMIT_AT`` events came, ``COMMIT_AFTER_S`` after the first, or before a read: a
    segment holds the traces of several frames (one per frame when each was written as it came), and a
    read sees every trace recorded before it."""
    path = tmp_path / "traces.db"
    writer = TraceWriter(path)
    recorder = Recorder(writer, Retention(10_000, 10_000, 3600), tmp_path)

    def segments() -> list[int]:
        with contextlib.closing(sqlite3.connect(path)) as db:
            return [count for (count,) in db.execute("SELECT traces FROM segments ORDER BY seq")]

    await recorder.start()
    try:
        for n in range(400):
            request(recorder, f"first-{n:03d}")
            if n % 100 == 99:
                await recorder.flush()  # four frames, each answered
        for _ in range(100):  # written COMMIT_AFTER_S after the first frame came: one segment
            if segments():
                break
            await asyncio.sleep(0.05)
        assert segments() == [400]

        for n in range(400):
            request(recorder, f"second-{n:03d}")
            if n % 100 == 99:
                await recorder.flush()
        page = await recorder.traces(TraceQuery(limit=1000))  # the read writes what came before it
        assert len(page.traces) == 800
        assert segments() == [400, 400]
    finally:
        await recorder.stop()
        await writer.close()


async def test_a_frame_the_trace_writer_cannot_apply_is_logged_and_the_frames_around_it_are_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The trace writer answers a frame as it comes and applies it at its commit: one it cannot apply
    (here an operation naming no trace) reaches the supervisor's log, from the writer's stderr, with
    why; the traces of the frames sent before and after it are stored."""
    writer = TraceWriter(tmp_path / "traces.db")
    recorder = Recorder(writer, Retention(10_000, 10_000, 3600), tmp_path)
    await recorder.start()
    try:
        with caplog.at_level(logging.WARNING, logger="motia"):
            request(recorder, "before")
            await recorder.flush()
            recorder._record((_assembler.OPERATION, {"type": "state", "method": "state.set"}))
            await recorder.flush()
            request(recorder, "after")
            await recorder.flush()
            page = await recorder.traces(TraceQuery(limit=10))  # the read applies and writes them
            for _ in range(100):  # the writer's stderr is relayed as it comes
                if "could not apply" in caplog.text:
                    break
                await asyncio.sleep(0.05)
        assert sorted(trace["traceId"] for trace in page.traces) == ["after", "before"]
        assert "could not apply a frame of trace and log events" in caplog.text
        assert "KeyError: 'traceId'" in caplog.text  # why: what the operation lacked
    finally:
        await recorder.stop()
        await writer.close()


async def test_requests_a_frame_cut_in_flight_are_stored_whole_and_a_read_sees_them_running(
    tmp_path: Path,
) -> None:
    """A request in flight when a frame goes is sent cut (its START as far as it got; its END and
    RESPONSE later, as events of their own). The trace writer holds it back until the rest comes and
    stores it whole, in a segment, as a request within one frame is (``_rejoin``); a read meanwhile
    sees it running; a log line of it that comes first lets it go as it is, and finds its span."""
    path = tmp_path / "traces.db"
    writer = TraceWriter(path)
    recorder = Recorder(writer, Retention(10_000, 10_000, 3600), tmp_path)

    def stored() -> tuple[int, list[list[str]]]:
        """Trace rows, and each segment's traces: ``whole`` a request kept as the one event it came as
        (its summary is that event: ``_segments``), ``assembled`` one made a span and a summary of."""
        with contextlib.closing(sqlite3.connect(path)) as db:
            rows = db.execute("SELECT count(*) FROM traces").fetchone()[0]
            kept = [
                orjson.loads(blob) for (blob,) in db.execute("SELECT summaries FROM segments ORDER BY seq")
            ]
        return rows, [["whole" if summary[0] == 0 else "assembled" for summary in held] for held in kept]

    await recorder.start()
    try:
        in_flight = [
            recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, f"cut-{n}") for n in range(3)
        ]
        in_flight[0].ran_on("node-1", 11)
        recorder.end_span(in_flight[1], OK)  # ended, not answered yet
        await recorder.flush()  # the frame goes with the three cut
        for n, span in enumerate(in_flight):
            if n != 1:
                recorder.end_span(span, OK)
            recorder.http_response(f"cut-{n}", "Hello", "GET", "/hello", 200 + n)
        request(recorder, "whole")
        await recorder.flush()
        assert (await recorder.traces(TraceQuery(limit=10))).traces  # a read: what came is written
        assert stored() == (0, [["whole"] * 4])  # in one segment, each kept as one event
        for n in range(3):
            trace = await recorder.trace(f"cut-{n}")
            assert trace is not None
            [span] = trace["spans"]
            assert (trace["status"], span["statusCode"]) == ("ok", 200 + n)
        first = await recorder.trace("cut-0")
        assert first is not None and first["spans"][0]["runner"] == "node-1"

        running = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "running")
        await recorder.flush()
        seen = await recorder.trace("running")  # the read lets it go: seen running
        assert seen is not None and seen["status"] == "running"
        logged = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "logged")
        await recorder.flush()
        log(recorder, "logged", "Hello", "working")  # comes before its end: it is let go as it is
        for span, trace_id in ((running, "running"), (logged, "logged")):
            recorder.end_span(span, OK)
            recorder.http_response(trace_id, "Hello", "GET", "/hello", 200)
        trace = await recorder.trace("logged")
        assert trace is not None and trace["status"] == "ok"
        assert [(line["message"], line["spanId"]) for line in trace["events"]] == [
            ("working", logged.span_id)
        ]
        done = await recorder.trace("running")
        assert done is not None and done["status"] == "ok"
    finally:
        await recorder.stop()
        await writer.close()


def log(recorder: Recorder, trace_id: str, step: str, message: str) -> None:
    line = logging.LogRecord("motia.step", logging.INFO, __file__, 1, message, None, None)
    line.step, line.trace_id = step, trace_id
    recorder.log_record(line)


@pytest.mark.parametrize("sink", ["memory", "writer"])
async def test_a_followed_log_line_has_the_span_id_of_its_stored_copy(tmp_path: Path, sink: str) -> None:
    """Live lines go out as they are recorded, before spans are assembled (in the trace writer process
    for SQLite): they still name the span the stored line does, whether it began before the follower
    came (sent to the sink, or still buffered, running or answered: then kept encoded for the trace
    writer) or after, and when its step has run again since."""
    writer = TraceWriter(tmp_path / "traces.db") if sink == "writer" else None
    recorder = Recorder(writer or MemoryTraceStore(), Retention(100, 100, 3600), tmp_path)
    await recorder.start()
    try:
        recorder.start_span("Sent", "steps/sent.step.ts", TriggerKind.API, "t-sent")
        recorder.start_span("Again", "steps/again_step.py", TriggerKind.API, "t-again")
        await recorder.flush()
        recorder.start_span("Buffered", "steps/buffered.step.js", TriggerKind.API, "t-buffered")
        answered = recorder.start_span("Answered", "steps/answered_step.py", TriggerKind.API, "t-answered")
        recorder.end_span(answered, OK)
        recorder.http_response("t-answered", "Answered", "GET", "/answered", 200)
        follower = recorder.follow(LogQuery())
        log(recorder, "t-sent", "Sent", "under a span the sink has")
        log(recorder, "t-buffered", "Buffered", "under a span still buffered")
        log(recorder, "t-answered", "Answered", "under a span answered, still buffered")
        log(recorder, "t-again", "Again", "under the first run")
        recorder.start_span("Again", "steps/again_step.py", TriggerKind.EVENT, "t-again")
        log(recorder, "t-again", "Again", "under the second run")
        recorder.start_span("After", "steps/after.step.ts", TriggerKind.API, "t-after")
        log(recorder, "t-after", "After", "under a span begun while followed")
        log(recorder, "t-none", "Nowhere", "under no span")

        # as a follower sends them, then (the memory sink's assembler fills in the lines it is given
        # when they are flushed: those the follower holds are the same objects)
        followed: list[JsonObject] = []
        while len(followed) < 7:
            taken = await follower.take(10)
            assert taken, followed
            followed += [dict(line) for line in taken]
        log(recorder, "t-sent", "Sent", "later, under a span the sink has")  # the map is complete now
        log(recorder, "t-after", "After", "later, under a span begun while followed")
        followed += [dict(line) for line in await follower.take(10)]
        assert len(followed) == 9
        stored = {line["id"]: line for line in (await recorder.logs(LogQuery())).logs}
        assert [(line["message"], line["spanId"]) for line in followed] == [
            (line["message"], stored[line["id"]]["spanId"]) for line in followed
        ]
        assert [line["spanId"] is not None for line in followed] == [True] * 6 + [False] + [True] * 2
        assert followed[2]["spanId"] == answered.span_id
        assert followed[3]["spanId"] != followed[4]["spanId"]  # Again's first run, then its second
        recorder.unfollow(follower)
    finally:
        await recorder.stop()
        if writer is not None:
            await writer.close()


@pytest.mark.parametrize("sink", ["memory", "writer"])
async def test_a_span_reads_back_alike_whether_its_start_was_sent_before_its_end_or_with_it(
    tmp_path: Path, sink: str
) -> None:
    """What follows a span's start in the same batch (its runner, end and answer) is folded into its
    start event; after a flush they go as events of their own. Both read back the same, a followed line
    under either names its span, and a span flushed while it runs is seen running."""
    writer = TraceWriter(tmp_path / "traces.db") if sink == "writer" else None
    recorder = Recorder(writer or MemoryTraceStore(), Retention(100, 100, 3600), tmp_path)
    await recorder.start()
    try:
        follower = recorder.follow(LogQuery())
        failed = InvokeResult(1, False, b"", None)
        # one batch: start, runner, a log line, end and answer of each
        for trace_id, result, status in [
            ("t-one", OK, 200),
            ("t-one-5xx", OK, 503),
            ("t-one-err", failed, 500),
        ]:
            span = recorder.start_span("Hello", "steps/hello_step.py", TriggerKind.API, trace_id)
            span.ran_on("python-1", 4321)
            log(recorder, trace_id, "Hello", f"in {trace_id}")
            recorder.end_span(span, result)
            recorder.http_response(trace_id, "Hello", "GET", "/hello", status)
        assert len(recorder._events) == 6  # a start (with the rest folded in) and a log line each

        # start sent before its runner, end and answer are known
        split = recorder.start_span("Hello", "steps/hello_step.py", TriggerKind.API, "t-split")
        await recorder.flush()
        running = await recorder.trace("t-split")
        assert running is not None and running["status"] == "running"
        assert (running["spans"][0]["status"], running["spans"][0]["runner"]) == ("running", None)
        split.ran_on("python-1", 4321)
        log(recorder, "t-split", "Hello", "in t-split")
        recorder.end_span(split, OK)
        recorder.http_response("t-split", "Hello", "GET", "/hello", 200)
        # ended before a flush, answered after it
        late = recorder.start_span("Hello", "steps/hello_step.py", TriggerKind.API, "t-late")
        recorder.end_span(late, OK)
        await recorder.flush()
        recorder.http_response("t-late", "Hello", "GET", "/hello", 201)

        expected = {
            "t-one": ("ok", "ok", 200, None),
            "t-one-5xx": ("error", "error", 503, "HTTP 503"),
            "t-one-err": ("error", "error", 500, "Error"),
            "t-split": ("ok", "ok", 200, None),
        }
        for trace_id, (trace_status, span_status, code, error) in expected.items():
            trace = await recorder.trace(trace_id)
            assert trace is not None, trace_id
            [span_json] = trace["spans"]
            assert (trace["status"], span_json["status"], span_json["statusCode"]) == (
                trace_status,
                span_status,
                code,
            ), trace_id
            assert (span_json["error"] or {}).get("name") == error, trace_id
            assert (span_json["runner"], span_json["pid"]) == ("python-1", 4321), trace_id
            assert span_json["endedAt"] >= span_json["startedAt"] and span_json["durationMs"] >= 0
            assert trace["entry"] == {
                "type": "api",
                "step": "Hello",
                "method": "GET",
                "path": "/hello",
                "statusCode": code,
            }
            assert [e["spanId"] for e in trace["events"]] == [span_json["spanId"]], trace_id
        late_trace = await recorder.trace("t-late")
        assert late_trace is not None and late_trace["status"] == "ok"
        assert late_trace["entry"]["statusCode"] == 201 and late_trace["spans"][0]["status"] == "ok"

        followed: list[JsonObject] = []
        while len(followed) < 4:
            taken = await follower.take(10)
            assert taken, followed
            followed += [dict(line) for line in taken]
        stored = {line["id"]: line for line in (await recorder.logs(LogQuery())).logs}
        assert [(line["message"], line["spanId"]) for line in followed] == [
            (line["message"], stored[line["id"]]["spanId"]) for line in followed
        ]
        assert all(line["spanId"] is not None for line in followed)
        recorder.unfollow(follower)
    finally:
        await recorder.stop()
        if writer is not None:
            await writer.close()


def test_a_record_frame_of_encoded_and_plain_events_is_the_frame_of_the_plain_events() -> None:
    """The recorder keeps some events encoded while they wait (answered STARTs); the frame the trace
    writer gets holds the same JSON as if none were, odd values included (``default=str``), and the
    writer cuts each event's own JSON out of it (``events_json``: what a segment keeps of a whole
    trace); of a frame made otherwise, none."""

    class Odd:
        def __str__(self) -> str:
            return "odd"

    plain: list[Any] = [
        ["S", "00000000000000aa", "t" * 32, "Hello", "steps/a.ts", "api", None, None, False, None, 1, 1.5],
        ("L", {"id": 7, "message": 'é \u2028 "quoted"', "meta": {"x": Odd()}}),
        ("E", "00000000000000aa", 2.25, "ok", None),
        [],
    ]
    encoded: list[Any] = [plain[0], _wire.encode_event(list(plain[1])), plain[2], _wire.encode_event([])]
    all_encoded = [_wire.encode_event(list(event)) for event in plain]
    as_json = orjson.loads(orjson.dumps(plain, default=str))
    for events, expected in (
        (plain, as_json),
        (encoded, as_json),
        (all_encoded, as_json),
        ([], []),
        ([plain[0]], as_json[:1]),
        ([all_encoded[1]], as_json[1:2]),
    ):
        sent = list(events)
        data = _wire.record_request(3, events)
        assert events == sent  # framed, not changed
        payload = data[_wire.HEADER.size :]
        assert _wire.HEADER.unpack(data[: _wire.HEADER.size]) == (len(payload),)
        assert _wire.decode(payload) == _wire.decode(
            _wire.request(3, "record", expected)[_wire.HEADER.size :]
        )
        encoded_each = [orjson.dumps(event) for event in expected]
        assert _wire.events_json(payload, len(events)) == (encoded_each or None)
        if len(events) == 1:  # a frame of one event is the same made either way
            assert data == _wire.request(3, "record", expected)
        else:
            made_otherwise = _wire.request(3, "record", expected)[_wire.HEADER.size :]
            assert _wire.events_json(made_otherwise, len(events)) is None


@pytest.mark.parametrize("first", ["Hello", "Other"])
async def test_api_spans_of_one_trace_waiting_for_their_answers_each_get_their_own(
    tmp_path: Path, first: str
) -> None:
    """Two api requests of one trace (an incoming ``traceparent`` names it) whose spans ended before
    either was answered: each answer is folded into its own step's span, whichever comes first, and a
    step's answer goes to its newest span (an older one waits no more: a second answer of that step
    goes as an event of its own, applied to the newest). What is sent of a span not answered yet is
    its START with its END's fields, no more."""
    recorder = Recorder(MemoryTraceStore(), Retention(100, 100, 3600), tmp_path)
    sent: list[Any] = []
    record = recorder._sink.record

    async def sending(events: list[Any]) -> None:
        sent.extend(events)
        await record(events)

    recorder._sink.record = sending  # type: ignore[method-assign]
    await recorder.start()
    try:
        spans = {}
        for step in ("Hello", "Other"):
            spans[step] = recorder.start_span(step, f"steps/{step}.ts", TriggerKind.API, "t-shared")
            recorder.end_span(spans[step], OK)
        codes = {"Hello": 200, "Other": 201}
        for step in (first, "Other" if first == "Hello" else "Hello"):
            recorder.http_response("t-shared", step, "GET", f"/{step}", codes[step])
        trace = await recorder.trace("t-shared")
        assert [tuple(event[17:20]) for event in sent] == [("GET", "/Hello", 200), ("GET", "/Other", 201)]
        assert trace is not None
        assert {span["step"]: span["statusCode"] for span in trace["spans"]} == codes

        # Hello waits under the trace id, the older Other under (trace id, step); a newer Other then
        # waits under the trace id: the older no more
        older = recorder.start_span("Hello", "steps/Hello.ts", TriggerKind.API, "t-again")
        recorder.end_span(older, OK)
        other = recorder.start_span("Other", "steps/Other.ts", TriggerKind.API, "t-again")
        recorder.end_span(other, OK)
        recorder.http_response("t-again", "Hello", "GET", "/Hello", 200)
        newer = recorder.start_span("Other", "steps/Other.ts", TriggerKind.API, "t-again")
        recorder.end_span(newer, OK)
        recorder.http_response("t-again", "Other", "GET", "/Other", 201)
        recorder.http_response("t-again", "Other", "GET", "/Other", 202)
        await recorder.flush()
        events = sent[2:]
        assert [(event[1], tuple(event[17:20])) for event in events[:3]] == [
            (older.span_id, ("GET", "/Hello", 200)),
            (other.span_id, ()),
            (newer.span_id, ("GET", "/Other", 201)),
        ]
        assert events[3][:6] == (_assembler.RESPONSE, "t-again", "Other", "GET", "/Other", 202)

        # the same step twice, both waiting: its answer goes to the newer
        twice = [recorder.start_span("Hello", "steps/Hello.ts", TriggerKind.API, "t-twice") for _ in "12"]
        for span in twice:
            recorder.end_span(span, OK)
        recorder.http_response("t-twice", "Hello", "GET", "/Hello", 200)
        await recorder.flush()
        assert [(event[1], tuple(event[17:20])) for event in sent[-2:]] == [
            (twice[0].span_id, ()),
            (twice[1].span_id, ("GET", "/Hello", 200)),
        ]

        # and with another step's span between them
        mixed = [
            recorder.start_span(step, f"steps/{step}.ts", TriggerKind.API, "t-mixed")
            for step in ("Hello", "Other", "Hello")
        ]
        for span in mixed:
            recorder.end_span(span, OK)
        recorder.http_response("t-mixed", "Other", "GET", "/Other", 201)
        recorder.http_response("t-mixed", "Hello", "GET", "/Hello", 200)
        recorder.http_response("t-mixed", "Hello", "GET", "/Hello", 202)
        await recorder.flush()
        assert [(event[1], tuple(event[17:20])) for event in sent[-4:-1]] == [
            (mixed[0].span_id, ()),
            (mixed[1].span_id, ("GET", "/Other", 201)),
            (mixed[2].span_id, ("GET", "/Hello", 200)),
        ]
        assert sent[-1][:6] == (_assembler.RESPONSE, "t-mixed", "Hello", "GET", "/Hello", 202)
    finally:
        await recorder.stop()


async def test_critical_lines_are_a_level_of_their_own_stored_and_live(tmp_path: Path) -> None:
    """``level=critical`` (or its other name, fatal) shows the critical and fatal lines alone, read
    back or followed live; ``level=error`` shows them with the errors."""
    recorder = Recorder(MemoryTraceStore(), Retention(100, 100, 3600), tmp_path)
    await recorder.start()
    try:
        levels = ("error", "critical", "fatal")
        followers = {level: recorder.follow(LogQuery(level=level)) for level in levels}
        logger = logging.getLogger("motia.test.critical")
        for level, message in [
            ("warn", "slow"),
            ("error", "failed"),
            ("fatal", "gave up"),
            ("critical", "disk full"),
        ]:
            log_event(logger, level, message, step="Create")
        severe = [("critical", "gave up"), ("critical", "disk full")]
        for level, shown in [
            ("error", [("error", "failed"), *severe]),
            ("critical", severe),
            ("fatal", severe),
        ]:
            stored = (await recorder.logs(LogQuery(level=level))).logs
            assert [(line["level"], line["message"]) for line in reversed(stored)] == shown, level
            followed = await followers[level].take(5)
            assert [(line["level"], line["message"]) for line in followed] == shown, level
    finally:
        await recorder.stop()


@pytest.mark.parametrize("encoding", [False, True])
async def test_api_spans_not_answered_at_a_flush_are_sent_as_far_as_they_got(
    tmp_path: Path, encoding: bool
) -> None:
    """An api span's START is made with room for its end and answer, written in place; a flush sends
    those not answered yet as far as they got (a running one as a START, one that ended or raised with
    its END's fields), between answered requests and event spans, whether or not answered STARTs wait
    encoded; what comes after the flush goes as events of their own, and every trace reads back."""
    recorder = Recorder(MemoryTraceStore(), Retention(100, 100, 3600), tmp_path)
    recorder._encoding = encoding  # as with the trace writer process (``Recorder._encoding``)
    sent: list[Any] = []
    record = recorder._sink.record

    async def sending(events: list[Any]) -> None:
        sent.extend(orjson.loads(event) if type(event) is bytes else list(event) for event in events)
        await record([orjson.loads(event) if type(event) is bytes else event for event in events])

    recorder._sink.record = sending  # type: ignore[method-assign]
    await recorder.start()
    try:
        running = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-running")
        running.ran_on("node-1", 11)
        request(recorder, "t-answered")
        ended = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-ended")
        recorder.end_span(ended, OK)
        delivery = recorder.start_span(
            "Audit", "steps/audit.step.ts", TriggerKind.EVENT, "t-answered", "seen"
        )
        raised = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-raised")
        recorder.end_span(raised, error=RuntimeError("runner gone"))
        recorder.end_span(delivery, OK)
        await recorder.flush()
        assert [(event[2], len(event)) for event in sent] == [
            ("t-running", 14),
            ("t-answered", 21),
            ("t-ended", 17),
            ("t-answered", 17),
            ("t-raised", 17),
        ]
        assert sent[0][12:] == ["node-1", 11]
        assert sent[4][14:][1:] == [
            "error",
            {"name": "RuntimeError", "message": "runner gone", "stack": "", "location": None},
        ]
        assert (await recorder.trace("t-running") or {}).get("status") == "running"

        recorder.end_span(running, OK)
        for trace_id, answered in [("t-running", 200), ("t-ended", 201), ("t-raised", 503)]:
            recorder.http_response(trace_id, "Hello", "GET", "/hello", answered)
        again = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-again")
        await recorder.flush()
        assert [event[:2] for event in sent[5:]] == [
            [_assembler.END, running.span_id],
            [_assembler.RESPONSE, "t-running"],
            [_assembler.RESPONSE, "t-ended"],
            [_assembler.RESPONSE, "t-raised"],
            [_assembler.START, again.span_id],
        ]
        assert len(sent[-1]) == 14
        expected: dict[str, tuple[str, int | None]] = {
            "t-running": ("ok", 200),
            "t-answered": ("ok", 200),
            "t-ended": ("ok", 201),
            "t-raised": ("error", 503),
            "t-again": ("running", None),
        }
        for trace_id, (status, code) in expected.items():
            trace = await recorder.trace(trace_id)
            assert trace is not None, trace_id
            assert (trace["status"], (trace["entry"] or {}).get("statusCode")) == (status, code), trace_id
        recorder.end_span(again, OK)
        recorder.http_response("t-again", "Hello", "GET", "/hello", 200)
    finally:
        await recorder.stop()


async def test_a_flush_due_to_its_size_sends_the_requests_done_before_the_first_in_flight_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    """A flush due to ``FLUSH_AT`` events sends those before the first request still in flight and
    keeps that one and what follows it in the batch: the request goes whole when it is answered, not
    cut at the flush (a cut one the trace writer assembles as spans: bench/RESULTS.md, session 21);
    a read sends everything, and every trace reads back."""
    recorder = Recorder(MemoryTraceStore(), Retention(1000, 1000, 3600), tmp_path)
    recorder._encoding = True  # as with the trace writer process (``Recorder._encoding``)
    recorder._flush_len = _recorder.FLUSH_AT  # (what the recorder of a trace writer starts with)
    batches: list[list[Any]] = []
    record = recorder._sink.record

    async def sending(events: list[Any]) -> None:
        decoded = [orjson.loads(event) if type(event) is bytes else event for event in events]
        batches.append(decoded)
        await record(decoded)

    recorder._sink.record = sending  # type: ignore[method-assign]
    await recorder.start()
    try:
        for n in range(200):
            request(recorder, f"before-{n}")
        flight = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "in-flight")
        after = _recorder.FLUSH_AT - 201
        for n in range(after):  # the batch reaches FLUSH_AT: a flush is due
            request(recorder, f"after-{n}")
        for _ in range(100):
            if batches:
                break
            await asyncio.sleep(0.01)
        [first] = batches
        assert [event[2] for event in first] == [f"before-{n}" for n in range(200)]
        assert {len(event) for event in first} == {21}  # each request whole
        recorder.end_span(flight, OK)
        recorder.http_response("in-flight", "Hello", "GET", "/hello", 200)
        await recorder.flush()
        second = batches[1]
        assert [(event[2], len(event)) for event in second] == [("in-flight", 21)] + [
            (f"after-{n}", 21) for n in range(after)
        ]
        for trace_id in ("before-0", "in-flight", f"after-{after - 1}"):
            trace = await recorder.trace(trace_id)
            assert trace is not None and trace["status"] == "ok", trace_id
    finally:
        await recorder.stop()


async def test_api_spans_past_the_buffer_bound_are_dropped_whole_and_the_rest_are_cut_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An api span whose START finds the buffer full is dropped with what follows of it (its end and
    answer are dropped as events of their own, never written into another span's START); the spans
    that did get in are sent as far as they got."""
    monkeypatch.setattr(_recorder, "MAX_BUFFERED", 3)
    recorder = Recorder(MemoryTraceStore(), Retention(100, 100, 3600), tmp_path)
    sent: list[Any] = []
    record = recorder._sink.record

    async def sending(events: list[Any]) -> None:
        sent.extend(list(event) for event in events)
        await record(events)

    recorder._sink.record = sending  # type: ignore[method-assign]
    await recorder.start()
    try:
        spans = [
            recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, f"t-{n}") for n in range(5)
        ]
        assert [span.start is not None for span in spans] == [True, True, True, False, False]
        for n in (4, 3, 1):
            recorder.end_span(spans[n], OK)
            recorder.http_response(f"t-{n}", "Hello", "GET", "/hello", 200)
        assert recorder.dropped == 6  # each dropped span's end and answer
        await recorder.flush()
        assert [(event[2], len(event)) for event in sent] == [("t-0", 14), ("t-1", 21), ("t-2", 14)]
        listed = {t["traceId"]: t["status"] for t in (await recorder.traces(TraceQuery(limit=10))).traces}
        assert listed == {"t-0": "running", "t-1": "ok", "t-2": "running"}
    finally:
        await recorder.stop()


async def test_exported_api_spans_carry_their_answer_whether_answered_in_their_start_or_after_a_flush(
    tmp_path: Path,
) -> None:
    """With an exporter (OpenTelemetry: the events are assembled beside the recorder, not encoded), an
    api span answered before the flush is exported from its one event, and one that ran across a flush
    is exported once it ended, with its answer; a request refused before its step ran (the recorder's
    calls of ``Runtime.record_rejection``) is a span of its own with its log line under it."""
    exporter = CapturingExporter()
    exported = exporter.exported
    recorder = Recorder(None, Retention(100, 100, 3600), tmp_path, exporter=exporter)
    await recorder.start()
    try:
        request(recorder, "t-whole")
        refused = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-refused")
        log(recorder, "t-refused", "Hello", "answered 400 before step Hello ran")
        recorder.end_span(refused, InvokeResult(0, True, b"", None))
        recorder.http_response("t-refused", "Hello", "POST", "/hello", 400)
        across = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-across")
        across.ran_on("node-1", 7)
        await recorder.flush()
        assert [span.trace_id for span, _ in exported] == ["t-whole", "t-refused"]
        recorder.end_span(across, InvokeResult(1, False, b"", None))
        recorder.http_response("t-across", "Hello", "GET", "/hello", 500)
        await recorder.flush()
        spans = {span.trace_id: (span, under) for span, under in exported}
        assert [span.trace_id for span, _ in exported] == ["t-whole", "t-refused", "t-across"]
        assert [(spans[t][0].status, spans[t][0].status_code) for t in spans] == [
            ("ok", 200),
            ("ok", 400),
            ("error", 500),
        ]
        assert [line["message"] for line in spans["t-refused"][1]] == ["answered 400 before step Hello ran"]
        assert (spans["t-across"][0].runner, spans["t-across"][0].pid) == ("node-1", 7)
        assert all(span.ended_at is not None for span, _ in exported)
    finally:
        await recorder.stop()


async def test_an_exported_api_span_answered_flushes_after_its_end_is_exported_once_with_its_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An api span that ended unanswered at a flush is held (an exported span is not changed after)
    until a flush its answer comes in, however many flushes later, while the requests answered in time
    go at their own flush; one never answered goes as it is once it waited ``ANSWER_WAIT_S``, or when
    the recorder stops, and a lost one (its request cancelled: its client went away, nothing answers
    it) at once; an answer that comes after it went goes to the store only, never a second export."""
    exporter = CapturingExporter()
    exported = exporter.exported
    recorder = Recorder(None, Retention(100, 100, 3600), tmp_path, exporter=exporter)
    await recorder.start()

    def traces() -> list[tuple[str, str, int | None]]:
        return [(span.trace_id, span.status, span.status_code) for span, _ in exported]

    try:
        late = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-late")
        log(recorder, "t-late", "Hello", "in t-late")
        recorder.end_span(late, OK)
        gone = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-gone")
        recorder.end_span(gone, error=asyncio.CancelledError())
        await recorder.flush()
        assert traces() == [("t-gone", "lost", None)]
        for n in range(2):  # two more flushes, each with a request answered in time
            request(recorder, f"t-{n}")
            await recorder.flush()
        assert traces()[1:] == [("t-0", "ok", 200), ("t-1", "ok", 200)]
        recorder.http_response("t-late", "Hello", "GET", "/hello", 503)
        await recorder.flush()
        assert traces()[3:] == [("t-late", "error", 503)]
        assert [line["message"] for line in exported[3][1]] == ["in t-late"]
        monkeypatch.setattr(_assembler, "ANSWER_WAIT_S", 0.0)
        never = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-never")
        recorder.end_span(never, OK)
        await recorder.flush()  # held at this flush, let go at the next: it waited long enough
        request(recorder, "t-2")
        await recorder.flush()
        assert traces()[4:] == [("t-2", "ok", 200), ("t-never", "ok", None)]
        for trace_id in ("t-never", "t-gone", "t-late"):
            recorder.http_response(trace_id, "Hello", "GET", "/hello", 200)
        await recorder.flush()
        assert len(exported) == 6
        last = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, "t-last")
        recorder.end_span(last, OK)
        await recorder.flush()
        assert len(exported) == 6
    finally:
        await recorder.stop()
    assert [(span.trace_id, span.status_code) for span, _ in exported[6:]] == [("t-last", None)]
