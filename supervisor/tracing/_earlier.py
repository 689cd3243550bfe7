"""Traces and logs that earlier versions kept in ``.motia/motia.db`` (its migration 3 tables), moved
once into the traces file (``.motia/traces.db``), so that an upgrade keeps its trace history.

The copy and the emptying are two transactions, one per file, the copy synced first: a transaction
over attached WAL files is atomic in each file but not across them (sqlite.org/lang_attach.html), so
one crash could keep the emptying and lose the copy. Interrupted between the two, the next start copies
again and skips what is already there (every table has a key that says so: a trace's id, a span's and
an operation's trace and own id, a log line's id): nothing is lost, nothing doubled.

A separate connection rather than ``SqliteDatabase``'s writer: ATTACH cannot run inside the writer's
transactions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_TABLES = ("traces", "trace_spans", "trace_operations", "logs")
_BUSY_TIMEOUT_MS = 5000
_TRACE_COLUMNS = (
    "trace_id, started_at, updated_at, kind, name, method, path, status_code, open, failures, spans"
)

# Mapped as ``_schema``'s migration 2 maps a file of schema 1: traces numbered in the order they began
# (after those the file has: a trace both hold, an event delivered across the upgrade, keeps the file's
# row and gains the earlier spans), spans and operations keyed by that number.
_COPY = (
    f"INSERT OR IGNORE INTO main.traces ({_TRACE_COLUMNS}) "
    f"SELECT {_TRACE_COLUMNS} FROM earlier.traces ORDER BY started_at, trace_id",
    # a span or operation whose trace has no row (none should) gets an empty one rather than be lost;
    # an operation's id is the microsecond it was recorded at
    "INSERT OR IGNORE INTO main.traces (trace_id, started_at, updated_at) "
    "SELECT trace_id, min(at), max(at) FROM ("
    "SELECT trace_id, started_at AS at FROM earlier.trace_spans "
    "UNION ALL SELECT trace_id, id / 1e6 FROM earlier.trace_operations"
    ") GROUP BY trace_id ORDER BY min(at), trace_id",
    "INSERT OR IGNORE INTO main.trace_spans (trace_seq, span_id, step, language, started_at, status, data) "
    "SELECT t.seq, s.span_id, s.step, s.language, s.started_at, s.status, s.data "
    "FROM earlier.trace_spans s JOIN main.traces t USING (trace_id)",
    "INSERT OR IGNORE INTO main.trace_operations (trace_seq, id, data) "
    "SELECT t.seq, o.id, o.data FROM earlier.trace_operations o JOIN main.traces t USING (trace_id)",
    # a line's runner out of its JSON, as ``_schema``'s migration 8 fills it
    "INSERT OR IGNORE INTO main.logs (id, time, level, step, trace_id, message, runner, data) "
    "SELECT id, time, level, step, trace_id, message, CASE WHEN instr(CAST(data AS TEXT), '\"runner\"') > 0 "
    "THEN CAST(data AS TEXT) ->> '$.runner' END, data FROM earlier.logs",
)


@dataclass(frozen=True)
class Moved:
    """What a move took out of the earlier file: traces (their spans and operations with them) and
    log lines."""

    traces: int = 0
    logs: int = 0


def move_earlier_traces(database: Path, traces_file: Path) -> Moved:
    """Move the trace rows ``database`` (``.motia/motia.db``) holds into ``traces_file``, which must
    already have its schema (``SqliteTraceStore`` opened it); then empty them in ``database``.

    Does nothing (and creates nothing) when ``database`` does not exist, predates traces or holds
    none. Raises ``sqlite3.Error`` when either file cannot be read or written; what was not moved
    stays where it was, for the next call.
    """
    if not database.exists():
        return Moved()
    conn = sqlite3.connect(traces_file, isolation_level=None, uri=True)
    try:
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        # the traces file is written unsynced (SqliteTraceStore); this copy must be on disk before
        # the originals go
        conn.execute("PRAGMA synchronous = FULL")
        # mode=rw: a file that vanished since is not created again
        conn.execute("ATTACH DATABASE ? AS earlier", (database.resolve().as_uri() + "?mode=rw",))
        listed = conn.execute("SELECT name FROM earlier.sqlite_master WHERE type = 'table'")
        if not {row[0] for row in listed}.issuperset(_TABLES):
            return Moved()
        held = " OR ".join(f"EXISTS (SELECT 1 FROM earlier.{table})" for table in _TABLES)
        if not conn.execute(f"SELECT {held}").fetchone()[0]:
            return Moved()
        counted = "SELECT (SELECT count(*) FROM earlier.traces), (SELECT count(*) FROM earlier.logs)"
        moved = Moved(*conn.execute(counted).fetchone())
        _transaction(conn, _COPY)
        _transaction(conn, [f"DELETE FROM earlier.{table}" for table in _TABLES])
        return moved
    finally:
        conn.close()


def _transaction(conn: sqlite3.Connection, statements: Sequence[str]) -> None:
    conn.execute("BEGIN")
    try:
        for statement in statements:
            conn.execute(statement)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
