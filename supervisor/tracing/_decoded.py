"""Segments as reads use them: their summaries decoded, and the facts listings filter by, kept between
reads (``SegmentCache``).

A listing by a rare step, by status, a page far back or a rare text reads many segments; decoding
each one's summaries (~110 KB of JSON per 512 requests) and testing each of its traces one call at a
time was most of such a read (bench/RESULTS.md, session 13: trace listings). What a segment's row
holds of its traces never changes once written: a later change to one of them is a *revision* (rows
naming the segment, read each time), and retention only deletes the row or sets its
``pruned_before`` (read from the row each time). So a segment decoded once serves every later read,
which applies those two itself.

A deleted segment's ``seq`` may be given again to a new one (``INTEGER PRIMARY KEY``: the highest
``seq`` plus one, once the newest segments are gone), so an entry is taken only for a row whose
other unchanging columns (``Fingerprint``) are its own; that also holds for a read still on a
snapshot from before the change, whichever of the two it caches last.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from . import _segments as segments
from ._query import Facts, answered_code, lowered, trace_text
from ._records import entry_of, status_of
from ._segments import (
    EVENT_KIND,
    EVENT_METHOD,
    EVENT_PATH,
    EVENT_STATUS_CODE,
    EVENT_STEP,
    EVENT_TRACE,
    STARTED,
    Fingerprint,
    SummaryRow,
)

#: what the cache keeps at most: the bytes of the summaries' JSON of the segments it holds. Decoded
#: with the facts listings ask for, a segment takes ~5x its JSON (10,000 trivial requests: 2.2 MB of
#: JSON, 8.9 MB decoded, 11.3 MB with the facts); 4 MB of JSON is ~18,000 such requests (~20 MB), the
#: 10,000 traces kept by default with room
CACHE_BYTES = 4 << 20


class DecodedSegment:
    """A segment's summaries (as the segment keeps them: whole traces' events or ``SummaryRow``s, newest
    first) and, made when first asked for, each field's facts of every trace (``_query.Columns``)."""

    __slots__ = ("_columns", "_lowered", "_positions", "cached", "fingerprint", "rows", "size")

    def __init__(self, fingerprint: Fingerprint, summaries: bytes) -> None:
        self.fingerprint = fingerprint
        self.rows: list[Sequence[Any]] = orjson.loads(summaries)
        self.size = len(summaries)
        self._columns: dict[str, list[Any]] = {}
        self._lowered: dict[str, list[str]] = {}
        self._positions: dict[str, int] | None = None
        #: whether the cache keeps it for later reads (``SegmentCache.get``)
        self.cached = False

    def column(self, field: str) -> list[Any]:
        values = self._columns.get(field)
        if values is None:
            values = self._columns[field] = _facts_of(self.rows, field)
        return values

    def lowered(self, field: str) -> list[str]:
        texts = self._lowered.get(field)
        if texts is None:
            # from the facts, not their column: a text filter needs that only for a part across lines
            texts = self._lowered[field] = [lowered(value) for value in _facts_of(self.rows, field)]
        return texts

    def containing(self, field: str, part: str, positions: Sequence[int]) -> list[int]:
        """``Columns.containing``. A segment the cache keeps makes the field's lowered column once, for
        every later read. Of one it lets go (a walk over more than the cache holds) only the traces
        whose JSON holds the part's pieces (``segments.text_pieces``) get their texts made: a rare
        text is in a few of its traces, and making every trace's texts was most of such a walk
        (bench/RESULTS.md, session 16)."""
        if self.cached or field != "text" or field in self._lowered:
            texts = self.lowered(field)
            return [n for n in positions if part in texts[n]]
        rows = self.rows
        pieces = segments.text_pieces(part)
        if pieces is not None:
            # its longest piece only (a superset still): one test per trace, all in C (dumps, lower, in)
            needle, dumps = max(pieces, key=len).encode(), orjson.dumps
            if segments.may_be_answered_with(part):
                failed = segments.row_failed
                positions = [n for n in positions if needle in dumps(rows[n]).lower() or failed(rows[n])]
            else:  # (bytes.lower: ASCII letters only, as ``ascii_lower``)
                positions = [n for n in positions if needle in dumps(rows[n]).lower()]
        return [n for n in positions if part in lowered(row_facts(rows[n])(field))]

    def kept(self, pruned_before: float | None) -> int:
        """How many of its traces, from the newest, retention kept (those before the first that began
        before ``pruned_before``)."""
        if pruned_before is None:
            return len(self.rows)
        starts = self.column("startedAt")
        return next((n for n, start in enumerate(starts) if start < pruned_before), len(starts))

    def position(self, trace_id: str) -> int | None:
        """Where the trace is among ``rows`` (None: not in this segment)."""
        if self._positions is None:
            ids = self.column("traceId")
            self._positions = {ids[n]: n for n in range(len(ids) - 1, -1, -1)}  # the first, were one twice
        return self._positions.get(trace_id)


class SegmentCache:
    """Decoded segments (``DecodedSegment``) by ``seq``, the least recently read dropped first once they
    hold more than ``max_bytes`` of JSON. Used by the read threads at once (a lock around its order)."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self._max_bytes = max_bytes
        self._held: OrderedDict[int, DecodedSegment] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(
        self, conn: sqlite3.Connection, seq: int, fingerprint: Fingerprint, walked: int = 0
    ) -> DecodedSegment:
        """The segment ``seq`` whose row has ``fingerprint`` (read in ``conn``'s snapshot), decoded.
        ``walked``: the bytes of the segments the same read took before it. Once the cache is full, a
        read keeps no more than half of it: kept, the segments of a walk over more than it holds (a
        rare text, more traces kept than it holds) would push out every other, the newest ones the
        next first page and newest trace want among them."""
        with self._lock:
            held = self._held.get(seq)
            if held is not None and held.fingerprint == fingerprint:
                self._held.move_to_end(seq)
                return held
        # decoded outside the lock: two threads may both decode a segment new to them, one keeps it
        blob = conn.execute("SELECT summaries FROM segments WHERE seq = ?", (seq,)).fetchone()[0]
        decoded = DecodedSegment(fingerprint, blob)
        if walked + decoded.size > self._max_bytes // 2 and self._bytes + decoded.size > self._max_bytes:
            return decoded
        decoded.cached = True
        with self._lock:
            replaced = self._held.pop(seq, None)
            if replaced is not None:
                self._bytes -= replaced.size
            self._held[seq] = decoded
            self._bytes += decoded.size
            while self._bytes > self._max_bytes and self._held:
                _seq, dropped = self._held.popitem(last=False)
                self._bytes -= dropped.size
        return decoded


def _facts_of(rows: Sequence[Sequence[Any]], field: str) -> list[Any]:
    """Each row's value of ``field``. Each trace's facts are made again for each field (kept, they took
    a third as much memory again as the summaries)."""
    if field == "traceId":  # where each trace is (``position``): a revised segment's every read asks
        return [row[EVENT_TRACE] if segments.is_event(row) else row[0] for row in rows]
    values = [row_facts(row)(field) for row in rows]
    if field == "steps":  # a few sets of names for thousands of traces: one of each kept
        shared: dict[frozenset[str], frozenset[str]] = {}
        values = [shared.setdefault(names, names) for names in map(frozenset, values)]
    return values


def row_facts(row: Sequence[Any]) -> Facts:
    """The facts of a trace as a segment keeps it: a whole trace's event or a ``SummaryRow``."""
    if segments.is_event(row):
        return event_facts(row, segments.event_start(row))
    return summary_facts(row)


def summary_facts(summary: SummaryRow) -> Facts:
    """A summary's values of the fields listings filter by (``_query``)."""

    def fact(field: str) -> Any:
        if field == "key":
            return summary[STARTED], summary[0]
        if field == "traceId":
            return summary[0]
        if field == "startedAt":
            return summary[STARTED]
        if field == "status":
            return status_of(summary[segments.OPEN], summary[segments.FAILURES])
        if field == "steps":
            return {step for step, _language in summary[segments.STEPS]}
        if field == "text":
            entry = entry_of(*summary[segments.KIND : segments.STATUS_CODE + 1])
            steps = [step for step, _language in summary[segments.STEPS]]
            errors = summary[segments.ERRORS] if len(summary) > segments.ERRORS else []
            return trace_text(summary[0], entry, steps, errors)
        if field == "answered":
            return answered_code(entry_of(*summary[segments.KIND : segments.STATUS_CODE + 1]))
        raise KeyError(field)

    return fact


def event_facts(event: Sequence[Any], start: float) -> Facts:
    """``summary_facts`` of a whole trace's event (which began at ``start``) without its summary made
    (``segments.summary_row``): a listing tests each trace of each segment it reads (up to twice as
    long with the summaries made, bench/RESULTS.md, session 11: trace reads)."""

    def fact(field: str) -> Any:
        if field == "key":
            return start, event[EVENT_TRACE]
        if field == "traceId":
            return event[EVENT_TRACE]
        if field == "startedAt":
            return start
        if field == "status":
            return "error" if segments.event_failed(event) else "ok"
        if field == "steps":
            return {event[EVENT_STEP]}
        if field == "text":
            # ``trace_text`` of ``summary_row``'s: an api or cron request is named by its step
            step, method, path = event[EVENT_STEP], event[EVENT_METHOD], event[EVENT_PATH]
            texts = [event[EVENT_TRACE], step, *segments.event_errors(event)]
            if method is not None and path is not None:
                texts.append(f"{method} {path}")
            return texts
        if field == "answered":  # a whole trace is an api request, answered (``_assembler``)
            code: int | None = event[EVENT_STATUS_CODE] if event[EVENT_KIND] == "api" else None
            return code
        raise KeyError(field)

    return fact
