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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson

from supervisor.storage import JsonObject

from ._records import Span, TraceDelta, WholeTrace

#: at most this many traces per segment: a listing decodes the summaries of one segment at a time,
#: ``trace(id)`` the records of the segment holding it
SEGMENT_SIZE = 512
#: what separates the ids in ``segments.trace_ids`` (and the step names in ``segments.steps``): a
#: character trace ids and step names do not hold; a match across two ids only costs a look
ID_SEPARATOR = " "
STEP_SEPARATOR = "\n"

#: a trace's summary as a segment keeps it: the ``traces`` row's columns without ``seq``, then its steps
#: ([name, language] each, in order of first run); a list when read from a segment, a tuple when cut
#: from a ``WholeTrace``
SummaryRow = Sequence[Any]
#: a span as the store takes it from a batch (``span_fields``): what a segment keeps of it (all but the
#: trace id), a list rather than ``Span.to_json``'s object, which ``span_json`` makes of it again
SpanFields = tuple[Any, ...]

# a SummaryRow's fields
TRACE_ID, STARTED, UPDATED, KIND, NAME, METHOD, PATH, STATUS_CODE, OPEN, FAILURES, SPANS, STEPS = range(12)
# a SpanFields' first fields (the columns of a span's row)
SPAN_TRACE, SPAN_ID, SPAN_STEP, SPAN_LANGUAGE, SPAN_STARTED, SPAN_STATUS = range(6)


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


@dataclass(slots=True)
class SegmentIndex:
    """What the store's writer knows of the segments: which trace is in which (and when it began), and
    each segment's traces still kept, by start. Rebuilt from the file at open; kept by the write
    jobs only (one at a time), never read by reads (they see the file's snapshot)."""

    by_trace: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: segment -> its kept traces' starts, ascending (what pruning counts and cuts by)
    starts: dict[int, list[float]] = field(default_factory=dict)
    #: segment -> its kept traces' ids, in the order of ``starts``
    ids: dict[int, list[str]] = field(default_factory=dict)

    def add(self, seq: int, summaries: Sequence[SummaryRow], pruned_before: float | None) -> None:
        """A segment's traces (its summaries, newest first) that began at ``pruned_before`` or later."""
        kept = [row for row in reversed(summaries) if pruned_before is None or row[STARTED] >= pruned_before]
        if not kept:
            return
        starts = self.starts[seq] = [row[STARTED] for row in kept]
        ids = self.ids[seq] = [row[TRACE_ID] for row in kept]
        self.by_trace.update(zip(ids, [(seq, start) for start in starts], strict=True))

    def cut(self, seq: int, out: int) -> None:
        """Forget the ``out`` oldest traces of the segment (all of them: the segment)."""
        by_trace = self.by_trace
        for trace_id in self.ids[seq][:out]:
            by_trace.pop(trace_id, None)
        if out >= len(self.starts[seq]):
            del self.starts[seq], self.ids[seq]
        else:
            self.starts[seq] = self.starts[seq][out:]
            self.ids[seq] = self.ids[seq][out:]


@dataclass(slots=True)
class NewSegment:
    """One segment's row, ready to insert (``SEGMENT_COLUMNS``), and its traces for the index."""

    values: tuple[Any, ...]
    summaries: list[SummaryRow]


SEGMENT_COLUMNS = "min_started, max_started, traces, errors, max_id, trace_ids, steps, summaries, records"


#: a trace as a segment takes it: its summary, its spans (``SpanFields`` without the trace id), its
#: operations
Entry = tuple[SummaryRow, Sequence[Any], list[JsonObject]]


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
    ]
    return summary, [span[1:] for span in spans], operations


#: where a ``WholeTrace``'s span fields (without its trace id) begin
WHOLE_SPAN = 12


def whole_entry(trace: WholeTrace) -> Entry:
    """A ``WholeTrace`` as an ``Entry``: its two slices."""
    return trace[:WHOLE_SPAN], (trace[WHOLE_SPAN:],), []


def whole_records(trace: WholeTrace) -> tuple[TraceDelta, SpanFields]:
    """A ``WholeTrace`` as a delta and a span, as rows take them."""
    delta = TraceDelta(*trace[STARTED:STEPS])
    return delta, (trace[TRACE_ID], *trace[WHOLE_SPAN:])


def build(entries: Sequence[Entry]) -> NewSegment:
    """A segment of ``entries`` (whole traces, see the module's doc), oldest first.

    ``summaries`` is their ``SummaryRow``s newest first; ``records`` a list beside it, each trace's
    spans (``span_fields`` without the trace id) and operations."""
    summaries: list[SummaryRow] = []
    records: list[Any] = []
    step_names: set[str] = set()
    errors = 0
    max_id = None
    for summary, spans, operations in reversed(entries):
        summaries.append(summary)
        for step, _language in summary[STEPS]:
            step_names.add(step)
        if operations:
            top = max(op["id"] for op in operations)
            max_id = top if max_id is None or top > max_id else max_id
        records.append((spans, operations))
        if summary[FAILURES] > 0:
            errors += 1
    values = (
        summaries[-1][STARTED],
        summaries[0][STARTED],
        len(summaries),
        errors,
        max_id,
        ID_SEPARATOR.join([row[TRACE_ID] for row in summaries]),
        STEP_SEPARATOR + STEP_SEPARATOR.join(sorted(step_names)) + STEP_SEPARATOR,
        orjson.dumps(summaries),
        # records hold JSON from the runners; default=str covers the odd value a log record's extras
        # carry rather than losing the batch to it (as ``_sqlite._encode``)
        orjson.dumps(records, default=str),
    )
    return NewSegment(values, summaries)


def steps_of(spans: Iterable[SpanFields]) -> list[list[str]]:
    """Each step of the spans once, in order of its first run, with its language."""
    seen: dict[str, list[str]] = {}
    for span in sorted(spans, key=itemgetter(SPAN_STARTED)):
        if span[SPAN_STEP] not in seen:
            seen[span[SPAN_STEP]] = [span[SPAN_STEP], span[SPAN_LANGUAGE]]
    return list(seen.values())


def merge(summary: SummaryRow, revision: Sequence[Any], more_steps: Sequence[JsonObject]) -> SummaryRow:
    """A segment's summary of a trace with its revision (the ``traces`` row's columns from
    ``trace_id``, as the row upsert adds up batches: the segment came first) and the steps its later
    spans ran."""
    merged = list(summary)
    _trace_id, started, updated, kind, name, method, path, status_code, open_work, failures, spans = revision
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
    return merged
