"""The project database's schema, as one ordered list of migrations.

One list for the whole ``.motia/motia.db`` keeps versions linear and the file
readable with any SQLite browser. Append new migrations; never edit a released one.

Row order matters to callers (state groups and stream groups come back in
insertion order), so those tables keep SQLite's implicit rowid: an upsert keeps
the row's rowid, a delete and re-insert moves it to the end, exactly like a dict.
"""

from __future__ import annotations

from ._migrations import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="state, stream items, event queue and dead letters",
        statements=(
            """
            CREATE TABLE state_items (
                group_id TEXT NOT NULL,
                key      TEXT NOT NULL,
                value    BLOB NOT NULL,
                PRIMARY KEY (group_id, key)
            )
            """,
            """
            CREATE TABLE stream_items (
                stream   TEXT NOT NULL,
                group_id TEXT NOT NULL,
                item_id  TEXT NOT NULL,
                data     BLOB NOT NULL,
                PRIMARY KEY (stream, group_id, item_id)
            )
            """,
            # AUTOINCREMENT: ids are never reused, so a late ack of an old id can never
            # remove a newer delivery.
            """
            CREATE TABLE queue_deliveries (
                id               INTEGER PRIMARY KEY AUTOINCREMENT,
                topic            TEXT NOT NULL,
                subscriber       TEXT NOT NULL,
                data             BLOB NOT NULL,
                trace_id         TEXT NOT NULL,
                message_group_id TEXT,
                attempts         INTEGER NOT NULL DEFAULT 0,
                available_at     REAL NOT NULL,
                last_error       TEXT
            )
            """,
            # Keeps the id the delivery had, so logs and traces that named it still match.
            """
            CREATE TABLE queue_dead_letters (
                id               INTEGER PRIMARY KEY,
                topic            TEXT NOT NULL,
                subscriber       TEXT NOT NULL,
                data             BLOB NOT NULL,
                trace_id         TEXT NOT NULL,
                message_group_id TEXT,
                attempts         INTEGER NOT NULL,
                last_error       TEXT NOT NULL,
                failed_at        REAL NOT NULL
            )
            """,
        ),
    ),
    Migration(
        version=2,
        description="queue lanes and claims: read the backlog in a bounded window",
        statements=(
            # fifo: the row takes part in its (subscriber, message_group_id) lane.
            # held: a FIFO row waiting behind its lane's head (the lowest id of the lane).
            # isolate: the row was in flight when a runner died; it runs alone from now on.
            # Rows written by version 1 were queued without lanes (fifo 0): they run unordered.
            # Claims are not stored: they belong to the process that made them (queue/_sqlite.py).
            "ALTER TABLE queue_deliveries ADD COLUMN fifo INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE queue_deliveries ADD COLUMN held INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE queue_deliveries ADD COLUMN isolate INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE queue_dead_letters ADD COLUMN fifo INTEGER NOT NULL DEFAULT 0",
            # What may run, oldest due first (isolated rows apart): a range of this index,
            # read without touching the rows, whatever the backlog.
            """
            CREATE INDEX queue_runnable ON queue_deliveries (isolate, available_at, id)
            WHERE held = 0
            """,
            # A FIFO lane in order: its head, and whether it has one at all.
            """
            CREATE INDEX queue_fifo_lanes ON queue_deliveries (subscriber, message_group_id, id)
            WHERE fifo = 1
            """,
            "CREATE INDEX queue_dead_letters_by_subscriber ON queue_dead_letters (subscriber, id)",
        ),
    ),
    Migration(
        version=3,
        description="traces, their spans and operations, and log lines (supervisor/tracing)",
        statements=(
            # One row per trace, upserted with deltas by each batch of records: ``open`` counts work in
            # progress (api and cron invocations running, event deliveries not yet done or dead),
            # ``failures`` what failed for good; the status is derived from both when read.
            """
            CREATE TABLE traces (
                trace_id    TEXT PRIMARY KEY,
                started_at  REAL NOT NULL,
                updated_at  REAL NOT NULL,
                kind        TEXT,
                name        TEXT,
                method      TEXT,
                path        TEXT,
                status_code INTEGER,
                open        INTEGER NOT NULL DEFAULT 0,
                failures    INTEGER NOT NULL DEFAULT 0,
                spans       INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID
            """,
            "CREATE INDEX traces_by_start ON traces (started_at, trace_id)",
            # A trace reads as a range of the primary key: spans and operations are clustered by trace.
            """
            CREATE TABLE trace_spans (
                trace_id   TEXT NOT NULL,
                span_id    TEXT NOT NULL,
                step       TEXT NOT NULL,
                language   TEXT NOT NULL,
                started_at REAL NOT NULL,
                status     TEXT NOT NULL,
                data       BLOB NOT NULL,
                PRIMARY KEY (trace_id, span_id)
            ) WITHOUT ROWID
            """,
            "CREATE INDEX trace_spans_by_step ON trace_spans (step, trace_id)",
            """
            CREATE TABLE trace_operations (
                trace_id TEXT NOT NULL,
                id       INTEGER NOT NULL,
                data     BLOB NOT NULL,
                PRIMARY KEY (trace_id, id)
            ) WITHOUT ROWID
            """,
            """
            CREATE TABLE logs (
                id       INTEGER PRIMARY KEY,
                time     REAL NOT NULL,
                level    TEXT NOT NULL,
                step     TEXT,
                trace_id TEXT,
                message  TEXT NOT NULL,
                data     BLOB NOT NULL
            )
            """,
            "CREATE INDEX logs_by_trace ON logs (trace_id, id) WHERE trace_id IS NOT NULL",
        ),
    ),
)
