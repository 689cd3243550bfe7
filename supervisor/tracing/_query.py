"""What a listing selects and how it pages, stated once for every store.

A query (``TraceQuery``, ``LogQuery``) is described as predicates on the fields of the records it
lists (``trace_predicates``, ``log_predicates``). Each store translates them: into SQL conditions
(``_sqlite``), into the index and score range it walks plus the same tests on what it read
(``_redis``), or only into those tests (``_memory``, and live log followers: ``_follow``). The
tests (``all_hold``) are the rules; a translation into an index or SQL may only narrow what they see.

Fields, in the units the stores order and filter by (times in seconds):

- a log line: ``id`` (its cursor), ``time``, ``level``, ``step``, ``traceId``, ``runner`` (the id of
  the runner it came from; None: the core's), ``text`` (what a text filter looks in: ``LogText``, in
  its message and its metadata's JSON);
- a trace: ``key`` (``(startedAt, traceId)``, the order of listings and of their cursor),
  ``traceId``, ``startedAt``, ``status`` (derived), ``steps`` (the names of the steps that ran in it),
  ``text`` (what a text filter looks in: ``trace_text``, its id, its name, its steps' names and its
  failed spans' error messages), ``answered`` (the HTTP status code its request was answered with:
  ``answered_code``; None for a trace no request began, or one not answered yet).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import orjson

from supervisor.storage import JsonObject

from ._records import (
    AnsweredRanges,
    LogPage,
    LogQuery,
    TracePage,
    TraceQuery,
    answered_within,
    ascii_lower,
    is_whole_trace_id,
    level_rank,
    runner_holds,
)

#: ``contains``: a part of a string, or a member of a collection; ``icontains``: a part of a string
#: (or of any string of a collection), ASCII letters in any case (as SQLite's lower()); ``at_least``:
#: a log level at least as severe; ``within``: an HTTP status code in one of the ranges
#: ``finds``: a log line's text search (``LogText``) in its message or metadata (``log_texts``);
#: ``runs_in``: a runner id that is the one named or begins with it up to a ``-`` (``runner_holds``)
Op = Literal["eq", "lt", "gt", "le", "ge", "contains", "icontains", "at_least", "within", "finds", "runs_in"]


def _icontains(actual: str | Iterable[str], value: str) -> bool:
    part = ascii_lower(value)
    if "\n" in part and not isinstance(actual, str):  # it might match across two strings joined
        return any(part in ascii_lower(text) for text in actual)
    return part in lowered(actual)


def lowered(actual: str | Iterable[str]) -> str:
    """What ``icontains`` looks for a part without a line break in: the string, or the strings joined
    by line breaks (lowered and searched in one go: a third of the time of one by one, and a listing
    tests thousands), ASCII letters lowered."""
    return ascii_lower(actual if isinstance(actual, str) else "\n".join(actual))


#: whitespace of JSON as it is usually written (``{"name": "Buddy", "tags": [1, 2]}``) that its compact
#: form has not: beside ``:`` or ``,``, inside ``{}`` and ``[]``, where the characters on either side
#: are JSON's (a quote, a digit, a bracket, a literal). Plain text rarely has it (``a: b`` has not).
_JSON_SPACING = re.compile(
    r"(?<=[:,\[{])\s+(?=[\"\d\-\[{\]}]|true\b|false\b|null\b)"
    r"|(?:(?<=[\"\d\]}])|(?<=true|null)|(?<=false))\s+(?=[:,\]}])"
)


@dataclass(frozen=True, slots=True)
class LogText:
    """A log text search (``LogQuery.text``), lowered as ``icontains`` compares: ``typed``, found in a
    line's message or its metadata's JSON; ``compact``, the same without JSON's usual spacing
    (``_JSON_SPACING``; None: it has none), found in the metadata, which is kept compact (orjson's):
    ``"name": "Buddy"`` finds ``{"name":"Buddy"}`` as ``"name":"Buddy"`` does."""

    typed: str
    compact: str | None
    #: ``typed`` cut where its spacing is (one piece: it has none), for a store to look for both forms
    #: at once (``"name":%"buddy"``) before it tells them apart
    pieces: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> LogText:
        typed = ascii_lower(text)
        pieces = tuple(_JSON_SPACING.split(typed))
        return cls(typed, "".join(pieces) if len(pieces) > 1 else None, pieces)


def _finds(actual: tuple[str, str | None], search: LogText) -> bool:
    message, meta = actual
    if search.typed in ascii_lower(message):
        return True
    if meta is None:
        return False
    meta = ascii_lower(meta)
    return search.typed in meta or (search.compact is not None and search.compact in meta)


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "gt": operator.gt,
    "le": operator.le,
    "ge": operator.ge,
    "contains": lambda actual, value: value in actual,
    "icontains": _icontains,
    "at_least": lambda actual, value: level_rank(actual) >= level_rank(value),
    "within": answered_within,
    "finds": _finds,
    "runs_in": runner_holds,
}


@dataclass(frozen=True, slots=True)
class Predicate:
    """``<field of the record> <op> value``."""

    field: str
    op: Op
    value: Any


#: a record's value of a field (see the module's docstring for the fields of each kind of record)
Facts = Callable[[str], Any]


def all_hold(predicates: Sequence[Predicate], facts: Facts) -> bool:
    return all(_TESTS[p.op](facts(p.field), p.value) for p in predicates)


class Columns(Protocol):
    """The facts of a run of records (``Facts`` of each), a field at a time."""

    def column(self, field: str) -> Sequence[Any]:
        """Each record's value of ``field``."""
        ...

    def containing(self, field: str, part: str, positions: Sequence[int]) -> list[int]:
        """Those of ``positions`` whose value of ``field``, as ``icontains`` looks in it (``lowered``),
        holds ``part`` (lowered, without a line break), in their order."""
        ...


def holding(predicates: Sequence[Predicate], columns: Columns, positions: Iterable[int]) -> list[int]:
    """Those of ``positions`` (in ``columns``) whose record every predicate holds of, in their order:
    ``all_hold`` of each, one field at a time (a test per record, not a call of ``Facts`` per record
    and predicate: a listing tests thousands)."""
    chosen = list(positions)
    for p in predicates:
        part = ascii_lower(p.value) if p.op == "icontains" else None
        codes = _codes_within(p.value) if p.op == "within" else None
        if part is not None and "\n" not in part:
            chosen = columns.containing(p.field, part, chosen)
        elif codes is not None:  # a set's lookup, not a call per trace (13.6 -> 2 ms at 10,000)
            values = columns.column(p.field)
            chosen = [n for n in chosen if values[n] in codes]
        else:
            values, test, wanted = columns.column(p.field), _TESTS[p.op], p.value
            chosen = [n for n in chosen if test(values[n], wanted)]
    return chosen


def _codes_within(ranges: AnsweredRanges) -> frozenset[int] | None:
    """The status codes in the ranges, when they are few (HTTP's three digits: what ``answered=``
    names), for ``within`` to look up; else None."""
    if sum(high - low + 1 for low, high in ranges) > 1000:
        return None
    return frozenset(code for low, high in ranges for code in range(low, high + 1))


def narrowing(predicates: Sequence[Predicate]) -> dict[tuple[str, Op], Any]:
    """The predicates by field and op, for a store to find those its indexes answer."""
    return {(p.field, p.op): p.value for p in predicates}


#: each filter of a query: its attribute, and the predicate it states when set
_TRACE_FILTERS: tuple[tuple[str, str, Op], ...] = (
    ("before", "key", "lt"),  # the cursor
    ("trace_id", "traceId", "contains"),
    ("since", "startedAt", "ge"),
    ("until", "startedAt", "le"),
    ("status", "status", "eq"),
    ("step", "steps", "contains"),
    ("text", "text", "icontains"),
    ("answered", "answered", "within"),
)
#: ``level`` is the lowest level shown (``critical`` above error, ``fatal`` as critical, one not known
#: as info: ``level_rank``), ``text`` a part of the message or of the metadata's JSON (``LogText``)
_LOG_FILTERS: tuple[tuple[str, str, Op], ...] = (
    ("after", "id", "gt"),  # the cursors
    ("before", "id", "lt"),
    ("level", "level", "at_least"),
    ("step", "step", "eq"),
    ("trace_id", "traceId", "eq"),
    ("runner", "runner", "runs_in"),
    ("text", "text", "finds"),
    ("since", "time", "ge"),
    ("until", "time", "le"),
)


def trace_predicates(query: TraceQuery) -> list[Predicate]:
    return _predicates(query, _TRACE_FILTERS)


def log_predicates(query: LogQuery) -> list[Predicate]:
    return [
        Predicate(p.field, p.op, LogText.of(p.value)) if p.op == "finds" else p
        for p in _predicates(query, _LOG_FILTERS)
    ]


def _predicates(query: TraceQuery | LogQuery, filters: tuple[tuple[str, str, Op], ...]) -> list[Predicate]:
    return [
        Predicate(field, op, value)
        for attribute, field, op in filters
        if (value := getattr(query, attribute)) is not None
    ]


def trace_text(
    trace_id: str, entry: JsonObject | None, steps: Iterable[str], errors: Iterable[str] = ()
) -> list[str]:
    """What a trace's ``text`` is: its id, its name (the api's step and ``METHOD path``, the cron's
    step, the emitted topic: ``entry_of``), the names of its steps and the error messages of its
    failed spans (``error_messages``). Each is matched on its own, so a text never matches across
    two of them."""
    texts = [trace_id, *steps, *errors]
    if entry is not None:
        name = entry.get("topic") if entry["type"] == "emit" else entry.get("step")
        if name is not None:
            texts.append(name)
        if entry.get("method") is not None and entry.get("path") is not None:
            texts.append(f"{entry['method']} {entry['path']}")
    return texts


def answered_code(entry: JsonObject | None) -> int | None:
    """A trace's ``answered``: the status code its entry (``entry_of``) says an api request got."""
    if entry is None or entry["type"] != "api":
        return None
    code: int | None = entry.get("statusCode")
    return code


def error_messages(spans: Iterable[tuple[Any, Any]]) -> list[str]:
    """The errors of the failed spans among ``spans`` (each its status and its error, as stored) as
    the Workbench and ``motia traces`` show them, ``name: message`` (``APIConnectionError: Connection
    error.``; the message alone when it has no name), each followed by its innermost cause when it
    has one (``cause``: ``Error: getaddrinfo ENOTFOUND api.openai.com`` under Node's ``fetch
    failed``): what a text filter finds a trace by, besides its names. A user copies the error's
    name from where it is shown (the SQLite store's ``_ERROR_HOLDS`` builds the same texts)."""
    texts: list[str] = []
    for status, error in spans:
        if status != "error" or not isinstance(error, dict) or not isinstance(error.get("message"), str):
            continue
        name = error.get("name")
        texts.append(f"{name}: {error['message']}" if isinstance(name, str) and name else error["message"])
        cause = error.get("cause")
        if isinstance(cause, str) and cause:
            texts.append(cause)
    return texts


def log_line_facts(line: JsonObject) -> Facts:
    """A log line's fields as its JSON holds them (``time`` in ms there; ``text``: ``log_texts``)."""

    def fact(field: str) -> Any:
        if field == "time":
            return line["time"] / 1000
        return log_texts(line) if field == "text" else line[field]

    return fact


def log_texts(line: JsonObject) -> tuple[str, str | None]:
    """What a text search (``LogText``) finds a log line by: its message, and its metadata as ``motia
    dev`` prints it beside the message (compact JSON: ``{"name":"Buddy"}``; None for a line without).
    Each is matched on its own, as a trace's texts are."""
    meta = line.get("meta")
    return line["message"], None if meta is None else orjson.dumps(meta, default=str).decode()


_ID = operator.itemgetter("id")
_TIME = operator.itemgetter("time")


def one_trace(summary: JsonObject, spans: Iterable[JsonObject], events: Iterable[JsonObject]) -> JsonObject:
    """A trace as ``TraceStore.trace`` reads it: its summary, its spans by start (then id), its
    operations and log lines (``events``) by time, those of the same time as they were recorded (by
    id): an operation is recorded once done (an emit once committed) with the time it began, after
    the lines logged meanwhile, so that by id a timeline is out of order. Two stable sorts by a
    field, not one by a (time, id) pair: 100,000 events take 6.3 ms here, 5.2 ms by id alone, ~14 ms
    by the pair (decoding them from a store takes ~100 ms; bench/RESULTS.md, session 19)."""
    by_time = sorted(events, key=_ID)
    by_time.sort(key=_TIME)
    return {
        **summary,
        "spans": _lost_ended(sorted(spans, key=lambda span: (span["startedAt"], span["spanId"])), by_time),
        "events": by_time,
    }


def _lost_ended(spans: list[JsonObject], events: list[JsonObject]) -> list[JsonObject]:
    """``spans``, a lost one that has no end (its supervisor or runner died running it: a store marked
    it lost, ``recover`` or a dead supervisor's) ending at the last thing known of it: the end of its
    last operation or log line, else its start. One answer for every store and reader (the Workbench's
    timeline, ``motia traces ID``); events are looked at only when a trace has such a span."""
    if not any(span["status"] == "lost" and span["endedAt"] is None for span in spans):
        return spans
    last: dict[str, float] = {}
    for event in events:
        span_id = event.get("spanId")
        if span_id is not None:
            end = event["time"] + (event.get("durationMs") or 0)
            last[span_id] = max(end, last.get(span_id, end))
    ended: list[JsonObject] = []
    for span in spans:
        if span["status"] == "lost" and span["endedAt"] is None:
            start = span["startedAt"]
            end = max(start, last.get(span["spanId"], start))
            span = {**span, "endedAt": end, "durationMs": end - start}  # a copy: a store may cache its own
        ended.append(span)
    return ended


#: what a trace's row (its summary's JSON) says alone, of the fields a listing filters by: a listing by
#: a whole id filtering by these too reads that row only (``whole_id``)
_ROW_FIELDS = frozenset({"traceId", "status", "steps", "answered"})


def whole_id(query: TraceQuery) -> str | None:
    """The id a listing asks for whole (``is_whole_trace_id``: no other id holds it), when its other
    filters are answered by that trace's row (``_ROW_FIELDS``; not a time, a cursor or a text, which
    looks in its spans' error messages): a store then reads the row by its key (``row_page``) rather
    than walk every trace it keeps for the ids holding it. None: the listing walks."""
    trace_id = query.trace_id
    if trace_id is None or not is_whole_trace_id(trace_id):
        return None
    if any(p.field not in _ROW_FIELDS for p in trace_predicates(query)):
        return None
    return trace_id


def row_page(query: TraceQuery, row: JsonObject | None) -> TracePage:
    """The page of a listing by a whole id (``whole_id``): the trace's row (its summary, as listed;
    None: not kept) if the listing's filters hold of it."""
    if row is None:
        return TracePage([], None)
    facts = {
        "traceId": row["traceId"],
        "status": row["status"],
        "steps": [step["name"] for step in row["steps"]],
        "answered": answered_code(row["entry"]),
    }
    if not all_hold(trace_predicates(query), facts.__getitem__):
        return TracePage([], None)
    return trace_page(query, [row], [(row["startedAt"] / 1000, row["traceId"])])


def trace_page(query: TraceQuery, summaries: list[JsonObject], keys: list[tuple[float, str]]) -> TracePage:
    """A listing's page from the summaries (and their keys) a store found in order, up to one past
    ``query.limit``: that one, when found, says an older page follows."""
    more = len(summaries) > query.limit
    page = summaries[: query.limit]
    return TracePage(page, keys[query.limit - 1] if more and page else None)


def log_page(query: LogQuery, lines: list[JsonObject]) -> LogPage:
    """A log page from the lines a store found in order, up to ``query.limit``: following (``after``)
    the cursor is the last line read, else the last of a full page (an older page may follow)."""
    if query.after is not None:
        return LogPage(lines, lines[-1]["id"] if lines else query.after)
    return LogPage(lines, lines[-1]["id"] if len(lines) == query.limit else None)
