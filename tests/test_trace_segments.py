"""The SQLite trace store's segments (supervisor/tracing/_segments.py): the traces a batch finished kept
as one row, what comes later for them and traces still running kept as rows. Reads must not tell the
difference: the same batches written to the memory store (the contract's plainest reading) and to
SQLite list, page, filter, read one by one and prune alike."""

from __future__ import annotations

import asyncio
import copy
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from supervisor.storage import JsonObject
from supervisor.tracing import (
    Batch,
    MemoryTraceStore,
    Retention,
    Span,
    SqliteTraceStore,
    TraceDelta,
    TraceQuery,
    TraceStore,
    TraceWriter,
    _assembler,
    _segments,
    _wire,
    parse_answered,
)
from supervisor.tracing._assembler import END, LOG, OPERATION, RESPONSE, START, Assembler
from supervisor.tracing._decoded import SegmentCache
from supervisor.tracing._pipeline import TracePipeline
from tests.test_trace_store_contract import api_trace, log_line, operation, whole_id

T0 = 1_800_000_000.0
STEPS = ("Create", "Notify", "Audit")


@pytest.fixture(autouse=True)
def small_segments(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A few traces per segment: every listing crosses segments, and rows between them."""
    monkeypatch.setattr(_segments, "SEGMENT_SIZE", 4)
    yield


class Story:
    """Batches of traces of every shape, in a seeded random order: whole in one batch (one or two
    spans, some failed), a span running at one cut and ended at a later one, and whole traces that
    later get a log line's touch, an operation, or a replayed delivery with a span of its own."""

    def __init__(self, seed: int, traces: int = 60, batches: int = 8) -> None:
        self.rng = random.Random(seed)
        self.batches: list[Batch] = [Batch() for _ in range(batches)]
        self.ids: list[str] = []
        for n in range(traces):
            self._trace(n)

    def _trace(self, n: int) -> None:
        rng = self.rng
        # a random id part in the middle: an order by id that is not the order of start
        trace_id = f"{rng.randrange(16**6):06x}-t{n:03d}"
        self.ids.append(trace_id)
        start = T0 + rng.randrange(200) / 2  # ties of start too
        step = rng.choice(STEPS)
        first = rng.randrange(len(self.batches) - 1)
        shape = rng.choice(("whole", "whole", "two", "running", "revised", "replayed"))
        root = self._span(trace_id, f"{n:04d}r", step, "api", start)
        delta = TraceDelta(start, start, kind="api", name=step, method="GET", path="/x", open=1, spans=1)
        batch = self.batches[first]
        batch.traces[trace_id] = delta
        later = self.batches[rng.randrange(first + 1, len(self.batches))]
        if shape == "running":
            batch.spans.append(self._span(trace_id, root.span_id, step, "api", start, ended=False))
            ended = TraceDelta(start + 0.5, start + 0.5, status_code=(200, 404)[n % 2], open=-1)
            later.traces[trace_id] = ended
            later.spans.append(root)
            return
        delta.open = 0
        delta.status_code = (201, 404, 400, 201, 500)[n % 5]
        delta.touch(start + 0.01)
        if rng.random() < 0.2:
            root.status = "error"
            root.error = {"name": "Error", "message": f"Pet {n} NOT found", "stack": "", "location": None}
            if n % 2:  # with its innermost cause (``ErrorInfo.cause``)
                root.error["cause"] = "Error: getaddrinfo ENOTFOUND db"
            delta.failures = 1
        batch.spans.append(root)
        if shape == "two":
            child = self._span(trace_id, f"{n:04d}c", rng.choice(STEPS), "event", start + 0.005)
            batch.spans.append(child)
            delta.spans += 1
            batch.operations.append(operation(trace_id, root.span_id, step, start + 0.002))
        elif shape == "revised":
            later.traces[trace_id] = TraceDelta(start + 3, start + 3)
            later.operations.append(operation(trace_id, root.span_id, step, start + 3))
        elif shape == "replayed":
            # dead-lettered within the first batch, replayed later: open again, then done
            delta.failures += 1
            retry = self._span(trace_id, f"{n:04d}x", "Retry", "event", start + 5)
            if n % 2:  # failed again (its message only in the revision)
                retry.status = "error"
                retry.error = {"name": "Error", "message": "gave up again", "stack": "", "location": None}
            later.traces[trace_id] = TraceDelta(start + 5, start + 5.5, failures=-1, spans=1)
            later.spans.append(retry)

    def _span(
        self, trace_id: str, span_id: str, step: str, kind: Any, start: float, *, ended: bool = True
    ) -> Span:
        language = "typescript" if step == "Create" else "python"
        span = Span(trace_id, f"{span_id:0>16}", step, kind, language, f"steps/{step}.step.ts", start)
        if ended:
            span.ended_at, span.status = start + 0.01, "ok"
        return span


async def _write(story: Story, *stores: TraceStore, upto: int | None = None) -> None:
    for batch in story.batches[:upto]:
        for store in stores:
            await store.write(batch)


async def _pages(store: TraceStore, **filters: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    before = None
    while True:
        page = await store.traces(TraceQuery(limit=5, before=before, **filters))
        pages.append([trace["traceId"] for trace in page.traces])
        if page.next_cursor is None:
            return pages
        before = page.next_cursor


QUERIES: list[dict[str, Any]] = [
    {},
    {"step": "Notify"},
    {"step": "Retry"},
    {"status": "ok"},
    {"status": "error"},
    {"status": "running"},
    {"since": T0 + 20, "until": T0 + 60},
    {"trace_id": "-t01"},
    {"step": "Create", "status": "ok", "since": T0 + 10},
    # text: steps (Retry only in revisions), the api's name across its two fields, an id's part
    {"text": "retry"},
    {"text": "NOTIFY"},
    {"text": "get /X"},
    {"text": "-T01"},
    {"text": "crea", "status": "error"},
    # the status a request was answered with (a segment says which classes it holds)
    {"answered": parse_answered("4xx")},
    {"answered": parse_answered("404")},
    {"answered": parse_answered("2xx")},
    {"answered": parse_answered("5xx")},
    {"answered": parse_answered("4xx,5xx"), "status": "ok"},
    {"text": "/x create"},
    # text: failed spans' error messages, in segments, rows and revisions; a 5xx's
    {"text": "not FOUND"},
    {"text": "gave up"},
    {"text": "ENOTFOUND db"},  # a failed span's innermost cause
    {"text": "pet 1"},
    {"text": "boom"},
    {"text": "answered 503"},
]


async def _same_reads(sqlite: TraceStore, memory: TraceStore, story: Story) -> None:
    for filters in QUERIES:
        assert await _pages(sqlite, **filters) == await _pages(memory, **filters), filters
        first = await sqlite.traces(TraceQuery(limit=200, **filters))
        assert first.traces == (await memory.traces(TraceQuery(limit=200, **filters))).traces, filters
    for trace_id in story.ids:
        assert await sqlite.trace(trace_id) == await memory.trace(trace_id), trace_id


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("cache", ["kept", "let go"])
async def test_segments_and_rows_read_as_the_memory_store_reads_the_same_batches(
    tmp_path: Path, seed: int, cache: str
) -> None:
    """Also with every segment let go by the cache (``cache``: a walk over more than it holds), whose
    text filter makes the texts only of the traces whose JSON holds the text's pieces."""
    story = Story(seed)
    memory, sqlite = MemoryTraceStore(), await SqliteTraceStore.open(tmp_path / "traces.db")
    if cache == "let go":
        sqlite._cache = SegmentCache(max_bytes=0)
    try:
        # halfway (traces running, revisions to come), then all
        await _write(story, memory, sqlite, upto=3)
        await _same_reads(sqlite, memory, story)
        for batch in story.batches[3:]:
            await memory.write(batch)
            await sqlite.write(batch)
        await _same_reads(sqlite, memory, story)
        with sqlite3.connect(sqlite.path) as conn:
            segments, revised = conn.execute("SELECT count(*), sum(revised) FROM segments").fetchone()
            revisions = conn.execute("SELECT count(*) FROM traces WHERE segment IS NOT NULL").fetchone()[0]
        # the story made both: several segments, some revised, and rows of their revisions
        assert segments > 3 and revised > 0 and revisions > 0
        # and traces found by a failed span's error message only (the same in both stores: above)
        for text in ("not found", "gave up", "enotfound"):
            assert (await memory.traces(TraceQuery(text=text))).traces, text
    finally:
        await sqlite.close()


async def test_a_trace_split_across_a_segment_and_rows_reads_whole_and_is_listed_once(
    tmp_path: Path,
) -> None:
    """A finished request (a segment), then its dead-lettered delivery replayed: a span running, then
    ended; a log line in between. The trace reads whole at each step, under its first start."""
    store = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        root = Span("t1", "a" * 16, "Create", "api", "typescript", "steps/create.step.ts", T0)
        root.ended_at, root.status = T0 + 0.01, "ok"
        opened = TraceDelta(T0, T0 + 0.01, kind="api", name="Create", method="POST", path="/pets")
        opened.status_code, opened.spans, opened.failures = 201, 1, 1  # its delivery died
        await store.write(Batch({"t1": opened}, [root]))
        assert (await store.traces(TraceQuery(status="error"))).traces[0]["traceId"] == "t1"

        retry = Span("t1", "b" * 16, "Notify", "event", "python", "steps/notify_step.py", T0 + 60)
        await store.write(Batch({"t1": TraceDelta(T0 + 60, T0 + 60, open=1, failures=-1, spans=1)}, [retry]))
        [listed] = (await store.traces(TraceQuery())).traces
        assert listed["status"] == "running" and listed["startedAt"] == T0 * 1000
        assert listed["steps"] == [
            {"name": "Create", "language": "typescript"},
            {"name": "Notify", "language": "python"},
        ]
        assert [t["traceId"] for t in (await store.traces(TraceQuery(step="Notify"))).traces] == ["t1"]
        assert [t["traceId"] for t in (await store.traces(TraceQuery(status="running"))).traces] == ["t1"]
        assert (await store.traces(TraceQuery(status="error"))).traces == []

        retry.ended_at, retry.status = T0 + 60.5, "ok"
        await store.write(Batch({"t1": TraceDelta(T0 + 60.5, T0 + 60.5, open=-1)}, [retry]))
        trace = await store.trace("t1")
        assert trace is not None
        assert (trace["status"], trace["spanCount"], trace["durationMs"]) == ("ok", 2, pytest.approx(60_500))
        assert [(s["spanId"], s["status"]) for s in trace["spans"]] == [("a" * 16, "ok"), ("b" * 16, "ok")]
        assert trace["entry"]["statusCode"] == 201
        assert [t["traceId"] for t in (await store.traces(TraceQuery())).traces] == ["t1"]
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "traces.db") as conn:
        assert conn.execute("SELECT trace_ids, revised FROM segments").fetchall() == [("t1", 1)]
        assert conn.execute("SELECT started_at, segment FROM traces").fetchall() == [(T0, 1)]


@pytest.mark.parametrize("cache", ["kept", "let go"])
async def test_a_text_filter_finds_names_json_escapes_in_segments_and_rows_alike(
    tmp_path: Path, cache: str
) -> None:
    """Segments (and the traces of a segment the cache lets go) are narrowed by their summaries' JSON:
    a text that JSON escapes (quotes, backslashes, control characters), holds a space or what SQL's
    LIKE takes for a wildcard or an escape is still found, in a segment as in a row."""
    names = ['Say "hi"', "C:\\pets\\new", "tab\there", "Café du chat", "50%_OFF!"]
    memory, sqlite = MemoryTraceStore(), await SqliteTraceStore.open(tmp_path / "traces.db")
    if cache == "let go":
        sqlite._cache = SegmentCache(max_bytes=0)
    try:
        for n, name in enumerate(names):
            for place, offset in (("segment", 0), ("row", 100)):
                trace_id, start = f"{place}-{n}", T0 + offset + n
                root = Span(trace_id, f"{n:016x}", name, "cron", "python", "steps/x_step.py", start)
                delta = TraceDelta(start, start, kind="cron", name=name, spans=1)
                if place == "row":  # running at the cut: kept as a row
                    delta.open = 1
                else:
                    root.ended_at, root.status = start + 0.01, "ok"
                await memory.write(Batch({trace_id: copy.copy(delta)}, [root]))
                await sqlite.write(Batch({trace_id: delta}, [root]))
        texts = ['"hi"', 'say "HI"', "\\pets\\", "tab\tHERE", "du chat", "CAFé", "CAFÉ", "nothing"]
        for text in [*texts, "%_off!", "!", "0%", "_", "5_%"]:
            listed = [t["traceId"] for t in (await sqlite.traces(TraceQuery(text=text))).traces]
            assert listed == [t["traceId"] for t in (await memory.traces(TraceQuery(text=text))).traces], text
            expected = [n for n, name in enumerate(names) if text.lower() in name.lower()]
            if text == "CAFÉ":
                expected = []  # ASCII letters only change case
            assert listed == [f"{place}-{n}" for place in ("row", "segment") for n in expected[::-1]], text
    finally:
        await sqlite.close()
    with sqlite3.connect(tmp_path / "traces.db") as conn:
        assert conn.execute("SELECT count(*) FROM segments").fetchone()[0] > 0
        kept_as_rows = conn.execute("SELECT trace_id FROM traces WHERE segment IS NULL ORDER BY 1").fetchall()
        assert kept_as_rows == [(f"row-{n}",) for n in range(len(names))]


@pytest.mark.parametrize("keep", [1, 7, 23, 40])
async def test_retention_drops_whole_segments_and_hides_the_cut_part_of_one(
    tmp_path: Path, keep: int
) -> None:
    """Pruned at every count, the two stores keep the same traces; a segment wholly out is deleted
    (its revisions with it), one across the cutoff stays with its older traces hidden, and none of
    them comes back when the store opens again."""
    story = Story(7)
    memory, sqlite = MemoryTraceStore(), await SqliteTraceStore.open(tmp_path / "traces.db")
    retention = Retention(max_traces=keep, max_log_lines=1000, max_age_s=10**9)
    try:
        await _write(story, memory, sqlite)
        with sqlite3.connect(sqlite.path) as conn:
            before = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
        assert await sqlite.prune(retention, T0 + 500) == await memory.prune(retention, T0 + 500)
        listed = (await sqlite.traces(TraceQuery(limit=200))).traces
        assert len(listed) <= keep + 3  # ties at the cutoff's start are kept, as every store does
        await _same_reads(sqlite, memory, story)
        with sqlite3.connect(sqlite.path) as conn:
            after = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
            cut = conn.execute(
                "SELECT min_started, pruned_before, max_started FROM segments WHERE pruned_before IS NOT NULL"
            ).fetchall()
            orphans = conn.execute(
                "SELECT count(*) FROM traces WHERE segment IS NOT NULL "
                "AND segment NOT IN (SELECT seq FROM segments)"
            ).fetchone()[0]
        assert after < before and orphans == 0
        # a segment is cut only across the cutoff (one wholly out is gone)
        assert all(first < cutoff <= last for first, cutoff, last in cut)
    finally:
        await sqlite.close()
    reopened = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        await _same_reads(reopened, memory, story)
        # the index read back at open: a later change to a kept trace is a revision, not a new trace
        kept = listed[-1]["traceId"]
        await reopened.write(Batch({kept: TraceDelta(T0 + 400, T0 + 400)}))
        await memory.write(Batch({kept: TraceDelta(T0 + 400, T0 + 400)}))
        await _same_reads(reopened, memory, story)
    finally:
        await reopened.close()


async def test_reads_from_the_supervisor_see_whole_traces_while_the_writer_writes(tmp_path: Path) -> None:
    """The runtime's setup: the store in a trace writer process, written batch after batch, read by
    the supervisor meanwhile: every read is a consistent picture (each trace once, newest first, as
    many spans as it counts), and the last one is what the memory store makes of the same batches.
    Reads and writes interleave by construction, however fast the machine: before each batch, reads
    of the traces it changes are sent (a listing, and each of those traces), so the writer process
    answers them while it writes the batch; each sees a trace as it was before the batch or after,
    never between."""
    story = Story(11, traces=300, batches=30)
    writer, memory = TraceWriter(tmp_path / "traces.db"), MemoryTraceStore()
    first_written: dict[str, int] = {}  # each trace's first batch
    for n, batch in reversed(list(enumerate(story.batches))):
        first_written.update(dict.fromkeys(batch.traces, n))

    async def listing() -> None:
        page = await writer.traces(TraceQuery(limit=50))
        ids = [trace["traceId"] for trace in page.traces]
        keys = [(trace["startedAt"], trace["traceId"]) for trace in page.traces]
        assert len(set(ids)) == len(ids) and keys == sorted(keys, reverse=True)

    async def whole(trace_id: str, writing: int) -> None:
        trace = await writer.trace(trace_id)
        if trace is None:
            assert first_written[trace_id] >= writing, f"{trace_id} is gone"
        else:
            assert trace["spanCount"] == len(trace["spans"]) > 0, trace

    try:
        for n, batch in enumerate(story.batches):
            # Tasks take their first step (where a request is sent) in the order they were made.
            reads = [asyncio.create_task(listing())]
            reads += [asyncio.create_task(whole(trace_id, n)) for trace_id in batch.traces]
            written = asyncio.create_task(writer.write(batch))
            await asyncio.gather(written, memory.write(batch), *reads)
        await _same_reads(writer, memory, story)
    finally:
        await writer.close()


def _request(
    at: float,
    trace_id: str,
    n: int,
    status: str = "ok",
    code: int = 200,
    error: JsonObject | None = None,
    clock: float = 0.01,
    *,
    answered: bool = True,
) -> list[Any]:
    """The recorder's START of an api request begun at ``at + n``, with its END and RESPONSE folded in
    (``answered``: else a request still running at the flush)."""
    start = at + n
    head = [
        START,
        f"{int(at - T0) + n:016x}",
        trace_id,
        "Create",
        "steps/create.step.ts",
        "api",
        None,
        None,
        False,
    ]
    if not answered:
        return [*head, None, 1, start, "node#1", 4242]
    return [
        *head,
        None,
        1,
        start,
        "node#1",
        4242,
        start + clock,
        status,
        error,
        "POST",
        "/pets",
        code,
        start + 2 * clock,
    ]


def _requests(at: float) -> list[list[Any]]:
    """The recorder's events for api requests, each one event (its END and RESPONSE folded into its
    START, as within one flush): answered 200, answered 503, one that failed, one whose trace gets a
    log line after its answer, one sent with the trace id of a request of the batch before, and one
    whose clock was set back while it ran."""

    def request(
        trace_id: str, n: int, status: str, code: int, error: JsonObject | None = None, clock: float = 0.01
    ) -> list[Any]:
        return _request(at, trace_id, n, status, code, error, clock)

    failure = {
        "name": "Error",
        "message": "boom",
        "stack": "",
        "location": None,
        "cause": "Error: ENOTFOUND db",
    }
    line = {
        "id": int((at + 9) * 1_000_000),
        "type": "log",
        "time": (at + 9) * 1000,
        "level": "info",
        "message": "after the answer",
        "step": "Create",
        "traceId": f"late-{at}",
        "spanId": None,
        "runner": None,
        "logger": "motia.step",
        "meta": None,
    }
    return [
        request(f"ok-{at}", 1, "ok", 200),
        request(f"503-{at}", 2, "ok", 503),
        request(f"failed-{at}", 3, "error", 500, failure),
        request(f"late-{at}", 4, "ok", 201),
        [LOG, line],
        request("reused", 5, "ok", 200),
        request(f"clock-{at}", 6, "ok", 200, clock=-0.01),  # the clock set back while it ran
    ]


@pytest.mark.parametrize("framed", [False, True], ids=["events", "record frame"])
@pytest.mark.parametrize("cache", ["kept", "let go"])
async def test_requests_whole_in_one_event_go_into_segments_and_read_as_the_general_path(
    tmp_path: Path, framed: bool, cache: str
) -> None:
    """The writer's assembler cuts a request that is one event as a ``WholeTrace`` (no span or delta
    built); the SQLite store puts it into a segment, or into rows when its trace is already stored.
    Read back, it is what the general path makes of the same events (in the memory store), whether
    the segment keeps the event's JSON as the supervisor framed it (the trace writer process) or as the
    store encodes it; and the file holds that JSON once, as it was sent."""
    retention = Retention(max_traces=1000, max_log_lines=1000, max_age_s=10**9)
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    if cache == "let go":  # a text filter tests the JSON of each trace first
        sqlite._cache = SegmentCache(max_bytes=0)
    memory = MemoryTraceStore()
    fast, general = TracePipeline(sqlite, None, retention), TracePipeline(memory, None, retention)
    json_of: dict[str, bytes] = {}
    try:
        for at in (T0, T0 + 100):
            events = _requests(at)
            cut = Assembler(whole=True)
            cut.apply(copy.deepcopy(events))
            whole = cut.cut()[0].whole
            assert sorted(event[2] for event, _json in whole) == sorted(
                [f"ok-{at}", f"503-{at}", f"failed-{at}", "reused", f"clock-{at}"]
            )
            if framed:  # as the trace writer process takes them (``_writer_process``)
                payload = _wire.record_request(7, [_wire.encode_event(event) for event in events])[4:]
                _, _, (decoded,) = _wire.decode(payload)
                sent = _wire.events_json(payload, len(events))
                assert sent is not None
                json_of.update((e[2], json) for e, json in zip(events, sent, strict=True) if e[0] == START)
                await fast.take(decoded, sent)
            else:
                await fast.take(copy.deepcopy(events))
            await general.take(copy.deepcopy(events))
        for trace_id in ("ok", "503", "failed", "late", "clock"):
            for at in (T0, T0 + 100):
                assert await sqlite.trace(f"{trace_id}-{at}") == await memory.trace(f"{trace_id}-{at}")
        reused = await sqlite.trace("reused")
        assert reused == await memory.trace("reused") and reused is not None and reused["spanCount"] == 2
        for filters in QUERIES:
            assert await _pages(sqlite, **filters) == await _pages(memory, **filters), filters
        # a failed request's error message, its cause, a 5xx's
        for text in ("boom", "enotfound DB", "answered 503"):
            found = {t["traceId"] for t in (await sqlite.traces(TraceQuery(text=text))).traces}
            assert found == {
                f"{'503' if text == 'answered 503' else 'failed'}-{at}" for at in (T0, T0 + 100)
            }, text
    finally:
        await sqlite.close()
    with sqlite3.connect(tmp_path / "traces.db") as conn:
        in_segments = " ".join(row[0] for row in conn.execute("SELECT trace_ids FROM segments")).split()
        rows = sorted(row[0] for row in conn.execute("SELECT trace_id FROM traces"))
    assert sorted(in_segments) == sorted(
        [f"{name}-{at}" for name in ("ok", "503", "failed", "late", "clock") for at in (T0, T0 + 100)]
        + ["reused"]
    )
    assert rows == ["reused"]  # its second request: a revision of the segment holding the first
    with sqlite3.connect(tmp_path / "traces.db") as conn:
        kept = b"".join(row[0] + row[1] for row in conn.execute("SELECT summaries, records FROM segments"))
    for trace_id in (f"ok-{T0}", f"503-{T0 + 100}", f"clock-{T0}"):
        json = json_of.get(trace_id, b"")
        assert kept.count(json if framed else trace_id.encode()) == 1, trace_id


async def _take_both(
    fast: TracePipeline, general: TracePipeline, events: list[list[Any]], framed: bool
) -> None:
    """The same events to both pipelines: to ``fast`` as the trace writer process takes them
    (``_writer_process``: decoded from a record frame, with each event's JSON) when ``framed``."""
    if framed:
        payload = _wire.record_request(7, [_wire.encode_event(event) for event in events])[4:]
        _, _, (decoded,) = _wire.decode(payload)
        await fast.take(decoded, _wire.events_json(payload, len(events)))
    else:
        await fast.take(copy.deepcopy(events))
    await general.take(copy.deepcopy(events))


@pytest.mark.parametrize("framed", [False, True], ids=["events", "record frame"])
async def test_two_requests_of_one_trace_each_whole_in_one_batch_are_both_stored(
    tmp_path: Path, framed: bool
) -> None:
    """Two api requests sharing a trace id (a client's ``traceparent``), each one event in the same
    flush: the writer's assembler takes the first as a ``WholeTrace`` and, when the second comes,
    assembles both as any other trace; both spans are stored, as the general path stores them (the
    second used to replace the first: one span, and the trace counted as begun twice)."""
    retention = Retention(max_traces=1000, max_log_lines=1000, max_age_s=10**9)
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    memory = MemoryTraceStore()
    fast, general = TracePipeline(sqlite, None, retention), TracePipeline(memory, None, retention)
    events = [event for event in _requests(T0) if event[0] == START][:2]  # answered 200, answered 503
    for event in events:
        event[2] = "shared"
    cut = Assembler(whole=True)
    cut.apply(copy.deepcopy(events))
    batch, _ended, roots = cut.cut()
    assert (len(batch.whole), len(batch.spans), roots) == (0, 2, 1)
    try:
        await _take_both(fast, general, events, framed)
        shared = await sqlite.trace("shared")
        assert shared == await memory.trace("shared")
        assert shared is not None and shared["spanCount"] == 2 and shared["status"] == "error"
        assert [span["spanId"] for span in shared["spans"]] == [events[0][1], events[1][1]]
        for filters in QUERIES:
            assert await _pages(sqlite, **filters) == await _pages(memory, **filters), filters
    finally:
        await sqlite.close()


@pytest.mark.parametrize("framed", [False, True], ids=["events", "record frame"])
async def test_whole_requests_flushed_beside_other_traces_events_read_as_the_general_path(
    tmp_path: Path, framed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flushes as under load: whole requests (not in order of start: a clock set back, and more than a
    segment's worth) beside a request still running at the flush (its START, a log line; its END and
    RESPONSE in the next flush), a log line after the answer of a whole request of the flush before (a
    revision of its segment, which finds its span), and a whole request of a trace stored before
    (rows). The writer's assembler takes the whole ones of each flush at once
    (``Assembler._apply_whole``), the store builds their segments column by column
    (``_segments.whole_segments``); read back, all of it is what the general path makes of the same
    events (in the memory store)."""
    retention = Retention(max_traces=1000, max_log_lines=1000, max_age_s=10**9)
    at1, at2, at3 = T0, T0 + 100, T0 + 200
    running = _request(at1, "running", 7, answered=False)
    flushes: list[list[list[Any]]] = [
        [
            _request(at1, "w1", 1),
            _request(at1, "w5", 5, "ok", 503),
            _request(at1, "w2", 2),
            running,
            [LOG, log_line(at1 + 7.5, "working", step="Create", trace="running")],
            _request(
                at1,
                "w3",
                3,
                "error",
                500,
                {
                    "name": "Error",
                    "message": "boom",
                    "stack": "",
                    "location": None,
                    "cause": "Error: ENOTFOUND db",
                },
            ),
            _request(at1, "w4", 4, clock=-0.01),  # the clock set back while it ran
            _request(at1, "w6", 6),
        ],
        [
            [END, running[1], at2, "ok", None],
            [RESPONSE, "running", "Create", "POST", "/pets", 201, at2],
            _request(at2, "x1", 1),
            [LOG, log_line(at2 + 1.5, "after the answer", step="Create", trace="w1")],
            _request(at2, "x2", 2),
        ],
        [_request(at3, "y1", 1), _request(at3, "x1", 2), _request(at3, "y2", 3)],  # x1 again: rows
    ]
    applied_whole: list[bool] = []
    apply_whole = Assembler._apply_whole

    def noted(assembler: Assembler, *args: Any) -> bool:
        applied_whole.append(apply_whole(assembler, *args))
        return applied_whole[-1]

    monkeypatch.setattr(Assembler, "_apply_whole", noted)
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    memory = MemoryTraceStore()
    fast, general = TracePipeline(sqlite, None, retention), TracePipeline(memory, None, retention)
    try:
        for events in flushes:
            await _take_both(fast, general, events, framed)
        assert applied_whole == [True, True, True]
        for trace_id in ("w1", "w2", "w3", "w4", "w5", "w6", "running", "x1", "x2", "y1", "y2"):
            assert await sqlite.trace(trace_id) == await memory.trace(trace_id), trace_id
        w1 = await sqlite.trace("w1")
        assert w1 is not None and [event["spanId"] for event in w1["events"]] == [flushes[0][0][1]]
        x1 = await sqlite.trace("x1")
        assert x1 is not None and x1["spanCount"] == 2
        for filters in QUERIES:
            assert await _pages(sqlite, **filters) == await _pages(memory, **filters), filters
        with sqlite3.connect(tmp_path / "traces.db") as conn:
            kept = conn.execute(
                "SELECT min_started, max_started, trace_ids, summaries FROM segments"
            ).fetchall()
        in_segments = sorted(" ".join(row[2] for row in kept).split())
        assert in_segments == ["w1", "w2", "w3", "w4", "w5", "w6", "x1", "x2", "y1", "y2"]
        for low, high, _ids, summaries in kept:  # each a stretch of time, newest first
            starts = [_segments.summary_row(row)[1] for row in orjson.loads(summaries)]
            assert starts == sorted(starts, reverse=True) and (low, high) == (starts[-1], starts[0])
        # retention cuts by start, within a segment too
        for store in (sqlite, memory):
            await store.prune(Retention(max_traces=7, max_log_lines=1000, max_age_s=10**9), at3 + 10)
        for filters in QUERIES:
            assert await _pages(sqlite, **filters) == await _pages(memory, **filters), filters
    finally:
        await sqlite.close()


@pytest.mark.parametrize("framed", [False, True], ids=["events", "record frame"])
async def test_a_request_whose_state_and_stream_calls_and_log_lines_came_while_it_ran_stays_whole(
    tmp_path: Path, framed: bool
) -> None:
    """An ordinary handler's request: its state and stream calls and its log lines come in the flush of
    its answered START, made while it ran. The writer's assembler keeps it one event (no span or delta
    built), its calls beside it, and the SQLite store keeps both in a segment; a log line or call after
    its answer, or an emit (open work), assembles it as any other. Read back, each is what the general
    path makes of the same events (in the memory store), the calls and lines with the request's span."""
    retention = Retention(max_traces=1000, max_log_lines=1000, max_age_s=10**9)
    requests = {name: _request(T0, name, n) for n, name in enumerate(("calls", "logged", "emits", "late"), 1)}

    def during(name: str) -> float:
        return float(requests[name][11]) + 0.005

    def call(trace_id: str, kind: str = "state", **detail: Any) -> list[Any]:
        made = operation(trace_id, "", "Create", during(trace_id), type=kind, **detail)
        return [OPERATION, made | {"spanId": None}]

    def line(name: str, at: float, message: str) -> list[Any]:
        return [LOG, log_line(at, message, step="Create", trace=name)]

    events: list[list[Any]] = [
        requests["calls"],
        requests["logged"],
        call("calls", group="pets", key="1", size=11),
        line("logged", during("logged"), "handled"),
        requests["emits"],
        call("calls", "stream", name="streams.set", stream="pets", group="all", itemId="1"),
        line("calls", during("calls"), "saved"),
        call("emits", "emit", name="emit", topic="pet.created", deliveries=[{"id": 9, "step": "Audit"}]),
        requests["late"],
        line("late", float(requests["late"][20]) + 1, "after the answer"),
        _request(T0, "plain", 9),
    ]
    cut = Assembler(whole=True)
    cut.apply(copy.deepcopy(events))
    batch = cut.cut()[0]
    assert sorted(event[2] for event, _json in batch.whole) == ["calls", "logged", "plain"]
    assert {trace_id: len(calls) for trace_id, calls in batch.whole_operations.items()} == {"calls": 2}
    assert sorted(span.trace_id for span in batch.spans) == ["emits", "late"]
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    memory = MemoryTraceStore()
    fast, general = TracePipeline(sqlite, None, retention), TracePipeline(memory, None, retention)
    try:
        await _take_both(fast, general, events, framed)
        for trace_id in ("calls", "logged", "emits", "late", "plain"):
            assert await sqlite.trace(trace_id) == await memory.trace(trace_id), trace_id
        calls = await sqlite.trace("calls")
        assert calls is not None
        assert [(event["type"], event["spanId"]) for event in calls["events"]] == [
            ("state", requests["calls"][1]),
            ("stream", requests["calls"][1]),
            ("log", requests["calls"][1]),
        ]
        for filters in QUERIES:
            assert await _pages(sqlite, **filters) == await _pages(memory, **filters), filters
        # the calls' ids count among the highest stored (what the recorder's ids start above after a restart)
        highest = max(op["id"] for _kind, op in (e for e in events if e[0] == OPERATION))
        assert await sqlite.recover() >= highest
    finally:
        await sqlite.close()
    with sqlite3.connect(tmp_path / "traces.db") as conn:
        in_segments = " ".join(row[0] for row in conn.execute("SELECT trace_ids FROM segments")).split()
        rows = [row[0] for row in conn.execute("SELECT trace_id FROM traces")]
        operation_rows = conn.execute("SELECT count(*) FROM trace_operations").fetchone()[0]
    # the emit's delivery is still to run: its trace is open, kept as rows with its call
    assert sorted(in_segments) == ["calls", "late", "logged", "plain"] and rows == ["emits"]
    assert operation_rows == 1


async def test_a_request_whole_in_one_event_of_a_trace_kept_as_rows_goes_into_rows_until_pruned(
    tmp_path: Path,
) -> None:
    """Whether a trace is new to the file is known without asking it (the store keeps the ids of the
    traces it has rows of): a whole request of a trace that has rows (here, its earlier request was
    still running at a cut) adds to them, also once the store is opened again; once retention cut
    those rows, the trace is new again and a whole request of it goes into a segment."""
    retention = Retention(max_traces=1000, max_log_lines=1000, max_age_s=10**9)
    path = tmp_path / "traces.db"

    def in_segments() -> list[str]:
        with sqlite3.connect(path) as conn:
            return " ".join(row[0] for row in conn.execute("SELECT trace_ids FROM segments")).split()

    def request_of_kept(at: float, whole: bool = True) -> list[list[Any]]:
        event = _requests(at)[0]
        event[2] = "kept"
        return [event if whole else event[:14]]  # [:14]: its START only (running at the cut)

    store = await SqliteTraceStore.open(path)
    try:
        await TracePipeline(store, None, retention).take(request_of_kept(T0, whole=False))
        await TracePipeline(store, None, retention).take(request_of_kept(T0 + 10))
        kept = await store.trace("kept")
        assert kept is not None and kept["spanCount"] == 2 and kept["status"] == "running"
    finally:
        await store.close()
    assert in_segments() == []
    store = await SqliteTraceStore.open(path)
    try:
        await TracePipeline(store, None, retention).take(request_of_kept(T0 + 20))
        kept = await store.trace("kept")
        assert kept is not None and kept["spanCount"] == 3
        assert in_segments() == []
        later = T0 + 10**6
        await store.prune(Retention(max_traces=1000, max_log_lines=1000, max_age_s=10), later)
        assert await store.trace("kept") is None
        await TracePipeline(store, None, retention).take(request_of_kept(later))
        kept = await store.trace("kept")
        assert kept is not None and kept["spanCount"] == 1 and kept["status"] == "ok"
    finally:
        await store.close()
    assert in_segments() == ["kept"]


@pytest.mark.parametrize("keep", [3, 13, 20, 31, 39, 45])
async def test_retention_by_count_and_age_counts_rows_revisions_and_segments_alike(
    tmp_path: Path, keep: int
) -> None:
    """Traces kept as rows (running at the cut) interleaved in time with traces in segments, some of
    them revised (a row naming the segment): pruned by count, then by age, the SQLite store keeps
    what the memory store keeps (a revision's row is not a trace of its own)."""
    memory, sqlite = MemoryTraceStore(), await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        for first in (0, 20):
            batch: list[tuple[str, TraceDelta, Span]] = []
            for n in range(first, first + 20):
                trace_id, start = f"t-{n:02d}", T0 + n
                root = Span(trace_id, f"{n:016x}", "Tick", "cron", "python", "steps/x_step.py", start)
                delta = TraceDelta(start, start, kind="cron", name="Tick", spans=1)
                if n % 3 != 2:  # running at the cut: kept as a row
                    delta.open = 1
                else:
                    root.ended_at, root.status = start + 0.01, "ok"
                batch.append((trace_id, delta, root))
            for store in (memory, sqlite):
                copies = [(t, copy.copy(d), copy.copy(s)) for t, d, s in batch]
                await store.write(Batch({t: d for t, d, _s in copies}, [s for _t, _d, s in copies]))
        for store in (memory, sqlite):  # later changes to some in segments: revisions
            await store.write(Batch({f"t-{n:02d}": TraceDelta(T0 + n, T0 + 50) for n in (2, 5, 23, 38)}))
        with sqlite3.connect(sqlite.path) as conn:
            assert conn.execute("SELECT count(*) FROM traces WHERE segment IS NULL").fetchone()[0] == 27
            assert conn.execute("SELECT count(*) FROM traces WHERE segment IS NOT NULL").fetchone()[0] == 4
        by_count = Retention(max_traces=keep, max_log_lines=1000, max_age_s=10**9)
        assert await sqlite.prune(by_count, T0 + 60) == await memory.prune(by_count, T0 + 60)

        async def listed(store: TraceStore) -> list[str]:
            return [t["traceId"] for t in (await store.traces(TraceQuery(limit=100))).traces]

        assert await listed(sqlite) == await listed(memory)
        assert len(await listed(sqlite)) == min(keep, 40)
        by_age = Retention(max_traces=1000, max_log_lines=1000, max_age_s=100)
        assert await sqlite.prune(by_age, T0 + 130.5) == await memory.prune(by_age, T0 + 130.5)
        assert await listed(sqlite) == await listed(memory)
        assert all(int(trace_id[2:]) >= 31 for trace_id in await listed(sqlite))
    finally:
        await sqlite.close()


def _finished_requests(prefix: str, at: float, count: int, kept_as: str) -> list[Any] | Batch:
    """``count`` finished api requests ``prefix0``.., one a second from ``at``: the recorder's events,
    each request whole in one (a segment keeps the event), or a batch of their spans and deltas (a
    segment keeps their summaries)."""
    if kept_as == "events":
        events = []
        for n in range(count):
            event = _requests(at + n - 1)[0]  # answered 200, begun at at + n
            event[1], event[2] = f"{int(at - T0) + n:016x}", f"{prefix}{n}"
            events.append(event)
        return events
    batch = Batch()
    for n in range(count):
        trace_id, start = f"{prefix}{n}", at + n
        root = Span(
            trace_id, f"{int(at - T0) + n:016x}", "Create", "api", "typescript", "steps/c.step.ts", start
        )
        root.ended_at, root.status = start + 0.01, "ok"
        batch.traces[trace_id] = TraceDelta(
            start,
            start + 0.01,
            kind="api",
            name="Create",
            method="POST",
            path="/pets",
            status_code=201,
            spans=1,
        )
        batch.spans.append(root)
    return batch


@pytest.mark.parametrize("kept_as", ["events", "summaries"])
async def test_segments_decoded_once_for_reads_show_a_revision_a_prune_and_a_new_segment_in_their_place(
    tmp_path: Path, kept_as: str
) -> None:
    """Reads keep the segments they decoded (``_decoded``) for the next ones; what changes a segment's
    traces later shows in the next read all the same: a revision (a trace failed later, in a step of
    its own, with a message), retention hiding part of a segment, and a new segment given the number
    of one retention deleted. Every read as the memory store's of the same writes."""
    retention = Retention(max_traces=1000, max_log_lines=1000, max_age_s=100)
    memory, sqlite = MemoryTraceStore(), await SqliteTraceStore.open(tmp_path / "traces.db")
    queries: list[dict[str, Any]] = [
        {},
        {"status": "error"},
        {"status": "ok"},
        {"step": "Notify"},
        {"text": "boom"},
        {"text": "notify"},
        {"trace_id": "a"},
        {"since": T0 + 3},
    ]

    async def write(prefix: str, at: float) -> None:
        for store in (sqlite, memory):
            requests = _finished_requests(prefix, at, 8, kept_as)
            if isinstance(requests, Batch):
                await store.write(requests)
            else:
                await TracePipeline(store, None, retention).take(requests)

    async def listed(**filters: Any) -> list[str]:
        pages = await _pages(sqlite, **filters)
        assert pages == await _pages(memory, **filters), filters
        for trace_id in [f"{prefix}{n}" for prefix in "ab" for n in range(8)]:
            assert await sqlite.trace(trace_id) == await memory.trace(trace_id), trace_id
        return [trace_id for page in pages for trace_id in page]

    def numbers() -> list[int]:
        with sqlite3.connect(sqlite.path) as conn:
            return [row[0] for row in conn.execute("SELECT seq FROM segments ORDER BY seq")]

    try:
        await write("a", T0)
        assert numbers() == [1, 2]
        for filters in queries:
            await listed(**filters)  # each segment decoded, and kept
        assert await listed(status="error") == []

        # a0..a7 in two segments; a5 fails later, in a step of its own: a revision
        notify = Span("a5", "f" * 16, "Notify", "event", "python", "steps/notify_step.py", T0 + 30)
        notify.ended_at, notify.status = T0 + 30.5, "error"
        notify.error = {"name": "Error", "message": "boom", "stack": "", "location": None}
        for store in (sqlite, memory):
            await store.write(Batch({"a5": TraceDelta(T0 + 30, T0 + 30.5, failures=1, spans=1)}, [notify]))
        for filters in queries:
            await listed(**filters)
        for filters in ({"status": "error"}, {"step": "Notify"}, {"text": "boom"}, {"text": "notify"}):
            assert await listed(**filters) == ["a5"], filters

        # retention: a0..a3's segment deleted, a4 and a5 hidden in the other one
        assert await sqlite.prune(retention, T0 + 105.5) == await memory.prune(retention, T0 + 105.5)
        assert numbers() == [2]
        for filters in queries:
            await listed(**filters)
        assert await listed() == ["a7", "a6"] and await listed(status="error") == []

        # every segment deleted: the next ones are given their numbers again
        assert await sqlite.prune(retention, T0 + 200) == await memory.prune(retention, T0 + 200)
        await write("b", T0 + 150)
        assert numbers() == [1, 2]
        for filters in queries:
            await listed(**filters)
        assert await listed() == [f"b{n}" for n in range(7, -1, -1)]
        assert await listed(since=T0 + 153) == [f"b{n}" for n in range(7, 2, -1)]
    finally:
        await sqlite.close()


async def test_a_listing_that_walks_past_what_the_segment_cache_holds_keeps_at_most_half_of_it(
    tmp_path: Path,
) -> None:
    """With more traces kept than the cache holds, a walk over all of them (a rare text, a page far
    back) fills the cache with the newest segments it read; once full, a walk keeps no more than half
    of it: the newest segment, which the first page read, stays for the next one."""
    store = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        for n in range(6):
            await store.write(_finished_requests(f"s{n}-", T0 + 10 * n, 4, "summaries"))  # type: ignore[arg-type]
        with sqlite3.connect(store.path) as conn:
            newest_first = conn.execute(
                "SELECT seq, length(summaries) FROM segments ORDER BY max_started DESC"
            ).fetchall()
        assert len(newest_first) == 6
        store._cache = SegmentCache(max_bytes=sum(size for _seq, size in newest_first[:4]))
        walked = await store.traces(TraceQuery(limit=1000))
        assert len(walked.traces) == 24
        assert sorted(store._cache._held) == sorted(seq for seq, _size in newest_first[:4])
        assert (await store.traces(TraceQuery(limit=1000, step="Create"))).traces == walked.traces  # again
        assert sorted(store._cache._held) == sorted(seq for seq, _size in newest_first[:4])
        await store.traces(TraceQuery(limit=2))  # the newest segment
        oldest = await store.traces(TraceQuery(until=T0 + 35, step="Create"))  # the four oldest segments
        assert len(oldest.traces) == 16
        assert sorted(store._cache._held) == sorted(seq for seq, _size in newest_first[:4])
    finally:
        await store.close()


@pytest.mark.parametrize("seed", [4, 5])
async def test_a_trace_opens_from_the_segment_the_index_names_after_writes_a_prune_and_a_reopen(
    tmp_path: Path, seed: int
) -> None:
    """``trace(id)`` opens a segment's trace from the segment the writer's index names, without
    looking for the id in every segment's id list (blanked here): whole when later batches added rows
    to it (a revision, a replayed delivery, a span running at a cut), gone once pruned (its index
    entry too), and again after the store opens the file anew (the index read back from the
    segments, as for a file written by earlier code, which kept no index)."""
    story = Story(seed)
    memory, sqlite = MemoryTraceStore(), await SqliteTraceStore.open(tmp_path / "traces.db")

    def blank_id_lists() -> None:
        with sqlite3.connect(tmp_path / "traces.db") as conn:
            assert conn.execute("UPDATE segments SET trace_ids = ''").rowcount > 0

    async def same_traces(store: SqliteTraceStore) -> None:
        for trace_id in story.ids:
            assert await store.trace(trace_id) == await memory.trace(trace_id), trace_id

    try:
        await _write(story, memory, sqlite)
        blank_id_lists()
        assert any(trace_id in sqlite._index.by_trace for trace_id in story.ids)
        await same_traces(sqlite)
        retention = Retention(max_traces=20, max_log_lines=1000, max_age_s=10**9)
        assert await sqlite.prune(retention, T0 + 500) == await memory.prune(retention, T0 + 500)
        kept = {trace["traceId"] for trace in (await memory.traces(TraceQuery(limit=200))).traces}
        assert set(sqlite._index.by_trace) <= kept < set(story.ids)
        await same_traces(sqlite)
    finally:
        await sqlite.close()
    reopened = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        assert set(reopened._index.by_trace) <= kept
        await same_traces(reopened)
    finally:
        await reopened.close()


def _id_parts(story: Story) -> list[str]:
    """Parts of ids a listing's ``trace_id`` filter is given: a whole id, its random part, its
    number (in every id of ten), and one in no id."""
    return [story.ids[7], story.ids[11][:6], "-t01", "-t0", "zz"]


@pytest.mark.parametrize("seed", [6, 7])
async def test_a_listing_by_a_part_of_an_id_looks_only_in_the_segments_the_index_says_may_hold_it(
    tmp_path: Path, seed: int
) -> None:
    """A part of an id (the Workbench's trace id filter) is looked for in the writer's index of each
    segment's ids, not in every segment's ``trace_ids`` (blanked here): every page as the memory
    store's after the writes, after a prune, and after the file is opened again."""
    story = Story(seed)
    memory, sqlite = MemoryTraceStore(), await SqliteTraceStore.open(tmp_path / "traces.db")

    async def same_listings(store: SqliteTraceStore) -> None:
        for part in _id_parts(story):
            assert await _pages(store, trace_id=part) == await _pages(memory, trace_id=part), part
        assert await _pages(store, trace_id="-t0", status="ok") == await _pages(
            memory, trace_id="-t0", status="ok"
        )

    try:
        await _write(story, memory, sqlite)
        with sqlite3.connect(tmp_path / "traces.db") as conn:
            assert conn.execute("UPDATE segments SET trace_ids = ''").rowcount > 0
        await same_listings(sqlite)
        retention = Retention(max_traces=25, max_log_lines=1000, max_age_s=10**9)
        assert await sqlite.prune(retention, T0 + 500) == await memory.prune(retention, T0 + 500)
        await same_listings(sqlite)
    finally:
        await sqlite.close()
    reopened = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        await same_listings(reopened)
    finally:
        await reopened.close()


async def test_a_listing_by_a_part_of_an_id_reads_a_segment_a_prune_deleted_after_its_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's index forgets a segment when the prune deleting it runs, before it commits: a read
    whose snapshot is older still sees the segment, and looks for the part in its ``trace_ids`` there
    (in those segments only), listing what the snapshot holds."""
    story = Story(8)
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    snapshot = sqlite3.connect(tmp_path / "traces.db", isolation_level=None, check_same_thread=False)
    try:
        await _write(story, sqlite)
        before = {part: await _pages(sqlite, trace_id=part) for part in _id_parts(story)}
        snapshot.execute("BEGIN")
        in_snapshot = {row[0] for row in snapshot.execute("SELECT seq FROM segments")}
        retention = Retention(max_traces=25, max_log_lines=1000, max_age_s=10**9)
        await sqlite.prune(retention, T0 + 500)
        forgotten = in_snapshot - set(sqlite._index.id_lists)
        assert forgotten

        async def read_in_snapshot(fn: Any) -> Any:
            return fn(snapshot)

        monkeypatch.setattr(sqlite._db, "read", read_in_snapshot)
        looked_in: list[str] = []
        snapshot.set_trace_callback(looked_in.append)
        for part, pages in before.items():
            looked_in.clear()
            assert await _pages(sqlite, trace_id=part) == pages, part
            id_lists_read = [sql for sql in looked_in if "instr(trace_ids" in sql]
            assert 0 < len(id_lists_read) <= len(forgotten) * len(pages)
    finally:
        snapshot.close()
        await sqlite.close()


async def test_the_index_read_back_at_open_is_the_one_the_writes_kept_without_making_summaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a file rebuilds the writer's index from its segments (summaries and whole requests'
    events) taking only each trace's start and id, not making each one's summary (``summary_row``,
    most of an open's CPU): the same index as the writes kept, before and after a prune."""
    retention = Retention(max_traces=1000, max_log_lines=1000, max_age_s=10**9)
    story = Story(9)
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    made: list[Any] = []
    summary_row = _segments.summary_row

    def counted(row: Any) -> Any:
        made.append(row)
        return summary_row(row)

    async def same_index(*names: str) -> None:
        opened = await SqliteTraceStore.open(tmp_path / "traces.db")
        try:
            for name in names:
                assert getattr(opened._index, name) == getattr(sqlite._index, name), name
        finally:
            await opened.close()

    try:
        await _write(story, sqlite)
        for at in (T0 + 300, T0 + 400):
            await TracePipeline(sqlite, None, retention).take(_requests(at))
        with sqlite3.connect(tmp_path / "traces.db") as conn:
            kept = [
                row
                for (blob,) in conn.execute("SELECT summaries FROM segments")
                for row in orjson.loads(blob)
            ]
        assert {_segments.is_event(row) for row in kept} == {True, False}  # events and summaries
        monkeypatch.setattr(_segments, "summary_row", counted)
        await same_index("by_trace", "starts", "id_lists")
        await sqlite.prune(Retention(max_traces=30, max_log_lines=1000, max_age_s=10**9), T0 + 500)
        await same_index("by_trace", "starts")  # the writes' id lists keep what a prune cut
        assert made == []
    finally:
        await sqlite.close()


async def test_a_listing_by_a_rare_code_of_a_common_class_reads_only_the_segments_holding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every segment holds a 404 (its class, 4xx, says nothing more); a listing of the requests
    answered 400 decodes only the segments whose codes hold a 400, and one written before segments
    kept their codes (null) by its classes, as before."""
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        for n in range(6):
            batch = _finished_requests(f"s{n}-", T0 + 10 * n, 4, "summaries")
            assert isinstance(batch, Batch)
            codes = [404, 400 if n in (1, 4) else 201, 201, 500]
            for delta, code in zip(batch.traces.values(), codes, strict=True):
                delta.status_code = code
            await sqlite.write(batch)
        with sqlite3.connect(sqlite.path) as conn:
            assert [row[0] for row in conn.execute("SELECT codes FROM segments ORDER BY seq")] == [
                "[201,404,500]", "[201,400,404,500]", "[201,404,500]", "[201,404,500]", "[201,400,404,500]",
                "[201,404,500]",
            ]  # fmt: skip
        decoded: list[int] = []
        get = sqlite._cache.get

        def counted(conn: sqlite3.Connection, seq: int, *args: Any) -> Any:
            decoded.append(seq)
            return get(conn, seq, *args)

        monkeypatch.setattr(sqlite._cache, "get", counted)

        async def listed(codes: str) -> list[str]:
            decoded.clear()
            return [
                t["traceId"] for t in (await sqlite.traces(TraceQuery(answered=parse_answered(codes)))).traces
            ]

        assert await listed("400") == ["s4-1", "s1-1"] and sorted(decoded) == [2, 5]
        assert await listed("400-403,500") == ["s5-3", "s4-3", "s4-1", "s3-3", "s2-3", "s1-3", "s1-1", "s0-3"]
        assert len(decoded) == 6
        assert await listed("401-403") == [] and decoded == []
        with sqlite3.connect(sqlite.path) as conn:
            conn.execute("UPDATE segments SET codes = NULL WHERE seq = 3")  # written before codes were kept
        assert await listed("400") == ["s4-1", "s1-1"] and sorted(decoded) == [2, 3, 5]
    finally:
        await sqlite.close()


async def test_a_listing_by_a_whole_trace_id_opens_only_the_segment_holding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole id is looked up by the writer's index of the segments (and the rows' index of ids): no
    segment's ids are looked in for it and only the segment holding it is decoded, however many are
    kept; a part of an id still looks in every segment's ids."""
    sqlite = await SqliteTraceStore.open(tmp_path / "traces.db")
    try:
        ids = [whole_id(n) for n in range(12)]
        for n, trace_id in enumerate(ids):
            await api_trace(sqlite, trace_id, T0 + n)  # a segment each
        line = log_line(T0 + 20, "later", trace=ids[5])
        await sqlite.write(Batch({ids[5]: TraceDelta(T0 + 20, T0 + 20)}, logs=[line]))  # a revision
        looked: list[int] = []
        decoded: list[int] = []
        may_hold_id, get = _segments.SegmentIndex.may_hold_id, sqlite._cache.get

        def counted_look(index: _segments.SegmentIndex, seq: int, *args: Any) -> bool | None:
            looked.append(seq)
            return may_hold_id(index, seq, *args)

        def counted_get(conn: sqlite3.Connection, seq: int, *args: Any) -> Any:
            decoded.append(seq)
            return get(conn, seq, *args)

        monkeypatch.setattr(_segments.SegmentIndex, "may_hold_id", counted_look)
        monkeypatch.setattr(sqlite._cache, "get", counted_get)
        [row] = (await sqlite.traces(TraceQuery(trace_id=ids[5]))).traces
        assert (row["traceId"], row["changes"]) == (ids[5], 2)
        assert looked == [] and decoded == [6]
        [row] = (await sqlite.traces(TraceQuery(trace_id=ids[5][-12:]))).traces
        assert row["traceId"] == ids[5] and len(looked) == 12
    finally:
        await sqlite.close()


@pytest.mark.parametrize("flush", [1, 5], ids=["one request a flush", "five a flush"])
def test_operations_and_log_lines_find_the_latest_spans_of_steps_and_the_oldest_are_let_go(
    monkeypatch: pytest.MonkeyPatch, flush: int
) -> None:
    """The assembler's (trace id, step) -> span index keeps at least the SPAN_INDEX_SIZE latest spans,
    whole requests' (put a flush at once) and others' alike, a span put again for its step and trace
    replacing the one before; it lets the oldest go (bounded memory). ``latest_spans`` (where live log
    followers start) lists at least the latest."""
    monkeypatch.setattr(_assembler, "SPAN_INDEX_SIZE", 8)
    assembler = Assembler(whole=True)
    requests = [_request(T0, f"t{n:02d}", n) for n in range(40)]
    requests[39][2] = "t38"  # a second request of t38's trace: its span is the step's latest there
    for first in range(0, 40, flush):
        assembler.apply(requests[first : first + flush])
        assembler.cut()
    found = {
        trace_id: assembler._by_step.get(trace_id, "Create") for trace_id in (f"t{n:02d}" for n in range(40))
    }
    assert found["t38"] == requests[39][1]
    assert all(found[f"t{n:02d}"] == requests[n][1] for n in range(32, 38))  # the latest 8 spans put
    assert found["t00"] is None  # let go
    latest = {(trace_id, step): span_id for trace_id, step, span_id in assembler.latest_spans()}
    assert len(latest) <= 2 * 8 and latest[("t38", "Create")] == requests[39][1]
    assert all(latest[(f"t{n:02d}", "Create")] == requests[n][1] for n in range(32, 38))
    # a log line of a trace whose span is kept finds it
    line = log_line(T0 + 50, "late", step="Create", trace="t35")
    assembler.apply([[LOG, line]])
    assert line["spanId"] == requests[35][1]
