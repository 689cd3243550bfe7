"""One contract for every TraceStore adapter (memory, SQLite, Redis): batches add up, listings filter and
page, one trace reads back in order, logs filter and page both ways, retention prunes by count and
age, and a restart turns running spans into lost ones."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.storage import JsonObject, RedisConnection, SqliteDatabase
from supervisor.tracing import (
    AmbiguousTraceId,
    Batch,
    LogFollower,
    LogQuery,
    MemoryTraceStore,
    Recorder,
    RedisTraceStore,
    Retention,
    Span,
    SqliteTraceStore,
    TraceDelta,
    TraceQuery,
    TraceStatus,
    TraceStore,
    TraceWriter,
    find_trace,
    parse_answered,
)
from supervisor.tracing._lookup import CANDIDATES
from tests.support.adapters import ADAPTER_KINDS, DURABLE_KINDS, AdapterHarness

Harness = AdapterHarness[TraceStore]
T0 = 1_800_000_000.0
_ids = itertools.count(1)


def _on_sqlite(db: SqliteDatabase) -> TraceStore:
    return SqliteTraceStore(db.path.with_name("traces.db"))  # a file of its own, beside the database


def _in_writer_process(db: SqliteDatabase) -> TraceStore:
    """The SQLite store as the runtime uses it: in a trace writer process (started by the first call)."""
    return TraceWriter(db.path.with_name("traces.db"))


def _on_redis(connection: RedisConnection) -> TraceStore:
    return RedisTraceStore(connection)


@pytest.fixture(params=[*ADAPTER_KINDS, "writer"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    writer = request.param == "writer"
    h: Harness = await AdapterHarness.open(
        "sqlite" if writer else request.param,
        tmp_path / ".motia" / "motia.db",
        MemoryTraceStore,
        _in_writer_process if writer else _on_sqlite,
        _on_redis,
        request,
    )
    yield h
    await h.close()


@pytest.fixture
def store(harness: Harness) -> TraceStore:
    return harness.adapter


def span(
    trace_id: str,
    span_id: str,
    step: str,
    start: float,
    *,
    status: str = "ok",
    kind: str = "api",
    language: str = "typescript",
    parent: str | None = None,
) -> Span:
    recorded = Span(trace_id, span_id, step, kind, language, f"steps/{step}.step.ts", start)  # type: ignore[arg-type]
    recorded.parent_span_id = parent
    if status != "running":
        recorded.ended_at = start + 0.01
        recorded.status = status  # type: ignore[assignment]
    return recorded


def log_line(
    at: float, message: str, *, level: str = "info", step: str | None = None, trace: str | None = None
) -> JsonObject:
    return {
        "id": int(at * 1_000_000) + next(_ids),
        "type": "log",
        "time": at * 1000,
        "level": level,
        "message": message,
        "step": step,
        "traceId": trace,
        "spanId": None,
        "runner": None,
        "logger": "motia.step",
        "meta": None,
    }


async def assert_listed_and_followed(
    store: TraceStore, lines: list[JsonObject], query: LogQuery, shown: list[str], label: str
) -> None:
    """``query`` lists the lines (messages) ``shown``, newest first, from the store and as a live follower
    of ``lines`` (written in order) matches them: the two filters agree."""
    assert [line["message"] for line in (await store.logs(query)).logs] == shown, label
    follower = LogFollower(query)
    assert [line["message"] for line in reversed(lines) if follower.matches(line)] == shown, label


def operation(trace_id: str, span_id: str, step: str, at: float, **detail: Any) -> JsonObject:
    return {
        "id": int(at * 1_000_000) + next(_ids),
        "type": "state",
        "name": "state.set",
        "traceId": trace_id,
        "spanId": span_id,
        "step": step,
        "time": at * 1000,
        "durationMs": 0.5,
        "error": None,
        **detail,
    }


async def api_trace(
    store: TraceStore,
    trace_id: str,
    start: float,
    step: str = "Create",
    *,
    failed: bool = False,
    code: int = 201,
) -> None:
    """One finished api request: its root span in its own batch, as the recorder writes it."""
    delta = TraceDelta(
        start, start + 0.01, kind="api", name=step, method="POST", path="/pets", status_code=code
    )
    delta.spans = 1
    delta.failures = 1 if failed else 0
    await store.write(
        Batch(
            {trace_id: delta},
            [
                span(
                    trace_id,
                    f"{abs(hash(trace_id)):016x}"[:16],
                    step,
                    start,
                    status="error" if failed else "ok",
                )
            ],
        )
    )


async def test_a_trace_adds_up_its_batches_and_derives_its_status(store: TraceStore) -> None:
    opened = TraceDelta(T0, T0, kind="api", name="Create", method="POST", path="/pets", open=1, spans=1)
    await store.write(Batch({"t1": opened}, [span("t1", "a" * 16, "Create", T0, status="running")]))
    [listed] = (await store.traces(TraceQuery())).traces
    assert listed["status"] == "running" and listed["durationMs"] is None

    closed = TraceDelta(T0 + 0.01, T0 + 0.5, method="POST", path="/pets", status_code=201, open=-1, spans=1)
    child = span("t1", "b" * 16, "Notify", T0 + 0.02, kind="event", language="python", parent="a" * 16)
    await store.write(Batch({"t1": closed}, [span("t1", "a" * 16, "Create", T0), child]))
    [listed] = (await store.traces(TraceQuery())).traces
    assert listed["status"] == "ok"
    assert listed["entry"] == {
        "type": "api",
        "step": "Create",
        "method": "POST",
        "path": "/pets",
        "statusCode": 201,
    }
    assert listed["spanCount"] == 2
    assert listed["steps"] == [
        {"name": "Create", "language": "typescript"},
        {"name": "Notify", "language": "python"},
    ]
    assert listed["durationMs"] == pytest.approx(500, abs=1)

    failed = TraceDelta(T0 + 0.6, T0 + 0.6, failures=1)
    await store.write(Batch({"t1": failed}))
    assert (await store.traces(TraceQuery(status="error"))).traces[0]["traceId"] == "t1"
    assert (await store.traces(TraceQuery(status="ok"))).traces == []


async def test_one_trace_reads_back_spans_by_start_and_events_by_time_then_as_recorded(
    store: TraceStore,
) -> None:
    """Events by time, not by id: an operation is recorded (given its id) once done, with the time it
    began, after the lines logged meanwhile; those of the same time in the order they were recorded."""
    root, child = "1" * 16, "2" * 16
    delta = TraceDelta(T0, T0 + 0.1, kind="api", name="Create", spans=2)
    ids = itertools.count(int(T0 * 1_000_000))  # recorded in this order, each at the time it began
    line = {**log_line(T0 + 0.002, "created", step="Create", trace="t1"), "id": next(ids)}
    first = {**operation("t1", root, "Create", T0 + 0.001, group="pets", key="1", size=10), "id": next(ids)}
    later = {**operation("t1", child, "Notify", T0 + 0.05, group="pets", key="1", size=12), "id": next(ids)}
    same = {**log_line(T0 + 0.05, "notified", step="Notify", trace="t1"), "id": next(ids)}
    await store.write(
        Batch(
            {"t1": delta},
            [
                span("t1", child, "Notify", T0 + 0.04, kind="event", parent=root),
                span("t1", root, "Create", T0),
            ],
            [later, first],
            [same, line],
        )
    )
    trace = await store.trace("t1")
    assert trace is not None
    assert [s["spanId"] for s in trace["spans"]] == [root, child]
    assert trace["spans"][1]["parentSpanId"] == root
    assert [e["id"] for e in trace["events"]] == [first["id"], line["id"], later["id"], same["id"]]
    assert {e["type"] for e in trace["events"]} == {"state", "log"}
    assert await store.trace("nope") is None


async def test_listings_filter_by_each_status(store: TraceStore) -> None:
    """``running``: work still open; ``error``: none open, a failure; ``ok``: neither (a store may
    narrow by status where it reads, as the Redis store's listing script does)."""
    await api_trace(store, "ok-1", T0)
    await api_trace(store, "failed-2", T0 + 1, failed=True)
    opened = TraceDelta(
        T0 + 2, T0 + 2, kind="api", name="Create", method="POST", path="/pets", open=1, spans=1
    )
    await store.write(
        Batch({"running-3": opened}, [span("running-3", "c" * 16, "Create", T0 + 2, status="running")])
    )
    expected: dict[TraceStatus, list[str]] = {"running": ["running-3"], "error": ["failed-2"], "ok": ["ok-1"]}
    for status, ids in expected.items():
        assert [t["traceId"] for t in (await store.traces(TraceQuery(status=status))).traces] == ids, status


async def test_listings_filter_by_step_status_time_and_any_part_of_the_id(store: TraceStore) -> None:
    ids = [f"0000{n}-aaaa-{n}bcd-9999-00000000000{n}" for n in range(5)]
    for n, trace_id in enumerate(ids):
        await api_trace(store, trace_id, T0 + n, step="Even" if n % 2 == 0 else "Odd", failed=n == 3)

    def listed(**filters: Any) -> Any:
        return store.traces(TraceQuery(**filters))

    assert [t["traceId"] for t in (await listed()).traces] == ids[::-1]
    assert [t["traceId"] for t in (await listed(step="Odd")).traces] == [ids[3], ids[1]]
    assert [t["traceId"] for t in (await listed(status="error")).traces] == [ids[3]]
    assert [t["traceId"] for t in (await listed(since=T0 + 1, until=T0 + 2.5)).traces] == [ids[2], ids[1]]
    # the middle and the end of an id, as log lines print the last 8 characters
    assert [t["traceId"] for t in (await listed(trace_id="2bcd")).traces] == [ids[2]]
    assert [t["traceId"] for t in (await listed(trace_id="00000004")).traces] == [ids[4]]


def whole_id(n: int) -> str:
    """A trace id as ``new_trace_id`` makes them (a UUID's 36 characters), the ``n``-th."""
    return f"0190{n:04x}-aaaa-7bcd-9999-{n:012x}"


async def test_a_whole_trace_id_reads_that_traces_row_and_a_part_of_one_every_id_holding_it(
    store: TraceStore,
) -> None:
    """A listing by a whole id (a UUID's 36 characters, or 32 hex digits: no other id holds it) is a
    look-up of that trace's row, as listed among the others: finished, running, revised by a later
    batch, filtered by status, step or answer too; a part of an id still matches every id holding
    it (the works of each look-up: tests/test_redis_traces.py, tests/test_trace_segments.py)."""
    ids = [whole_id(n) for n in range(4)]
    w3c = "4bf92f3577b34da6a3ce929d0e0e4736"  # a traceparent's
    for n, trace_id in enumerate(ids):
        await api_trace(store, trace_id, T0 + n, step="Even" if n % 2 == 0 else "Odd", failed=n == 3)
    await api_trace(store, w3c, T0 + 4, code=404)
    later = log_line(T0 + 9, "a later line", step="Even", trace=ids[2])
    await store.write(Batch({ids[2]: TraceDelta(T0 + 9, T0 + 9)}, logs=[later]))
    running = whole_id(9)
    opened = TraceDelta(
        T0 + 5, T0 + 5, kind="api", name="Create", method="POST", path="/pets", open=1, spans=1
    )
    await store.write(Batch({running: opened}, [span(running, "c" * 16, "Create", T0 + 5, status="running")]))
    listed = {t["traceId"]: t for t in (await store.traces(TraceQuery())).traces}

    async def rows(**filters: Any) -> list[JsonObject]:
        page = await store.traces(TraceQuery(**filters))
        assert page.next_cursor is None
        return page.traces

    for trace_id in [*ids, w3c, running]:
        assert await rows(trace_id=trace_id) == [listed[trace_id]], trace_id
    assert await rows(trace_id=whole_id(7)) == []  # none such
    assert await rows(trace_id=ids[3], status="error") == [listed[ids[3]]]
    assert await rows(trace_id=ids[3], status="ok") == []
    assert await rows(trace_id=running, status="running") == [listed[running]]
    assert await rows(trace_id=ids[1], step="Odd") == [listed[ids[1]]]
    assert await rows(trace_id=ids[1], step="Even") == []
    assert await rows(trace_id=w3c, answered=parse_answered("4xx")) == [listed[w3c]]
    assert await rows(trace_id=w3c, answered=parse_answered("2xx")) == []
    assert await rows(trace_id=ids[2], since=T0 + 3) == []  # a time: the walk, as before
    assert await rows(trace_id=ids[2], text="even") == [listed[ids[2]]]  # a text: the walk, as before
    # parts: the end of one id (as log lines print it), the part every one of ours holds
    assert await rows(trace_id=ids[2][-8:]) == [listed[ids[2]]]
    assert [t["traceId"] for t in await rows(trace_id="-aaaa-7bcd-")] == [running, *ids[::-1]]
    assert listed[ids[2]]["changes"] == 2 and listed[ids[1]]["changes"] == 1


async def test_a_trace_is_found_by_its_id_or_a_part_only_that_id_holds(store: TraceStore) -> None:
    """``find_trace``, what ``GET /__motia/traces/<id>`` answers with: the trace of a whole id, of a
    part of one (the end log lines print, a middle), none for a part no id holds; a part several ids
    hold is ambiguous, naming them newest first, at most ``CANDIDATES`` of them."""
    ids = [whole_id(n) for n in range(CANDIDATES + 2)]
    for n, trace_id in enumerate(ids):
        await api_trace(store, trace_id, T0 + n)
    await api_trace(store, "a-b", T0 + 20)  # a part of it is a whole id
    await api_trace(store, "a-b-c", T0 + 21)

    async def found(part: str) -> str | None:
        trace = await find_trace(store, part)
        return None if trace is None else str(trace["traceId"])

    assert await find_trace(store, ids[1]) == await store.trace(ids[1])
    assert await found(ids[1][-8:]) == ids[1]
    assert await found(ids[1][4:12]) == ids[1]
    assert await found("a-b") == "a-b"  # the whole id first, though another holds it
    assert await found("b-c") == "a-b-c"
    assert await found("zzzz") is None
    assert await found(whole_id(99)) is None
    with pytest.raises(AmbiguousTraceId) as raised:
        await find_trace(store, "-aaaa-7bcd-")
    assert raised.value.candidates == ids[::-1][:CANDIDATES]
    assert "'-aaaa-7bcd-' is part of more than one trace id" in str(raised.value)


async def all_pages(store: TraceStore, **filters: Any) -> list[list[str]]:
    """Every page of a listing, by its cursor, as the ids on each."""
    pages: list[list[str]] = []
    before = None
    while True:
        page = await store.traces(TraceQuery(before=before, **filters))
        pages.append([t["traceId"] for t in page.traces])
        if (before := page.next_cursor) is None:
            return pages


async def test_a_part_of_an_id_pages_newest_first_by_cursor_with_the_other_filters(store: TraceStore) -> None:
    """A part of an id held by some ids, pages of 2 by cursor: every id holding it once, newest first,
    equal starts told apart by id; with a status, a step or a time range too; a part held by none."""
    ids = [f"t{n:02d}-{'miss' if n % 3 == 1 else 'hit'}" for n in range(14)]
    starts = {trace_id: T0 + n // 4 for n, trace_id in enumerate(ids)}  # four at each instant
    for n, trace_id in enumerate(ids):
        await api_trace(
            store, trace_id, starts[trace_id], step="Even" if n % 2 == 0 else "Odd", failed=n % 5 == 0
        )

    def newest_first(kept: Any) -> list[str]:
        return sorted((i for i in ids if "-hit" in i and kept(ids.index(i))), key=lambda i: (starts[i], i))[
            ::-1
        ]

    def in_pages(listed: list[str]) -> list[list[str]]:
        return [listed[at : at + 2] for at in range(0, len(listed), 2)] if listed else [[]]

    assert await all_pages(store, trace_id="-hit", limit=2) == in_pages(newest_first(lambda n: True))
    assert await all_pages(store, trace_id="-hit", limit=2, status="error") == in_pages(
        newest_first(lambda n: n % 5 == 0)
    )
    assert await all_pages(store, trace_id="hit", limit=2, step="Odd") == in_pages(
        newest_first(lambda n: n % 2 == 1)
    )
    assert await all_pages(store, trace_id="-hit", limit=2, since=T0 + 1, until=T0 + 2) == in_pages(
        newest_first(lambda n: 1 <= n // 4 <= 2)
    )
    assert await all_pages(store, trace_id="-hit-", limit=2) == [[]]  # none holds it


async def test_a_part_of_an_id_is_taken_as_it_is_not_as_a_pattern(store: TraceStore) -> None:
    """Characters that Lua patterns, SQL's LIKE or a glob would take for something else (``.``, ``%``,
    ``_``, ``-``, ``[``, ``*``, ``?``, ``(``) match themselves alone, as in every store."""
    ids = ["a.c-1", "abc-2", "a%c-3", "a_c-4", "x%d9-5", "x19-6", "[x]*?-7", "(x)-8"]
    for n, trace_id in enumerate(ids):
        await api_trace(store, trace_id, T0 + n)

    async def found(part: str) -> list[str]:
        return [t["traceId"] for t in (await store.traces(TraceQuery(trace_id=part))).traces]

    assert await found("a.c") == ["a.c-1"]
    assert await found("a%c") == ["a%c-3"]
    assert await found("a_c") == ["a_c-4"]
    assert await found("%d") == ["x%d9-5"]
    assert await found("c-") == ["a_c-4", "a%c-3", "abc-2", "a.c-1"]  # "c-" as a Lua pattern: any
    assert await found("[x]*?") == ["[x]*?-7"]
    assert await found("(x)") == ["(x)-8"]
    assert await found("x?") == []
    assert await found("%") == ["x%d9-5", "a%c-3"]


async def test_a_traces_changes_count_every_batch_written_of_it_whatever_its_times(
    store: TraceStore,
) -> None:
    """``changes`` adds up the batches that wrote a trace (a span, an operation, a log line), in its
    row as listed, looked up by its id and read whole: it moves where ``updatedAt``, the latest time
    recorded, does not (a batch of earlier times: another supervisor's flush, on Redis)."""
    trace_id = whole_id(1)

    async def seen() -> tuple[int, float]:
        [listed] = (await store.traces(TraceQuery())).traces
        [row] = (await store.traces(TraceQuery(trace_id=trace_id))).traces
        whole = await store.trace(trace_id)
        assert whole is not None
        assert row == listed and {key: whole[key] for key in row} == row
        return row["changes"], row["updatedAt"]

    opened = TraceDelta(T0, T0, kind="api", name="Create", method="POST", path="/pets", open=1, spans=1)
    await store.write(Batch({trace_id: opened}, [span(trace_id, "a" * 16, "Create", T0, status="running")]))
    assert await seen() == (1, T0 * 1000)
    ended = TraceDelta(T0 + 0.01, T0 + 0.5, status_code=201, open=-1)
    await store.write(Batch({trace_id: ended}, [span(trace_id, "a" * 16, "Create", T0)]))
    assert await seen() == (2, (T0 + 0.5) * 1000)
    earlier = operation(trace_id, "a" * 16, "Create", T0 + 0.2)
    await store.write(Batch({trace_id: TraceDelta(T0 + 0.2, T0 + 0.2)}, operations=[earlier]))
    assert await seen() == (3, (T0 + 0.5) * 1000)
    line = log_line(T0 + 0.1, "an earlier line", step="Create", trace=trace_id)
    await store.write(Batch({trace_id: TraceDelta(T0 + 0.1, T0 + 0.1)}, logs=[line]))
    assert await seen() == (4, (T0 + 0.5) * 1000)


async def test_a_text_filter_finds_traces_by_name_id_or_step_in_any_ascii_case(store: TraceStore) -> None:
    """``text`` is a part of the trace's id, its name (``METHOD path``, the api or cron step, the
    emitted topic) or a step's name, each on its own, ASCII letters in any case (as SQLite's
    lower()); not the error of a span that did not fail (failed ones: the next test)."""
    await api_trace(store, "api-trace-0001", T0, step="CreatePet")
    cron = TraceDelta(T0 + 1, T0 + 1.01, kind="cron", name="NightlyReport", spans=1)
    await store.write(
        Batch({"cron-trace-0002": cron}, [span("cron-trace-0002", "c" * 16, "NightlyReport", T0 + 1)])
    )
    emitted = TraceDelta(T0 + 2, T0 + 2.01, kind="emit", name="pet.adopted", spans=1)
    notify = span("emit-trace-0003", "e" * 16, "Café", T0 + 2, kind="event", language="python")
    await store.write(Batch({"emit-trace-0003": emitted}, [notify]))
    await api_trace(store, "api-trace-0004", T0 + 3, step="CreatePet", failed=True)
    # a step that ran later, in a batch of its own
    later = span("api-trace-0004", "f" * 16, "SendMail", T0 + 3.5, kind="event", language="javascript")
    later.error = {"name": "Error", "message": "smtp refused", "stack": "", "location": None}
    await store.write(Batch({"api-trace-0004": TraceDelta(T0 + 3.5, T0 + 3.6, spans=1)}, [later]))

    async def found(text: str, **filters: Any) -> list[str]:
        return [t["traceId"] for t in (await store.traces(TraceQuery(text=text, **filters))).traces]

    assert await found("post /PETS") == ["api-trace-0004", "api-trace-0001"]  # the api's name
    assert await found("/pets") == ["api-trace-0004", "api-trace-0001"]
    assert await found("createpet") == ["api-trace-0004", "api-trace-0001"]  # its step
    assert await found("nightly") == ["cron-trace-0002"]  # the cron's step
    assert await found("PET.ADOPTED") == ["emit-trace-0003"]  # the emitted topic
    assert await found("sendmail") == ["api-trace-0004"]  # a step of a later batch
    assert await found("TRACE-0002") == ["cron-trace-0002"]  # a part of the id
    assert await found("api-trace-0001") == ["api-trace-0001"]  # an exact id
    assert await found("trace") == ["api-trace-0004", "emit-trace-0003", "cron-trace-0002", "api-trace-0001"]
    # ASCII letters only change case, as SQLite's lower(): É is not é
    assert await found("CAFé") == ["emit-trace-0003"]
    assert await found("CAFÉ") == []
    # never across two parts of the text, nor in the error of a span that did not fail
    assert await found("/pets CreatePet") == []
    assert await found("smtp refused") == []
    # with the other filters, all of them hold
    assert await found("createpet", status="error") == ["api-trace-0004"]
    assert await found("pet", step="Café") == ["emit-trace-0003"]
    assert await found("pet", until=T0 + 1.5) == ["api-trace-0001"]
    page = await store.traces(TraceQuery(text="pet", limit=1))
    assert [t["traceId"] for t in page.traces] == ["api-trace-0004"] and page.next_cursor is not None
    older = await store.traces(TraceQuery(text="pet", limit=5, before=page.next_cursor))
    assert [t["traceId"] for t in older.traces] == ["emit-trace-0003", "api-trace-0001"]


async def test_listings_filter_by_the_http_status_a_request_was_answered_with(store: TraceStore) -> None:
    """A request answered 4xx (a body refused before its step ran, a handler's 404) is ``ok``: its
    steps did not fail. ``answered`` finds the requests by the status code they were answered with,
    its class or a range of codes; a trace no request began (a cron run) or one not answered yet has
    none; the answer a trace's later batch brings counts; the other filters hold as well."""
    for n, code in enumerate((201, 404, 400, 302, 204)):
        await api_trace(store, f"answered-{code}", T0 + n, step="Get" if code == 404 else "Create", code=code)
    await api_trace(store, "answered-500", T0 + 5, failed=True, code=500)
    cron = TraceDelta(T0 + 6, T0 + 6.01, kind="cron", name="Nightly", spans=1)
    await store.write(Batch({"cron-run": cron}, [span("cron-run", "c" * 16, "Nightly", T0 + 6, kind="cron")]))
    # answered in a later batch than the one that began it (and, at first, not answered at all)
    began = TraceDelta(
        T0 + 7, T0 + 7, kind="api", name="Create", method="POST", path="/pets", open=1, spans=1
    )
    await store.write(Batch({"late": began}, [span("late", "d" * 16, "Create", T0 + 7, status="running")]))

    async def found(answered: str, **filters: Any) -> list[str]:
        query = TraceQuery(answered=parse_answered(answered), **filters)
        return [t["traceId"] for t in (await store.traces(query)).traces]

    assert await found("4xx") == ["answered-400", "answered-404"]
    assert await found("1xx") == []
    assert await found("400-499") == ["answered-400", "answered-404"]
    assert await found("404") == ["answered-404"]
    assert await found("4xx,5xx") == ["answered-500", "answered-400", "answered-404"]
    assert await found("2xx") == ["answered-204", "answered-201"]
    assert await found("100-999") == ["answered-500", "answered-204", "answered-302", "answered-400",
                                      "answered-404", "answered-201"]  # fmt: skip
    assert await found("302, 5XX") == ["answered-500", "answered-302"]
    ended = TraceDelta(T0 + 7.01, T0 + 7.01, method="POST", path="/pets", status_code=400, open=-1)
    await store.write(Batch({"late": ended}, [span("late", "d" * 16, "Create", T0 + 7)]))
    assert await found("4xx") == ["late", "answered-400", "answered-404"]
    # with the other filters, all of them hold
    assert await found("4xx", step="Create") == ["late", "answered-400"]
    assert await found("4xx,5xx", status="error") == ["answered-500"]
    assert await found("4xx", status="ok", text="answered") == ["answered-400", "answered-404"]
    assert await found("4xx", until=T0 + 1.5) == ["answered-404"]
    page = await store.traces(TraceQuery(answered=parse_answered("4xx"), limit=1))
    assert [t["traceId"] for t in page.traces] == ["late"] and page.next_cursor is not None
    older = await store.traces(TraceQuery(answered=parse_answered("4xx"), limit=5, before=page.next_cursor))
    assert [t["traceId"] for t in older.traces] == ["answered-400", "answered-404"]


async def test_listings_page_newest_first_without_gaps_or_repeats(store: TraceStore) -> None:
    ids = [f"trace-{n:02d}" for n in range(7)]
    for n, trace_id in enumerate(ids):
        await api_trace(store, trace_id, T0 + n)
    # two traces that started at the same instant are told apart by id
    await api_trace(store, "trace-07", T0 + 6)
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        page = await store.traces(TraceQuery(limit=3, before=before))
        seen += [t["traceId"] for t in page.traces]
        pages += 1
        if page.next_cursor is None:
            break
        before = page.next_cursor
    assert seen == ["trace-07", "trace-06", *ids[5::-1]]
    assert pages == 3


async def test_a_text_filter_finds_a_trace_by_a_failed_spans_error_message(store: TraceStore) -> None:
    """A failed span's error message, in any ASCII case, whether its trace ended in the batch that
    began it or in a later one (the SQLite store: a segment, or rows); not a message that did not
    fail, nor across two messages; with its error's name before it, as the Workbench and ``motia
    traces`` show it (``NotFoundError: Pet Rex not found``); or by its innermost cause, as the
    recorder keeps it (Node's ``fetch failed`` says what failed only there)."""
    failure = {
        "name": "NotFoundError",
        "message": "Pet Rex not found",
        "stack": "",
        "location": None,
        "cause": "Error: getaddrinfo ENOTFOUND api.example.test",
    }
    for trace_id, start, split in (("whole-trace", T0, False), ("split-trace", T0 + 1, True)):
        failed = span(trace_id, f"{int(start):016x}", "Create", start, status="error")
        failed.error = failure
        done = TraceDelta(start, start + 0.01, kind="api", name="Create", method="GET", path="/pets")
        done.spans, done.failures = 1, 1
        if split:  # running at the first cut
            running = span(trace_id, failed.span_id, "Create", start, status="running")
            began = TraceDelta(start, start, kind="api", name="Create", open=1, spans=1)
            await store.write(Batch({trace_id: began}, [running]))
            done = TraceDelta(start + 0.01, start + 0.01, method="GET", path="/pets", open=-1, failures=1)
        await store.write(Batch({trace_id: done}, [failed]))
    fine = span("fine-trace", "f" * 16, "Create", T0 + 2)
    fine.error = dict(failure)  # on a span that did not fail
    await store.write(
        Batch({"fine-trace": TraceDelta(T0 + 2, T0 + 2.01, kind="api", name="Create", spans=1)}, [fine])
    )

    async def found(text: str) -> list[str]:
        return [t["traceId"] for t in (await store.traces(TraceQuery(text=text))).traces]

    assert await found("rex NOT FOUND") == ["split-trace", "whole-trace"]
    assert await found("notfounderror") == await found("NotFoundError: Pet") == ["split-trace", "whole-trace"]
    assert await found("found pet") == []
    both = ["split-trace", "whole-trace"]
    assert await found("enotfound") == await found("Error: GETADDRINFO enotfound api") == both
    assert await found("not found error") == await found("Rex not found (caused by") == []


async def test_a_batch_of_hundreds_of_records_of_each_kind_reads_back_whole(store: TraceStore) -> None:
    """More rows of each kind than one statement binds, in a number that is no power of two (the
    SQLite store inserts them in statements of a power of two rows each), twice: new, then updated."""
    count = 301
    ids = [f"bulk-{n:04d}" for n in range(count)]
    for status in ("running", "ok"):
        deltas = {
            trace_id: TraceDelta(T0 + n, T0 + n + 0.01, spans=int(status == "running"))
            for n, trace_id in enumerate(ids)
        }
        for delta in deltas.values():
            delta.kind, delta.name, delta.open = "api", "Create", 1 if status == "running" else -1
        await store.write(
            Batch(
                deltas,
                [
                    span(trace_id, f"{n + 1:016x}", "Create", T0 + n, status=status)
                    for n, trace_id in enumerate(ids)
                ],
                [
                    operation(trace_id, f"{n + 1:016x}", "Create", T0 + n + 0.001)
                    for n, trace_id in enumerate(ids)
                ]
                if status == "ok"
                else [],
                [log_line(T0 + n, f"line {n}", trace=trace_id) for n, trace_id in enumerate(ids)]
                if status == "ok"
                else [],
            )
        )
    listed = (await store.traces(TraceQuery(limit=count + 1))).traces
    assert [t["traceId"] for t in listed] == ids[::-1]
    assert {(t["status"], t["spanCount"]) for t in listed} == {("ok", 1)}
    assert len((await store.logs(LogQuery(limit=count + 1))).logs) == count
    for n in (0, 127, 128, 300):
        trace = await store.trace(ids[n])
        assert trace is not None
        assert [s["status"] for s in trace["spans"]] == ["ok"]
        assert [e["message"] if "message" in e else e["type"] for e in trace["events"]] == [
            f"line {n}",
            "state",
        ]


async def test_logs_filter_and_page_back_and_forward(store: TraceStore) -> None:
    lines = [
        log_line(T0 + 0, "Pet created", step="Create", trace="t1"),
        log_line(T0 + 1, "slow feeding", level="warn", step="Feed", trace="t2"),
        log_line(T0 + 2, "Feeding FAILED", level="error", step="Feed", trace="t2"),
        log_line(T0 + 3, "supervisor started"),
        log_line(T0 + 4, "debugging", level="debug", step="Create", trace="t1"),
    ]
    await store.write(Batch(logs=lines))

    async def messages(**filters: Any) -> list[str]:
        return [line["message"] for line in (await store.logs(LogQuery(**filters))).logs]

    assert await messages() == [line["message"] for line in reversed(lines)]
    assert await messages(level="warn") == ["Feeding FAILED", "slow feeding"]
    assert await messages(step="Create") == ["debugging", "Pet created"]
    assert await messages(trace_id="t2") == ["Feeding FAILED", "slow feeding"]
    assert await messages(text="feeding") == ["Feeding FAILED", "slow feeding"]
    assert await messages(since=T0 + 1, until=T0 + 3) == [
        "supervisor started",
        "Feeding FAILED",
        "slow feeding",
    ]

    first = await store.logs(LogQuery(limit=2))
    assert [line["message"] for line in first.logs] == ["debugging", "supervisor started"]
    assert first.next_cursor == lines[3]["id"]
    second = await store.logs(LogQuery(limit=2, before=first.next_cursor))
    assert [line["message"] for line in second.logs] == ["Feeding FAILED", "slow feeding"]
    # a follower catching up: the lines after an id, oldest first
    after = await store.logs(LogQuery(after=lines[1]["id"]))
    assert [line["message"] for line in after.logs] == ["Feeding FAILED", "supervisor started", "debugging"]


async def test_a_text_filter_finds_log_lines_by_their_metadata_as_motia_dev_prints_it(
    store: TraceStore,
) -> None:
    """``q=`` (``motia logs --grep``) looks in a line's message and in its metadata's JSON, compact as
    ``motia dev`` prints it beside the message, in every store and in live filters alike; a line
    without metadata is not found by ``null``."""
    lines = [
        log_line(T0, "Pet created") | {"meta": {"name": "Buddy", "tags": ["calm", None]}},
        log_line(T0 + 1, "adopted Buddy"),
        log_line(T0 + 2, "feeding") | {"meta": "bowl of 'kibble'"},
        log_line(T0 + 3, "nothing else"),
        log_line(T0 + 4, "a count") | {"meta": 42},
        log_line(T0 + 5, 'said "hi" to 100%') | {"meta": {"path": "a\\b"}},
        log_line(T0 + 6, "fed axb 1000"),
    ]
    await store.write(Batch(logs=lines))
    for text, shown in [
        ("BUDDY", ["adopted Buddy", "Pet created"]),
        ('"name":"Buddy"', ["Pet created"]),
        ('calm",null', ["Pet created"]),
        ("KIBBLE", ["feeding"]),
        ("42", ["a count"]),
        ("null", ["Pet created"]),
        ("created\n{", []),  # the message and the metadata are matched each on its own
        ('"HI" to', ['said "hi" to 100%']),  # JSON escapes the message's quotes: looked in as it is
        ("100%", ['said "hi" to 100%']),  # LIKE's wildcards, as text
        ("a_b", []),
        ('a\\\\b"', ['said "hi" to 100%']),  # in the metadata's JSON: {"path":"a\\b"}
    ]:
        await assert_listed_and_followed(store, lines, LogQuery(text=text), shown, text)


async def test_a_text_filter_finds_metadata_written_with_json_spacing_as_its_compact_form(
    store: TraceStore,
) -> None:
    """A search written as JSON usually is (``"name": "Buddy"``, as Motia's log viewer shows metadata)
    finds the lines whose compact metadata (``{"name":"Buddy"}``) it matches once its spacing is taken
    out, in every store and in live filters alike; a message is still looked in as the search is
    typed (``a: b`` finds ``a: b``, ``1, 2`` does not find ``1,2``)."""
    lines = [
        log_line(T0, "Pet created") | {"meta": {"name": "Buddy", "tags": ["calm", None], "age": 3}},
        log_line(T0 + 1, "ratio a: b") | {"meta": {"note": "x: y"}},
        log_line(T0 + 2, 'said {"name":"Buddy"} and 1,2'),
        log_line(T0 + 3, "nothing else"),
    ]
    await store.write(Batch(logs=lines))
    for text, shown in [
        ('"name": "Buddy"', ["Pet created"]),
        ('"NAME" : "buddy"', ["Pet created"]),
        ('{ "name": "Buddy", "tags": [ "calm", null ], "age": 3 }', ["Pet created"]),
        ('"calm", null', ["Pet created"]),
        ('"age": 3', ["Pet created"]),
        ('"name":"Buddy"', ['said {"name":"Buddy"} and 1,2', "Pet created"]),
        ("a: b", ["ratio a: b"]),  # plain text, as typed
        ('"note": "x: y"', ["ratio a: b"]),  # the spacing inside a string is the string's
        ('"note": "x:y"', []),
        ("1, 2", []),
        ('"name": "Bud"', []),
    ]:
        await assert_listed_and_followed(store, lines, LogQuery(text=text), shown, text)


async def test_a_runner_filter_takes_a_runner_id_or_its_kind_in_every_store_and_in_live_filters(
    store: TraceStore,
) -> None:
    """``runner=`` (``motia logs --runner``) keeps the lines of one runner (``node-1``), or of every
    runner whose id begins with it up to a ``-`` (``node``: node-0, node-10, the spares and attached
    ones; ``node-spare``: the spares), never the core's own lines (no runner) nor a line that only
    mentions a runner in its metadata; ``node-1`` is not ``node-10``, and ``nod`` is no runner."""
    lines = [
        log_line(T0, "first node") | {"runner": "node-0"},
        log_line(T0 + 1, "python said") | {"runner": "python-0"},
        log_line(T0 + 2, "tenth node") | {"runner": "node-10"},
        log_line(T0 + 3, "core line") | {"meta": {"runner": "node-1"}},
        log_line(T0 + 4, "second node", step="Create") | {"runner": "node-1"},
        log_line(T0 + 5, "spare node") | {"runner": "node-spare-0"},
        log_line(T0 + 6, "attached python") | {"runner": "python-attached-1"},
    ]
    await store.write(Batch(logs=lines))
    for runner, shown in [
        ("node", ["spare node", "second node", "tenth node", "first node"]),
        ("node-1", ["second node"]),
        ("node-spare", ["spare node"]),
        ("python", ["attached python", "python said"]),
        ("python-attached-1", ["attached python"]),
        ("nod", []),
        ("node-", []),
        ("ruby", []),
    ]:
        await assert_listed_and_followed(store, lines, LogQuery(runner=runner), shown, runner)
    both = LogQuery(runner="node", step="Create")
    assert [line["message"] for line in (await store.logs(both)).logs] == ["second node"]
    # pages of several runners' lines, older and newer, meet where the cursor is
    first = await store.logs(LogQuery(runner="node", limit=2))
    assert [line["message"] for line in first.logs] == ["spare node", "second node"]
    older = await store.logs(LogQuery(runner="node", limit=2, before=first.next_cursor))
    assert [line["message"] for line in older.logs] == ["tenth node", "first node"]
    newer = await store.logs(LogQuery(runner="node", limit=2, after=lines[0]["id"]))
    assert [line["message"] for line in newer.logs] == ["tenth node", "second node"]


async def test_levels_rank_alike_in_every_store_and_in_live_filters(store: TraceStore) -> None:
    """Critical (logging.CRITICAL records as "critical": supervisor.logs.level_name) ranks above
    error, fatal is another name of it (warning of warn); a level none knows reads as info. One rule for all
    (tracing/_query.py)."""
    lines = [
        log_line(T0, "disk full", level="critical"),
        log_line(T0 + 1, "retrying", level="warn"),
        log_line(T0 + 2, "noted", level="notice"),
        log_line(T0 + 3, "gave up", level="fatal"),
        log_line(T0 + 4, "failed", level="error"),
    ]
    await store.write(Batch(logs=lines))
    for level, shown in [
        ("debug", ["failed", "gave up", "noted", "retrying", "disk full"]),
        ("info", ["failed", "gave up", "noted", "retrying", "disk full"]),
        ("warn", ["failed", "gave up", "retrying", "disk full"]),
        ("warning", ["failed", "gave up", "retrying", "disk full"]),  # Python's name of warn
        ("error", ["failed", "gave up", "disk full"]),
        ("critical", ["gave up", "disk full"]),
        ("fatal", ["gave up", "disk full"]),
    ]:
        await assert_listed_and_followed(store, lines, LogQuery(level=level), shown, level)


async def test_retention_keeps_the_newest_traces_and_log_lines(store: TraceStore) -> None:
    for n in range(10):
        trace_id = f"trace-{n}"
        await api_trace(store, trace_id, T0 + n)
        await store.write(
            Batch(
                operations=[operation(trace_id, "f" * 16, "Create", T0 + n)],
                logs=[log_line(T0 + n, f"line {n}", trace=trace_id)],
            )
        )
    pruned = await store.prune(Retention(max_traces=4, max_log_lines=3, max_age_s=3600), now=T0 + 10)
    assert (pruned.traces, pruned.logs) == (6, 7)
    assert [t["traceId"] for t in (await store.traces(TraceQuery())).traces] == [
        f"trace-{n}" for n in (9, 8, 7, 6)
    ]
    assert await store.trace("trace-5") is None
    kept = await store.trace("trace-6")
    assert kept is not None and kept["spans"] and any(e["type"] == "state" for e in kept["events"])
    assert [line["message"] for line in (await store.logs(LogQuery())).logs] == ["line 9", "line 8", "line 7"]

    # by age: everything older than an hour before "now" goes, whatever the counts
    pruned = await store.prune(
        Retention(max_traces=100, max_log_lines=100, max_age_s=3600), now=T0 + 3600 + 7.5
    )
    assert (pruned.traces, pruned.logs) == (2, 1)
    assert [t["traceId"] for t in (await store.traces(TraceQuery())).traces] == ["trace-9", "trace-8"]
    assert [line["message"] for line in (await store.logs(LogQuery())).logs] == ["line 9", "line 8"]


async def test_a_log_line_sent_twice_is_kept_once_and_counted_once_by_retention(harness: Harness) -> None:
    """A batch sent again (its first write's answer lost) holds lines stored already: the store keeps
    one of each, and retention counts what it holds, after a reopen too (the SQLite store counts its
    lines as it writes and prunes them)."""
    store = harness.adapter
    lines = [log_line(T0 + n, f"line {n}") for n in range(10)]
    await store.write(Batch(logs=lines[:6]))
    await store.write(Batch(logs=lines[3:8]))  # 3, 4 and 5 again
    await store.write(Batch(logs=lines[8:]))
    pruned = await store.prune(Retention(max_traces=100, max_log_lines=7, max_age_s=3600), now=T0 + 10)
    assert pruned.logs == 3
    if harness.kind in DURABLE_KINDS:
        store = await harness.reopen()
    await store.write(Batch(logs=[log_line(T0 + 10 + n, f"later {n}") for n in range(2)]))
    pruned = await store.prune(Retention(max_traces=100, max_log_lines=7, max_age_s=3600), now=T0 + 20)
    assert pruned.logs == 2
    kept = [line["message"] for line in (await store.logs(LogQuery())).logs]
    assert kept == ["later 1", "later 0", *(f"line {n}" for n in range(9, 4, -1))]


async def test_recovery_turns_running_spans_into_lost_ones_ending_at_their_last_record(
    harness: Harness,
) -> None:
    """A lost span ends (``endedAt``, ``durationMs``) at the end of its last operation or log line, one
    with none at its start: the same in every store, for every reader."""
    store = harness.adapter
    delta = TraceDelta(T0, T0, kind="api", name="Create", open=1, spans=2)
    line = log_line(T0, "started", trace="t1")
    logged = {**log_line(T0 + 0.2, "working", trace="t1"), "spanId": "a" * 16}
    stated = operation("t1", "a" * 16, "Create", T0 + 0.1)  # 0.5 ms long
    running = [span("t1", "a" * 16, "Create", T0, status="running")]
    running.append(span("t1", "b" * 16, "Notify", T0 + 0.05, status="running", kind="event"))
    await store.write(Batch({"t1": delta}, running, operations=[stated], logs=[line, logged]))
    if harness.kind in DURABLE_KINDS:  # a memory store starts empty after a restart: recover the same one
        store = await harness.reopen()
    assert await store.recover() == max(line["id"], logged["id"], stated["id"])
    trace = await store.trace("t1")
    assert trace is not None
    assert [span["status"] for span in trace["spans"]] == ["lost", "lost"]
    assert trace["status"] == "ok" and trace["open"] == 0
    assert trace["changes"] == 2  # the write, then the loss: a reader of its row reads it again
    create, notify = trace["spans"]
    assert create["endedAt"] == pytest.approx(T0 * 1000 + 200) and create["durationMs"] == pytest.approx(200)
    assert notify["endedAt"] == notify["startedAt"] and notify["durationMs"] == 0


async def test_an_api_span_ended_before_a_flush_and_answered_after_it_reads_back_with_its_answer(
    store: TraceStore, tmp_path: Path
) -> None:
    """The recorder sends the span with its end (or its end as an event of its own, when its start went
    in a batch before), then the answer as an event of its own in the next batch: the span is written
    again with its answer, and reads back as one answered in its own batch (a 5xx fails it and its
    trace)."""
    recorder = Recorder(store, Retention(100, 100, 3600), tmp_path)
    await recorder.start()
    ok = InvokeResult(1, True, b"{}", None)
    try:
        across = recorder.start_span("Create", "steps/create.step.ts", TriggerKind.API, "t-across")
        await recorder.flush()
        answers = {"t-late-ok": 201, "t-late-5xx": 503, "t-across": 202}
        for trace_id in ["t-late-ok", "t-late-5xx"]:
            span = recorder.start_span("Create", "steps/create.step.ts", TriggerKind.API, trace_id)
            recorder.end_span(span, ok)
        recorder.end_span(across, ok)
        await recorder.flush()
        for trace_id, code in answers.items():
            recorder.http_response(trace_id, "Create", "POST", "/pets", code)
        expected = {"t-late-ok": ("ok", None), "t-late-5xx": ("error", "HTTP 503"), "t-across": ("ok", None)}
        for trace_id, (status, error) in expected.items():
            trace = await recorder.trace(trace_id)
            assert trace is not None, trace_id
            [answered] = trace["spans"]
            code = answers[trace_id]
            assert (answered["status"], answered["statusCode"], trace["entry"]["statusCode"]) == (
                status,
                code,
                code,
            ), trace_id
            assert (answered["error"] or {}).get("name") == error, trace_id
            assert trace["status"] == status, trace_id
        failed = await recorder.traces(TraceQuery(status="error", limit=10))
        assert [entry["traceId"] for entry in failed.traces] == ["t-late-5xx"]
    finally:
        await recorder.stop()
