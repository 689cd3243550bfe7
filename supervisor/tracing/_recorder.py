"""``Recorder``: what the core calls as work happens; it keeps traces and logs off the request path.

Every call appends one *event* (a flat tuple, see ``_assembler``) to a list and returns. A background
flush sends the list to the ``EventSink`` every ``FLUSH_INTERVAL_S``, or at once when ``FLUSH_AT``
events are waiting: the trace writer process (``TraceWriter``), which assembles spans and trace
summaries from them and writes them to SQLite, or a ``LocalSink`` beside the recorder that does the
same for the stores living in the supervisor (memory, Redis) and for the OpenTelemetry exporter.
Reads flush first, so what was recorded before a read is in its answer.

Cheap on the request path: a trivial api request costs a span id, a handle and one event (its START,
made with room for its runner, end and response, which are written into it in place while it waits
for the flush, then encoded once; a flush sends an unanswered one as far as it got, and what follows
goes as events of their own, so that a span is seen running meanwhile); spans, indexes and rows are
built on the other side of the sink (bench/RESULTS.md, tracing overhead). Live
log followers are served here, as lines are recorded, with the ``spanId`` the sink gives the stored
line (found here too while someone follows: ``_follow.Followers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from supervisor.logs import level_name
from supervisor.protocol import ContextCall, ErrorInfo, InvokeResult, TriggerKind
from supervisor.storage import JsonObject, JsonValue

from ._assembler import DELIVERED, END, LOG, OPERATION, RAN_ON, RESPONSE, START
from ._follow import Followers, LogFollower
from ._handler import OWN_LOGGER, RecordingHandler
from ._pipeline import EventSink, LocalSink, SpanExporter
from ._records import (
    NO_SPAN_ID,
    LogPage,
    LogQuery,
    Retention,
    SpanKind,
    TracePage,
    TraceQuery,
    new_span_ids,
)
from ._stack import locate
from ._store import TraceStore
from ._wire import KEPT_EVENT
from ._writer import TraceWriter, TraceWriterUnavailable

_logger = logging.getLogger(OWN_LOGGER)
_dumps = orjson.dumps
#: a module global: one attribute load less per clock read than ``time.time`` (three per request)
_now = time.time

FLUSH_INTERVAL_S = 0.5
#: to the trace writer process, small batches: each flush lets go of its events' objects (a request's
#: answered START, kept encoded), and 2,000 of them at a time were freed and their memory given back and
#: faulted in again: 0.63 minor page faults per trivial request against 0.1 (bench/RESULTS.md, session
#: 21). The trace writer applies frames as they come and writes in larger batches of its own
#: (``_writer_process.COMMIT_AT``).
FLUSH_AT = 256
#: to a sink in the supervisor (memory, Redis, the OpenTelemetry exporter), which assembles each batch
#: here: batches as large as before frames got small (a smaller batch cuts more requests in flight)
LOCAL_FLUSH_AT = 2000
#: a flush due to ``FLUSH_AT`` sends the events before the first request still in flight, and keeps
#: the rest in the batch (``_flush_once``): a request cut by a flush is assembled as spans by the trace
#: writer, not kept as the one event it is, and ~32 are in flight at each flush under load. The batch
#: goes whole, those in flight cut, once it holds this many events (or on a read, or the timer's flush)
BATCH_AT = 4096
#: past this many events waiting (the sink cannot keep up), new ones are dropped and counted
MAX_BUFFERED = 200_000
#: emitted payloads kept in a trace, encoded; a larger one keeps its size and a preview
MAX_PAYLOAD_BYTES = 16 * 1024

#: a START event's length before anything is folded into it (``_assembler``)
_START_FIELDS = 14
#: its length with END's fields folded in (``_assembler``)
_ENDED_FIELDS = 17
#: an api span's START is made this long at once: with room for END's and RESPONSE's fields, which
#: are written in place (``end_span``, ``http_response``), so that an answered request's event is built
#: once (bench/RESULTS.md, session 16); a flush cuts one that is not answered yet (``_flush_once``)
_ANSWERED_FIELDS = 21
#: span ids are made this many at a time (``new_span_ids``)
_SPAN_IDS_AT_ONCE = 512

_KINDS: dict[int, SpanKind] = {TriggerKind.API: "api", TriggerKind.EVENT: "event", TriggerKind.CRON: "cron"}
#: a module global: an enum member looked up on its class is a slow attribute load in CPython 3.11
_API = TriggerKind.API


class TracingOff(Exception):
    """Traces and logs are not recorded (``tracing.enabled`` is false)."""


class SpanHandle:
    """A step's span as the request path holds it: its id, and the way to say which runner took it.
    ``start``: its START event, ``batch``: the recorder's batch it went into (what follows is folded
    into it while that batch is still unsent), ``at``: where ``start`` is in that batch. Made by
    calling the class (no ``__init__``: its fields are set by whoever makes it, ``start_span`` or
    ``_handle``; the cheapest way to a slotted object, bench/RESULTS.md, session 12)."""

    __slots__ = ("_recorder", "at", "batch", "span_id", "start")

    _recorder: Recorder | None
    span_id: str
    start: list[Any] | None
    batch: int
    at: int

    def ran_on(self, runner: str, pid: int | None) -> None:
        """Which runner process took the invocation (called by the pool when it picks one)."""
        recorder = self._recorder
        if recorder is None:
            return
        start = self.start
        if start is not None and self.batch == recorder._batch:  # (``end_span`` lets go of it)
            start[12], start[13] = runner, pid
        else:
            recorder._record((RAN_ON, self.span_id, runner, pid))


def _handle(recorder: Recorder | None, span_id: str) -> SpanHandle:
    """A handle whose START is not in the recorder's hands (dropped, or nothing is recorded)."""
    span = SpanHandle()
    span._recorder = recorder
    span.span_id = span_id
    span.start = None
    span.batch = span.at = -1
    return span


_IDLE_SPAN = _handle(None, NO_SPAN_ID)
"""What ``start_span`` returns when nothing is recorded: every call on it is a no-op for the recorder."""


class _Ids:
    """Operation and log line ids: the microsecond they were recorded at, made strictly increasing."""

    def __init__(self, floor: int = 0) -> None:
        self._last = floor

    @property
    def last(self) -> int:
        return self._last

    def next(self) -> int:
        now = int(_now() * 1_000_000)
        self._last = now if now > self._last else self._last + 1
        return self._last


class Recorder:
    """Records traces and logs into ``store`` (None: not stored) and ``exporter`` (None: not exported);
    with neither, every call returns at once."""

    def __init__(
        self,
        store: TraceStore | None,
        retention: Retention,
        project_root: Path,
        internal_dirs: Sequence[Path] = (),
        exporter: SpanExporter | None = None,
    ) -> None:
        self._stored = store is not None
        self.enabled = store is not None or exporter is not None
        # Spans are assembled where they go: in the trace writer process, unless they are exported
        # from here.
        self._sink: EventSink = (
            store.assembling(retention)
            if isinstance(store, TraceWriter) and exporter is None
            else LocalSink(store, exporter, retention)
        )
        self._root = project_root
        self._internal = tuple(internal_dirs)
        self._events: list[Any] = []
        #: span ids not given yet (``start_span`` takes them from the end)
        self._span_ids: list[str] = []
        #: whether a span's START, once nothing more is folded into it, is kept encoded (JSON ``bytes``)
        #: until the flush: when the events go through the trace writer's pipe as JSON anyway. A list
        #: kept for up to ``FLUSH_INTERVAL_S`` is one object more per request for the garbage collector
        #: (its young collections ran 2-3 times as often, each walking the requests in flight);
        #: ``bytes`` are none (bench/RESULTS.md, tracing overhead, ninth pass).
        self._encoding = isinstance(store, TraceWriter) and exporter is None
        #: how many of ``_events`` were sent (their slots hold None: a flush due to FLUSH_AT sends the
        #: events before the first request in flight, and the batch goes on), and its length at
        #: which the next flush is due
        self._sent = 0
        self._flush_len = self._flush_at
        #: where the START of the api span that ended last is in ``_events`` (-1: none), still unsent
        #: and waiting for its response to be folded in; ``_waiting``: the others that wait, by (trace
        #: id, step) (``_wait_behind``)
        self._answering = -1
        self._waiting: dict[tuple[str, str], int] = {}
        #: how many api spans' STARTs in ``_events`` wait for their answer (``_cut_unanswered``)
        self._unanswered = 0
        #: which batch ``_events`` is (counted up as each is taken to be sent)
        self._batch = 0
        self._ids = _Ids()
        self._followers = Followers()
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._handler: RecordingHandler | None = None
        #: once the sink has recovered (``start``): events wait until then
        self._started = False
        self.dropped = 0

    @property
    def _flush_at(self) -> int:
        """How many events make a flush due (``FLUSH_AT``, ``LOCAL_FLUSH_AT``)."""
        return FLUSH_AT if self._encoding else LOCAL_FLUSH_AT

    @property
    def stored(self) -> bool:
        """Whether traces and logs can be read back (``tracing.enabled``)."""
        return self._stored

    # ------------------------------------------------------------------ lifecycle

    def listen(self) -> None:
        """Record the lines logged under ``motia`` from now on (``start`` does, if not done before:
        lines logged while the sink starts wait for it)."""
        if self.enabled and self._handler is None:
            self._handler = RecordingHandler(self.log_record, asyncio.get_running_loop())
            logging.getLogger("motia").addHandler(self._handler)

    async def start(self) -> None:
        """The sink recovers what a previous process left running; then what was recorded meanwhile
        goes to it."""
        if not self.enabled:
            return
        highest = await self._sink.start()
        self._ids = _Ids(max(highest, self._ids.last))
        self.listen()
        self._started = True
        if self._events:
            self._changed()

    async def stop(self) -> None:
        if self._handler is not None:
            logging.getLogger("motia").removeHandler(self._handler)
            self._handler = None
        self._followers.close()
        if not self.enabled:
            return
        if self._started:
            await self.flush()
        await self._sink.stop()

    # ------------------------------------------------------------------ spans

    def start_span(
        self,
        step: str,
        file: str,
        kind: TriggerKind,
        trace_id: str,
        topic: str = "",
        *,
        parent_span_id: str | None = None,
        remote_parent: bool = False,
        delivery_id: int | None = None,
        attempt: int = 1,
    ) -> SpanHandle:
        """A step starts running (an api request, one attempt of a delivery, a cron run)."""
        if not self.enabled:
            return _IDLE_SPAN
        span_ids = self._span_ids
        span_id = span_ids.pop() if span_ids else self._more_span_ids()
        if self._followers.spans is not None:  # only while someone follows the logs
            self._followers.started(trace_id, step, span_id)
        # ``_record`` and the handle's making written out: a request's share of the recorder is a few
        # µs, and each Python call and ``__init__`` is a tenth of one (bench/RESULTS.md, session 10)
        events = self._events
        at = len(events)  # where its START goes (one int made, not two: bench/RESULTS.md, session 16)
        if at >= MAX_BUFFERED:
            self.dropped += 1
            return _handle(self, span_id)
        if kind is _API:
            # with room for its end and answer, written in place: the answered request is one event,
            # built once (runner and pid: ``ran_on``; end: ``end_span``; answer: ``http_response``)
            start = [
                START,
                span_id,
                trace_id,
                step,
                file,
                "api",
                topic or None,
                parent_span_id,
                remote_parent,
                delivery_id,
                attempt,
                _now(),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ]
            self._unanswered += 1
        else:
            start = [
                START,
                span_id,
                trace_id,
                step,
                file,
                _KINDS.get(kind, "event"),
                topic or None,
                parent_span_id,
                remote_parent,
                delivery_id,
                attempt,
                _now(),
                None,  # runner and pid: folded in by ``ran_on``
                None,
            ]
        events.append(start)
        if self._flushing is None and (self._timer is None or at >= self._flush_len - 1):
            self._changed()  # (``at`` + 1 events now)
        span = SpanHandle()
        span._recorder = self
        span.span_id = span_id
        span.start = start
        span.batch = self._batch
        span.at = at
        return span

    def _more_span_ids(self) -> str:
        self._span_ids = new_span_ids(_SPAN_IDS_AT_ONCE)
        return self._span_ids.pop()

    def end_span(
        self, span: SpanHandle, result: InvokeResult | None = None, error: BaseException | None = None
    ) -> None:
        """The step returned ``result``, or its invocation raised ``error`` (timeout, runner gone)."""
        if not self.enabled:
            return
        failure: JsonObject | None = None
        if result is not None and result.ok:
            status = "ok"
        elif result is not None:
            status, failure = "error", self._error(result.error)
        elif isinstance(error, asyncio.CancelledError):
            status = "lost"
        else:
            status = "error"
            name = type(error).__name__ if error is not None else "Error"
            failure = {"name": name, "message": str(error or ""), "stack": "", "location": None}
        start = span.start
        if start is not None and span.batch == self._batch:
            if len(start) == _ANSWERED_FIELDS:
                # in the room left for it; the answer (``http_response``, in the same turn of the loop
                # for a request: its step's result is the answer's) finds it as ``_answering`` without
                # a lookup; an earlier one that still waits goes to ``_waiting``
                start[14] = _now()
                start[15] = status
                start[16] = failure
                if self._answering >= 0 or self._waiting:
                    self._wait_behind(start)
                self._answering = span.at
            else:
                start += (_now(), status, failure)
                if self._encoding:
                    # ``encode_event``, written out
                    self._events[span.at] = _dumps(start, default=str, option=KEPT_EVENT)[:-1]
        else:
            self._record((END, span.span_id, _now(), status, failure))
        span.start = None

    def _wait_behind(self, start: list[Any]) -> None:
        """The api span of ``start`` ended and will be ``_answering``: the one that was goes on waiting
        in ``_waiting``, unless it is of the same step and trace (an answer goes to its step's newest
        span); an older span of that step and trace waits no more (``_flush_once`` cuts the room left
        for its answer)."""
        trace_id, step = start[2], start[3]
        events = self._events
        held = self._answering
        if held >= 0:
            waiting = events[held]
            if waiting[2] == trace_id and waiting[3] == step:
                return  # the older span of this step waits no more
            # its (trace id, step) waits nowhere else: it was taken out when this one came
            self._waiting[(waiting[2], waiting[3])] = held
        self._waiting.pop((trace_id, step), None)

    def http_response(self, trace_id: str, step: str, method: str, path: str, status: int) -> None:
        """The answer an api request got, once its step's span has ended. A 5xx fails the trace even
        when the handler returned normally (a response the core refused, a handler that answered 500)."""
        if not self.enabled:
            return
        events = self._events
        answering = self._answering
        if answering >= 0 and (start := events[answering])[2] == trace_id and start[3] == step:
            # the request's own span, as a rule, answered in the same turn of the loop as it ended:
            # answered when it ended (one clock read less per request)
            self._answering = -1
            answered_at = start[14]
        else:
            at = self._waiting.pop((trace_id, step), None) if self._waiting else None
            if at is None:  # its span's START went with a flush, or was dropped
                self._record((RESPONSE, trace_id, step, method, path, status, _now()))
                return
            answering, start, answered_at = at, events[at], _now()
        start[17] = method
        start[18] = path
        start[19] = status
        start[20] = answered_at
        self._unanswered -= 1
        if self._encoding:
            events[answering] = _dumps(start, default=str, option=KEPT_EVENT)[:-1]  # ``encode_event``

    # ------------------------------------------------------------------ operations

    def emitted(
        self,
        trace_id: str,
        step: str | None,
        topic: str,
        data: JsonValue,
        message_group_id: str | None,
        deliveries: Sequence[tuple[int, str]],
        dropped: str | None = None,
    ) -> None:
        """An event was queued for ``deliveries`` (id, subscriber), or ``dropped`` (why). Without a
        ``step`` it came from outside (``POST /__motia/emit``) and begins its trace."""
        if not self.enabled:
            return
        now = _now()
        operation = self._operation(trace_id, step, now, now, "emit", "emit", None)
        operation.update(
            topic=topic,
            data=_bounded(data),
            messageGroupId=message_group_id,
            deliveries=[{"id": ident, "step": subscriber} for ident, subscriber in deliveries],
            dropped=dropped,
        )
        self._record((OPERATION, operation))

    def context_call(
        self,
        call: ContextCall,
        args: list[Any],
        result: Any,
        started: float,
        error: str | None,
        finished: float | None = None,
    ) -> None:
        """A state or stream call a step made (emits are recorded by ``emitted``, unless they failed),
        which ended at ``finished`` (None: now)."""
        if not self.enabled:
            return
        method = call.method
        if method == "api.validateBody" or (method == "emit" and error is None):
            return
        kind = (
            "state" if method.startswith("state.") else "stream" if method.startswith("streams.") else method
        )
        ended = _now() if finished is None else finished
        operation = self._operation(call.trace_id, call.step_name, started, ended, kind, method, error)
        operation.update(_call_detail(method, args, result))
        self._record((OPERATION, operation))

    def delivery_outcome(
        self,
        trace_id: str,
        delivery_id: int,
        subscriber: str,
        topic: str,
        outcome: str,
        attempt: int,
        error: str | None = None,
        retry_at: float | None = None,
    ) -> None:
        """What became of an attempt: ``ok`` (done), ``retry``, ``lost`` (its runner died; re-run without
        spending a retry), ``dead`` (moved to the dead letters)."""
        if not self.enabled:
            return
        now = _now()
        if outcome == "ok":
            self._record((DELIVERED, trace_id, now))
            return
        operation = self._operation(trace_id, subscriber, now, now, "delivery", outcome, error)
        operation.update(
            deliveryId=delivery_id,
            topic=topic,
            attempt=attempt,
            retryAt=None if retry_at is None else retry_at * 1000,
        )
        self._record((OPERATION, operation))

    def replayed(
        self, trace_id: str, delivery_id: int, subscriber: str, topic: str, dead_letter_id: int | None = None
    ) -> None:
        """A dead letter was queued again (as ``delivery_id``): its trace has open work again and one
        failure less."""
        if not self.enabled:
            return
        now = _now()
        operation = self._operation(trace_id, subscriber, now, now, "delivery", "replayed", None)
        operation.update(deadLetterId=dead_letter_id, deliveryId=delivery_id, topic=topic)
        self._record((OPERATION, operation))

    # ------------------------------------------------------------------ logs

    def log_record(self, record: logging.LogRecord) -> None:
        """A line logged under ``motia`` (called by the logging handler ``start`` installs)."""
        if not self.enabled:
            return
        step = getattr(record, "step", None)
        trace_id = getattr(record, "trace_id", None)
        meta = _jsonable(getattr(record, "meta", None))
        if record.exc_info:
            stack = logging.Formatter().formatException(record.exc_info)
            meta = {**meta, "stack": stack} if isinstance(meta, dict) else {"meta": meta, "stack": stack}
        line: JsonObject = {
            "id": self._ids.next(),
            "type": "log",
            "time": record.created * 1000,
            "level": level_name(record),
            "message": record.getMessage(),
            "step": step or None,
            "traceId": trace_id or None,
            "spanId": None,
            "runner": getattr(record, "runner", None),
            "logger": record.name,
            "meta": meta,
        }
        self._record((LOG, line))
        self._followers.recorded(line)

    def relay(self, lines: list[JsonObject]) -> None:
        """Log lines another supervisor recorded into the store shared with this one (Redis): to this
        one's live followers, as its own lines go."""
        for line in lines:
            self._followers.relayed(line)

    def follow(self, query: LogQuery) -> LogFollower:
        """A follower of new log lines matching ``query`` (stop it with ``unfollow``)."""
        if not self._stored:
            raise TracingOff
        return self._followers.add(query, self._events[self._sent :], self._sink)

    def unfollow(self, follower: LogFollower) -> None:
        self._followers.remove(follower)

    def end_follows(self) -> None:
        """The server is stopping: every live log stream ends once its follower's lines are out, and
        one asked for from now on ends at once. Recording goes on until ``stop``."""
        self._followers.close()

    # ------------------------------------------------------------------ reads

    async def traces(self, query: TraceQuery) -> TracePage:
        return await (await self._flushed()).traces(query)

    async def trace(self, trace_id: str) -> JsonObject | None:
        return await (await self._flushed()).trace(trace_id)

    async def logs(self, query: LogQuery) -> LogPage:
        return await (await self._flushed()).logs(query)

    async def _flushed(self) -> EventSink:
        """The sink, once what was recorded before this call is in its store. Raises ``TracingOff``."""
        if not self._stored:
            raise TracingOff
        await self.flush()
        return self._sink

    # ------------------------------------------------------------------ flushing

    async def flush(self) -> None:
        """Send what is buffered now (and wait for a flush in progress)."""
        # A flush in progress may have taken its events before ours came: wait for it, then send
        # ours. Events that keep arriving meanwhile go to later flushes, not this wait.
        for _ in range(2):
            if self._flushing is None:
                if len(self._events) <= self._sent or not self._started:
                    return
                self._start_flush()
            flushing = self._flushing
            if flushing is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(flushing)

    def _record(self, event: tuple[Any, ...] | list[Any]) -> bool:
        """Whether the event was kept (else dropped: too many wait)."""
        events = self._events
        if len(events) >= MAX_BUFFERED:
            self.dropped += 1
            return False
        events.append(event)
        if self._flushing is None and (self._timer is None or len(events) >= self._flush_len):
            self._changed()
        return True

    def _changed(self) -> None:
        if self._flushing is not None or not self._started:
            return  # the flush in progress schedules the next one; ``start`` the first
        if len(self._events) >= self._flush_len:
            # a request's START is kept encoded once answered only for the trace writer: a sink here
            # gets lists, answered or not, and its batches go whole
            self._start_flush(in_flight_kept=self._encoding)
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_INTERVAL_S, self._start_flush)

    def _start_flush(self, in_flight_kept: bool = False) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush_once(in_flight_kept))

    def _done_first(self) -> list[Any] | None:
        """The unsent events before the first request still in flight, now sent (their slots emptied),
        when they are most of what waits; None: the batch goes whole."""
        events, sent = self._events, self._sent
        if len(events) >= BATCH_AT:
            return None
        kinds = list(map(type, events[sent:]))
        try:
            upto = sent + kinds.index(list)  # (a START taking what follows it: its request runs)
        except ValueError:
            upto = len(events)
        if upto - sent < FLUSH_AT // 2:  # (only with the trace writer: ``_changed``)
            return None
        done = events[sent:upto]
        events[sent:upto] = [None] * (upto - sent)
        self._sent = upto
        self._flush_len = upto + FLUSH_AT
        return done

    async def _flush_once(self, in_flight_kept: bool = False) -> None:
        try:
            done = self._done_first() if in_flight_kept else None
            if done is not None:
                await self._send(done)
                return
            events, sent = self._events, self._sent
            self._events, self._sent, self._flush_len = [], 0, self._flush_at
            if sent:
                events = events[sent:]
            # what was recorded went with ``events``: nothing more is folded into them; an api span's
            # START waiting for its answer goes without the room left for it (``end_span``)
            self._batch += 1
            if self._unanswered:
                _cut_unanswered(events, self._unanswered)
                self._unanswered = 0
            self._answering = -1
            self._waiting = {}
            await self._send(events)
        finally:
            self._flushing = None
            if len(self._events) > self._sent:
                self._changed()

    async def _send(self, events: list[Any]) -> None:
        try:
            await self._sink.record(events)
        except Exception as exc:
            _logger.error(
                "could not write %d trace and log event(s); they are lost: %s",
                len(events),
                exc,
                exc_info=not isinstance(exc, TraceWriterUnavailable),
            )
        if self.dropped:
            _logger.warning("%d trace and log events dropped: the store could not keep up", self.dropped)
            self.dropped = 0

    # ------------------------------------------------------------------ helpers

    def _operation(
        self,
        trace_id: str,
        step: str | None,
        started: float,
        now: float,
        kind: str,
        name: str,
        error: str | None,
    ) -> JsonObject:
        return {
            "id": self._ids.next(),
            "type": kind,
            "name": name,
            "traceId": trace_id,
            "spanId": None,  # the sink finds it
            "step": step,
            "time": started * 1000,
            "durationMs": (now - started) * 1000,
            "error": error,
        }

    def _error(self, info: ErrorInfo | None) -> JsonObject:
        if info is None:
            return {"name": "Error", "message": "handler failed", "stack": "", "location": None}
        error: JsonObject = {
            "name": info.name,
            "message": info.message,
            "stack": info.stack,
            "location": locate(info.stack, self._root, self._internal) if info.stack else None,
        }
        # read from the stack once, per failure: the text filter finds the trace by it and the
        # Workbench's heading names it (``error_messages``), no store parsing stacks
        cause = info.cause
        if cause is not None:
            error["cause"] = cause
        return error


def _cut_unanswered(events: list[Any], count: int) -> None:
    """The ``count`` api spans' STARTs in ``events`` that were not answered, as they are sent: without
    the room left for what did not happen (a running one as a START, an ended one with END's fields).
    Looked for from the newest: a flush finds those of the requests in flight, mostly recent."""
    for event in reversed(events):
        if type(event) is list and len(event) == _ANSWERED_FIELDS and event[17] is None:
            del event[_START_FIELDS if event[14] is None else _ENDED_FIELDS :]
            count -= 1
            if not count:
                return


def _bounded(data: JsonValue) -> JsonValue:
    """``data`` as recorded: itself, or its size and a preview when it is large."""
    try:
        encoded = orjson.dumps(data)
    except TypeError:
        return None
    if len(encoded) <= MAX_PAYLOAD_BYTES:
        return data
    return {"truncated": True, "size": len(encoded), "preview": encoded[:1024].decode(errors="replace")}


def _size(value: Any) -> int | None:
    try:
        return len(orjson.dumps(value))
    except TypeError:
        return None


def _text(args: list[Any], index: int) -> str | None:
    value = args[index] if index < len(args) else None
    return None if value is None else str(value)


def _call_detail(method: str, args: list[Any], result: Any) -> JsonObject:
    """The fields an operation shows: group and key (state), stream, group and item (streams), sizes."""
    if method.startswith("state."):
        detail: JsonObject = {"group": _text(args, 0)}
        if method in ("state.get", "state.set", "state.delete"):
            detail["key"] = _text(args, 1)
        if method == "state.set":
            detail["size"] = _size(args[2] if len(args) > 2 else None)
        elif method in ("state.get", "state.delete"):
            detail["found"] = result is not None
            detail["size"] = _size(result) if result is not None else 0
        elif method == "state.getGroup":
            detail["count"] = len(result) if isinstance(result, list) else 0
            detail["size"] = _size(result)
        return detail
    if method.startswith("streams."):
        detail = {"stream": _text(args, 0)}
        if method == "streams.send":
            channel = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
            event = args[2] if len(args) > 2 and isinstance(args[2], dict) else {}
            detail.update(group=channel.get("groupId"), itemId=channel.get("id"), event=event.get("type"))
            return detail
        detail["group"] = _text(args, 1)
        if method != "streams.getGroup":
            detail["itemId"] = _text(args, 2)  # "id" is the operation's own
        if method == "streams.set":
            detail["size"] = _size(args[3] if len(args) > 3 else None)
        elif method == "streams.getGroup":
            detail["count"] = len(result) if isinstance(result, list) else 0
        else:
            detail["found"] = result is not None
        return detail
    if method == "emit":
        event = args[0] if args and isinstance(args[0], dict) else {}
        return {"topic": event.get("topic")}
    return {}


def _jsonable(meta: Any) -> Any:
    if meta is None:
        return None
    try:
        orjson.dumps(meta)
    except TypeError:
        return orjson.loads(orjson.dumps(meta, default=str))
    return meta
