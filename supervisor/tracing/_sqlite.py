"""Traces and logs in a SQLite file of their own, ``.motia/traces.db`` (tables ``traces``,
``trace_spans``, ``trace_operations``, ``logs``; see ``_schema``).

Every record is kept as JSON in a ``data`` column; the other columns exist to filter and order by (a
span's blob leaves out what its columns hold, and its nulls). One batch is one write job of the
file's group-commit writer: a few multi-row INSERT statements.

Durability: traces are diagnostics, not the durable queue and state of ``.motia/motia.db``, so this
file is written with ``synchronous = OFF`` (WAL): a crash of the process loses nothing committed; a
crash of the machine (power loss, kernel panic) may lose the last traces written or, rarely, corrupt
the file (delete it; the next start makes a new one). A file of their own also keeps trace writes out
of the durable store's group commit, which the queue and state wait on.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from supervisor.storage import JsonObject, SqliteDatabase, decode_json

from . import _segments as segments
from ._decoded import DecodedSegment, SegmentCache, summary_facts
from ._query import (
    LogText,
    Predicate,
    all_hold,
    error_messages,
    holding,
    log_page,
    log_predicates,
    narrowing,
    one_trace,
    row_page,
    trace_page,
    trace_predicates,
    whole_id,
)
from ._records import (
    LEVEL_NAMES,
    Batch,
    LogPage,
    LogQuery,
    Pruned,
    Retention,
    TraceDelta,
    TracePage,
    TraceQuery,
    WholeTrace,
    entry_of,
    level_rank,
    runner_holds,
    trace_summary,
)
from ._schema import TRACE_MIGRATIONS
from ._segments import (
    STARTED,
    SegmentIndex,
    SpanFields,
    SummaryRow,
    span_fields,
)

#: a whole trace's event, and its trace id (``WholeTrace``)
_EVENT = itemgetter(0)
_EVENT_TRACE = itemgetter(segments.EVENT_TRACE)


def _built(items: list[segments.Item]) -> list[segments.NewSegment]:
    """Segments of ``items``, in order of start (then id: no two are the same trace): each segment a
    stretch of time, which listings and pruning skip by."""
    items.sort()
    size = segments.SEGMENT_SIZE
    return [segments.build(items[first : first + size]) for first in range(0, len(items), size)]


#: what a batch writes of a trace (its ``seq`` is SQLite's to give)
_TRACE_FIELDS = (
    "trace_id, started_at, updated_at, kind, name, method, path, status_code, open, failures, spans, changes"
)
# Rows go in as multi-row VALUES (see ``_insert``): one statement per table and batch.
_TRACES_INSERT = f"INSERT INTO traces ({_TRACE_FIELDS}, segment) VALUES "
_TRACES_UPSERT = """
ON CONFLICT (trace_id) DO UPDATE SET
    started_at = min(started_at, excluded.started_at),
    updated_at = max(updated_at, excluded.updated_at),
    kind = coalesce(kind, excluded.kind),
    name = CASE WHEN kind IS NULL THEN excluded.name ELSE name END,
    method = coalesce(excluded.method, method),
    path = coalesce(excluded.path, path),
    status_code = coalesce(excluded.status_code, status_code),
    open = open + excluded.open,
    failures = failures + excluded.failures,
    spans = spans + excluded.spans,
    changes = changes + excluded.changes,
    segment = coalesce(segment, excluded.segment)
"""
_SPANS_INSERT = (
    "INSERT INTO trace_spans (trace_seq, span_id, step, language, started_at, status, data) VALUES "
)
_SPANS_UPSERT = (
    " ON CONFLICT (trace_seq, span_id) DO UPDATE SET status = excluded.status, data = excluded.data"
)
_OPERATIONS_INSERT = "INSERT OR REPLACE INTO trace_operations (trace_seq, id, data) VALUES "
#: spans and operations are keyed by their trace's ``seq`` (see ``_schema``), found by its id: every
#: record of a batch has its trace's row in the same batch, upserted first
_SEQ_OF = "(SELECT seq FROM traces WHERE trace_id = ?)"
#: a line's id is unique (``Recorder``'s ids): one already stored is the same line, sent again
_LOGS_INSERT = "INSERT OR IGNORE INTO logs (id, time, level, step, trace_id, message, runner, data) VALUES "
#: bound parameters per statement: SQLite's limit before 3.32 (32766 since)
_MAX_VARIABLES = 999
#: a span's fields, in the order the API shows them; its blob leaves out those kept in columns, and
#: those that are null (most are, for most spans): a third less to write, and to prune again
_SPAN_FIELDS = (
    "traceId",
    "spanId",
    "parentSpanId",
    "step",
    "type",
    "language",
    "file",
    "topic",
    "attempt",
    "deliveryId",
    "runner",
    "pid",
    "startedAt",
    "endedAt",
    "durationMs",
    "status",
    "statusCode",
    "error",
)
_SPAN_DATA = "span_id, step, language, status, data"
_TRACE_COLUMNS = f"seq, {_TRACE_FIELDS}"
_STATUS_FILTERS = {
    "running": "open > 0",
    "error": "open <= 0 AND failures > 0",
    "ok": "open <= 0 AND failures <= 0",
}

#: a span of the trace failed with an error whose ``name: message``, or whose innermost cause, holds
#: the parameter, given twice (``error_messages``; a name that is no text, or empty, left out as there)
_ERROR_HOLDS = (
    "status = 'error' AND (instr(lower("
    "CASE WHEN json_type(CAST(data AS TEXT), '$.error.name') = 'text' "
    "AND json_extract(CAST(data AS TEXT), '$.error.name') <> '' "
    "THEN json_extract(CAST(data AS TEXT), '$.error.name') || ': ' ELSE '' END "
    "|| json_extract(CAST(data AS TEXT), '$.error.message')), lower(?)) > 0 "
    "OR json_type(CAST(data AS TEXT), '$.error.cause') = 'text' "
    "AND instr(lower(json_extract(CAST(data AS TEXT), '$.error.cause')), lower(?)) > 0)"
)
#: a predicate (``_query``) as an SQL condition and its parameters, by field and op
_Condition = Callable[[Any], tuple[str, Sequence[Any]]]
_TRACE_CONDITIONS: dict[tuple[str, str], _Condition] = {
    ("key", "lt"): lambda key: ("(started_at, trace_id) < (?, ?)", key),
    ("traceId", "contains"): lambda part: ("instr(trace_id, ?) > 0", (part,)),
    ("startedAt", "ge"): lambda since: ("started_at >= ?", (since,)),
    ("startedAt", "le"): lambda until: ("started_at <= ?", (until,)),
    ("status", "eq"): lambda status: (_STATUS_FILTERS[status], ()),
    # by the spans' primary key, trace by trace in the listing's order (no index by step: ``_schema``)
    ("steps", "contains"): lambda step: (
        "EXISTS (SELECT 1 FROM trace_spans WHERE trace_seq = traces.seq AND step = ?)",
        (step,),
    ),
    # ``answered_code``: an api trace's status code
    ("answered", "within"): lambda ranges: (
        "kind = 'api' AND (" + " OR ".join(["status_code BETWEEN ? AND ?"] * len(ranges)) + ")",
        [bound for pair in ranges for bound in pair],
    ),
    # ``trace_text``, each part on its own (instr of lower(): ASCII only, as the predicate's test)
    ("text", "icontains"): lambda text: (
        "instr(lower(trace_id), lower(?)) > 0 OR instr(lower(name), lower(?)) > 0 "
        "OR kind = 'api' AND instr(lower(method || ' ' || path), lower(?)) > 0 "
        "OR EXISTS (SELECT 1 FROM trace_spans WHERE trace_seq = traces.seq "
        "AND instr(lower(step), lower(?)) > 0) "
        f"OR EXISTS (SELECT 1 FROM trace_spans WHERE trace_seq = traces.seq AND {_ERROR_HOLDS})",
        (text,) * 6,
    ),
}
_LOG_CONDITIONS: dict[tuple[str, str], _Condition] = {
    ("id", "gt"): lambda after: ("id > ?", (after,)),
    ("id", "lt"): lambda before: ("id < ?", (before,)),
    ("level", "at_least"): lambda level: _level_at_least(level),
    ("step", "eq"): lambda step: ("step = ?", (step,)),
    ("traceId", "eq"): lambda trace_id: ("trace_id = ?", (trace_id,)),
    ("text", "finds"): lambda search: _log_text_holds(search),
    ("time", "ge"): lambda since: ("time >= ?", (since,)),
    ("time", "le"): lambda until: ("time <= ?", (until,)),
}


#: what a segment must hold for a trace of it to match a predicate (``_segments``): narrowing only,
#: every trace read is tested (``all_hold``). A revised segment's traces may have changed since: their
#: revisions (rows naming the segment, by ``traces_by_segment``) are looked at for what may have.
_REVISION = "revised AND EXISTS (SELECT 1 FROM traces WHERE segment = segments.seq AND {})"
_SEGMENT_STATUS = {
    "running": _REVISION.format("open > 0"),
    "error": f"errors > 0 OR {_REVISION.format('failures > 0')}",
    "ok": f"errors < traces OR {_REVISION.format('failures < 0')}",
}
_SEGMENT_CONDITIONS: dict[tuple[str, str], _Condition] = {
    ("key", "lt"): lambda key: ("min_started <= ?", (key[0],)),
    # the writer's index says which segments may hold the part (``_may_hold_id``), not every
    # segment's ``trace_ids`` (``instr`` over them: 16-18 ms at 50,000 traces, bench/RESULTS.md)
    ("traceId", "contains"): lambda part: ("1", ()),
    ("startedAt", "ge"): lambda since: ("max_started >= ?", (since,)),
    ("startedAt", "le"): lambda until: ("min_started <= ?", (until,)),
    ("status", "eq"): lambda status: (_SEGMENT_STATUS[status], ()),
    ("steps", "contains"): lambda step: (
        "instr(steps, ?) > 0 OR revised AND EXISTS (SELECT 1 FROM traces JOIN trace_spans "
        "ON trace_seq = traces.seq WHERE segment = segments.seq AND step = ?)",
        (f"{segments.STEP_SEPARATOR}{step}{segments.STEP_SEPARATOR}", step),
    ),
    ("text", "icontains"): lambda text: _segment_text(text),
    # a trace answered with a code in the ranges (a segment written before its codes were kept: in
    # one of their classes), or a revision that sets a status code (``segments.merge``)
    ("answered", "within"): lambda ranges: (
        "answered IS NULL OR (codes IS NULL AND answered & ? != 0) "
        "OR EXISTS (SELECT 1 FROM json_each(segments.codes) WHERE "
        + " OR ".join(["value BETWEEN ? AND ?"] * len(ranges))
        + f") OR {_REVISION.format('status_code IS NOT NULL')}",
        (segments.answer_classes(ranges), *[bound for pair in ranges for bound in pair]),
    ),
}
#: the columns of a segment that, with its ``seq``, tell it from a later one given the same (``_decoded``)
_FINGERPRINT = "min_started, max_started, traces"


def _fingerprint(row: Sequence[Any], at: int = 0) -> segments.Fingerprint:
    """The fingerprint of a segment in a row holding ``_FINGERPRINT``'s columns from ``at`` on."""
    return row[at], row[at + 1], row[at + 2]


_SEGMENT_INSERT = f"INSERT INTO segments ({segments.SEGMENT_COLUMNS}) VALUES ({', '.join('?' * 11)})"
#: a listing's candidate: its key, its summary (``SummaryRow``), and its ``seq`` when it is a row (its
#: steps are read for the page)
_Found = tuple[tuple[float, str], SummaryRow, int | None]


class SqliteTraceStore:
    """Traces and logs in the SQLite file at ``path`` (created if missing), which the store owns.

    Opening is synchronous (it creates the file and applies the schema); from a running event loop
    prefer ``await SqliteTraceStore.open(path)``. One store writes a file at a time: it keeps what
    the segments hold in memory (``SegmentIndex``), read from the file at open.
    """

    #: a batch's ``whole`` traces go straight into segments (``Assembler``)
    takes_whole_traces = True

    def __init__(self, path: Path) -> None:
        self._db = SqliteDatabase(path, migrations=TRACE_MIGRATIONS, durable=False)
        self.path = self._db.path
        self._index = SegmentIndex()
        #: segments as reads use them, decoded once (``_decoded``)
        self._cache = SegmentCache()
        #: the ids of the traces the ``traces`` table has a row of (kept by the write jobs, as the
        #: index): whether a trace is new need not be asked of the file for each one a batch holds whole
        self._row_ids: set[str] = set()
        #: how many log lines the file holds (kept by the write jobs, as the index): a prune finds the
        #: oldest line to keep from the oldest end, by as many as it drops, rather than counting every
        #: line kept from the newest (``maxLogLines``, 100,000 by default: ~3 ms a prune)
        self._log_lines = 0
        #: a write or prune failed after its job ran (its transaction rolled back): the next prune
        #: counts the lines again
        self._recount_logs = False
        conn = sqlite3.connect(self.path)
        try:
            self._log_lines = conn.execute("SELECT count(*) FROM logs").fetchone()[0]
            self._row_ids.update(row[0] for row in conn.execute("SELECT trace_id FROM traces"))
            listed = conn.execute(f"SELECT seq, {_FINGERPRINT}, pruned_before, summaries FROM segments")
            for row in listed:  # seq, fingerprint, pruned_before, summaries
                self._index.add_summaries(row[0], _fingerprint(row, 1), row[5], row[4])
        finally:
            conn.close()

    @classmethod
    async def open(cls, path: Path) -> SqliteTraceStore:
        return await asyncio.to_thread(cls, path)

    async def write(self, batch: Batch) -> None:
        deltas = batch.traces
        # read now: a span running at the cut goes on changing (``Batch``)
        spans = [span_fields(span) for span in batch.spans]
        operations = batch.operations
        logs = [
            (
                line["id"],
                line["time"] / 1000,
                line["level"],
                line["step"],
                line["traceId"],
                line["message"],
                line.get("runner"),
                _encode(line) if json is None else json,
            )
            for line, json in zip(batch.logs, batch.logs_json or itertools.repeat(None), strict=False)
        ]
        whole_traces, whole_operations = batch.whole, batch.whole_operations
        try:
            await self._db.write(
                lambda conn: self._write(
                    conn, deltas, spans, whole_traces, whole_operations, operations, logs
                )
            )
        except BaseException:
            self._recount_logs = True
            raise

    def _write(
        self,
        conn: sqlite3.Connection,
        deltas: dict[str, TraceDelta],
        spans: list[SpanFields],
        whole_traces: list[WholeTrace],
        whole_operations: dict[str, list[JsonObject]],
        operations: list[JsonObject],
        logs: list[tuple[Any, ...]],
    ) -> None:
        """One batch, in the writer's transaction: the traces it holds whole into segments (with their
        calls, ``whole_operations``), the rest as rows (``_segments``). The index learns the new
        segments once every statement ran."""
        index = self._index.by_trace
        spans_of: dict[str, list[SpanFields]] = {}
        running = set()
        for span in spans:
            spans_of.setdefault(span[0], []).append(span)
            if span[5] == "running":
                running.add(span[0])
        whole = {
            trace_id
            for trace_id, d in deltas.items()
            if d.open == 0 and d.kind is not None and trace_id not in index and trace_id not in running
        }
        row_ids = self._row_ids
        if row_ids:
            whole.difference_update(row_ids.intersection(whole))
        # ``whole`` now holds the traces that are deltas here and go into segments; the batch's whole
        # traces go there too unless the store holds something of them (checked in C: ``isdisjoint``)
        whole_ids = list(map(_EVENT_TRACE, map(_EVENT, whole_traces)))
        if not (index.keys().isdisjoint(whole_ids) and row_ids.isdisjoint(whole_ids)):
            stored = {trace_id for trace_id in whole_ids if trace_id in index or trace_id in row_ids}
            # rows, as any other trace of theirs (the batch's own dict stays as it was)
            deltas = dict(deltas)
            for event, _json in whole_traces:
                if event[2] in stored:
                    deltas[event[2]], span = segments.whole_records(event)
                    spans.append(span)
                    operations = operations + whole_operations.get(event[2], [])
            whole_traces = [trace for trace in whole_traces if trace[0][2] not in stored]
        if whole or whole_operations:  # traces of deltas too, or calls: all built as items
            items = segments.whole_items(whole_traces, whole_operations)
            operations_of: dict[str, list[JsonObject]] = {}
            for op in operations:
                if op["traceId"] in whole:
                    operations_of.setdefault(op["traceId"], []).append(op)
            items.extend(
                segments.entry_item(
                    segments.entry_of(
                        trace_id, d, spans_of.get(trace_id, []), operations_of.get(trace_id, [])
                    )
                )
                for trace_id, d in deltas.items()
                if trace_id in whole
            )
            new_segments = self._insert_segments(conn, _built(items))
        else:
            new_segments = self._insert_segments(conn, segments.whole_segments(whole_traces))

        # the rest as rows; a trace a segment holds gets its start and the segment's number
        traces: list[tuple[Any, ...]] = []
        revised: set[int] = set()
        for trace_id, d in deltas.items():
            if trace_id in whole:
                continue
            held = index.get(trace_id)
            if held is None:
                traces.append((trace_id, d.started_at, d.updated_at, *_counts(d), None))
            else:
                revised.add(held[0])
                started = min(d.started_at, held[1])
                traces.append((trace_id, started, d.updated_at, *_counts(d), held[0]))
        span_rows = [_span_row(span) for span in spans if span[0] not in whole]
        operation_rows = [
            (op["traceId"], op["id"], _encode(op)) for op in operations if op["traceId"] not in whole
        ]
        # A record whose trace has no row yet (the recorder sends each record's trace along; a batch
        # built otherwise) gets an empty one: its seq is what keys the record.
        unseen = {row[0]: row[4] for row in span_rows if row[0] not in deltas}
        unseen.update(
            (row[0], operation["time"] / 1000)
            for row, operation in zip(
                operation_rows, (op for op in operations if op["traceId"] not in whole), strict=True
            )
            if row[0] not in deltas
        )
        _insert(conn, _TRACES_INSERT, _TRACES_UPSERT, traces)
        row_ids.update([row[0] for row in traces])
        row_ids.update(unseen)
        if unseen:
            # a segment's trace: a row of its revisions, under its start
            held_rows = [
                (trace_id, *index[trace_id], at) for trace_id, at in unseen.items() if trace_id in index
            ]
            revised.update(row[1] for row in held_rows)
            conn.executemany(
                "INSERT OR IGNORE INTO traces (trace_id, started_at, updated_at, segment) "
                "VALUES (?, ?, ?, ?)",
                [(trace_id, start, at, seq) for trace_id, seq, start, at in held_rows],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO traces (trace_id, started_at, updated_at) VALUES (?, ?, ?)",
                [(trace_id, at, at) for trace_id, at in unseen.items() if trace_id not in index],
            )
        if revised:
            marks = ", ".join("?" * len(revised))
            conn.execute(
                f"UPDATE segments SET revised = 1 WHERE revised = 0 AND seq IN ({marks})", [*revised]
            )
        _insert(conn, _SPANS_INSERT, _SPANS_UPSERT, span_rows, _SEQ_OF)
        _insert(conn, _OPERATIONS_INSERT, "", operation_rows, _SEQ_OF)
        if logs:
            before = conn.total_changes
            _insert(conn, _LOGS_INSERT, "", logs)
            self._log_lines += conn.total_changes - before
        for seq, fingerprint, segment in new_segments:
            self._index.add(seq, fingerprint, segment.starts, segment.ids, None)

    def _insert_segments(
        self, conn: sqlite3.Connection, made: list[segments.NewSegment]
    ) -> list[tuple[int, segments.Fingerprint, segments.NewSegment]]:
        inserted = []
        for segment in made:
            seq = conn.execute(_SEGMENT_INSERT, segment.values).lastrowid
            assert seq is not None
            inserted.append((seq, _fingerprint(segment.values), segment))
        return inserted

    async def recover(self) -> int:
        def write(conn: sqlite3.Connection) -> int:
            _end_running(conn, "lost", None)
            highest = [
                conn.execute("SELECT max(id) FROM logs").fetchone()[0],
                conn.execute("SELECT max(id) FROM trace_operations").fetchone()[0],
                conn.execute("SELECT max(max_id) FROM segments").fetchone()[0],
            ]
            return max((value for value in highest if value is not None), default=0)

        return await self._db.write(write)

    async def abandon(self, reason: str) -> int:
        """Spans stored as running whose end will never be recorded: a trace writer process died
        while they ran, and the one that replaces it never saw them start (their end, when it comes,
        finds no span). Each becomes an error saying ``reason``; an api or cron span's trace is no
        longer open and counts it as a failure (a delivery's trace closes with its outcome, which is
        recorded whatever became of the span). Returns how many there were. (Segments hold no
        running span.)"""
        error: JsonObject = {"name": "TraceWriterLost", "message": reason, "stack": "", "location": None}
        return await self._db.write(lambda conn: _end_running(conn, "error", error))

    async def traces(self, query: TraceQuery) -> TracePage:
        exact = whole_id(query)
        if exact is not None:
            return row_page(query, await self._row(exact))
        predicates = trace_predicates(query)
        where, params = _conditions(predicates, _TRACE_CONDITIONS)
        rows_sql = (
            f"SELECT {_TRACE_COLUMNS} FROM traces {_where(['segment IS NULL', *where])} "
            "ORDER BY started_at DESC, trace_id DESC LIMIT ?"
        )
        segment_where, segment_params = _conditions(predicates, _SEGMENT_CONDITIONS)
        segments_sql = (
            f"SELECT seq, {_FINGERPRINT}, pruned_before, revised FROM segments {_where(segment_where)} "
            "ORDER BY max_started DESC"
        )
        wanted = query.limit + 1  # the one past the limit says an older page follows
        cache, index = self._cache, self._index
        id_part: str | None = narrowing(predicates).get(("traceId", "contains"))

        def read(conn: sqlite3.Connection) -> tuple[list[_Found], dict[int, list[JsonObject]]]:
            rows = conn.execute(rows_sql, (*params, wanted))
            found: list[_Found] = [((row[2], row[1]), _row_summary(row), row[0]) for row in rows]
            # read as walked (by ``segments_by_start``): the walk stops once older ones cannot make the page
            walked = 0  # the bytes of the segments read (``SegmentCache.get``)
            for row in conn.execute(segments_sql, segment_params):
                seq, max_started, pruned_before, revised = row[0], row[2], row[4], row[5]
                if len(found) >= wanted:
                    found.sort(key=itemgetter(0), reverse=True)
                    del found[wanted:]
                    if found[-1][0][0] > max_started:
                        break  # this segment's traces, and the next ones', all began before
                fingerprint = _fingerprint(row, 1)
                if id_part is not None and not _may_hold_id(conn, index, seq, fingerprint, id_part):
                    continue
                segment = cache.get(conn, seq, fingerprint, walked)
                walked += segment.size
                revisions = _revisions(conn, seq) if revised else {}
                found.extend(_matching(segment, predicates, pruned_before, revisions, wanted))
            found.sort(key=itemgetter(0), reverse=True)
            del found[wanted:]
            return found, _steps_of(
                conn, [seq for _key, _summary, seq in found[: query.limit] if seq is not None]
            )

        found, steps = await self._db.read(read)
        summaries = [
            _summary(summary, steps.get(seq, []) if seq is not None else _step_objects(summary))
            for _key, summary, seq in found
        ]
        return trace_page(query, summaries, [key for key, _summary, _seq in found])

    async def _row(self, trace_id: str) -> JsonObject | None:
        """The trace's summary as listed, by its id: its segment's by the writer's index, its row by the
        id's unique index (not a walk over every trace kept for the ids holding it: bench/RESULTS.md,
        session 18)."""
        cache, index = self._cache, self._index

        def read(
            conn: sqlite3.Connection,
        ) -> tuple[SummaryRow | None, tuple[Any, ...] | None, dict[int, list[JsonObject]]]:
            held = _held_summary(conn, cache, index, trace_id)
            row = conn.execute(
                f"SELECT {_TRACE_COLUMNS} FROM traces WHERE trace_id = ?", (trace_id,)
            ).fetchone()
            return None if held is None else held[3], row, {} if row is None else _steps_of(conn, [row[0]])

        held, row, steps = await self._db.read(read)
        return None if held is None and row is None else _summary_of(held, row, steps)

    async def trace(self, trace_id: str) -> JsonObject | None:
        def read(
            conn: sqlite3.Connection,
        ) -> tuple[
            tuple[SummaryRow, Sequence[Any], list[JsonObject]] | None,
            tuple[Any, ...] | None,
            list[tuple[Any, ...]],
            list[str],
            dict[int, list[JsonObject]],
        ]:
            held = _held(conn, self._cache, self._index, trace_id)
            row = conn.execute(
                f"SELECT {_TRACE_COLUMNS} FROM traces WHERE trace_id = ?", (trace_id,)
            ).fetchone()
            if row is None:
                events = conn.execute(
                    "SELECT data FROM logs WHERE trace_id = ? ORDER BY id", (trace_id,)
                ).fetchall()
                return held, None, [], [event[0] for event in events] if held else [], {}
            seq = row[0]
            spans = conn.execute(
                f"SELECT {_SPAN_DATA} FROM trace_spans WHERE trace_seq = ? ORDER BY started_at, span_id",
                (seq,),
            ).fetchall()
            events = conn.execute(
                "SELECT id, data FROM trace_operations WHERE trace_seq = ? "
                "UNION ALL SELECT id, data FROM logs WHERE trace_id = ? ORDER BY 1",
                (seq, trace_id),
            ).fetchall()
            return held, row, spans, [event[1] for event in events], _steps_of(conn, [seq])

        held, row, spans, events, steps = await self._db.read(read)
        if row is None and held is None:
            return None
        read_spans: dict[str, JsonObject] = {}
        read_events = [decode_json(event) for event in events]
        if held is not None:
            _summary_row, segment_spans, operations = held
            for fields in segment_spans:
                read_spans[fields[0]] = segments.span_json(trace_id, fields)
            read_events += operations
        summary_json = _summary_of(None if held is None else held[0], row, steps)
        for span_id, step, language, status, blob in spans:
            read_spans[span_id] = _span(trace_id, span_id, step, language, status, decode_json(blob))
        return one_trace(summary_json, read_spans.values(), read_events)

    async def logs(self, query: LogQuery) -> LogPage:
        # the runner filter is not a condition: each runner it names is walked by its index (``_by_runner``)
        predicates = [p for p in log_predicates(query) if p.field != "runner"]
        where, params = _conditions(predicates, _LOG_CONDITIONS)
        order = "ASC" if query.after is not None else "DESC"
        wanted = query.runner

        def read(conn: sqlite3.Connection) -> list[str]:
            if wanted is None:
                sql = f"SELECT data FROM logs {_where(where)} ORDER BY id {order} LIMIT ?"
                return [row[0] for row in conn.execute(sql, (*params, query.limit))]
            return _by_runner(conn, _runner_ids(conn, wanted), where, params, order, query.limit)

        return log_page(query, [decode_json(blob) for blob in await self._db.read(read)])

    async def prune(self, retention: Retention, now: float) -> Pruned:
        oldest = now - retention.max_age_s

        def write(conn: sqlite3.Connection) -> Pruned:
            index = self._index
            # One cutoff time for both limits, so that each delete is a range of an index, and a
            # segment's traces are cut by their start.
            # Only the oldest starts of the rows can be the boundary: as many as there are traces to
            # drop, by the index of starts (all of them cost ~8 ms per 10,000 rows, each prune)
            kept = conn.execute(_ROWS_KEPT).fetchone()[0] + sum(map(len, index.starts.values()))
            drop = kept - retention.max_traces
            rows = [row[0] for row in conn.execute(_OLDEST_ROW_STARTS, (drop + 1,))] if drop > 0 else []
            boundary = _nth_oldest(rows, index.starts.values(), drop) if drop > 0 else None
            cutoff = max(oldest, boundary) if boundary is not None else oldest
            traces = conn.execute(
                "SELECT count(*) FROM traces WHERE started_at < ? AND segment IS NULL", (cutoff,)
            ).fetchone()[0]
            gone = "SELECT seq FROM traces WHERE started_at < ?"
            conn.execute(f"DELETE FROM trace_spans WHERE trace_seq IN ({gone})", (cutoff,))
            conn.execute(f"DELETE FROM trace_operations WHERE trace_seq IN ({gone})", (cutoff,))
            deleted = conn.execute("DELETE FROM traces WHERE started_at < ? RETURNING trace_id", (cutoff,))
            gone_ids = [row[0] for row in deleted]
            cut = {
                seq: bisect.bisect_left(starts, cutoff)
                for seq, starts in index.starts.items()
                if starts[0] < cutoff
            }
            traces += sum(cut.values())
            dropped = [seq for seq, out in cut.items() if out == len(index.starts[seq])]
            straddling = [seq for seq, out in cut.items() if out < len(index.starts[seq])]
            if dropped:
                conn.execute(f"DELETE FROM segments WHERE seq IN ({', '.join('?' * len(dropped))})", dropped)
            if straddling:
                marks = ", ".join("?" * len(straddling))
                conn.execute(
                    f"UPDATE segments SET pruned_before = ? WHERE seq IN ({marks})", [cutoff, *straddling]
                )
            if self._recount_logs:
                self._recount_logs = False
                self._log_lines = conn.execute("SELECT count(*) FROM logs").fetchone()[0]
            # A log line's id is the microsecond it was recorded at (made unique): a range of the key.
            log_cutoff = int(oldest * 1_000_000)
            over = self._log_lines - retention.max_log_lines
            if over > 0:  # the oldest line kept: past the ``over`` oldest
                boundary_id = conn.execute(
                    "SELECT id FROM logs ORDER BY id LIMIT 1 OFFSET ?", (over,)
                ).fetchone()
                if boundary_id is not None:
                    log_cutoff = max(log_cutoff, boundary_id[0])
            logs = conn.execute("DELETE FROM logs WHERE id < ?", (log_cutoff,)).rowcount
            self._log_lines -= logs
            # every statement ran: the index forgets what went
            self._row_ids.difference_update(gone_ids)
            for seq, out in cut.items():
                index.cut(seq, out)
            return Pruned(traces, logs)

        try:
            return await self._db.write(write)
        except BaseException:
            self._recount_logs = True
            raise

    async def close(self) -> None:
        await self._db.close()


#: how many traces are kept as rows (a revision's row is of a trace its segment counts), each count
#: answered by an index alone
_ROWS_KEPT = "SELECT (SELECT count(*) FROM traces) - (SELECT count(*) FROM traces WHERE segment IS NOT NULL)"
_OLDEST_ROW_STARTS = "SELECT started_at FROM traces WHERE segment IS NULL ORDER BY started_at LIMIT ?"


def _nth_oldest(rows: list[float], segments_starts: Iterable[list[float]], nth: int) -> float:
    """The start of the ``nth`` oldest trace (from 0), of those kept as rows (the ``nth`` + 1 oldest
    of them at least) and in segments (each list of starts ascending; there are more than ``nth``).

    Those to drop are the few (a prune comes every two fifths of ``keep``), so it sorts the starts up
    to the latest start of the oldest runs that hold enough of them."""
    runs = [starts for starts in segments_starts if starts]
    if rows:
        runs.append(rows)
    runs.sort(key=itemgetter(0))
    counted, latest = 0, float("-inf")
    for run in runs:
        counted += len(run)
        latest = max(latest, run[-1])
        if counted > nth:
            break
    # the starts chained in C, not a generator's bytecode per start (~2 per request a prune: session 21)
    pool = sorted(
        itertools.chain.from_iterable(
            run[: bisect.bisect_right(run, latest)] for run in runs if run[0] <= latest
        )
    )
    return pool[nth]


def _held(
    conn: sqlite3.Connection, cache: SegmentCache, index: SegmentIndex, trace_id: str
) -> tuple[SummaryRow, Sequence[Any], list[JsonObject]] | None:
    """The trace's summary, spans (``SpanFields`` without the trace id) and operations as a segment
    holds them (None: none does, or retention cut it).

    The segment is the one the writer's index names (``SegmentIndex``; looking for the id in every
    segment's ``trace_ids`` took ~0.3 ms per 1,000 traces kept, bench/RESULTS.md, session 16), read in
    this read's snapshot: the index may be ahead of it by a write or a prune not yet committed, which
    the read then did not see (a segment not there, or another given its ``seq``: the trace is not at
    its position), as when it came first."""
    found = _held_summary(conn, cache, index, trace_id)
    if found is None:
        return None
    seq, position, kept, summary = found
    if segments.is_event(kept):  # its record is its event, and its calls when the segment holds any
        found_records = conn.execute(
            "SELECT records FROM segments WHERE seq = ? AND max_id IS NOT NULL", (seq,)
        )
        records = found_records.fetchone()
        return summary, *segments.held_records(
            kept, None if records is None else orjson.loads(records[0])[position]
        )
    records = conn.execute("SELECT records FROM segments WHERE seq = ?", (seq,)).fetchone()[0]
    return summary, *segments.held_records(kept, orjson.loads(records)[position])


def _held_summary(
    conn: sqlite3.Connection, cache: SegmentCache, index: SegmentIndex, trace_id: str
) -> tuple[int, int, Sequence[Any], SummaryRow] | None:
    """The segment holding the trace, its position there, its summary as kept and as a ``SummaryRow``
    (None: no segment does, or retention cut it), by the writer's index (``_held``)."""
    held = index.by_trace.get(trace_id)
    if held is None:
        return None
    seq = held[0]
    found = conn.execute(
        f"SELECT {_FINGERPRINT}, pruned_before FROM segments WHERE seq = ?", (seq,)
    ).fetchone()
    if found is None:
        return None
    pruned_before = found[3]
    segment = cache.get(conn, seq, _fingerprint(found))
    position = segment.position(trace_id)
    if position is None:
        return None
    kept = segment.rows[position]
    summary = segments.summary_row(kept)
    if pruned_before is not None and summary[STARTED] < pruned_before:
        return None
    return seq, position, kept, summary


def _summary_of(
    held: SummaryRow | None, row: Sequence[Any] | None, steps: dict[int, list[JsonObject]]
) -> JsonObject:
    """A trace's summary as listed, from what a segment holds of it and its ``traces`` row (its
    revisions, or the whole of it), either maybe None, and the steps of the row's spans."""
    if held is None:
        assert row is not None
        return _summary(_row_summary(row), steps.get(row[0], []))
    if row is not None:
        held = segments.merge(held, row[1:], steps.get(row[0], []))
    return _summary(held, _step_objects(held))


def _may_hold_id(
    conn: sqlite3.Connection, index: SegmentIndex, seq: int, fingerprint: segments.Fingerprint, part: str
) -> bool:
    """Whether the segment ``seq`` of this read's snapshot (``fingerprint``) may hold a trace whose id
    holds ``part``: as the writer's index says, or where it does not know that segment (a prune it
    knows of and the snapshot does not deleted it, and maybe gave its number to a new one), as the
    segment's ``trace_ids`` in the snapshot say."""
    held = index.may_hold_id(seq, fingerprint, part)
    if held is not None:
        return held
    found = conn.execute("SELECT instr(trace_ids, ?) > 0 FROM segments WHERE seq = ?", (part, seq)).fetchone()
    return bool(found[0])


#: a revision of a segment's trace: the ``traces`` row's columns from ``trace_id``, the steps of its
#: spans and their error messages (``_revisions``)
_Revision = tuple[Sequence[Any], list[JsonObject], list[str]]


def _matching(
    segment: DecodedSegment,
    predicates: Sequence[Predicate],
    pruned_before: float | None,
    revisions: dict[str, _Revision],
    wanted: int,
) -> list[_Found]:
    """The first ``wanted`` of a segment's traces (newest first) that retention kept and the predicates
    hold of: a revised one as its summary merged with its revision, the others by what the segment
    holds (``DecodedSegment``'s facts, which no later change touches)."""
    kept = segment.kept(pruned_before)
    rows = segment.rows
    merged: dict[int, SummaryRow] = {}
    for trace_id, revision in revisions.items():
        position = segment.position(trace_id)
        if position is not None and position < kept:
            merged[position] = segments.merge(segments.summary_row(rows[position]), *revision)
    unrevised = [n for n in range(kept) if n not in merged] if merged else range(kept)
    chosen = holding(predicates, segment, unrevised)
    if merged:
        chosen += [n for n, summary in merged.items() if all_hold(predicates, summary_facts(summary))]
        chosen.sort()
    found: list[_Found] = []
    for n in chosen[:wanted]:
        summary = merged.get(n)
        if summary is None:
            summary = segments.summary_row(rows[n])
        found.append(((summary[STARTED], summary[0]), summary, None))
    return found


def _revisions(conn: sqlite3.Connection, segment: int) -> dict[str, _Revision]:
    """What rows hold of a segment's traces (their later changes), by trace id: the row's columns from
    ``trace_id``, the steps of its spans and their error messages."""
    rows = conn.execute(f"SELECT {_TRACE_COLUMNS} FROM traces WHERE segment = ?", (segment,)).fetchall()
    seqs = [row[0] for row in rows]
    steps = _steps_of(conn, seqs)
    errors: dict[int, list[str]] = {}
    if seqs:
        failed = conn.execute(
            f"SELECT trace_seq, data FROM trace_spans WHERE status = 'error' "
            f"AND trace_seq IN ({', '.join('?' * len(seqs))})",
            seqs,
        )
        for seq, blob in failed:
            errors.setdefault(seq, []).extend(error_messages([("error", decode_json(blob).get("error"))]))
    return {row[1]: (row[1:], steps.get(row[0], []), errors.get(row[0], [])) for row in rows}


def _step_objects(summary: SummaryRow) -> list[JsonObject]:
    return [{"name": step, "language": language} for step, language in summary[segments.STEPS]]


def _counts(d: TraceDelta) -> tuple[Any, ...]:
    return d.kind, d.name, d.method, d.path, d.status_code, d.open, d.failures, d.spans, d.changes


def _row_summary(row: Sequence[Any]) -> SummaryRow:
    """A ``traces`` row (``_TRACE_COLUMNS``) as a ``SummaryRow`` (its steps read apart: ``_steps_of``)."""
    return [*row[1 : segments.STEPS + 1], [], [], row[segments.STEPS + 1]]


def _encode(record: JsonObject) -> bytes:
    # Records hold JSON from the runners and the core's own scalars; default=str covers the odd value
    # a log record's extras carry, rather than losing the batch to it.
    return orjson.dumps(record, default=str)


def _insert(
    conn: sqlite3.Connection, head: str, tail: str, rows: Sequence[tuple[Any, ...]], first: str = "?"
) -> None:
    """``head`` + ``VALUES (?, ...), (?, ...)`` + ``tail`` for as many rows as one statement may bind;
    ``first``: the expression of each row's first value (binding one parameter).

    Multi-row VALUES rather than executemany: executemany gives up and takes back the GIL for every
    row, which under load slowed the event loop by a fifth (bench/RESULTS.md, tracing overhead).
    Statements of a power of two rows each: a text not in the connection's statement cache is parsed
    again, and one of any number of rows was a new text for most batches (~8k of the trace writer's
    instructions per trivial request; bench/RESULTS.md, session 11: trace writer).
    """
    if not rows:
        return
    width = len(rows[0])
    per_statement = 1 << ((_MAX_VARIABLES // width).bit_length() - 1)
    left = len(rows)
    start = 0
    while left:
        size = min(per_statement, 1 << (left.bit_length() - 1))
        key = (head, tail, first, width, size)
        sql = _STATEMENTS.get(key)
        if sql is None:
            row_sql = f"({', '.join([first, *('?' * (width - 1))])})"
            sql = _STATEMENTS[key] = head + ", ".join([row_sql] * size) + tail
        conn.execute(sql, [value for row in rows[start : start + size] for value in row])
        start += size
        left -= size


#: ``_insert``'s statements, by (head, tail, first, width, rows)
_STATEMENTS: dict[tuple[str, str, str, int, int], str] = {}


def _span_row(span: SpanFields) -> tuple[Any, ...]:
    """A span's row: its columns, and a blob of its other fields that are not null (most are, for most
    spans: a third less to write, and to prune again), as ``Span.to_json`` names them."""
    trace_id, span_id, step, language, started, status, kind, file, attempt, *rest = span
    parent, topic, delivery_id, runner, pid, ended, status_code, error = rest
    data: JsonObject = {"type": kind, "file": file, "attempt": attempt}
    if parent is not None:
        data["parentSpanId"] = parent
    if topic is not None:
        data["topic"] = topic
    if delivery_id is not None:
        data["deliveryId"] = delivery_id
    if runner is not None:
        data["runner"] = runner
    if pid is not None:
        data["pid"] = pid
    data["startedAt"] = started * 1000
    if ended is not None:
        data["endedAt"] = ended * 1000
        data["durationMs"] = (ended - started) * 1000
    if status_code is not None:
        data["statusCode"] = status_code
    if error is not None:
        data["error"] = error
    return (trace_id, span_id, step, language, started, status, _encode(data))


def _span(trace_id: str, span_id: str, step: str, language: str, status: str, data: JsonObject) -> JsonObject:
    """A span as written (``Span.to_json``) from its columns and the rest of its fields (whole, as
    earlier versions wrote its blob, or without the columns and nulls)."""
    span: JsonObject = dict.fromkeys(_SPAN_FIELDS)
    span.update(data)
    span.update(traceId=trace_id, spanId=span_id, step=step, language=language, status=status)
    return span


def _end_running(conn: sqlite3.Connection, status: str, error: JsonObject | None) -> int:
    """Every span stored as running gets ``status`` (and ``error``, when given); an api or cron span's
    trace one open work less (and one more failure, with an error). Event deliveries' traces are
    left open: a delivery's outcome (done, retried, dead) closes its work."""
    running = conn.execute(
        f"SELECT trace_seq, {_SPAN_DATA} FROM trace_spans WHERE status = 'running'"
    ).fetchall()
    closed: dict[int, int] = {}  # trace -> the api and cron spans it lost (its work they close)
    for trace_seq, span_id, *_columns, blob in running:
        data = decode_json(blob)
        if error is not None:
            data["error"] = error
        conn.execute(
            "UPDATE trace_spans SET status = ?, data = ? WHERE trace_seq = ? AND span_id = ?",
            (status, _encode(data), trace_seq, span_id),
        )
        closed[trace_seq] = closed.get(trace_seq, 0) + int(data.get("type") != "event")
    # one change of each trace, however many of its spans it lost
    conn.executemany(
        "UPDATE traces SET open = open - ?, failures = failures + ?, changes = changes + 1 WHERE seq = ?",
        [(closes, closes * int(error is not None), trace_seq) for trace_seq, closes in closed.items()],
    )
    return len(running)


def _conditions(
    predicates: Sequence[Predicate], translations: dict[tuple[str, str], _Condition]
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for predicate in predicates:
        condition, values = translations[predicate.field, predicate.op](predicate.value)
        where.append(condition)
        params.extend(values)
    return where, params


#: a revised segment's trace whose revision may make its text match: a step of it does, or it sets
#: the api's method or path (``segments.merge``; a segment's trace has its name from the start)
_REVISED_TEXT = _REVISION.format(
    "(method IS NOT NULL OR path IS NOT NULL OR EXISTS (SELECT 1 FROM trace_spans "
    "WHERE trace_seq = traces.seq AND instr(lower(step), lower(?)) > 0) "
    f"OR EXISTS (SELECT 1 FROM trace_spans WHERE trace_seq = traces.seq AND {_ERROR_HOLDS}))"
)


def _segment_text(text: str) -> tuple[str, Sequence[Any]]:
    """A segment that may hold a trace whose ``trace_text`` holds ``text``: its summaries' JSON holds
    each piece of the text (``segments.text_pieces``), or a revision may have made it match."""
    pieces = segments.text_pieces(text)
    if pieces is None:
        return "1", ()
    # LIKE matches ASCII letters in either case, as lower() (and ``ascii_lower``) do, a quarter of the
    # time of instr(lower()) over a segment's blob (no copy of it lowered)
    held = " AND ".join([f"CAST(summaries AS TEXT) {_LIKE}"] * len(pieces))
    likes = [_like_holding(piece) for piece in pieces]
    # ``errors > 0``: a whole trace answered 5xx has the message of its error ("answered 503") from
    # its status code, not in the JSON; only a text such a message may hold needs it (else every
    # segment with a failure is read: a text found nowhere took ~100x as long, bench/RESULTS.md,
    # session 11: trace reads)
    failed = " OR errors > 0" if segments.may_be_answered_with(text) else ""
    return f"{held}{failed} OR {_REVISED_TEXT}", [*likes, text, text, text]


#: what LIKE would take for a wildcard, or for its escape
_LIKE_ESCAPES = re.compile("[%_!]")
#: a LIKE whose pattern is ``_like_holding``'s
_LIKE = "LIKE ? ESCAPE '!'"


def _like_holding(text: str) -> str:
    """The pattern of ``_LIKE`` matching a value that holds ``text`` as it is (its wildcards escaped)."""
    return "%" + _LIKE_ESCAPES.sub(r"!\g<0>", text) + "%"


#: a line's metadata (``log_texts``): its JSON's "meta" as orjson wrote it, compact (None without)
_LOG_META = "instr(lower(nullif(CAST(data AS TEXT) -> '$.meta', 'null')), lower(?)) > 0"
#: what orjson writes escaped in a string: a text holding none of them is in a line's JSON if in its message
_ESCAPED_IN_JSON = re.compile(r'["\\\x00-\x1f]')


def _log_text_holds(search: LogText) -> tuple[str, tuple[Any, ...]]:
    """A line whose message or metadata holds ``search.typed``, or whose metadata holds its
    ``compact`` form (``LogText``). The metadata is taken out of the line's JSON (a parse: ~1 µs a
    line) only where the JSON holds the text, as LIKE finds it (ASCII letters in any case, as lower()
    and the predicate's own test); that test comes first, for the message too, when the message holds
    the text only if its JSON does (no character orjson escapes): a search of 50,000 lines costs what
    one of the messages alone did (bench/log_search.py). A text with JSON's spacing is looked for in
    the JSON with a wildcard where its spacing is, which either form matches: one LIKE, not two."""
    # instr of lower(): SQLite lowers ASCII only, as the predicate's own test does
    anywhere = f"CAST(data AS TEXT) {_LIKE}"
    text = search.typed
    pattern = "%" + "%".join(_like_holding(piece)[1:-1] for piece in search.pieces) + "%"
    message = "instr(lower(message), lower(?)) > 0"
    meta, metas = _LOG_META, [text]
    if search.compact is not None:  # the metadata is compact JSON: the text without the spacing too
        meta, metas = f"({_LOG_META} OR {_LOG_META})", [text, search.compact]
    if _ESCAPED_IN_JSON.search(text):
        return f"({message} OR ({anywhere} AND {meta}))", (text, pattern, *metas)
    return f"({anywhere} AND ({message} OR {meta}))", (pattern, text, *metas)


def _runner_ids(conn: sqlite3.Connection, wanted: str) -> list[str]:
    """The runner ids of the lines kept that a runner filter ``wanted`` asks for (``runner_holds``:
    that id, or those it begins up to a ``-``), each found by the index of lines by runner (``_schema``,
    version 8) as the least id above the one before: a seek per id (a handful), not a read of lines."""
    found: list[str] = []
    # every id the filter asks for sorts between ``wanted`` and ``wanted.`` (``.`` follows ``-``)
    after, above = wanted, wanted + "."
    first = conn.execute("SELECT 1 FROM logs WHERE runner = ? LIMIT 1", (wanted,)).fetchone()
    if first is not None:
        found.append(wanted)
    while True:
        row = conn.execute(
            "SELECT min(runner) FROM logs WHERE runner > ? AND runner < ?", (after, above)
        ).fetchone()
        if row[0] is None:
            return found
        after = row[0]
        if runner_holds(after, wanted):
            found.append(after)


def _by_runner(
    conn: sqlite3.Connection,
    runner_ids: Sequence[str],
    where: Sequence[str],
    params: Sequence[Any],
    order: str,
    limit: int,
) -> list[str]:
    """A page of the lines of ``runner_ids`` matching ``where``: each runner's lines walked in the
    page's order by the index (``runner``, ``id``), up to a page each, and the newest (or, following,
    the oldest) of them kept. A runner no line names reads nothing; a common one a page; one
    condition over every runner's lines would read them all and sort them."""
    if not runner_ids:
        return []
    each = f"SELECT id, data FROM logs {_where(['runner = ?', *where])} ORDER BY id {order} LIMIT ?"
    one = f"SELECT * FROM ({each})"
    sql = " UNION ALL ".join([one] * len(runner_ids)) + f" ORDER BY 1 {order} LIMIT ?"
    args = [value for runner in runner_ids for value in (runner, *params, limit)]
    return [row[1] for row in conn.execute(sql, (*args, limit))]


def _level_at_least(level: str) -> tuple[str, Sequence[Any]]:
    """The levels shown: those at least as severe, and one not known when info is (it reads as info)."""
    shown = [name for name in LEVEL_NAMES if level_rank(name) >= level_rank(level)]
    condition = f"level IN ({', '.join('?' for _ in shown)})"
    if level_rank("info") >= level_rank(level):
        condition += f" OR level NOT IN ({', '.join('?' for _ in LEVEL_NAMES)})"
        return condition, [*shown, *LEVEL_NAMES]
    return condition, shown


def _where(conditions: Sequence[str]) -> str:
    return "WHERE " + " AND ".join(f"({condition})" for condition in conditions) if conditions else ""


def _steps_of(conn: sqlite3.Connection, seqs: Sequence[int]) -> dict[int, list[JsonObject]]:
    """Per trace (by ``seq``), each step that ran in it once, in order of its first run, with its
    language."""
    steps: dict[int, list[JsonObject]] = {}
    if not seqs:
        return steps
    marks = ", ".join("?" for _ in seqs)
    rows = conn.execute(
        f"SELECT trace_seq, step, language, min(started_at) AS first FROM trace_spans "
        f"WHERE trace_seq IN ({marks}) GROUP BY trace_seq, step ORDER BY trace_seq, first",
        tuple(seqs),
    )
    for seq, step, language, _first in rows:
        steps.setdefault(seq, []).append({"name": step, "language": language})
    return steps


def _summary(row: Sequence[Any], steps: list[JsonObject]) -> JsonObject:
    """A summary as listed, from a ``SummaryRow`` (a segment's, or a row's: ``_row_summary``)."""
    trace_id, started_at, updated_at, kind, name, method, path, status_code, *counts = row
    open_work, failures, spans = counts[:3]
    entry = entry_of(kind, name, method, path, status_code)
    changes = segments.changes_of(row)
    return trace_summary(trace_id, started_at, updated_at, entry, open_work, failures, spans, steps, changes)
