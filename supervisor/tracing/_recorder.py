"""``Recorder``: what the core calls as work happens; it keeps traces and logs off the request path.

Every call appends to memory and returns: spans, operations and log lines wait in a buffer, and a
background flush writes them in one batch (one group commit) every ``FLUSH_INTERVAL_S``, or at once
when ``FLUSH_AT`` records are waiting. The batch also goes to the OpenTelemetry exporter, if any
(spans that ended, with their operations and log lines as span events). Reads flush first, so what
was recorded before a read is in its answer.

Operations and log lines find their span by (trace id, step): the most recent span of that step in
that trace. A runner reports its context calls and logs with both, and calls made after the handler
returned (timers, tasks it spawned) still land on the span that made them.

Cheap on the request path: a trivial api request costs a span object, a few dict operations and a
share of one batch write (bench/RESULTS.md). Span objects live only while they run or wait for the
next flush; the indexes that outlive them hold ids (strings), which the garbage collector never walks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson

from supervisor.discovery import language_of
from supervisor.logs import level_name
from supervisor.protocol import ContextCall, ErrorInfo, InvokeResult, TriggerKind
from supervisor.storage import JsonObject, JsonValue

from ._follow import LogFollower, deliver
from ._handler import OWN_LOGGER, RecordingHandler
from ._records import (
    Batch,
    LogPage,
    LogQuery,
    Retention,
    Span,
    SpanKind,
    TraceDelta,
    TracePage,
    TraceQuery,
    new_span_id,
)
from ._stack import locate
from ._store import TraceStore

_logger = logging.getLogger(OWN_LOGGER)
K = TypeVar("K")
V = TypeVar("V")

FLUSH_INTERVAL_S = 0.5
FLUSH_AT = 2000
#: past this many records waiting (the store cannot keep up), new ones are dropped and counted
MAX_BUFFERED = 200_000
PRUNE_EVERY_S = 10.0
#: (trace id, step) -> the step's latest span there, for operations and log lines to find it (at
#: least this many of the latest spans are kept)
SPAN_INDEX_SIZE = 8192
#: delivery id -> the span that emitted it: the parent of the spans that handle it
PARENT_INDEX_SIZE = 16384
#: emitted payloads kept in a trace, encoded; a larger one keeps its size and a preview
MAX_PAYLOAD_BYTES = 16 * 1024

_KINDS: dict[int, SpanKind] = {TriggerKind.API: "api", TriggerKind.EVENT: "event", TriggerKind.CRON: "cron"}


_IDLE_SPAN = Span("", "0" * 16, "", "event", "", "", 0.0)
"""What ``start_span`` returns when nothing is recorded: every call on it is a no-op for the recorder."""


class TracingOff(Exception):
    """Traces and logs are not recorded (``tracing.enabled`` is false)."""


class SpanExporter(Protocol):
    """Where ended spans go besides the store (OpenTelemetry), each with the operations and log lines
    recorded under it; ``export`` must not block."""

    def export(self, spans: Sequence[tuple[Span, list[JsonObject]]]) -> None: ...

    def shutdown(self) -> None: ...


@dataclass
class _Buffer:
    traces: dict[str, TraceDelta] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    operations: list[JsonObject] = field(default_factory=list)
    logs: list[JsonObject] = field(default_factory=list)
    #: records added (a span counts each time it changes): what FLUSH_AT and MAX_BUFFERED count
    size: int = 0
    roots: int = 0


class _Ids:
    """Operation and log line ids: the microsecond they were recorded at, made strictly increasing."""

    def __init__(self, floor: int = 0) -> None:
        self._last = floor

    def next(self) -> int:
        now = int(time.time() * 1_000_000)
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
        self._store = store
        self._exporter = exporter
        self.enabled = store is not None or exporter is not None
        self._retention = retention
        self._root = project_root
        self._internal = tuple(internal_dirs)
        self._buffer = _Buffer()
        self._ids = _Ids()
        self._running: dict[str, Span] = {}
        #: (trace id, step) -> span id
        self._by_step: dict[tuple[str, str | None], str] = {}
        #: span id -> what was recorded under it, until it is exported (only with an exporter)
        self._events: dict[str, list[JsonObject]] = {}
        self._parents: dict[int, str] = {}
        self._languages: dict[str, str] = {}
        self._followers: set[LogFollower] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self._handler: RecordingHandler | None = None
        self._last_prune = time.monotonic()
        self._roots_since_prune = 0
        self.dropped = 0

    @property
    def stored(self) -> bool:
        """Whether traces and logs can be read back (``tracing.enabled``)."""
        return self._store is not None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if not self.enabled:
            return
        if self._store is not None:
            self._ids = _Ids(await self._store.recover())
            await self._prune()
        self._handler = RecordingHandler(self.log_record, asyncio.get_running_loop())
        logging.getLogger("motia").addHandler(self._handler)

    async def stop(self) -> None:
        if self._handler is not None:
            logging.getLogger("motia").removeHandler(self._handler)
            self._handler = None
        for follower in list(self._followers):
            follower.close()
        self._followers.clear()
        if not self.enabled:
            return
        await self.flush()
        if self._exporter is not None:
            await asyncio.to_thread(self._exporter.shutdown)

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
    ) -> Span:
        """A step starts running (an api request, one attempt of a delivery, a cron run)."""
        if not self.enabled:
            return _IDLE_SPAN
        now = time.time()
        span_kind = _KINDS.get(kind, "event")
        if parent_span_id is None and delivery_id is not None:
            parent_span_id = self._parents.get(delivery_id)
        span = Span(
            trace_id,
            new_span_id(),
            step,
            span_kind,
            self._language(file),
            file,
            now,
            parent_span_id,
            topic or None,
            attempt,
            delivery_id,
            remote_parent=remote_parent,
        )
        span_id = span.span_id
        if self._exporter is not None:
            self._events[span_id] = []
        self._running[span_id] = span
        index = self._by_step
        index[(trace_id, step)] = span_id
        if len(index) > 2 * SPAN_INDEX_SIZE:
            self._by_step = _newest(index, SPAN_INDEX_SIZE)
        buffer = self._buffer
        buffer.spans[span_id] = span
        buffer.size += 1
        delta = self._delta(trace_id, now)
        delta.spans += 1
        if span_kind != "event":  # api and cron runs are open work; deliveries are counted from their emit
            delta.open += 1
            if delta.kind is None:
                delta.kind, delta.name = span_kind, step
                buffer.roots += 1
        self._changed()
        return span

    def end_span(
        self, span: Span, result: InvokeResult | None = None, error: BaseException | None = None
    ) -> None:
        """The step returned ``result``, or its invocation raised ``error`` (timeout, runner gone)."""
        if not self.enabled:
            return
        now = time.time()
        span.ended_at = now
        if result is not None and result.ok:
            span.status = "ok"
        elif result is not None:
            span.status = "error"
            span.error = self._error(result.error)
        elif isinstance(error, asyncio.CancelledError):
            span.status = "lost"
        else:
            span.status = "error"
            name = type(error).__name__ if error is not None else "Error"
            span.error = {"name": name, "message": str(error or ""), "stack": "", "location": None}
        delta = self._delta(span.trace_id, now)
        if span.kind != "event":
            delta.open -= 1
            if span.status == "error":
                delta.failures += 1
        self._running.pop(span.span_id, None)
        self._mark(span)

    def http_response(self, trace_id: str, step: str, method: str, path: str, status: int) -> None:
        """The answer an api request got, once its step's span has ended. A 5xx fails the trace even
        when the handler returned normally (a response the core refused, a handler that answered 500)."""
        if not self.enabled:
            return
        delta = self._delta(trace_id, time.time())
        delta.method, delta.path, delta.status_code = method, path, status
        span = self._span(trace_id, step)
        if span is not None:
            span.status_code = status
            if status >= 500 and span.status == "ok":
                span.status = "error"
                span.error = {
                    "name": f"HTTP {status}",
                    "message": f"answered {status}",
                    "stack": "",
                    "location": None,
                }
                delta.failures += 1
            self._mark(span)
        else:
            self._changed()

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
        now = time.time()
        span_id = self._by_step.get((trace_id, step)) if step is not None else None
        operation = self._operation(trace_id, step, span_id, now, now, "emit", "emit", None)
        operation.update(
            topic=topic,
            data=_bounded(data),
            messageGroupId=message_group_id,
            deliveries=[{"id": ident, "step": subscriber} for ident, subscriber in deliveries],
            dropped=dropped,
        )
        delta = self._delta(trace_id, now)
        delta.open += len(deliveries)
        if step is None and delta.kind is None:
            delta.kind, delta.name = "emit", topic
            self._buffer.roots += 1
        if span_id is not None:
            parents = self._parents
            for ident, _subscriber in deliveries:
                parents[ident] = span_id
            if len(parents) > 2 * PARENT_INDEX_SIZE:
                self._parents = _newest(parents, PARENT_INDEX_SIZE)
        self._add(operation, span_id)

    def context_call(
        self, call: ContextCall, args: list[Any], result: Any, started: float, error: str | None
    ) -> None:
        """A state or stream call a step made (emits are recorded by ``emitted``, unless they failed)."""
        if not self.enabled:
            return
        method = call.method
        if method == "api.validateBody" or (method == "emit" and error is None):
            return
        kind = (
            "state" if method.startswith("state.") else "stream" if method.startswith("streams.") else method
        )
        span_id = self._by_step.get((call.trace_id, call.step_name))
        operation = self._operation(
            call.trace_id, call.step_name, span_id, started, time.time(), kind, method, error
        )
        operation.update(_call_detail(method, args, result))
        self._add(operation, span_id)

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
        now = time.time()
        delta = self._delta(trace_id, now)
        if outcome in ("ok", "dead"):
            delta.open -= 1
        if outcome == "ok":
            self._changed()
            return
        if outcome == "dead":
            delta.failures += 1
        span_id = self._by_step.get((trace_id, subscriber))
        operation = self._operation(trace_id, subscriber, span_id, now, now, "delivery", outcome, error)
        operation.update(
            deliveryId=delivery_id,
            topic=topic,
            attempt=attempt,
            retryAt=None if retry_at is None else retry_at * 1000,
        )
        self._add(operation, span_id)

    def replayed(
        self, trace_id: str, delivery_id: int, subscriber: str, topic: str, dead_letter_id: int | None = None
    ) -> None:
        """A dead letter was queued again (as ``delivery_id``): its trace has open work again and one
        failure less."""
        if not self.enabled:
            return
        now = time.time()
        delta = self._delta(trace_id, now)
        delta.open += 1
        delta.failures -= 1
        operation = self._operation(trace_id, subscriber, None, now, now, "delivery", "replayed", None)
        operation.update(deadLetterId=dead_letter_id, deliveryId=delivery_id, topic=topic)
        self._add(operation, None)

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
        span_id = self._by_step.get((trace_id, step)) if trace_id else None
        line: JsonObject = {
            "id": self._ids.next(),
            "type": "log",
            "time": record.created * 1000,
            "level": level_name(record),
            "message": record.getMessage(),
            "step": step or None,
            "traceId": trace_id or None,
            "spanId": span_id,
            "runner": getattr(record, "runner", None),
            "logger": record.name,
            "meta": meta,
        }
        if self._store is not None:
            if self._buffer.size >= MAX_BUFFERED:
                self.dropped += 1
                return
            self._buffer.logs.append(line)
            self._buffer.size += 1
        if trace_id:
            self._delta(trace_id, record.created)
        if span_id is not None and self._exporter is not None:
            events = self._events.get(span_id)
            if events is not None:
                events.append(line)
        deliver(self._followers, line)
        self._changed()

    def relay(self, lines: list[JsonObject]) -> None:
        """Log lines another supervisor recorded into the store shared with this one (Redis): to this
        one's live followers, as its own lines go."""
        for line in lines:
            deliver(self._followers, line)

    def follow(self, query: LogQuery) -> LogFollower:
        """A follower of new log lines matching ``query`` (stop it with ``unfollow``)."""
        if self._store is None:
            raise TracingOff
        follower = LogFollower(query)
        self._followers.add(follower)
        return follower

    def unfollow(self, follower: LogFollower) -> None:
        follower.close()
        self._followers.discard(follower)

    # ------------------------------------------------------------------ reads

    async def traces(self, query: TraceQuery) -> TracePage:
        return await (await self._flushed()).traces(query)

    async def trace(self, trace_id: str) -> JsonObject | None:
        return await (await self._flushed()).trace(trace_id)

    async def logs(self, query: LogQuery) -> LogPage:
        return await (await self._flushed()).logs(query)

    async def _flushed(self) -> TraceStore:
        """The store, once what was recorded before this call is in it. Raises ``TracingOff``."""
        if self._store is None:
            raise TracingOff
        await self.flush()
        return self._store

    # ------------------------------------------------------------------ flushing

    async def flush(self) -> None:
        """Write what is buffered now (and wait for a flush in progress)."""
        # A flush in progress may have cut its batch before our records came: wait for it, then write
        # ours. Records that keep arriving meanwhile go to later flushes, not this wait.
        for _ in range(2):
            if self._flushing is None:
                if not self._buffer.size and not self._buffer.traces:
                    return
                self._start_flush()
            flushing = self._flushing
            if flushing is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(flushing)

    def _changed(self) -> None:
        if self._flushing is not None:
            return  # the flush in progress schedules the next one
        if self._buffer.size >= FLUSH_AT:
            self._start_flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_INTERVAL_S, self._start_flush)

    def _start_flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush_once())

    async def _flush_once(self) -> None:
        try:
            batch, ended = self._cut()
            if ended and self._exporter is not None:
                try:
                    self._exporter.export(ended)
                except Exception:
                    _logger.exception("could not export %d span(s) to OpenTelemetry", len(ended))
            if self._store is not None and (batch.spans or batch.operations or batch.logs or batch.traces):
                try:
                    await self._store.write(batch)
                except Exception:
                    _logger.exception("could not write %d trace and log record(s); they are lost", len(batch))
                if self.dropped:
                    _logger.warning(
                        "%d trace and log records dropped: the store could not keep up", self.dropped
                    )
                    self.dropped = 0
                if self._prune_due():
                    await self._prune()
        finally:
            self._flushing = None
            if self._buffer.size or self._buffer.traces:
                self._changed()

    def _cut(self) -> tuple[Batch, list[tuple[Span, list[JsonObject]]]]:
        buffer, self._buffer = self._buffer, _Buffer()
        self._roots_since_prune += buffer.roots
        spans = buffer.spans.values()
        ended: list[tuple[Span, list[JsonObject]]] = []
        if self._exporter is not None:
            events = self._events
            # exported now: what is recorded under them later goes to the store only
            ended = [(span, events.pop(span.span_id, [])) for span in spans if span.ended_at is not None]
        batch = Batch(buffer.traces, list(spans), buffer.operations, buffer.logs)
        return batch, ended

    def _prune_due(self) -> bool:
        """Every PRUNE_EVERY_S, or sooner when a fifth of max_traces came meanwhile (so that a busy
        server overshoots its limit by that much at most)."""
        if time.monotonic() - self._last_prune > PRUNE_EVERY_S:
            return True
        return self._roots_since_prune > max(100, self._retention.max_traces // 5)

    async def _prune(self) -> None:
        self._last_prune = time.monotonic()
        self._roots_since_prune = 0
        if self._store is None:
            return
        try:
            pruned = await self._store.prune(self._retention, time.time())
        except Exception:
            _logger.exception("could not prune old traces and logs")
            return
        if pruned.traces or pruned.logs:
            _logger.debug("pruned %d trace(s) and %d log line(s)", pruned.traces, pruned.logs)

    # ------------------------------------------------------------------ helpers

    def _delta(self, trace_id: str, now: float) -> TraceDelta:
        delta = self._buffer.traces.get(trace_id)
        if delta is None:
            delta = self._buffer.traces[trace_id] = TraceDelta(now, now)
        else:
            delta.touch(now)
        return delta

    def _operation(
        self,
        trace_id: str,
        step: str | None,
        span_id: str | None,
        started: float,
        now: float,
        kind: str,
        name: str,
        error: str | None,
    ) -> JsonObject:
        self._delta(trace_id, now)
        return {
            "id": self._ids.next(),
            "type": kind,
            "name": name,
            "traceId": trace_id,
            "spanId": span_id,
            "step": step,
            "time": started * 1000,
            "durationMs": (now - started) * 1000,
            "error": error,
        }

    def _add(self, operation: JsonObject, span_id: str | None) -> None:
        buffer = self._buffer
        if buffer.size >= MAX_BUFFERED:
            self.dropped += 1
            return
        if self._store is not None:
            buffer.operations.append(operation)
            buffer.size += 1
        if span_id is not None and self._exporter is not None:
            events = self._events.get(span_id)
            if events is not None:
                events.append(operation)
        self._changed()

    def _span(self, trace_id: str, step: str) -> Span | None:
        """The step's latest span in the trace, while it runs or waits for the next flush."""
        span_id = self._by_step.get((trace_id, step))
        if span_id is None:
            return None
        return self._running.get(span_id) or self._buffer.spans.get(span_id)

    def _mark(self, span: Span) -> None:
        """The span changed: it goes into the next batch (once, however often it changes)."""
        buffer = self._buffer
        if span.span_id not in buffer.spans:
            buffer.spans[span.span_id] = span
            buffer.size += 1
        self._changed()

    def _language(self, file: str) -> str:
        language = self._languages.get(file)
        if language is None:
            language = self._languages[file] = language_of(file)
        return language

    def _error(self, info: ErrorInfo | None) -> JsonObject:
        if info is None:
            return {"name": "Error", "message": "handler failed", "stack": "", "location": None}
        return {
            "name": info.name,
            "message": info.message,
            "stack": info.stack,
            "location": locate(info.stack, self._root, self._internal) if info.stack else None,
        }


def _newest(index: dict[K, V], keep: int) -> dict[K, V]:
    """The ``keep`` entries added last (trimming in bulk: deleting one at a time from the front of a
    dict makes every later look for its first entry walk the holes left)."""
    return dict(itertools.islice(index.items(), len(index) - keep, None))


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
