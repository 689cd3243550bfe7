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
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from supervisor.storage import JsonObject, SqliteDatabase, decode_json

from ._query import Predicate, log_page, log_predicates, one_trace, trace_page, trace_predicates
from ._records import (
    LEVEL_NAMES,
    Batch,
    LogPage,
    LogQuery,
    Pruned,
    Retention,
    Span,
    TracePage,
    TraceQuery,
    entry_of,
    level_rank,
    trace_summary,
)
from ._schema import TRACE_MIGRATIONS

#: what a batch writes of a trace (its ``seq`` is SQLite's to give)
_TRACE_FIELDS = (
    "trace_id, started_at, updated_at, kind, name, method, path, status_code, open, failures, spans"
)
# Rows go in as multi-row VALUES (see ``_insert``): one statement per table and batch.
_TRACES_INSERT = f"INSERT INTO traces ({_TRACE_FIELDS}) VALUES "
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
    spans = spans + excluded.spans
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
_LOGS_INSERT = "INSERT OR REPLACE INTO logs (id, time, level, step, trace_id, message, data) VALUES "
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
}
_LOG_CONDITIONS: dict[tuple[str, str], _Condition] = {
    ("id", "gt"): lambda after: ("id > ?", (after,)),
    ("id", "lt"): lambda before: ("id < ?", (before,)),
    ("level", "at_least"): lambda level: _level_at_least(level),
    ("step", "eq"): lambda step: ("step = ?", (step,)),
    ("traceId", "eq"): lambda trace_id: ("trace_id = ?", (trace_id,)),
    # instr of lower(): SQLite lowers ASCII only, as the predicate's own test does
    ("message", "icontains"): lambda text: ("instr(lower(message), lower(?)) > 0", (text,)),
    ("time", "ge"): lambda since: ("time >= ?", (since,)),
    ("time", "le"): lambda until: ("time <= ?", (until,)),
}


class SqliteTraceStore:
    """Traces and logs in the SQLite file at ``path`` (created if missing), which the store owns.

    Opening is synchronous (it creates the file and applies the schema); from a running event loop
    prefer ``await SqliteTraceStore.open(path)``.
    """

    def __init__(self, path: Path) -> None:
        self._db = SqliteDatabase(path, migrations=TRACE_MIGRATIONS, durable=False)
        self.path = self._db.path

    @classmethod
    async def open(cls, path: Path) -> SqliteTraceStore:
        return await asyncio.to_thread(cls, path)

    async def write(self, batch: Batch) -> None:
        traces = [
            (
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
            )
            for trace_id, d in batch.traces.items()
        ]
        spans = [_span_row(span) for span in batch.spans]
        operations = [(op["traceId"], op["id"], _encode(op)) for op in batch.operations]
        logs = [
            (
                line["id"],
                line["time"] / 1000,
                line["level"],
                line["step"],
                line["traceId"],
                line["message"],
                _encode(line),
            )
            for line in batch.logs
        ]

        # A record whose trace has no row yet (the recorder sends each record's trace along; a batch
        # built otherwise) gets an empty one: its seq is what keys the record.
        unseen = {row[0]: row[4] for row in spans if row[0] not in batch.traces}
        unseen.update(
            (op["traceId"], op["time"] / 1000) for op in batch.operations if op["traceId"] not in batch.traces
        )

        def write(conn: sqlite3.Connection) -> None:
            _insert(conn, _TRACES_INSERT, _TRACES_UPSERT, traces)
            if unseen:
                conn.executemany(
                    "INSERT OR IGNORE INTO traces (trace_id, started_at, updated_at) VALUES (?, ?, ?)",
                    [(trace_id, at, at) for trace_id, at in unseen.items()],
                )
            _insert(conn, _SPANS_INSERT, _SPANS_UPSERT, spans, _SEQ_OF)
            _insert(conn, _OPERATIONS_INSERT, "", operations, _SEQ_OF)
            _insert(conn, _LOGS_INSERT, "", logs)

        await self._db.write(write)

    async def recover(self) -> int:
        def write(conn: sqlite3.Connection) -> int:
            _end_running(conn, "lost", None)
            highest = [
                conn.execute("SELECT max(id) FROM logs").fetchone()[0],
                conn.execute("SELECT max(id) FROM trace_operations").fetchone()[0],
            ]
            return max((value for value in highest if value is not None), default=0)

        return await self._db.write(write)

    async def abandon(self, reason: str) -> int:
        """Spans stored as running whose end will never be recorded: a trace writer process died
        while they ran, and the one that replaces it never saw them start (their end, when it comes,
        finds no span). Each becomes an error saying ``reason``; an api or cron span's trace is no
        longer open and counts it as a failure (a delivery's trace closes with its outcome, which is
        recorded whatever became of the span). Returns how many there were."""
        error: JsonObject = {"name": "TraceWriterLost", "message": reason, "stack": "", "location": None}
        return await self._db.write(lambda conn: _end_running(conn, "error", error))

    async def traces(self, query: TraceQuery) -> TracePage:
        where, params = _conditions(trace_predicates(query), _TRACE_CONDITIONS)
        sql = (
            f"SELECT {_TRACE_COLUMNS} FROM traces {_where(where)} "
            "ORDER BY started_at DESC, trace_id DESC LIMIT ?"
        )

        def read(conn: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], dict[int, list[JsonObject]]]:
            rows = conn.execute(sql, (*params, query.limit + 1)).fetchall()
            return rows, _steps_of(conn, [row[0] for row in rows[: query.limit]])

        rows, steps = await self._db.read(read)
        # the row past the limit only says an older page follows (its steps were not read)
        summaries = [_summary(row, steps.get(row[0], [])) for row in rows]
        return trace_page(query, summaries, [(row[2], row[1]) for row in rows])

    async def trace(self, trace_id: str) -> JsonObject | None:
        def read(
            conn: sqlite3.Connection,
        ) -> tuple[tuple[Any, ...] | None, list[tuple[Any, ...]], list[str], dict[int, list[JsonObject]]]:
            row = conn.execute(
                f"SELECT {_TRACE_COLUMNS} FROM traces WHERE trace_id = ?", (trace_id,)
            ).fetchone()
            if row is None:
                return None, [], [], {}
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
            return (
                row,
                spans,
                [event[1] for event in events],
                _steps_of(conn, [seq]),
            )

        row, spans, events, steps = await self._db.read(read)
        if row is None:
            return None
        spans_read = (_span(trace_id, span) for span in spans)
        return one_trace(_summary(row, steps.get(row[0], [])), spans_read, map(decode_json, events))

    async def logs(self, query: LogQuery) -> LogPage:
        where, params = _conditions(log_predicates(query), _LOG_CONDITIONS)
        order = "ASC" if query.after is not None else "DESC"
        sql = f"SELECT data FROM logs {_where(where)} ORDER BY id {order} LIMIT ?"

        def read(conn: sqlite3.Connection) -> list[str]:
            return [row[0] for row in conn.execute(sql, (*params, query.limit))]

        return log_page(query, [decode_json(blob) for blob in await self._db.read(read)])

    async def prune(self, retention: Retention, now: float) -> Pruned:
        oldest = now - retention.max_age_s

        def write(conn: sqlite3.Connection) -> Pruned:
            # One cutoff time for both limits, so that each delete is a range of an index.
            boundary = conn.execute(
                "SELECT started_at FROM traces ORDER BY started_at DESC LIMIT 1 OFFSET ?",
                (retention.max_traces - 1,),
            ).fetchone()
            cutoff = max(oldest, boundary[0]) if boundary is not None else oldest
            gone = "SELECT seq FROM traces WHERE started_at < ?"
            conn.execute(f"DELETE FROM trace_spans WHERE trace_seq IN ({gone})", (cutoff,))
            conn.execute(f"DELETE FROM trace_operations WHERE trace_seq IN ({gone})", (cutoff,))
            traces = conn.execute("DELETE FROM traces WHERE started_at < ?", (cutoff,)).rowcount
            boundary_id = conn.execute(
                "SELECT id FROM logs ORDER BY id DESC LIMIT 1 OFFSET ?", (retention.max_log_lines - 1,)
            ).fetchone()
            # A log line's id is the microsecond it was recorded at (made unique): a range of the key.
            log_cutoff = int(oldest * 1_000_000)
            if boundary_id is not None:
                log_cutoff = max(log_cutoff, boundary_id[0])
            logs = conn.execute("DELETE FROM logs WHERE id < ?", (log_cutoff,)).rowcount
            return Pruned(traces, logs)

        return await self._db.write(write)

    async def close(self) -> None:
        await self._db.close()


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
    """
    if not rows:
        return
    width = len(rows[0])
    per_statement = _MAX_VARIABLES // width
    row_sql = f"({', '.join([first, *('?' * (width - 1))])})"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = ", ".join([row_sql] * len(chunk))
        conn.execute(head + values + tail, [value for row in chunk for value in row])


def _span_row(span: Span) -> tuple[Any, ...]:
    """A span's row: its columns, and a blob of its other fields that are not null (most are, for most
    spans: a third less to write, and to prune again), as ``Span.to_json`` names them."""
    data: JsonObject = {"type": span.kind, "file": span.file, "attempt": span.attempt}
    if span.parent_span_id is not None:
        data["parentSpanId"] = span.parent_span_id
    if span.topic is not None:
        data["topic"] = span.topic
    if span.delivery_id is not None:
        data["deliveryId"] = span.delivery_id
    if span.runner is not None:
        data["runner"] = span.runner
    if span.pid is not None:
        data["pid"] = span.pid
    data["startedAt"] = span.started_at * 1000
    ended = span.ended_at
    if ended is not None:
        data["endedAt"] = ended * 1000
        data["durationMs"] = (ended - span.started_at) * 1000
    if span.status_code is not None:
        data["statusCode"] = span.status_code
    if span.error is not None:
        data["error"] = span.error
    return (
        span.trace_id,
        span.span_id,
        span.step,
        span.language,
        span.started_at,
        span.status,
        _encode(data),
    )


def _span(trace_id: str, row: tuple[Any, ...]) -> JsonObject:
    """A span as written (``Span.to_json``) from its row: the blob (whole, as earlier versions wrote it,
    or without the columns and nulls) and the columns."""
    span_id, step, language, status, blob = row
    span: JsonObject = dict.fromkeys(_SPAN_FIELDS)
    span.update(decode_json(blob))
    span.update(traceId=trace_id, spanId=span_id, step=step, language=language, status=status)
    return span


def _end_running(conn: sqlite3.Connection, status: str, error: JsonObject | None) -> int:
    """Every span stored as running gets ``status`` (and ``error``, when given); an api or cron span's
    trace one open work less (and one more failure, with an error). Event deliveries' traces are
    left open: a delivery's outcome (done, retried, dead) closes its work."""
    running = conn.execute(
        f"SELECT trace_seq, {_SPAN_DATA} FROM trace_spans WHERE status = 'running'"
    ).fetchall()
    for trace_seq, span_id, *_columns, blob in running:
        data = decode_json(blob)
        if error is not None:
            data["error"] = error
        conn.execute(
            "UPDATE trace_spans SET status = ?, data = ? WHERE trace_seq = ? AND span_id = ?",
            (status, _encode(data), trace_seq, span_id),
        )
        if data.get("type") != "event":
            conn.execute(
                "UPDATE traces SET open = open - 1, failures = failures + ? WHERE seq = ?",
                (int(error is not None), trace_seq),
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


def _summary(row: tuple[Any, ...], steps: list[JsonObject]) -> JsonObject:
    _seq, trace_id, started_at, updated_at, kind, name, method, path, status_code, *counts = row
    open_work, failures, spans = counts
    entry = entry_of(kind, name, method, path, status_code)
    return trace_summary(trace_id, started_at, updated_at, entry, open_work, failures, spans, steps)
