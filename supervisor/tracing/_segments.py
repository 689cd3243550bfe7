"""Segments: the traces a write batch finished, stored as one row of ``traces.db`` (table ``segments``).

Most traces begin and end within one batch of the trace writer (an api request, a cron run, a short
flow of deliveries). Kept as rows, each cost two rows in four b-trees and their prune later: ~10 µs
of the writer's CPU per trivial request (bench/RESULTS.md, tracing overhead, seventh pass). A
segment holds a batch's finished traces in two blobs, their summaries (what listings show) and their
records (spans and operations: what one trace shows), plus columns a read narrows segments by
(their traces' earliest and latest start, their ids, the steps that ran in them, how many failed).

A trace goes into a segment only when its whole story so far is in the batch: its root began there
(``TraceDelta.kind``), no work is open and no span runs, and the store holds nothing of it yet. What
comes later for it (a log line's touch, a late answer, a replayed delivery) is a *revision*: kept as
rows, as every other trace is, with the row's ``segment`` column naming the segment, and the segment
marked ``revised`` so that reads look for them. Reads merge the two (``merge``), and list a trace once.

Retention drops a segment when all its traces fall out, and sets ``pruned_before`` on one that
straddles the cutoff: reads skip its traces that began before that.

Log lines stay in the ``logs`` table whatever their trace.

A trace that is one api or cron request whole in one event (``WholeTrace``: most requests) is kept as
that event's JSON, as the supervisor sent it, in the summaries; its record is ``0`` (the summary's
event is the record too). The writer neither decodes it into a summary and a span nor encodes those
again, and keeps it once (bench/RESULTS.md, session 11: trace writer); reads make the summary
(``summary_row``) and the span (``whole_span``) of it. A summary that is a list whose first item is
the event kind ``START`` (0) is such an event; a trace id is a string.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter, le, lt
from typing import Any

import orjson

from supervisor.discovery import language_of
from supervisor.storage import JsonObject

from ._query import error_messages
from ._records import AnsweredRanges, Span, TraceDelta, WholeTrace, answered_with, ascii_lower

#: at most this many traces per segment: a listing decodes the summaries of one segment at a time,
#: ``trace(id)`` the records of the segment holding it
SEGMENT_SIZE = 512
#: what separates the ids in ``segments.trace_ids`` (and the step names in ``segments.steps``): a
#: character trace ids and step names do not hold; a match across two ids only costs a look
ID_SEPARATOR = " "
STEP_SEPARATOR = "\n"

#: a trace's summary as a segment keeps it: the ``traces`` row's columns without ``seq``, then its steps
#: ([name, language] each, in order of first run), then its failed spans' error messages (what a text
#: filter finds; not in segments written before they were kept)
SummaryRow = Sequence[Any]
#: a span as the store takes it from a batch (``span_fields``): what a segment keeps of it (all but the
#: trace id), a list rather than ``Span.to_json``'s object, which ``span_json`` makes of it again
SpanFields = tuple[Any, ...]

# a SummaryRow's fields
TRACE_ID, STARTED, UPDATED, KIND, NAME, METHOD, PATH, STATUS_CODE, OPEN, FAILURES, SPANS, STEPS = range(12)
ERRORS = 12
#: a merged summary's count of the batches written of its trace (``TraceDelta.changes``, ``merge``): a
#: summary without it is a segment's own, of a trace written in one batch (``changes_of``)
CHANGES = 13
# a SpanFields' first fields (the columns of a span's row), and its last
SPAN_TRACE, SPAN_ID, SPAN_STEP, SPAN_LANGUAGE, SPAN_STARTED, SPAN_STATUS = range(6)
SPAN_ERROR = 16


def span_fields(span: Span) -> SpanFields:
    """A span as it stands (a running one goes on changing: read it before the batch is written)."""
    return (
        span.trace_id,
        span.span_id,
        span.step,
        span.language,
        span.started_at,
        span.status,
        span.kind,
        span.file,
        span.attempt,
        span.parent_span_id,
        span.topic,
        span.delivery_id,
        span.runner,
        span.pid,
        span.ended_at,
        span.status_code,
        span.error,
    )


def span_json(trace_id: str, fields: Sequence[Any]) -> JsonObject:
    """``Span.to_json`` of a span a segment keeps (``span_fields`` without the trace id)."""
    span_id, step, language, started, status, kind, file, attempt, parent, topic, delivery, *rest = fields
    runner, pid, ended, status_code, error = rest
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "parentSpanId": parent,
        "step": step,
        "type": kind,
        "language": language,
        "file": file,
        "topic": topic,
        "attempt": attempt,
        "deliveryId": delivery,
        "runner": runner,
        "pid": pid,
        "startedAt": started * 1000,
        "endedAt": None if ended is None else ended * 1000,
        "durationMs": None if ended is None else (ended - started) * 1000,
        "status": status,
        "statusCode": status_code,
        "error": error,
    }


#: a segment's ``min_started``, ``max_started`` and ``traces``: with its ``seq``, which segment a row is
#: (retention may give a deleted one's ``seq`` to a new one: ``_decoded``)
Fingerprint = tuple[float, float, int]


@dataclass(slots=True)
class SegmentIndex:
    """What the store's writer knows of the segments: which trace is in which (and when it began), and
    each segment's traces still kept, by start. Rebuilt from the file at open (whatever code wrote
    it: nothing of it is stored); kept by the write jobs only (one at a time), as they write and prune
    segments, before they commit. Reads ask ``by_trace`` which segment to open a trace from, and
    ``may_hold_id`` which segments to look for a part of an id in, and check that in their snapshot
    (``_sqlite._held``, ``_sqlite._may_hold_id``): the rest is the writer's."""

    by_trace: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: segment -> its kept traces' starts, ascending (what pruning counts and cuts by)
    starts: dict[int, list[float]] = field(default_factory=dict)
    #: segment -> its fingerprint and the ids of the traces it had when added, in the order of
    #: ``starts``, ``ID_SEPARATOR`` between them: not cut by retention (a read's snapshot may be from
    #: before the cut; the segment's ``pruned_before`` there hides what it cut), forgotten with the
    #: segment. Its kept traces' ids are the last ``len(starts[seq])`` (``cut``): one copy of the ids, no
    #: list beside it (0.5 MB at 50,000 traces: bench/RESULTS.md, session 18)
    id_lists: dict[int, tuple[Fingerprint, str]] = field(default_factory=dict)

    def add(
        self,
        seq: int,
        fingerprint: Fingerprint,
        starts: Sequence[float],
        ids: Sequence[str],
        pruned_before: float | None,
    ) -> None:
        """A segment's traces (their starts and ids, oldest first) that began at ``pruned_before`` or
        later. Written without a bytecode per trace (``map`` and ``zip`` run in C): it runs in the
        SQLite thread for every trace a batch holds whole (bench/RESULTS.md, session 21: the trace
        writer's CPU per request)."""
        if pruned_before is not None:
            kept = [n for n, start in enumerate(starts) if start >= pruned_before]
            starts, ids = [starts[n] for n in kept], [ids[n] for n in kept]
        if not starts:
            return
        self.starts[seq] = list(starts)
        self.by_trace.update(zip(ids, zip(itertools.repeat(seq), starts), strict=True))
        self.id_lists[seq] = fingerprint, ID_SEPARATOR.join(ids)

    def may_hold_id(self, seq: int, fingerprint: Fingerprint, part: str) -> bool | None:
        """Whether the segment ``seq`` (as ``fingerprint`` says it is) may hold a trace whose id holds
        ``part`` (a match across two ids only costs a look); None: the index does not know that
        segment (one retention deleted, not committed yet; or another given its number)."""
        known = self.id_lists.get(seq)
        if known is None or known[0] != fingerprint:
            return None
        return part in known[1]

    def add_summaries(
        self, seq: int, fingerprint: Fingerprint, summaries: bytes, pruned_before: float | None
    ) -> None:
        """``add`` of a segment read from the file: its summaries' JSON (newest first), of which only
        each trace's start and id are taken (a whole trace's ``event_start``, not all of
        ``summary_row``: 0.4-0.6 s of an open's CPU at 50,000 traces, bench/RESULTS.md)."""
        rows = orjson.loads(summaries)[::-1]
        starts = [event_start(row) if is_event(row) else row[STARTED] for row in rows]
        ids = [row[EVENT_TRACE] if is_event(row) else row[TRACE_ID] for row in rows]
        self.add(seq, fingerprint, starts, ids, pruned_before)

    def cut(self, seq: int, out: int) -> None:
        """Forget the ``out`` oldest traces of the segment (all of them: the segment)."""
        by_trace = self.by_trace
        kept = len(self.starts[seq])
        ids = self.id_lists[seq][1].split(ID_SEPARATOR)
        # each pop in C (``map``), not a bytecode loop: a prune forgets ~2,000 traces (session 21)
        collections.deque(map(by_trace.pop, ids[len(ids) - kept :][:out], itertools.repeat(None)), 0)
        if out >= kept:
            del self.starts[seq], self.id_lists[seq]
        else:
            self.starts[seq] = self.starts[seq][out:]


@dataclass(slots=True)
class NewSegment:
    """One segment's row, ready to insert (``SEGMENT_COLUMNS``), and its traces' starts and ids (oldest
    first) for the index."""

    values: tuple[Any, ...]
    starts: Sequence[float]
    ids: Sequence[str]


SEGMENT_COLUMNS = (
    "min_started, max_started, traces, errors, max_id, trace_ids, steps, summaries, records, answered, codes"
)


def answer_class(code: int) -> int:
    """The bit of ``segments.answered`` of a status code's class (its hundreds: 4 for 404, and 0
    and 9 for whatever is below or above three digits)."""
    return 1 << min(max(code // 100, 0), 9)


def answer_classes(ranges: AnsweredRanges) -> int:
    """The bits of ``segments.answered`` of the classes the ranges of codes reach into."""
    bits = 0
    for low, high in ranges:
        for hundreds in range(min(max(low // 100, 0), 9), min(max(high // 100, 0), 9) + 1):
            bits |= 1 << hundreds
    return bits


#: a trace as a segment takes it: its summary, its spans (``SpanFields`` without the trace id), its
#: operations
Entry = tuple[SummaryRow, Sequence[Any], list[JsonObject]]
#: a trace as ``build`` takes it: its start and its id (what segments are ordered and indexed by), the
#: JSON of its summary and of its records, whether it failed, its steps' names (``STEP_SEPARATOR``
#: between them), its highest operation id (None: it has none), the status code its request was
#: answered with (None: no request began it)
Item = tuple[float, str, bytes, bytes, bool, str, int | None, int | None]
#: a whole trace's record: its summary (its event) is the record
WHOLE_RECORD = b"0"

# a START event's fields (``_assembler``), END's and RESPONSE's folded in
EVENT_SPAN, EVENT_TRACE, EVENT_STEP, EVENT_FILE, EVENT_KIND, EVENT_TOPIC, EVENT_PARENT = range(1, 8)
EVENT_DELIVERY, EVENT_ATTEMPT, EVENT_AT, EVENT_RUNNER, EVENT_PID, EVENT_ENDED = range(9, 15)
EVENT_STATUS, EVENT_ERROR, EVENT_METHOD, EVENT_PATH, EVENT_STATUS_CODE, EVENT_ANSWERED = range(15, 21)


def entry_of(
    trace_id: str, d: TraceDelta, spans: Sequence[SpanFields], operations: list[JsonObject]
) -> Entry:
    """A trace whose every record is in one batch (its delta, spans and operations) as an ``Entry``."""
    steps = [[spans[0][SPAN_STEP], spans[0][SPAN_LANGUAGE]]] if len(spans) == 1 else steps_of(spans)
    summary = [
        trace_id,
        d.started_at,
        d.updated_at,
        d.kind,
        d.name,
        d.method,
        d.path,
        d.status_code,
        d.open,
        d.failures,
        d.spans,
        steps,
        error_messages([(span[SPAN_STATUS], span[SPAN_ERROR]) for span in spans]),
    ]
    return summary, [span[1:] for span in spans], operations


def entry_item(entry: Entry) -> Item:
    summary, spans, operations = entry
    top = max(op["id"] for op in operations) if operations else None
    return (
        summary[STARTED],
        summary[TRACE_ID],
        orjson.dumps(summary),
        # records hold JSON from the runners; default=str covers the odd value a log record's extras
        # carry rather than losing the batch to it (as ``_sqlite._encode``)
        orjson.dumps((spans, operations), default=str),
        summary[FAILURES] > 0,
        STEP_SEPARATOR.join([step for step, _language in summary[STEPS]]),
        top,
        summary[STATUS_CODE] if summary[KIND] == "api" else None,
    )


def whole_items(
    traces: Iterable[WholeTrace], operations: dict[str, list[JsonObject]] | None = None
) -> list[Item]:
    """Whole traces as ``Item``s: their JSON as it came (encoded here when it did not); the record of
    one with calls (``operations``, by trace id: ``Batch.whole_operations``) is their list."""
    dumps = orjson.dumps
    calls_of = operations or {}
    items: list[Item] = []
    append = items.append
    for event, json in traces:
        at, ended, answered = event[EVENT_AT], event[EVENT_ENDED], event[EVENT_ANSWERED]
        status = event[EVENT_STATUS]
        calls = calls_of.get(event[EVENT_TRACE])
        append(
            (
                at if at <= ended <= answered else event_start(event),
                event[EVENT_TRACE],
                json if json is not None else dumps(event, default=str),
                # (records hold JSON from the runners: as ``entry_item``)
                WHOLE_RECORD if not calls else dumps(calls, default=str),
                status == "error" or (status == "ok" and event[EVENT_STATUS_CODE] >= 500),
                event[EVENT_STEP],
                max(call["id"] for call in calls) if calls else None,
                event[EVENT_STATUS_CODE],  # an api request's, answered (``_assembler``: only these are whole)
            )
        )
    return items


def event_start(event: Sequence[Any]) -> float:
    """A whole trace's start: its first time (a clock set back while it ran makes a later one earlier)."""
    earliest: float = min(event[EVENT_AT], event[EVENT_ENDED], event[EVENT_ANSWERED])
    return earliest


def event_end(event: Sequence[Any]) -> float:
    """A whole trace's last time: what its summary's ``updated`` is (``summary_row``)."""
    latest: float = max(event[EVENT_AT], event[EVENT_ENDED], event[EVENT_ANSWERED])
    return latest


def event_failed(event: Sequence[Any]) -> bool:
    """Whether a whole trace failed: its step did, or its request was answered 5xx."""
    status = event[EVENT_STATUS]
    failed: bool = status == "error" or (status == "ok" and event[EVENT_STATUS_CODE] >= 500)
    return failed


def event_errors(event: Sequence[Any]) -> list[str]:
    """A whole trace's error messages, as ``error_messages`` gives a failed span's (one answered 5xx
    without failing has ``answered_with``'s)."""
    status, status_code = event[EVENT_STATUS], event[EVENT_STATUS_CODE]
    if status == "ok" and status_code >= 500:
        return error_messages([("error", answered_with(status_code))])
    return error_messages([(status, event[EVENT_ERROR])])


def text_pieces(text: str) -> list[str] | None:
    """What the JSON of a summary a segment keeps (a whole trace's event or a ``SummaryRow``) holds,
    ASCII letters in either case, when the trace's ``trace_text`` holds ``text``: each space-separated
    piece of the text (``METHOD path`` is two strings there; a method has no space), unless only its
    status code says it (``may_be_answered_with``). None: a text JSON would escape, which narrows
    nothing."""
    if any(char in text for char in '"\\') or any(ord(char) < 0x20 for char in text):
        return None
    return text.split(" ")


def may_be_answered_with(text: str) -> bool:
    """Whether ``text`` is in the message ``answered_with`` gives some 5xx status code, as the text
    filter matches (``trace_text``, ``icontains``): a whole trace answered 5xx has that message from
    its status code, not in its JSON."""
    wanted = ascii_lower(text)
    # digits alone: any status code's (one past 999 too)
    return wanted.isdigit() or any(wanted in message for message in _ANSWERED_WITH)


_ANSWERED_WITH = [ascii_lower(answered_with(code)["message"]) for code in range(500, 1000)]


def row_failed(row: Sequence[Any]) -> bool:
    """Whether a summary a segment keeps is of a trace that failed (``event_failed`` of an event)."""
    return event_failed(row) if is_event(row) else bool(row[FAILURES] > 0)


def is_event(row: Sequence[Any]) -> bool:
    """Whether a summary a segment keeps is a whole trace's event (else a ``SummaryRow``)."""
    return type(row[0]) is int


def summary_row(row: Sequence[Any]) -> SummaryRow:
    """A summary as a segment keeps it, as a ``SummaryRow`` (of a whole trace's event: what the
    general path makes of the event)."""
    if not is_event(row):
        return row
    status, status_code = row[EVENT_STATUS], row[EVENT_STATUS_CODE]
    failures = 1 if status == "error" else 0
    if status == "ok" and status_code >= 500:
        failures += 1
    return [
        row[EVENT_TRACE],
        event_start(row),
        event_end(row),
        row[EVENT_KIND],
        row[EVENT_STEP],
        row[EVENT_METHOD],
        row[EVENT_PATH],
        status_code,
        0,
        failures,
        1,
        [[row[EVENT_STEP], language_of(row[EVENT_FILE])]],
        event_errors(row),
    ]


def whole_span(event: Sequence[Any]) -> SpanFields:
    """A whole trace's span, as ``span_fields`` without the trace id."""
    status, error, status_code = event[EVENT_STATUS], event[EVENT_ERROR], event[EVENT_STATUS_CODE]
    if status == "ok" and status_code >= 500:
        status, error = "error", answered_with(status_code)
    return (
        event[EVENT_SPAN],
        event[EVENT_STEP],
        language_of(event[EVENT_FILE]),
        event[EVENT_AT],
        status,
        event[EVENT_KIND],
        event[EVENT_FILE],
        event[EVENT_ATTEMPT],
        event[EVENT_PARENT],
        event[EVENT_TOPIC],
        event[EVENT_DELIVERY],
        event[EVENT_RUNNER],
        event[EVENT_PID],
        event[EVENT_ENDED],
        status_code,
        error,
    )


def whole_records(event: Sequence[Any]) -> tuple[TraceDelta, SpanFields]:
    """A whole trace's event as a delta and a span, as rows take them."""
    summary = summary_row(event)
    return TraceDelta(*summary[STARTED:STEPS]), (event[EVENT_TRACE], *whole_span(event))


def held_records(summary: Sequence[Any], records: Any) -> tuple[Sequence[Any], list[JsonObject]]:
    """A trace's spans (``SpanFields`` without the trace id) and operations, from its summary and its
    record as a segment keeps them (of a whole trace's: its calls, None or ``0`` when it made none)."""
    if is_event(summary):
        return [whole_span(summary)], records if isinstance(records, list) else []
    spans, operations = records
    return spans, operations


def build(items: Sequence[Item]) -> NewSegment:
    """A segment of ``items`` (whole traces, see the module's doc), oldest first: its summaries and
    its records, newest first, are their JSON joined."""
    newest_first = items[::-1]
    step_names: set[str] = set()
    for names in {item[5] for item in items}:
        step_names.update(names.split(STEP_SEPARATOR))
    top = [item[6] for item in items if item[6] is not None]
    answered = 0
    codes = sorted({code for code in map(itemgetter(7), items) if code is not None})  # a few for hundreds
    for code in codes:
        answered |= answer_class(code)
    values = (
        items[0][0],
        items[-1][0],
        len(items),
        sum([1 for item in items if item[4]]),
        max(top) if top else None,
        ID_SEPARATOR.join([item[1] for item in newest_first]),
        STEP_SEPARATOR + STEP_SEPARATOR.join(sorted(step_names)) + STEP_SEPARATOR,
        b"[" + b",".join([item[2] for item in newest_first]) + b"]",
        b"[" + b",".join([item[3] for item in newest_first]) + b"]",
        answered,
        orjson.dumps(codes).decode(),
    )
    return NewSegment(values, [item[0] for item in items], [item[1] for item in items])


#: a whole trace's event's times: its start is the earliest (``event_start``)
_EVENT_AT, _EVENT_ENDED, _EVENT_ANSWERED = (
    itemgetter(EVENT_AT),
    itemgetter(EVENT_ENDED),
    itemgetter(EVENT_ANSWERED),
)


def whole_segments(traces: Sequence[WholeTrace]) -> list[NewSegment]:
    """The segments of a batch's whole traces when it has no other trace for segments: what ``build``
    makes of their ``whole_items`` sorted, each column made by loops in C (``map``, ``join``,
    ``count``) rather than a tuple per trace built, sorted and taken apart in bytecode, in the SQLite
    thread (bench/RESULTS.md, session 21: the trace writer's CPU per request)."""
    events = list(map(itemgetter(0), traces))
    jsons: list[bytes] = list(map(itemgetter(1), traces))
    if None in jsons:  # encoded here when they came without (a store in the supervisor's process)
        jsons = [json if json is not None else orjson.dumps(event, default=str) for event, json in traces]
    # a start is the earliest of the three times (``event_start``): its first as a rule, which two
    # passes of ``le`` tell (``min`` of each event's three: twice the time)
    starts: list[float] = list(map(_EVENT_AT, events))
    ended, answered = list(map(_EVENT_ENDED, events)), list(map(_EVENT_ANSWERED, events))
    if not (all(map(le, starts, ended)) and all(map(le, starts, answered))):
        starts = list(map(min, starts, ended, answered))
    ids: list[str] = list(map(itemgetter(EVENT_TRACE), events))
    if not all(map(lt, starts, itertools.islice(starts, 1, None))):
        # not in order of start as they came (a clock set back, two at the same time): by start, then id
        order = sorted(range(len(events)), key=list(zip(starts, ids, strict=True)).__getitem__)
        events = [events[n] for n in order]
        jsons = [jsons[n] for n in order]
        starts = [starts[n] for n in order]
        ids = [ids[n] for n in order]
    return [
        _whole_segment(
            events[first : first + SEGMENT_SIZE],
            jsons[first : first + SEGMENT_SIZE],
            starts[first : first + SEGMENT_SIZE],
            ids[first : first + SEGMENT_SIZE],
        )
        for first in range(0, len(events), SEGMENT_SIZE)
    ]


def _whole_segment(
    events: list[Sequence[Any]], jsons: list[bytes], starts: list[float], ids: list[str]
) -> NewSegment:
    """``build`` of whole traces (their events, JSON, starts and ids, in order of start)."""
    codes = sorted({code for code in map(itemgetter(EVENT_STATUS_CODE), events) if code is not None})
    errors = list(map(itemgetter(EVENT_STATUS), events)).count("error")
    if codes and codes[-1] >= 500:  # some answered 5xx, which fails a trace whose step did not fail
        errors = sum(map(event_failed, events))
    answered = 0
    for code in codes:
        answered |= answer_class(code)
    step_names: set[str] = set()
    for names in set(map(itemgetter(EVENT_STEP), events)):
        step_names.update(names.split(STEP_SEPARATOR))
    values = (
        starts[0],
        starts[-1],
        len(events),
        errors,
        None,
        ID_SEPARATOR.join(ids[::-1]),
        STEP_SEPARATOR + STEP_SEPARATOR.join(sorted(step_names)) + STEP_SEPARATOR,
        b"[" + b",".join(jsons[::-1]) + b"]",
        b"[" + b",".join([WHOLE_RECORD] * len(events)) + b"]",
        answered,
        orjson.dumps(codes).decode(),
    )
    return NewSegment(values, starts, ids)


def steps_of(spans: Iterable[SpanFields]) -> list[list[str]]:
    """Each step of the spans once, in order of its first run, with its language."""
    seen: dict[str, list[str]] = {}
    for span in sorted(spans, key=itemgetter(SPAN_STARTED)):
        if span[SPAN_STEP] not in seen:
            seen[span[SPAN_STEP]] = [span[SPAN_STEP], span[SPAN_LANGUAGE]]
    return list(seen.values())


def merge(
    summary: SummaryRow,
    revision: Sequence[Any],
    more_steps: Sequence[JsonObject],
    more_errors: Sequence[str] = (),
) -> SummaryRow:
    """A segment's summary of a trace with its revision (the ``traces`` row's columns from
    ``trace_id``, as the row upsert adds up batches: the segment came first; its ``changes`` last),
    the steps its later spans ran and their error messages."""
    merged = list(summary)
    _trace_id, started, updated, kind, name, method, path, status_code, open_work, failures, spans = revision[
        :STEPS
    ]
    merged[STARTED] = min(summary[STARTED], started)
    merged[UPDATED] = max(summary[UPDATED], updated)
    if summary[KIND] is None:
        merged[KIND], merged[NAME] = kind, name
    merged[METHOD] = method if method is not None else summary[METHOD]
    merged[PATH] = path if path is not None else summary[PATH]
    merged[STATUS_CODE] = status_code if status_code is not None else summary[STATUS_CODE]
    merged[OPEN] = summary[OPEN] + open_work
    merged[FAILURES] = summary[FAILURES] + failures
    merged[SPANS] = summary[SPANS] + spans
    steps = list(summary[STEPS])
    known = {step for step, _language in steps}
    for step in more_steps:
        if step["name"] not in known:
            known.add(step["name"])
            steps.append([step["name"], step["language"]])
    merged[STEPS] = steps
    errors = [*(summary[ERRORS] if len(summary) > ERRORS else []), *more_errors]
    merged[ERRORS:] = [errors, changes_of(summary) + (revision[STEPS] if len(revision) > STEPS else 0)]
    return merged


def changes_of(summary: SummaryRow) -> int:
    """The batches written of a segment's trace (``CHANGES``): one, unless a revision's are merged in."""
    changes: int = summary[CHANGES] if len(summary) > CHANGES else 1
    return changes
