"""``/__motia/traces`` and ``/__motia/logs``: what the core recorded, paginated, and logs live (SSE).

    GET /__motia/traces[?step=&status=&answered=&since=&until=&traceId=&text=&limit=&cursor=]  newest first
    GET /__motia/traces/<traceId>                                                      spans and events

A trace is found by its whole id or by any part of one (``find_trace``: the 8 characters log lines
print); a part of several ids answers 409 naming the newest of them (``candidates``).
    GET /__motia/logs[?level=&step=&traceId=&runner=&q=&since=&until=&limit=&before=&after=]
    GET /__motia/logs/stream[?level=&step=&traceId=&runner=&q=]                  text/event-stream

A ``step`` filter naming no step, neither of the project nor in what was recorded, answers 404
(``unheard_of_step``) on any page of a listing that found nothing, and on a live stream at once: a
misspelt step would otherwise read as "nothing (yet)", or a follower wait for ever. So does a log
``runner`` filter naming no kind of runner, no runner running now and none recorded
(``unheard_of_runner``). A runner the project can still start (a spare, an attached one) is a valid
filter with no lines yet: a listing answers an empty page, a live stream waits for its lines; one it
never can (``node-9`` with a pool of one, ``node-spare`` with no spare runners) is refused by both.

Times are epoch milliseconds, in and out. A live log stream sends each new matching line as an
event ``log`` whose id is the line's; a client that reconnects with ``Last-Event-ID`` (or
``?after=``) first gets the lines it missed, from the store. When the server is stopping, the stream
ends with an event ``stopping`` (data ``{"status":"stopping"}``, as the health says) for a client to
wait for the next server rather than reconnect at once (``motia logs --follow``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Collection

import orjson
from quart import Quart, Response, request

from supervisor.http._params import (
    BadParameter,
    choice,
    count,
    endpoint,
    epoch_ms,
    error,
    integer,
    is_digits,
    only,
    text,
    unheard_of_runner,
    unheard_of_step,
)
from supervisor.http._quart import json_response
from supervisor.storage import JsonObject
from supervisor.tracing import (
    LEVEL_NAMES,
    TRACE_STATUSES,
    AmbiguousTraceId,
    LogFollower,
    LogQuery,
    Recorder,
    TraceQuery,
    decode_cursor,
    encode_cursor,
    find_trace,
    parse_answered,
)

HEARTBEAT_S = 15.0
RETRY_MS = 2000
#: lines read from the store per round when a follower catches up
CATCH_UP_PAGE = 500
STOPPING_EVENT = b'event: stopping\ndata: {"status":"stopping"}\n\n'


def register_traces(
    app: Quart,
    recorder: Recorder,
    steps: Callable[[], Collection[str]],
    runners: Callable[[], Collection[str]],
    to_come: Callable[[], Collection[str]],
) -> None:
    """``steps``: the names of the project's steps now (a reload changes them), for a ``step`` filter
    that matched nothing to be told from a misspelt one (``unheard_of_step``); ``runners``: the kinds
    of runner and the ids of those running now, for a ``runner`` filter (``unheard_of_runner``);
    ``to_come``: the ids the project's runners can take, running or not yet."""

    async def unheard(
        step: str | None, found: bool, recorded: Callable[[str], Awaitable[bool]]
    ) -> Response | None:
        """The 404 of a ``step`` that ``found`` nothing and is neither the project's nor recorded:
        the store is asked only then (an empty later page, a removed step's old lines, a first page
        that other filters emptied), so an answer that found something costs nothing more, and a live
        stream is checked once, as it opens, never per line."""
        names = steps()
        if step is None or found or step in names or await recorded(step):
            return None
        return unheard_of_step(step, False, names)

    async def traces_recorded(step: str) -> bool:
        return bool((await recorder.traces(TraceQuery(step=step, limit=1))).traces)

    async def logs_recorded(step: str) -> bool:
        return bool((await recorder.logs(LogQuery(step=step, limit=1))).logs)

    async def unheard_runner(runner: str | None, found: bool) -> Response | None:
        """The 404 of a ``runner`` filter that ``found`` nothing, names no runner running now
        (``runners``), none that can run later (``to_come``: a spare, a runner of a language whose first
        step file comes later) and no line recorded: the store is asked only then, as for a step. One
        rule for a listing and a follower: what a follower waits for, a listing finds no lines of yet."""
        if runner is None or found:
            return None
        refused = unheard_of_runner(runner, runners(), to_come())
        if refused is None or (await recorder.logs(LogQuery(runner=runner, limit=1))).logs:
            return None
        return refused

    @app.route("/__motia/traces", methods=["GET"])
    @endpoint
    async def list_traces() -> Response:
        only("step", "status", "answered", "since", "until", "traceId", "text", "limit", "cursor")
        cursor = text("cursor")
        try:
            before = decode_cursor(cursor) if cursor is not None else None
        except ValueError:
            raise BadParameter(f"cursor must be a nextCursor this endpoint gave (got {cursor!r})") from None
        status = choice("status", TRACE_STATUSES)
        answered = text("answered")
        try:
            ranges = parse_answered(answered) if answered is not None else None
        except ValueError as exc:
            raise BadParameter(f"answered: {exc}") from None
        query = TraceQuery(
            step=text("step"),
            status=status,  # type: ignore[arg-type]  # checked by choice()
            since=epoch_ms("since"),
            until=epoch_ms("until"),
            trace_id=text("traceId"),
            text=text("text"),
            answered=ranges,
            limit=count("limit", 50, 500),
            before=before,
        )
        page = await recorder.traces(query)
        refused = await unheard(query.step, bool(page.traces), traces_recorded)
        if refused:
            return refused
        return json_response(200, {"traces": page.traces, "nextCursor": encode_cursor(page.next_cursor)})

    @app.route("/__motia/traces/<trace_id>", methods=["GET"])
    @endpoint
    async def one_trace(trace_id: str) -> Response:
        try:
            trace = await find_trace(recorder, trace_id)
        except AmbiguousTraceId as exc:
            return error(409, str(exc), candidates=exc.candidates)
        if trace is None:
            return error(404, f"no trace {trace_id!r} (never recorded, or older than the retention)")
        return json_response(200, trace)

    @app.route("/__motia/logs", methods=["GET"])
    @endpoint
    async def list_logs() -> Response:
        only(*LOG_FILTERS, "limit", "before", "after")
        before, after = integer("before"), integer("after")
        if before is not None and after is not None:
            # one pages back (newest first), the other reads forward (oldest first): no one order
            raise BadParameter(
                "before and after cannot be given together (before pages back, after reads forward)"
            )
        query = dataclasses.replace(
            _log_filter(), limit=count("limit", 100, 1000), before=before, after=after
        )
        page = await recorder.logs(query)
        refused = await unheard(query.step, bool(page.logs), logs_recorded) or await unheard_runner(
            query.runner, bool(page.logs)
        )
        if refused:
            return refused
        return json_response(200, {"logs": page.logs, "nextCursor": page.next_cursor})

    @app.route("/__motia/logs/stream", methods=["GET"])
    @endpoint
    async def follow_logs() -> Response:
        only(*LOG_FILTERS, "after")
        query = _log_filter()
        refused = await unheard(query.step, False, logs_recorded) or await unheard_runner(query.runner, False)
        if refused:
            return refused
        last_event_id = request.headers.get("last-event-id")
        after = int(last_event_id) if last_event_id and is_digits(last_event_id) else integer("after")
        follower = recorder.follow(query)  # before the catch-up read: nothing falls in between
        response = Response(
            _log_events(recorder, follower, query, after),
            content_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        response.timeout = None  # open for as long as the client wants
        return response


#: the parameters ``_log_filter`` reads
LOG_FILTERS = ("level", "step", "traceId", "runner", "q", "since", "until")


def _log_filter() -> LogQuery:
    return LogQuery(
        level=choice("level", LEVEL_NAMES),
        step=text("step"),
        trace_id=text("traceId"),
        runner=text("runner"),
        text=text("q"),
        since=epoch_ms("since"),
        until=epoch_ms("until"),
    )


async def _log_events(
    recorder: Recorder, follower: LogFollower, query: LogQuery, after: int | None
) -> AsyncIterator[bytes]:
    last = after
    # The follower has every line recorded since it started, some of which the catch-up sent: only
    # those are left out, not every id below the last sent (with several supervisors on Redis,
    # another's lines arrive after this one's newer ones).
    sent: set[int] = set()
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        if after is not None:
            while True:
                page = await recorder.logs(dataclasses.replace(query, after=last, limit=CATCH_UP_PAGE))
                if page.logs:
                    yield b"".join(_event(line) for line in page.logs)
                    last = page.logs[-1]["id"]
                    sent.update(line["id"] for line in page.logs)
                if len(page.logs) < CATCH_UP_PAGE:
                    break
        while True:
            lines = await follower.take(HEARTBEAT_S)
            fresh = [line for line in lines if line["id"] not in sent]
            if fresh:
                yield b"".join(_event(line) for line in fresh)
            elif lines:
                continue  # the catch-up sent them
            elif follower.closed:
                # Closed for falling behind, or the server is stopping: the response ends, its last
                # chunk sent; EventSource reconnects with Last-Event-ID.
                if not follower.overflowed:
                    yield STOPPING_EVENT
                return
            else:
                yield b": heartbeat\n\n"
    finally:
        recorder.unfollow(follower)


def _event(line: JsonObject) -> bytes:
    return b"id: %d\nevent: log\ndata: %s\n\n" % (line["id"], orjson.dumps(line))
