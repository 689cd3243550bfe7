"""What the Redis trace store adds to the contract (tests/test_trace_store_contract.py): several
supervisors write one store, each one's log lines reach the others live, a supervisor that stops
answering has its running work marked lost by the others, listings page through any number of
chunks, and recording waits out a Redis outage instead of failing or blocking."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from supervisor.storage import JsonObject, RedisConnection
from supervisor.tracing import (
    Batch,
    LogQuery,
    RedisTraceStore,
    Retention,
    TraceDelta,
    TraceQuery,
    parse_answered,
)
from supervisor.tracing import _redis as redis_traces
from tests.support.redis_server import RedisServer, redis_server_binary
from tests.test_trace_store_contract import T0, all_pages, api_trace, log_line, operation, span, whole_id


@pytest.fixture
async def connect(redis_server: RedisServer, redis_prefix: str) -> AsyncIterator[Callable[[], Any]]:
    """Opens a connection to the test's keys, as one more supervisor would."""
    opened: list[RedisConnection] = []

    async def open_one() -> RedisConnection:
        connection = await RedisConnection.open(redis_server.url, redis_prefix)
        opened.append(connection)
        return connection

    yield open_one
    for connection in opened:
        await connection.close()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the timeout"
        await asyncio.sleep(0.05)


async def test_lines_with_the_same_id_from_two_supervisors_are_both_kept_and_seen_live(
    connect: Callable[[], Awaitable[RedisConnection]],
) -> None:
    a, b = RedisTraceStore(await connect()), RedisTraceStore(await connect())
    seen_by_a: list[JsonObject] = []
    seen_by_b: list[JsonObject] = []
    a.listen(seen_by_a.extend)
    b.listen(seen_by_b.extend)
    for store in (a, b):
        await store._redis.subscribed()
    from_a = log_line(T0, "from A", trace="t1")
    from_b = {**from_a, "message": "from B"}  # the same microsecond, the same id
    await a.write(Batch({"t1": TraceDelta(T0, T0)}, logs=[from_a]))
    await b.write(Batch({"t1": TraceDelta(T0, T0)}, logs=[from_b]))

    stored = (await b.logs(LogQuery())).logs
    assert [line["message"] for line in stored] == ["from B", "from A"]
    assert [line["id"] for line in stored] == [from_a["id"] + 1, from_a["id"]]
    trace = await a.trace("t1")
    assert trace is not None and [e["message"] for e in trace["events"]] == ["from A", "from B"]
    await until(lambda: _true(seen_by_a and seen_by_b))
    assert [line["message"] for line in seen_by_a] == ["from B"]  # not its own: the recorder has them
    assert [line["message"] for line in seen_by_b] == ["from A"]
    await a.close()
    await b.close()


async def _true(value: object) -> bool:
    return bool(value)


async def test_the_running_work_of_a_supervisor_that_stopped_answering_is_marked_lost(
    connect: Callable[[], Awaitable[RedisConnection]],
) -> None:
    killed = RedisTraceStore(await connect())
    # Connected before the write: the survivor looks one round trip after it, well within its timeout
    # (a connection opened in between could take longer than that on a busy machine).
    survivor = RedisTraceStore(await connect(), node_timeout=1.0)
    opened = TraceDelta(T0, T0, kind="api", name="Create", open=1, spans=1)
    await killed.write(Batch({"t1": opened}, [span("t1", "a" * 16, "Create", T0, status="running")]))
    # never closed, never heard of again (as after kill -9)
    await survivor.recover()
    trace = await survivor.trace("t1")
    assert trace is not None and trace["status"] == "running"  # its supervisor may still be working

    async def lost() -> bool:
        trace = await survivor.trace("t1")
        return trace is not None and trace["spans"][0]["status"] == "lost"

    await until(lost)  # found out by the survivor's heartbeat
    trace = await survivor.trace("t1")
    assert trace is not None and trace["status"] == "ok" and trace["open"] == 0
    await survivor.close()


async def test_listings_page_through_many_chunks_and_equal_start_times(
    connect: Callable[[], Awaitable[RedisConnection]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_traces, "PAGE_CHUNK", 3)
    store = RedisTraceStore(await connect())
    ids = [f"trace-{n:02d}" for n in range(11)]
    for n, trace_id in enumerate(ids):
        await api_trace(store, trace_id, T0 + n // 5, failed=n % 4 == 0)  # five at each instant
    seen: list[str] = []
    before = None
    while True:
        page = await store.traces(TraceQuery(limit=4, before=before))
        seen += [t["traceId"] for t in page.traces]
        if page.next_cursor is None:
            break
        before = page.next_cursor
    assert seen == sorted(ids, reverse=True)
    assert [t["traceId"] for t in (await store.traces(TraceQuery())).traces] == seen
    failed = await store.traces(TraceQuery(status="error", limit=2))
    assert [t["traceId"] for t in failed.traces] == ["trace-08", "trace-04"]
    rest = await store.traces(TraceQuery(status="error", before=failed.next_cursor))
    assert [t["traceId"] for t in rest.traces] == ["trace-00"]

    await store.write(Batch(logs=[log_line(T0 + n, f"line {n}", level="warn" if n % 3 else "info")
                                  for n in range(10)]))  # fmt: skip
    warnings = await store.logs(LogQuery(level="warn", limit=4))
    assert [line["message"] for line in warnings.logs] == ["line 8", "line 7", "line 5", "line 4"]
    older = await store.logs(LogQuery(level="warn", before=warnings.next_cursor))
    assert [line["message"] for line in older.logs] == ["line 2", "line 1"]
    await store.close()


async def test_recording_waits_out_a_redis_outage_and_is_written_when_it_is_back(
    tmp_path: Path, redis_prefix: str
) -> None:
    binary = redis_server_binary()
    server = RedisServer(tmp_path / "redis", binary)
    connection = await RedisConnection.open(server.url, redis_prefix)
    store = RedisTraceStore(connection)
    try:
        server.stop()
        await until(lambda: _true(not connection.available))
        # neither fails nor waits: the recorder's flush goes on
        await asyncio.wait_for(store.write(Batch(logs=[log_line(T0, "during the outage")])), 1.0)
        server = RedisServer(tmp_path / "redis", binary, port=server.port)
        await until(lambda: _true(connection.available))
        await store.write(Batch(logs=[log_line(T0 + 1, "after it")]))
        lines = (await store.logs(LogQuery())).logs
        assert [line["message"] for line in lines] == ["after it", "during the outage"]
    finally:
        await store.close()
        await connection.close()
        server.stop()


async def test_recovery_and_retention_need_no_pooled_connection(
    connect: Callable[[], Awaitable[RedisConnection]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their reads (the newest log id and operation, the retention boundaries) go over the shared lane
    with every other command of the store: they work with redis-py's pool refusing every checkout."""
    connection = await connect()
    store = RedisTraceStore(connection)
    lines = [log_line(T0 + n, f"line {n}", trace="t1") for n in range(5)]
    await store.write(Batch({"t1": TraceDelta(T0, T0 + 4)}, logs=lines))  # the lane is open now

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a pooled connection was checked out")

    monkeypatch.setattr(connection.client.connection_pool, "get_connection", refused)
    assert await store.recover() == lines[-1]["id"]
    pruned = await store.prune(Retention(max_traces=1, max_log_lines=2, max_age_s=3600), now=T0 + 10)
    assert pruned.logs == 3
    assert [line["message"] for line in (await store.logs(LogQuery())).logs] == ["line 4", "line 3"]
    await store.close()


class _ChunksRun:
    """How many listing scripts (``_TRACE_CHUNK``) the store has run since ``count`` was last reset."""

    def __init__(self, store: RedisTraceStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        run = store._redis.run

        async def counted(script: Any, keys: Any, args: Any) -> Any:
            self.count += script is store._trace_chunk
            return await run(script, keys, args)

        monkeypatch.setattr(store._redis, "run", counted)


async def _commands_run(connection: RedisConnection, *commands: str) -> dict[str, int]:
    """How many times the server ran each of ``commands`` (those of scripts included) since the last
    call: its ``INFO commandstats``, then reset."""
    info = (await connection.execute("INFO", "commandstats")).decode()
    await connection.execute("CONFIG", "RESETSTAT")
    calls = {
        name.removeprefix("cmdstat_"): int(stats.split(",")[0].removeprefix("calls="))
        for name, _, stats in (line.partition(":") for line in info.splitlines() if ":" in line)
    }
    return {command: calls.get(command, 0) for command in commands}


async def _listed_by_status(store: RedisTraceStore, **filters: Any) -> dict[str, list[str]]:
    return {
        status: [t["traceId"] for t in (await store.traces(TraceQuery(status=status, **filters))).traces]
        for status in ("running", "error", "ok")
    }


async def test_a_status_filter_follows_a_trace_from_running_to_dead_lettered_to_replayed_and_ok(
    connect: Callable[[], Awaitable[RedisConnection]],
) -> None:
    """Each status filter lists a trace under its status of the moment (the status indexes), its
    start moved earlier by a later batch included; a pruned trace under none."""
    store = RedisTraceStore(await connect())
    await store.recover()
    await api_trace(store, "done", T0 + 5)
    changes = [  # (open, failures) as the assembler counts a delivery dead-lettered, then replayed
        ("running", TraceDelta(T0 + 1, T0 + 1, kind="api", name="Create", open=1, spans=1)),
        ("error", TraceDelta(T0 + 1, T0 + 2, open=-1, failures=1)),
        ("running", TraceDelta(T0, T0 + 3, open=1, failures=-1)),  # an earlier start seen meanwhile
        ("ok", TraceDelta(T0 + 1, T0 + 4, open=-1)),
    ]
    for n, (status, delta) in enumerate(changes):
        await store.write(Batch({"moving": delta}))
        expected = {"running": [], "error": [], "ok": ["done"]}
        expected[status] = [*expected[status], "moving"]
        assert await _listed_by_status(store) == expected, status
        if n >= 2:  # started at T0 now
            expected[status] = expected[status][:-1]
        assert await _listed_by_status(store, since=T0 + 0.5) == expected, status
    await store.prune(Retention(max_traces=1, max_log_lines=10, max_age_s=3600), now=T0 + 10)
    assert await _listed_by_status(store) == {"running": [], "error": [], "ok": ["done"]}
    await store.close()


async def test_a_status_filter_reads_only_the_traces_of_that_status(
    connect: Callable[[], Awaitable[RedisConnection]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One failure among 30 traces, the oldest: found by one listing script over a chunk of 3, not by
    walking all 30 (the step's index is walked where it is smaller); pages of equal starts by cursor."""
    monkeypatch.setattr(redis_traces, "PAGE_CHUNK", 3)
    store = RedisTraceStore(await connect())
    await store.recover()
    await api_trace(store, "failed-00", T0, step="Rare", failed=True)
    for n in range(1, 30):
        await api_trace(store, f"trace-{n:02d}", T0 + n // 4, failed=n % 10 == 0)
    chunks = _ChunksRun(store, monkeypatch)
    page = await store.traces(TraceQuery(status="error", limit=1, before=(T0 + 2, "trace-10")))
    assert [t["traceId"] for t in page.traces] == ["failed-00"] and chunks.count == 1
    chunks.count = 0
    assert [t["traceId"] for t in (await store.traces(TraceQuery(step="Rare", status="ok"))).traces] == []
    assert chunks.count == 1
    seen, before = [], None
    while True:
        page = await store.traces(TraceQuery(status="ok", limit=4, before=before))
        seen += [t["traceId"] for t in page.traces]
        if (before := page.next_cursor) is None:
            break
    assert seen == [f"trace-{n:02d}" for n in range(29, 0, -1) if n % 10]
    await store.close()


async def test_a_store_written_before_the_status_indexes_gets_them_at_recovery(
    connect: Callable[[], Awaitable[RedisConnection]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_traces, "PRUNE_CHUNK", 2)  # recovery indexes in chunks of it
    connection = await connect()
    store = RedisTraceStore(connection)
    for n in range(5):
        await api_trace(store, f"trace-{n}", T0 + n, failed=n % 2 == 1, code=404 if n < 2 else 201)
    prefix = store._prefix
    await connection.execute("DEL", *(f"{prefix}status:{s}" for s in ("running", "error", "ok")))
    await connection.execute("DEL", f"{prefix}answered:not-2xx")
    # as an earlier version left it: with the status indexes (``status-indexed``), without this one
    await connection.execute("DEL", f"{prefix}answered-indexed")
    await store.recover()
    assert await _listed_by_status(store) == {
        "running": [],
        "error": ["trace-3", "trace-1"],
        "ok": ["trace-4", "trace-2", "trace-0"],
    }
    answered = await store.traces(TraceQuery(answered=parse_answered("4xx")))
    assert [t["traceId"] for t in answered.traces] == ["trace-1", "trace-0"]
    await store.close()


async def test_recovery_indexes_a_store_written_before_the_indexes_reading_each_trace_once(
    own_redis: RedisServer,
) -> None:
    """The status and answer indexes' build reads each trace's hash by one HMGET (its start, counters
    and code), not one for its status and one more for its answer; a running trace's lost span
    (``_LOSE``) reads it once too. On a server of its own: the commands are counted server-wide."""
    connection = await RedisConnection.open(own_redis.url, "own:")
    store = RedisTraceStore(connection)
    try:
        for n in range(6):
            await api_trace(store, f"trace-{n}", T0 + n, failed=n == 1, code=404 if n < 3 else 201)
        began = TraceDelta(T0 + 9, T0 + 9, kind="api", name="Create", open=1, spans=1)
        await store.write(
            Batch({"running": began}, [span("running", "r" * 16, "Create", T0 + 9, status="running")])
        )
        await connection.execute("DEL", store._prefix + "answered-indexed", store._prefix + "status:error")
        await connection.execute("DEL", store._prefix + "status:running", store._prefix + "answered:not-2xx")
        await _commands_run(connection)
        await store._index_earlier_statuses()
        assert await _commands_run(connection, "hmget", "hget") == {"hmget": 7, "hget": 0}
        assert await _listed_by_status(store) == {
            "running": ["running"],
            "error": ["trace-1"],
            "ok": ["trace-5", "trace-4", "trace-3", "trace-2", "trace-0"],
        }
        answered = await store.traces(TraceQuery(answered=parse_answered("4xx")))
        assert [t["traceId"] for t in answered.traces] == ["trace-2", "trace-1", "trace-0"]
        await _commands_run(connection)
        assert await store._lose_dead_nodes(store._node) == 1
        assert await _commands_run(connection, "hmget") == {"hmget": 1}
        assert (await _listed_by_status(store))["running"] == []
    finally:
        await store.close()
        await connection.close()


async def test_an_answer_filter_taking_in_2xx_reads_the_code_from_the_hash_it_reads_whole(
    own_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most requests are answered 2xx: a filter taking them in tests the code on the hash the script
    reads whole for a match anyway (no HGET of it first); one naming no 2xx tests the code alone
    first (HGET), the hash read whole only for those answered so."""
    connection = await RedisConnection.open(own_redis.url, "own:")
    store = RedisTraceStore(connection)
    monkeypatch.setattr(redis_traces, "PAGE_CHUNK", 4)
    try:
        for n in range(12):
            await api_trace(store, f"trace-{n:02d}", T0 + n, code={3: 404, 7: 500}.get(n, 201))
        cron = TraceDelta(T0 + 20, T0 + 20, kind="cron", name="Tick", spans=1)
        await store.write(Batch({"tick": cron}, [span("tick", "c" * 16, "Tick", T0 + 20)]))

        async def found(answered: str, limit: int = 50) -> list[str]:
            await _commands_run(connection)
            page = await store.traces(TraceQuery(answered=parse_answered(answered), limit=limit))
            return [t["traceId"] for t in page.traces]

        assert await found("2xx", limit=3) == ["trace-11", "trace-10", "trace-09"]
        assert await _commands_run(connection, "hget", "hgetall") == {"hget": 0, "hgetall": 5}
        assert await found("200-404") == [f"trace-{n:02d}" for n in range(11, -1, -1) if n != 7]
        assert await _commands_run(connection, "hget", "hgetall") == {"hget": 0, "hgetall": 13}
        assert await found("4xx") == ["trace-03"]
        assert await _commands_run(connection, "hget", "hgetall") == {"hget": 2, "hgetall": 1}
    finally:
        await store.close()
        await connection.close()


async def test_an_answer_filter_but_2xx_reads_only_the_requests_answered_otherwise(
    connect: Callable[[], Awaitable[RedisConnection]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most requests are answered 2xx: a listing of those answered 4xx walks the requests answered
    other than 2xx (an index of them, kept as their start moves and pruned with them), not every
    trace; one that takes in 2xx walks them all."""
    store = RedisTraceStore(await connect())
    await store.recover()
    for n in range(60):
        await api_trace(store, f"trace-{n:02d}", T0 + n, code={10: 404, 30: 500, 50: 400}.get(n, 201))
    # a request whose later batch says it began earlier: listed (and indexed) under that start
    began = TraceDelta(T0 + 70, T0 + 70, kind="api", name="Create", method="GET", path="/x", spans=1)
    began.status_code = 409
    await store.write(Batch({"moved": began}, [span("moved", "e" * 16, "Create", T0 + 70)]))
    await store.write(Batch({"moved": TraceDelta(T0 + 20.5, T0 + 20.5)}))
    chunks = _ChunksRun(store, monkeypatch)
    monkeypatch.setattr(redis_traces, "PAGE_CHUNK", 3)

    async def found(answered: str) -> list[str]:
        chunks.count = 0
        query = TraceQuery(answered=parse_answered(answered))
        return [t["traceId"] for t in (await store.traces(query)).traces]

    # the 4 requests answered otherwise are 2 chunks of 3; the 61 traces would be 21
    assert await found("4xx") == ["trace-50", "moved", "trace-10"] and chunks.count == 2
    assert await found("4xx,5xx") == ["trace-50", "trace-30", "moved", "trace-10"] and chunks.count == 2
    assert len(await found("2xx")) == 50 and chunks.count > 16
    await store.prune(Retention(max_traces=20, max_log_lines=100, max_age_s=10**10), T0 + 100)
    assert await found("4xx") == ["trace-50"]
    assert await store._redis.execute("ZCARD", store._prefix + "answered:not-2xx") == 1
    await store.close()


async def test_a_text_filter_finds_texts_added_after_an_earlier_text_filter_kept_a_trace_s_texts(
    connect: Callable[[], Awaitable[RedisConnection]],
) -> None:
    """The listing script keeps the texts it built of a trace (``texts``) for the next text filter; a
    later batch adding a name, a route, a step or an error message drops them, to be built again."""
    connection = await connect()
    store = RedisTraceStore(connection)

    async def found(text: str) -> list[str]:
        return [t["traceId"] for t in (await store.traces(TraceQuery(text=text))).traces]

    began = TraceDelta(T0, T0, kind="api", name="CreatePet", open=1, spans=1)
    await store.write(Batch({"t1": began}, [span("t1", "a" * 16, "CreatePet", T0, status="running")]))
    await api_trace(store, "t2", T0 + 1, step="ListPets")
    assert await found("createpet") == ["t1"]
    assert await connection.execute("HEXISTS", f"{store._prefix}texts", "t1") == 1  # kept
    failed = span("t1", "b" * 16, "NotifyOwner", T0 + 0.5, status="error")
    failed.error = {"name": "Error", "message": "Mailbox Full", "stack": "", "location": None}
    done = TraceDelta(T0, T0 + 1, method="GET", path="/pets", open=-1, failures=1)
    await store.write(Batch({"t1": done}, [failed]))
    assert await found("createpet") == ["t1"]
    assert await found("get /pets") == ["t1"]
    assert await found("notifyowner") == ["t1"]
    assert await found("MAILBOX full") == ["t1"]
    assert await found("listpets") == ["t2"]
    assert await found("post /pets") == ["t2"]
    audit = span("t2", "c" * 16, "Audit", T0 + 1.5)
    await store.write(Batch({"t2": TraceDelta(T0 + 1, T0 + 2, spans=1)}, [audit]))
    assert await found("audit") == ["t2"]
    assert await found("listpets") == ["t2"]
    await store.close()


async def test_a_listing_reads_on_past_traces_the_script_let_through_and_the_reader_did_not(
    connect: Callable[[], Awaitable[RedisConnection]],
) -> None:
    """The script stops at as many traces as the page wants; where the reader's own test turns some
    down (a text matched across two of a trace's texts, which the script joins by line breaks), the
    next chunk begins right after the last trace the script looked at, not after its whole range."""
    store = RedisTraceStore(await connect())
    for n in range(4):
        await api_trace(store, f"across-{n}", T0 + 10 + n, step="Create")  # "create\npost /pets"
    await api_trace(store, "within", T0, step="Create\nPost")
    await api_trace(store, "older", T0 - 1, step="create\npost")
    page = await store.traces(TraceQuery(text="create\npost", limit=1))
    assert [t["traceId"] for t in page.traces] == ["within"]
    assert [
        t["traceId"]
        for t in (await store.traces(TraceQuery(text="create\npost", before=page.next_cursor))).traces
    ] == ["older"]
    await store.close()


def _earlier_version_writer(store: RedisTraceStore) -> RedisTraceStore:
    """``store`` writing as a supervisor from before the status and answer indexes did: its write
    script keeps neither them nor the kept texts, and it says no version of its own."""
    redis = store._redis
    write = redis_traces._WRITE.replace(
        "redis.call('HSET', P .. 'writer-versions', node, version)", ""
    ).replace("redis.call('HDEL', P .. 'texts', trace)", "")
    keeping_none = "local function move_status() end\nlocal function index_answer() end\n"
    store._write = redis.script(write.replace("local node, channel", keeping_none + "local node, channel", 1))
    store._beat = redis.script(
        redis_traces._PRELUDE + "\nredis.call('ZADD', P .. 'nodes', now_ms(), ARGV[2])\n"
    )
    return store


async def test_reads_do_without_the_indexes_while_a_supervisor_of_an_earlier_version_writes_and_build_them_after(
    connect: Callable[[], Awaitable[RedisConnection]],
) -> None:
    """A rolling upgrade: a supervisor of an earlier version writes to the same Redis. While it is heard
    of, the others' status, answer and text filters walk every trace (they find what it wrote); once
    it is gone (not heard of for ``node_timeout``), the next check builds the indexes again and drops
    the kept texts, and the filters use them again and still find it all."""
    new = RedisTraceStore(await connect(), node_timeout=5)
    old = _earlier_version_writer(RedisTraceStore(await connect(), node_timeout=5))
    await new.recover()
    await api_trace(new, "new-ok", T0)
    await api_trace(new, "new-failed", T0 + 1, failed=True)
    assert [t["traceId"] for t in (await new.traces(TraceQuery(text="create"))).traces] == [
        "new-failed",
        "new-ok",
    ]  # texts kept
    await old._redis.run(old._beat, (), [old._prefix, old._node])
    await new._check_writers()
    assert not new._indexed
    await api_trace(old, "old-failed", T0 + 2, step="Legacy", failed=True)
    await api_trace(old, "old-404", T0 + 3, step="Legacy", code=404)
    audit = span("new-ok", "a" * 16, "Audit", T0 + 4)
    await old.write(Batch({"new-ok": TraceDelta(T0, T0 + 4, spans=1)}, [audit]))

    async def found(**filters: Any) -> list[str]:
        return [t["traceId"] for t in (await new.traces(TraceQuery(**filters))).traces]

    async def all_found() -> None:
        assert await found(status="error") == ["old-failed", "new-failed"]
        assert await found(answered=parse_answered("4xx")) == ["old-404"]
        assert await found(text="audit") == ["new-ok"]
        assert await found(text="legacy", status="error") == ["old-failed"]

    await all_found()
    prefix = new._prefix
    await new._redis.execute("ZADD", prefix + "nodes", 0, old._node)  # not heard of since
    await new._check_writers()
    assert new._indexed and await new._redis.execute("GET", prefix + "answered-indexed") == b"1"
    assert await new._redis.execute("ZRANGE", prefix + "status:error", 0, -1) == [
        b"new-failed",
        b"old-failed",
    ]
    await all_found()
    await new.close()


async def test_a_listing_by_a_whole_trace_id_reads_that_traces_hash_alone(own_redis: RedisServer) -> None:
    """A whole id is a key: one HGETALL of its hash, not the listing script walking every trace kept
    for the ids holding it (which a part of an id still is). On a server of its own: the commands are
    counted server-wide."""
    connection = await RedisConnection.open(own_redis.url, "own:")
    store = RedisTraceStore(connection)
    ids = [whole_id(n) for n in range(40)]
    try:
        for n, trace_id in enumerate(ids):
            await api_trace(store, trace_id, T0 + n)
        await _commands_run(connection)
        [row] = (await store.traces(TraceQuery(trace_id=ids[7]))).traces
        assert row["traceId"] == ids[7] and row["changes"] == 1
        counted = await _commands_run(connection, "hgetall", "evalsha", "zrevrangebyscore")
        assert counted == {"hgetall": 1, "evalsha": 0, "zrevrangebyscore": 0}
        [row] = (await store.traces(TraceQuery(trace_id=ids[7][-12:]))).traces
        assert row["traceId"] == ids[7]
        assert (await _commands_run(connection, "evalsha"))["evalsha"] >= 1  # the listing script
    finally:
        await store.close()
        await connection.close()


async def test_a_listing_by_a_part_of_an_id_tests_the_ids_in_chunks_and_reads_only_the_traces_holding_it(
    own_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing script tests a part on the index's members, ``ID_CHUNK`` of them per script, and
    reads the hash of those holding it alone: 40 traces are 4 scripts (3, then 16 a script), not 14 of
    ``PAGE_CHUNK`` (3), and one HGETALL; a part most ids hold fills a page from the first script's
    ``PAGE_CHUNK``; what it tests beyond the id stays within ``PAGE_CHUNK`` per script, and the
    pages by cursor (equal starts across the chunks' and the budget's edges) are every store's. On a
    server of its own: the commands are counted server-wide."""
    monkeypatch.setattr(redis_traces, "PAGE_CHUNK", 3)
    monkeypatch.setattr(redis_traces, "ID_CHUNK", 16)
    connection = await RedisConnection.open(own_redis.url, "own:")
    store = RedisTraceStore(connection)
    ids = [whole_id(n) for n in range(40)]
    try:
        for n, trace_id in enumerate(ids):
            await api_trace(store, trace_id, T0 + n // 5, failed=n % 7 == 0)
        await store.traces(TraceQuery(limit=1))  # the listing script loaded (its first EVALSHA fails)
        await _commands_run(connection)
        assert [t["traceId"] for t in (await store.traces(TraceQuery(trace_id=ids[4][-12:]))).traces] == [
            ids[4]
        ]
        counted = await _commands_run(connection, "evalsha", "zrevrangebyscore", "hgetall")
        assert counted == {"evalsha": 4, "zrevrangebyscore": 4, "hgetall": 1}
        page = await store.traces(TraceQuery(trace_id="-7bcd-", limit=2))  # every id holds it
        assert [t["traceId"] for t in page.traces] == [ids[39], ids[38]]
        assert await _commands_run(connection, "evalsha", "hgetall") == {"evalsha": 1, "hgetall": 3}
        await store.traces(TraceQuery(trace_id="-7bcd-", text="found nowhere"))  # builds the kept texts
        await _commands_run(connection)
        assert (await store.traces(TraceQuery(trace_id="-7bcd-", text="found nowhere"))).traces == []
        counted = await _commands_run(connection, "evalsha", "hmget", "hgetall")
        assert counted == {"evalsha": 14, "hmget": 14, "hgetall": 0}  # 3 texts a script

        newest_first = sorted(ids, key=lambda i: (T0 + ids.index(i) // 5, i), reverse=True)
        pages = await all_pages(store, trace_id="-7bcd-", status="ok", limit=4)
        assert [i for page in pages for i in page] == [i for i in newest_first if ids.index(i) % 7]
        pages = await all_pages(store, trace_id="0", limit=3)
        assert [i for page in pages for i in page] == newest_first
    finally:
        await store.close()
        await connection.close()


async def test_two_supervisors_writing_one_trace_each_move_its_changes_where_its_update_time_stays(
    connect: Callable[[], Awaitable[RedisConnection]],
) -> None:
    """Two supervisors add to one trace's count of changes (``HINCRBY``, atomic in their scripts): the
    second flushes an operation recorded before the latest time the first wrote, which leaves
    ``updatedAt`` where it was; ``changes`` moves with each batch, as a reader watching the row
    (the Workbench's Endpoints panel) needs."""
    a, b = RedisTraceStore(await connect()), RedisTraceStore(await connect())
    trace_id = whole_id(1)
    began = TraceDelta(T0, T0 + 0.5, kind="api", name="Create", method="POST", path="/pets", spans=1)
    await a.write(Batch({trace_id: began}, [span(trace_id, "a" * 16, "Create", T0)]))
    [before] = (await b.traces(TraceQuery(trace_id=trace_id))).traces
    earlier = operation(trace_id, "a" * 16, "Create", T0 + 0.2)
    await asyncio.gather(
        b.write(Batch({trace_id: TraceDelta(T0 + 0.2, T0 + 0.2)}, operations=[earlier])),
        a.write(
            Batch({trace_id: TraceDelta(T0 + 0.3, T0 + 0.3)}, logs=[log_line(T0 + 0.3, "x", trace=trace_id)])
        ),
    )
    [after] = (await a.traces(TraceQuery(trace_id=trace_id))).traces
    assert (before["changes"], after["changes"]) == (1, 3)
    assert after["updatedAt"] == before["updatedAt"] == (T0 + 0.5) * 1000
    whole = await b.trace(trace_id)
    assert whole is not None and whole["changes"] == 3 and len(whole["events"]) == 2
    await a.close()
    await b.close()
