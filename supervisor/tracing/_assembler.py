"""``Assembler``: spans, trace summaries and their indexes, built from the recorder's events.

The recorder's request path only appends *events*, flat tuples (below), in the order things happen;
the assembler replays them, in the trace writer process (``_writer_process``) or, when spans are
exported to OpenTelemetry from the supervisor, beside the recorder (``_pipeline.LocalSink``), and
cuts what they changed into a ``Batch`` for the store.

Operations and log lines find their span by (trace id, step): the most recent span of that step in
that trace. A runner reports its context calls and logs with both, and calls made after the handler
returned (timers, tasks it spawned) still land on the span that made them.

Events (first field: the kind; times are epoch seconds):

- ``(START, span_id, trace_id, step, file, kind, topic, parent_span_id, remote_parent, delivery_id,
  attempt, at, runner, pid)``: a step starts running (``kind``: api, event or cron) on ``runner``
  (None: not picked yet)
- ``(RAN_ON, span_id, runner, pid)``: the runner process that took it
- ``(END, span_id, at, status, error)``: it returned (``status``: ok, error, lost; ``error`` as stored)
- ``(RESPONSE, trace_id, step, method, path, status_code, at)``: the answer an api request got

What follows a START in the same batch is folded into it by the recorder (its request path writes it
into the START it still holds instead of appending an event; an api span's START is made with room for
it, and a flush cuts what is left unused): a START may go on with END's fields (``at,
status, error``), then RESPONSE's (``method, path, status_code, at``). A trivial api request within one
flush is one event; a span whose START went in an earlier batch (it is shown running meanwhile) ends
with its own END and RESPONSE events. An api span's RESPONSE may come in a batch after its end's: the
span, kept since its cut, is cut again with its answer (the stores write it over the one
they have; an exporter is given it once, at the cut its answer came in, or unanswered after
ANSWER_WAIT_S, ``cut``).
- ``(OPERATION, operation)``: an emit, state or stream call, or a delivery's retry, death or replay
  (the stored JSON, ``spanId`` to be found); ``emit`` ones add open work (their deliveries),
  ``delivery`` ones ``dead`` a failure and ``replayed`` open work back
- ``(DELIVERED, trace_id, at)``: a delivery is done (its trace has one open work less)
- ``(LOG, line)``: a log line (the stored JSON, ``spanId`` to be found)
"""

from __future__ import annotations

import itertools
import operator
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from supervisor.discovery import language_of
from supervisor.storage import JsonObject

from ._records import Batch, Span, SpanKind, TraceDelta, WholeTrace, answered_with
from ._segments import event_end

START, RAN_ON, END, RESPONSE, OPERATION, DELIVERED, LOG = range(7)
Event = tuple[Any, ...]
#: (trace id, step, span id): the step's latest span in that trace
LatestSpan = tuple[str, str, str]

#: a START's length with END folded in: only one with RESPONSE folded in too is longer (a whole
#: trace's, when its kind is not an event delivery's)
_FOLDED_END = 17
_KIND, _SPAN, _TRACE, _STEP = (operator.itemgetter(field) for field in range(4))
#: a START's span kind (``event``: a delivery's, which is never whole)
_TYPE = operator.itemgetter(5)

K = TypeVar("K")
V = TypeVar("V")

#: (trace id, step) -> the step's latest span there, for operations and log lines to find it (at
#: least this many of the latest spans are kept: ``SpanIndex``)
SPAN_INDEX_SIZE = 8192
#: delivery id -> the span that emitted it: the parent of the spans that handle it
PARENT_INDEX_SIZE = 16384
#: api spans cut before their answer came, for a RESPONSE in a later batch (at least this many of the
#: latest are kept: the answer comes in the same turn of the supervisor's loop as the end, as a rule)
UNANSWERED_SIZE = 1024
#: how long an exporter's api span that ended unanswered waits for its answer (counted from its end,
#: looked at each cut after the one that held it): the answer comes in the same turn of the loop as
#: the end as a rule, a flush or two later under load; one that never comes (its client went away)
#: lets the span go as it is
ANSWER_WAIT_S = 5.0


@dataclass
class _Buffer:
    traces: dict[str, TraceDelta] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    operations: list[JsonObject] = field(default_factory=list)
    logs: list[JsonObject] = field(default_factory=list)
    #: trace id -> its START, with END and RESPONSE folded in, and its JSON, while nothing else of it
    #: came (``whole``)
    whole: dict[str, WholeTrace] = field(default_factory=dict)
    #: trace id -> the state and stream calls of a trace held ``whole``, made while its request ran
    #: (``_keeps_whole``): the request stays one event, its calls beside it
    whole_operations: dict[str, list[JsonObject]] = field(default_factory=dict)
    #: each of ``logs``' JSON as it came, span id spliced in (None: to be encoded), once one came so
    #: (``Assembler._log``); empty: none did
    logs_json: list[bytes | None] = field(default_factory=list)
    #: traces that began (their root was seen): what makes a prune due early
    roots: int = 0
    #: api spans that ended by an END event: those still unanswered at the cut go to
    #: ``Assembler._unanswered`` (a list here: most are answered in the same batch)
    ended_api: list[Span] = field(default_factory=list)


class Assembler:
    """Replays events into spans and trace deltas; ``cut`` takes what changed since the last cut.
    ``exporting``: also keep, per span, the operations and log lines recorded under it until it ends
    (what an exporter sends as span events). ``whole``: a trace that is one api request, started,
    ended and answered in one event, is cut as a ``WholeTrace`` (``Batch.whole``: the event as it
    came, and its JSON when ``apply`` is given it) without a ``Span`` or a ``TraceDelta`` built for it,
    unless something else of it comes in the same batch (most
    trivial requests: their cost in the trace writer, bench/RESULTS.md, tracing overhead)."""

    def __init__(self, exporting: bool = False, whole: bool = False) -> None:
        self._exporting = exporting
        self._whole = whole and not exporting
        self._buffer = _Buffer()
        self._running: dict[str, Span] = {}
        #: (trace id, step) -> span id
        self._by_step = SpanIndex()
        #: span id -> what was recorded under it, until it is exported (only when exporting)
        self._events: dict[str, list[JsonObject]] = {}
        self._parents: dict[int, str] = {}
        self._languages: dict[str, str] = {}
        #: span id -> an api span cut before its answer came: where a RESPONSE in a later batch finds
        #: it (``_answered_span``). Not the last cut's spans kept whole: that kept every request's span
        #: alive a batch longer (bench/RESULTS.md: an api span answered after its end)
        self._unanswered: dict[str, Span] = {}
        #: span id -> an api span that ended unanswered at a cut, not exported yet: exported at the
        #: cut its answer comes in, or as it is once it waited ANSWER_WAIT_S (at least the newest
        #: UNANSWERED_SIZE wait; only when exporting)
        self._held: dict[str, Span] = {}

    def apply(self, events: Sequence[Sequence[Any]], encoded: Sequence[bytes] | None = None) -> None:
        """``encoded``: each event's JSON, as the supervisor sent it (``_wire.events_json``): a whole
        trace's is what the store keeps of it."""
        if self._whole and len(events) > 1 and self._apply_whole(events, encoded):
            return
        self._apply(events, encoded)

    def _apply_whole(self, events: Sequence[Sequence[Any]], encoded: Sequence[bytes] | None) -> bool:
        """``apply`` of a batch whose whole traces (a START with END and RESPONSE folded in: the only
        events longer than ``_FOLDED_END``) are each alone in their trace in the batch, as most are:
        the other events first, as any, then the whole ones at once, by loops in C (``map``, ``zip``,
        ``compress``) rather than a bytecode loop per request: no trace has events in both, so the
        order between them changes nothing (bench/RESULTS.md, session 21: the trace writer's CPU per
        request). False (nothing applied): a batch this does not apply to."""
        buffer = self._buffer
        answered = list(map(_FOLDED_END.__lt__, map(len, events)))
        count = answered.count(True)
        if not count:
            return False
        whole = events if count == len(events) else list(itertools.compress(events, answered))
        if list(map(_KIND, whole)).count(START) < count or "event" in list(map(_TYPE, whole)):
            return False  # an event delivery's span (never answered), or an event of another shape
        trace_ids = list(map(_TRACE, whole))
        jsons: Iterable[bytes | None] = itertools.repeat(None)
        if encoded is not None:
            jsons = encoded if count == len(events) else itertools.compress(encoded, answered)
        held = dict(zip(trace_ids, zip(whole, jsons, strict=False), strict=True))
        if len(held) < count:
            return False  # two requests of one trace (``apply`` assembles both as any other)
        earlier = buffer.whole
        if (earlier or buffer.traces) and not (
            earlier.keys().isdisjoint(held) and buffer.traces.keys().isdisjoint(held)
        ):
            return False  # a trace of a batch applied since the last cut (the writer's frames, ``cut``)
        if count < len(events):
            others = list(itertools.compress(events, map(operator.not_, answered)))
            touched = self._traces_of(others)
            if touched is None or not touched.isdisjoint(trace_ids):
                return False
            others_json = (
                None if encoded is None else list(itertools.compress(encoded, map(operator.not_, answered)))
            )
            self._apply(others, others_json)
        if earlier:
            earlier.update(held)
        else:
            buffer.whole = held
        buffer.roots += count
        self._by_step.put_all(trace_ids, list(map(_STEP, whole)), map(_SPAN, whole))
        return True

    def _traces_of(self, events: Iterable[Sequence[Any]]) -> set[str] | None:
        """The traces ``apply`` of the events (none whole) changes or looks in; None: an event of a kind
        not known here."""
        touched: set[str] = set()
        running = self._running
        for event in events:
            kind = event[0]
            if kind == START:
                touched.add(event[2])
            elif kind in (RAN_ON, END):
                span = running.get(event[1])  # (a span started in this batch: its START counts)
                if span is not None:
                    touched.add(span.trace_id)
            elif kind in (RESPONSE, DELIVERED):
                touched.add(event[1])
            elif kind in (OPERATION, LOG):
                touched.add(event[1]["traceId"])
            else:
                return None
        return touched

    def _apply(self, events: Sequence[Sequence[Any]], encoded: Sequence[bytes] | None) -> None:
        whole = self._whole
        buffer = self._buffer
        held = buffer.whole  # the buffer's dicts are replaced only by ``cut``
        for event, json in zip(events, itertools.repeat(None) if encoded is None else encoded, strict=False):
            kind = event[0]
            if kind == START:
                if whole and len(event) > 17 and event[5] != "event" and event[2] not in buffer.traces:
                    # a whole trace (see the class's doc): kept as it is, with its JSON, until the cut or
                    # until something else of its trace comes (``_delta``); written out here rather
                    # than in a method of its own, as most requests come this way (-0.6k instructions)
                    trace_id = event[2]
                    self._by_step.put(trace_id, event[3], event[1])
                    if trace_id not in held:
                        held[trace_id] = (event, json)
                        buffer.roots += 1
                    else:  # a second request of the trace, whole too: both assembled as any other
                        self._delta(trace_id, event[11])
                        self._start_event(event)
                else:
                    self._start_event(event)
            elif kind == RAN_ON:
                taken = self._running.get(event[1])
                if taken is not None:
                    taken.runner, taken.pid = event[2], event[3]
            elif kind == END:
                self._end(*event[1:])
            elif kind == RESPONSE:
                self._response(*event[1:])
            elif kind == OPERATION:
                operation = event[1]
                # an emit or a delivery's outcome changes open work or failures: assembled as any other
                if (
                    held
                    and operation["type"] in ("state", "stream")
                    and self._keeps_whole(operation["traceId"], operation["time"] + operation["durationMs"])
                ):
                    self._whole_operation(operation)
                else:
                    self._operation(operation)
            elif kind == DELIVERED:
                self._delta(event[1], event[2]).open -= 1
            elif kind == LOG:
                self._log(event[1], json)

    def cut(self) -> tuple[Batch, list[tuple[Span, list[JsonObject]]], int]:
        """What changed since the last cut; the spans that ended, with what was recorded under them
        (when exporting); how many traces began."""
        buffer, self._buffer = self._buffer, _Buffer()
        if buffer.ended_api:
            unanswered = self._unanswered
            for span in buffer.ended_api:
                if span.status_code is None:
                    unanswered[span.span_id] = span
            if len(unanswered) > 2 * UNANSWERED_SIZE:  # never answered (their clients went away)
                self._unanswered = newest(unanswered, UNANSWERED_SIZE)
        spans = buffer.spans.values()
        ended: list[tuple[Span, list[JsonObject]]] = []
        if self._exporting:
            ended = self._exported(spans)
        whole = list(buffer.whole.values())
        logs_json = buffer.logs_json if len(buffer.logs_json) == len(buffer.logs) else []
        batch = Batch(
            buffer.traces,
            list(spans),
            buffer.operations,
            buffer.logs,
            whole,
            buffer.whole_operations,
            logs_json,
        )
        return batch, ended, buffer.roots

    def held(self) -> list[tuple[Span, list[JsonObject]]]:
        """The spans ``cut`` held back for their answer, to be exported as they are (no more events
        come), with what was recorded under them."""
        held, self._held = self._held, {}
        ended: list[tuple[Span, list[JsonObject]]] = []
        for span in held.values():
            self._take(span, ended)
        return ended

    def _exported(self, spans: Iterable[Span]) -> list[tuple[Span, list[JsonObject]]]:
        """The spans that ended, each once, with what was recorded under them (what is recorded under
        them later goes to the store only); an api span with no answer yet is held (an exported span is
        not changed after) until a cut its answer comes in, however many cuts later, or until it waited
        ANSWER_WAIT_S."""
        events, held = self._events, self._held
        holding: list[Span] = []
        ended: list[tuple[Span, list[JsonObject]]] = []
        for span in spans:
            if span.ended_at is None:
                continue
            # a lost span (its request was cancelled: the client went away) is never answered
            if span.status_code is None and span.kind == "api" and span.status != "lost":
                if span.span_id not in held:
                    holding.append(span)
                continue
            # ``_take`` written out: a call per span costs every request 0.6k instructions (a list
            # of them given to it, 0.2k), bench/RESULTS.md: session 18, a late answer exported
            under = events.pop(span.span_id, None)
            if under is not None:  # (None: exported before its answer came, which the store gets alone)
                ended.append((span, under))
        if held:
            self._waited(ended)
        for span in holding:
            self._held[span.span_id] = span
        return ended

    def _waited(self, ended: list[tuple[Span, list[JsonObject]]]) -> None:
        """Lets go of the held spans answered in this cut (taken with its spans), and takes those
        that waited ANSWER_WAIT_S for their answer and the oldest beyond UNANSWERED_SIZE (their clients
        went away, as a rule)."""
        held = self._held
        since = time.time() - ANSWER_WAIT_S
        beyond = len(held) - UNANSWERED_SIZE
        waiting: dict[str, Span] = {}
        for index, (span_id, span) in enumerate(held.items()):
            if span.status_code is not None:
                continue
            if index < beyond or (span.ended_at or 0.0) <= since:
                self._take(span, ended)
            else:
                waiting[span_id] = span
        if len(waiting) < len(held):
            self._held = waiting

    def _take(self, span: Span, ended: list[tuple[Span, list[JsonObject]]]) -> None:
        """``span`` with what was recorded under it, into ``ended``, unless it was exported (its
        events gone)."""
        under = self._events.pop(span.span_id, None)
        if under is not None:
            ended.append((span, under))

    def latest_spans(self) -> list[LatestSpan]:
        """The latest span of each step in each trace, as operations and log lines find it (the newest
        SPAN_INDEX_SIZE at least): where live log followers start from (``_follow.Followers``)."""
        return self._by_step.latest()

    # ------------------------------------------------------------------ spans

    def _start_event(self, event: Sequence[Any]) -> None:
        span, delta = self._start(*event[1:14])
        if len(event) > 14:  # END folded in, and maybe RESPONSE
            del self._running[span.span_id]
            self._finish(span, delta, event[14], event[15], event[16])
            if len(event) > 17:
                delta.touch(event[20])
                self._answer(span, delta, event[17], event[18], event[19])
            elif span.kind == "api":  # cut by the recorder's flush before its answer came
                self._unanswered[span.span_id] = span

    def _start(
        self,
        span_id: str,
        trace_id: str,
        step: str,
        file: str,
        kind: SpanKind,
        topic: str | None,
        parent_span_id: str | None,
        remote_parent: bool,
        delivery_id: int | None,
        attempt: int,
        at: float,
        runner: str | None = None,
        pid: int | None = None,
    ) -> tuple[Span, TraceDelta]:
        if parent_span_id is None and delivery_id is not None:
            parent_span_id = self._parents.get(delivery_id)
        span = Span(
            trace_id,
            span_id,
            step,
            kind,
            self._language(file),
            file,
            at,
            parent_span_id,
            topic,
            attempt,
            delivery_id,
            runner,
            pid,
            remote_parent=remote_parent,
        )
        if self._exporting:
            self._events[span_id] = []
        self._running[span_id] = span
        self._by_step.put(trace_id, step, span_id)
        buffer = self._buffer
        buffer.spans[span_id] = span
        delta = self._delta(trace_id, at)
        delta.spans += 1
        if kind != "event":  # api and cron runs are open work; deliveries are counted from their emit
            delta.open += 1
            if delta.kind is None:
                delta.kind, delta.name = kind, step
                buffer.roots += 1
        return span, delta

    def _end(self, span_id: str, at: float, status: Any, error: JsonObject | None) -> None:
        span = self._running.pop(span_id, None)
        if span is None:
            return
        self._finish(span, self._delta(span.trace_id, at), at, status, error)
        buffer = self._buffer
        buffer.spans[span_id] = span
        if span.kind == "api":
            buffer.ended_api.append(span)

    def _finish(
        self, span: Span, delta: TraceDelta, at: float, status: Any, error: JsonObject | None
    ) -> None:
        span.ended_at = at
        span.status = status
        span.error = error
        delta.touch(at)
        if span.kind != "event":
            delta.open -= 1
            if status == "error":
                delta.failures += 1

    def _response(self, trace_id: str, step: str, method: str, path: str, status: int, at: float) -> None:
        delta = self._delta(trace_id, at)
        span = self._answered_span(trace_id, step)
        if span is None:
            delta.method, delta.path, delta.status_code = method, path, status
            return
        self._answer(span, delta, method, path, status)
        self._buffer.spans[span.span_id] = span  # again, if an earlier cut took it: with its answer

    def _answer(self, span: Span, delta: TraceDelta, method: str, path: str, status: int) -> None:
        """A 5xx fails the trace even when the handler returned normally (a response the core
        refused, a handler that answered 500)."""
        delta.method, delta.path, delta.status_code = method, path, status
        span.status_code = status
        if status >= 500 and span.status == "ok":
            span.status = "error"
            span.error = answered_with(status)
            delta.failures += 1

    # ------------------------------------------------------------------ operations and logs

    def _operation(self, operation: JsonObject) -> None:
        trace_id: str = operation["traceId"]
        step = operation["step"]
        kind, name = operation["type"], operation["name"]
        # a replay is the core's doing, not the subscriber's latest span's
        span_id = self._by_step.get(trace_id, step) if step is not None and name != "replayed" else None
        operation["spanId"] = span_id
        delta = self._delta(trace_id, (operation["time"] + operation["durationMs"]) / 1000)
        if kind == "emit":
            deliveries = operation["deliveries"]
            delta.open += len(deliveries)
            if step is None and delta.kind is None:  # from outside (POST /__motia/emit): a root
                delta.kind, delta.name = "emit", operation["topic"]
                self._buffer.roots += 1
            if span_id is not None:
                parents = self._parents
                for delivery in deliveries:
                    parents[delivery["id"]] = span_id
                if len(parents) > 2 * PARENT_INDEX_SIZE:
                    self._parents = newest(parents, PARENT_INDEX_SIZE)
        elif kind == "delivery":
            if name == "dead":
                delta.open -= 1
                delta.failures += 1
            elif name == "replayed":
                delta.open += 1
                delta.failures -= 1
        self._buffer.operations.append(operation)
        self._under(span_id, operation)

    def _log(self, line: JsonObject, json: bytes | None = None) -> None:
        """``json``: the LOG event's JSON as it came (``[6,{...}]``): the line's, with its span id
        spliced in, is what the SQLite store keeps (``Batch.logs_json``)."""
        trace_id = line["traceId"]
        span_id = self._by_step.get(trace_id, line["step"]) if trace_id else None
        line["spanId"] = span_id
        buffer = self._buffer
        if json is not None and self._whole:
            buffer.logs_json.append(_line_json(json, span_id))
        elif buffer.logs_json:
            buffer.logs_json.append(None)
        buffer.logs.append(line)
        if trace_id and not (buffer.whole and self._keeps_whole(trace_id, line["time"])):
            self._delta(trace_id, line["time"] / 1000)
        self._under(span_id, line)

    def _keeps_whole(self, trace_id: str, at_ms: float) -> bool:
        """Whether a state or stream call or a log line of ``trace_id``, recorded at ``at_ms`` (epoch
        ms), leaves it whole: its trace is held whole and it came while its request ran (its summary,
        made of the request's event, is then what the general path makes of both; bench/RESULTS.md,
        session 22: an ordinary handler's request)."""
        held = self._buffer.whole.get(trace_id)
        return held is not None and at_ms / 1000 <= event_end(held[0])

    def _whole_operation(self, operation: JsonObject) -> None:
        """A state or stream call of a trace held whole (``_keeps_whole``): kept beside its event."""
        trace_id = operation["traceId"]
        operation["spanId"] = self._by_step.get(trace_id, operation["step"])
        self._buffer.whole_operations.setdefault(trace_id, []).append(operation)

    def _under(self, span_id: str | None, record: JsonObject) -> None:
        if span_id is not None and self._exporting:
            events = self._events.get(span_id)
            if events is not None:
                events.append(record)

    # ------------------------------------------------------------------ helpers

    def _delta(self, trace_id: str, now: float) -> TraceDelta:
        buffer = self._buffer
        delta = buffer.traces.get(trace_id)
        if delta is None:
            held = buffer.whole.pop(trace_id, None)
            if held is not None:  # no longer whole in this batch: assembled as any other
                buffer.roots -= 1
                self._start_event(held[0])
                delta = self._delta(trace_id, now)
                operations = buffer.whole_operations.pop(trace_id, None)
                if operations:  # (their times are the request's: the delta's already)
                    buffer.operations += operations
                return delta
            delta = buffer.traces[trace_id] = TraceDelta(now, now)
        else:
            delta.touch(now)
        return delta

    def _answered_span(self, trace_id: str, step: str) -> Span | None:
        """The step's latest span in the trace, which an answer is for: while it runs, waits for the
        next cut, or was cut unanswered (the recorder's flush came between its end and its answer)."""
        span_id = self._by_step.get(trace_id, step)
        if span_id is None:
            return None
        unanswered = self._unanswered.pop(span_id, None) if self._unanswered else None
        return self._running.get(span_id) or self._buffer.spans.get(span_id) or unanswered

    def _language(self, file: str) -> str:
        language = self._languages.get(file)
        if language is None:
            language = self._languages[file] = language_of(file)
        return language


class SpanIndex:
    """(trace id, step) -> the step's latest span in that trace, for operations and log lines to find
    it; at least the SPAN_INDEX_SIZE latest spans put are kept.

    Per step, a dict by trace id (a trace id is a string whose hash is kept: no tuple key made and
    hashed per span), in two generations: once the newer one took SPAN_INDEX_SIZE spans it becomes the
    older one and the oldest is let go, where a dict trimmed to its newest entries was copied (a
    tuple key hashed again per span). A batch's whole traces, most of them of one step, go in at once
    (``put_all``; bench/RESULTS.md, session 21: the trace writer's CPU per request)."""

    def __init__(self) -> None:
        self._new: dict[str | None, dict[str, str]] = {}
        self._old: dict[str | None, dict[str, str]] = {}
        #: spans put into ``_new`` (a span put again counts again)
        self._count = 0

    def get(self, trace_id: str, step: str | None) -> str | None:
        spans = self._new.get(step)
        if spans is not None:
            span_id = spans.get(trace_id)
            if span_id is not None:
                return span_id
        spans = self._old.get(step)
        return None if spans is None else spans.get(trace_id)

    def put(self, trace_id: str, step: str | None, span_id: str) -> None:
        spans = self._new.get(step)
        if spans is None:
            spans = self._new[step] = {}
        spans[trace_id] = span_id
        self._count += 1
        if self._count >= SPAN_INDEX_SIZE:
            self._age()

    def put_all(self, trace_ids: list[str], steps: list[str | None], span_ids: Iterable[str]) -> None:
        """``put`` of each (trace id, step, span id), in order."""
        if len(set(steps)) != 1:
            for trace_id, step, span_id in zip(trace_ids, steps, span_ids, strict=True):
                self.put(trace_id, step, span_id)
            return
        spans = self._new.get(steps[0])
        if spans is None:
            spans = self._new[steps[0]] = {}
        spans.update(zip(trace_ids, span_ids, strict=True))
        self._count += len(trace_ids)
        if self._count >= SPAN_INDEX_SIZE:
            self._age()

    def latest(self) -> list[LatestSpan]:
        """The spans kept (at least the newest SPAN_INDEX_SIZE), (trace id, step, span id) each, those of a
        step: operations and log lines without a step find none."""
        merged: dict[tuple[str, str], str] = {}
        for generation in (self._old, self._new):
            for step, spans in generation.items():
                if step is not None:
                    merged.update(zip(zip(spans, itertools.repeat(step)), spans.values(), strict=True))
        return [(trace_id, step, span_id) for (trace_id, step), span_id in merged.items()]

    def _age(self) -> None:
        self._old, self._new, self._count = self._new, {}, 0


def newest(index: dict[K, V], keep: int) -> dict[K, V]:
    """The ``keep`` entries added last (trimming in bulk: deleting one at a time from the front of a
    dict makes every later look for its first entry walk the holes left)."""
    return dict(itertools.islice(index.items(), max(len(index) - keep, 0), None))


#: a log line's ``spanId`` as the recorder writes it (``Recorder.log_record``: after the line's strings,
#: whose quotes are escaped, before its free-form fields: the first occurrence is the key's)
_NO_SPAN = b'"spanId":null'


def _line_json(event_json: bytes, span_id: str | None) -> bytes | None:
    """A log line's JSON from its LOG event's (``[6,{...}]``), with ``span_id`` (None: it could not
    be spliced in, and the line is encoded again)."""
    line = event_json[3:-1]
    if span_id is None:
        return line if _NO_SPAN in line else None
    spliced = line.replace(_NO_SPAN, b'"spanId":"%s"' % span_id.encode(), 1)
    return spliced if len(spliced) != len(line) else None
