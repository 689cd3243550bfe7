"""What a trace is made of, as the recorder buffers it and the stores keep it.

A *trace* is everything one HTTP request, cron tick or manual emit set off, across steps, languages
and retries. It holds *spans* (one per step execution: one attempt of an event delivery, one api
request, one cron run), *operations* (emits, state and stream calls, delivery outcomes) and *log
lines*. Operations and log lines are plain JSON objects from the moment they are recorded (what the
API returns, camelCase, times in epoch milliseconds); spans are mutable objects until they end.

A trace's status is derived, never stored: ``running`` while work is open (an api or cron invocation
running, an event delivery not yet done or dead-lettered), else ``error`` if something failed for
good (an api or cron handler failed, a delivery was dead-lettered and not replayed), else ``ok``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# the level names, listed once (re-exported: the stores and the API take them from here)
from supervisor.logs import LEVEL_ALIASES as LEVEL_ALIASES
from supervisor.logs import LEVEL_NAMES as LEVEL_NAMES
from supervisor.logs import LOG_LEVELS as LOG_LEVELS
from supervisor.storage import JsonObject

TraceStatus = Literal["running", "ok", "error"]
SpanStatus = Literal["running", "ok", "error", "lost"]
SpanKind = Literal["api", "event", "cron"]
TRACE_STATUSES: tuple[TraceStatus, ...] = ("running", "ok", "error")


#: a span id that is no span's (W3C trace context: an all-zero id is invalid)
NO_SPAN_ID = "0" * 16


def new_span_ids(count: int) -> list[str]:
    """About ``count`` random W3C / OpenTelemetry span ids (16 hex digits, never all zeros). Made in
    bulk: one ``urandom`` and one C split cost ~0.1 µs an id, against ~0.3 µs for one id made alone
    (bench/RESULTS.md, tracing overhead, session 10)."""
    ids = os.urandom(8 * count).hex(" ", 8).split()
    if NO_SPAN_ID in ids:
        ids = [span_id for span_id in ids if span_id != NO_SPAN_ID]
    return ids


def status_of(open_work: int, failures: int) -> TraceStatus:
    if open_work > 0:
        return "running"
    return "error" if failures > 0 else "ok"


@dataclass(slots=True, eq=False)
class Span:
    """One step execution. Mutable until ``ended_at`` is set (and the HTTP answer is known)."""

    trace_id: str
    span_id: str
    step: str
    kind: SpanKind
    language: str
    file: str
    started_at: float
    parent_span_id: str | None = None
    topic: str | None = None
    attempt: int = 1
    delivery_id: int | None = None
    runner: str | None = None
    pid: int | None = None
    ended_at: float | None = None
    status: SpanStatus = "running"
    error: JsonObject | None = None
    #: the api response's status code, once the HTTP layer has built it
    status_code: int | None = None
    #: the parent came from an incoming ``traceparent`` header (another service's span)
    remote_parent: bool = False

    def ran_on(self, runner: str, pid: int | None) -> None:
        """Which runner process took the invocation (called by the pool when it picks one)."""
        self.runner = runner
        self.pid = pid

    def to_json(self) -> JsonObject:
        ended = self.ended_at
        return {
            "traceId": self.trace_id,
            "spanId": self.span_id,
            "parentSpanId": self.parent_span_id,
            "step": self.step,
            "type": self.kind,
            "language": self.language,
            "file": self.file,
            "topic": self.topic,
            "attempt": self.attempt,
            "deliveryId": self.delivery_id,
            "runner": self.runner,
            "pid": self.pid,
            "startedAt": self.started_at * 1000,
            "endedAt": None if ended is None else ended * 1000,
            "durationMs": None if ended is None else (ended - self.started_at) * 1000,
            "status": self.status,
            "statusCode": self.status_code,
            "error": self.error,
        }


@dataclass(slots=True)
class TraceDelta:
    """What one batch of records changes in a trace's summary row (counters add up across batches)."""

    started_at: float
    updated_at: float
    #: how the trace began: ``api``, ``cron``, ``emit`` (a manual emit), set by the root record
    kind: str | None = None
    #: the root's step (api, cron) or topic (emit)
    name: str | None = None
    method: str | None = None
    path: str | None = None
    status_code: int | None = None
    open: int = 0
    #: what failed for good (the listing's ``failures``; the status ``error`` while above 0): an api or
    #: cron invocation that failed or was answered 5xx, an event delivery dead-lettered (one, however
    #: many attempts it made; its replay takes it back); a failed attempt that is retried is not one
    failures: int = 0
    spans: int = 0
    #: the batches that changed the trace: one per delta (a batch's changes to one trace), added up by
    #: the stores into the summary's ``changes``, which moves with every write of the trace (its
    #: ``updatedAt``, a latest time, need not: another supervisor's batch on Redis may hold earlier
    #: times), for a reader to tell whether to read the trace again (the Workbench's Endpoints panel)
    changes: int = 1

    def touch(self, now: float) -> None:
        if now < self.started_at:
            self.started_at = now
        if now > self.updated_at:
            self.updated_at = now


#: a trace that is one api or cron span, started, ended and answered within a batch, and nothing else
#: there (``Batch.whole``): the recorder's START event with its END and RESPONSE folded in
#: (``_assembler``: kind, span id, trace id, step, file, kind, topic, parent span id, remote parent,
#: delivery id, attempt, at, runner, pid, ended at, status, error, method, path, status code, answered
#: at), and its JSON as the supervisor sent it (None: not known, it is encoded again). A segment keeps
#: that JSON as the trace's summary and its record (``_segments``): never decoded and encoded again.
WholeTrace = tuple[Sequence[Any], bytes | None]


def answered_with(status_code: int) -> JsonObject:
    """The error of a span whose handler returned normally and whose request was answered 5xx (a
    response the core refused, a handler that answered 500)."""
    message = f"answered {status_code}"
    return {"name": f"HTTP {status_code}", "message": message, "stack": "", "location": None}


@dataclass(slots=True)
class Batch:
    """Records to write in one go. Spans are the recorder's own objects, which go on changing (a span
    running at the cut ends later): a store reads them before its ``write`` first awaits, or copies
    them (``Span.to_json``); what changed after that comes again in a later batch.

    ``whole``: traces cut as ``WholeTrace``s rather than a delta and a span (no trace is in both), for
    a store that says it takes them (``takes_whole_traces``: the SQLite store's segments); empty for
    any other. ``whole_operations``: by trace id, the state and stream calls of ``whole`` traces
    (``spanId`` found), made while their requests ran; not in ``operations``."""

    traces: dict[str, TraceDelta] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    operations: list[JsonObject] = field(default_factory=list)
    logs: list[JsonObject] = field(default_factory=list)
    whole: list[WholeTrace] = field(default_factory=list)
    whole_operations: dict[str, list[JsonObject]] = field(default_factory=dict)
    #: each of ``logs``' JSON as the recorder sent it, span id spliced in (None: to be encoded; empty:
    #: all are), for the SQLite store (``Assembler._log``)
    logs_json: list[bytes | None] = field(default_factory=list)

    def __len__(self) -> int:
        whole_operations = sum(map(len, self.whole_operations.values()))
        return len(self.spans) + len(self.operations) + len(self.logs) + len(self.whole) + whole_operations


#: HTTP status codes, as inclusive ranges (low, high)
AnsweredRanges = tuple[tuple[int, int], ...]
#: a part of ``answered=``: a class (``4xx``), or a code (``404``) or range (``400-499``) of three digits
_ANSWERED_PART = re.compile(r"([1-9])xx|([1-9]\d\d)(?:-([1-9]\d\d))?")


def parse_answered(spec: str) -> AnsweredRanges:
    """What ``answered=`` names: comma-separated status codes (``404``), classes (``4xx``) or ranges
    (``400-499``), in any case and order. Raises ValueError saying which part is none of them."""
    ranges: set[tuple[int, int]] = set()
    for part in spec.split(","):
        match = _ANSWERED_PART.fullmatch(part.strip().lower())
        if match is None or (match[3] is not None and int(match[3]) < int(match[2])):
            raise ValueError(
                f"{part.strip()!r} is not a status code (404), a class (4xx) or a range (400-499) "
                "of three-digit codes"
            )
        if match[1] is not None:
            ranges.add((int(match[1]) * 100, int(match[1]) * 100 + 99))
        else:
            ranges.add((int(match[2]), int(match[3] or match[2])))
    return tuple(sorted(ranges))


def answered_within(code: int | None, ranges: AnsweredRanges) -> bool:
    return code is not None and any(low <= code <= high for low, high in ranges)


@dataclass(frozen=True, slots=True)
class TraceQuery:
    """Filters of a trace listing, newest first. ``trace_id`` matches any part of an id (log lines
    show the last 8 characters; a whole id is looked up by its key: ``_query.whole_id``); ``text`` a
    case-insensitive part of its id, its name (``POST /pets``, a cron's step, an emitted topic) or a
    step's name; ``before`` is the cursor of the page before (see ``encode_cursor``). ``_query``
    states what it selects."""

    step: str | None = None
    status: TraceStatus | None = None
    since: float | None = None
    until: float | None = None
    trace_id: str | None = None
    text: str | None = None
    #: the HTTP statuses its request was answered with, as ranges of codes (``parse_answered``): only
    #: an api trace's, once answered
    answered: AnsweredRanges | None = None
    limit: int = 50
    before: tuple[float, str] | None = None


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Filters of a log listing. ``level`` is the lowest level shown; ``text`` a case-insensitive
    substring of the message; ``runner`` the runner a line came from (``runner_holds``). Newest
    first, paging back with ``before`` (an id); with ``after`` (an id) the lines after it, oldest
    first (what a follower reads). ``_query`` states what it selects."""

    level: str | None = None
    step: str | None = None
    trace_id: str | None = None
    text: str | None = None
    runner: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 100
    before: int | None = None
    after: int | None = None


@dataclass(frozen=True, slots=True)
class TracePage:
    traces: list[JsonObject]
    #: pass as ``before`` for the next (older) page; None on the last page
    next_cursor: tuple[float, str] | None


@dataclass(frozen=True, slots=True)
class LogPage:
    logs: list[JsonObject]
    #: the id to pass as ``before`` (newest-first pages) or ``after`` (follow) for the next page
    next_cursor: int | None


@dataclass(frozen=True, slots=True)
class Retention:
    max_traces: int
    max_log_lines: int
    max_age_s: float


@dataclass(frozen=True, slots=True)
class Pruned:
    traces: int
    logs: int


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower case for ASCII letters only: what SQLite's lower() does, so text filters match alike."""
    # str.lower() of ASCII text is the same, ~10x faster than translate() (a listing lowers thousands)
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def runner_holds(runner: str | None, wanted: str) -> bool:
    """Whether a log line of ``runner`` (its id: ``node-0``, ``python-spare-1``; None: the core's own)
    is one a ``runner`` filter ``wanted`` asks for: that id, or every id it begins up to a ``-`` (a
    kind, ``node``: every node runner, its spares and the attached ones; ``node-spare``: the spares).
    ``node-1`` is not ``node-10``'s beginning."""
    return runner is not None and (runner == wanted or runner.startswith(wanted + "-"))


def level_rank(level: str) -> int:
    try:
        return LOG_LEVELS.index(LEVEL_ALIASES.get(level, level))
    except ValueError:
        return 1  # an unknown level reads as info


def trace_summary(
    trace_id: str,
    started_at: float,
    updated_at: float,
    entry: JsonObject | None,
    open_work: int,
    failures: int,
    span_count: int,
    steps: list[JsonObject],
    changes: int,
) -> JsonObject:
    """A trace as listings show it. ``steps``: each step that ran in it, once, in order of first run;
    ``changes``: the batches written of it (``TraceDelta.changes``)."""
    status = status_of(open_work, failures)
    return {
        "traceId": trace_id,
        "status": status,
        "startedAt": started_at * 1000,
        "updatedAt": updated_at * 1000,
        "durationMs": None if status == "running" else (updated_at - started_at) * 1000,
        "entry": entry,
        "steps": steps,
        "spanCount": span_count,
        "failures": max(failures, 0),
        "open": max(open_work, 0),
        "changes": changes,
    }


def entry_of(
    kind: str | None,
    name: str | None,
    method: str | None,
    path: str | None,
    status_code: int | None,
) -> JsonObject | None:
    """How the trace began: ``{"type": "api", "step", "method", "path", "statusCode"}``,
    ``{"type": "cron", "step"}`` or ``{"type": "emit", "topic"}``; None when the root was not seen
    (its records were pruned, or it began before tracing was on)."""
    if kind is None:
        return None
    if kind == "emit":
        return {"type": "emit", "topic": name}
    entry: dict[str, Any] = {"type": kind, "step": name}
    if kind == "api":
        entry.update(method=method, path=path, statusCode=status_code)
    return entry


#: a trace id whole: 32 hex digits (W3C's, from a ``traceparent``), or a UUID's 36 characters (our own)
_WHOLE_TRACE_ID = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_whole_trace_id(text: str) -> bool:
    """Whether ``text`` is a trace id whole, which no other trace id holds as a part (every trace id is
    one of the two forms, ``new_trace_id`` or a ``traceparent``'s): a listing by it is a look-up by key."""
    return _WHOLE_TRACE_ID.fullmatch(text) is not None


def encode_cursor(cursor: tuple[float, str] | None) -> str | None:
    return None if cursor is None else f"{cursor[0]!r}_{cursor[1]}"


def decode_cursor(text: str) -> tuple[float, str]:
    """Raises ValueError for anything ``encode_cursor`` did not make."""
    started, _, trace_id = text.partition("_")
    if not trace_id:
        raise ValueError(f"not a trace cursor: {text!r}")
    return float(started), trace_id
