"""The schema of the traces file (``.motia/traces.db``), as one ordered list of migrations.

Its version 1 is the tables ``.motia/motia.db`` got in its migration 3, before traces moved to a file
of their own (there they stay, empty: a released migration is never edited). Append new migrations
here; never edit a released one.
"""

from __future__ import annotations

from supervisor.storage import MIGRATIONS, Migration

_IN_MOTIA_DB = next(migration for migration in MIGRATIONS if migration.version == 3)

_TRACE_COLUMNS = (
    "trace_id, started_at, updated_at, kind, name, method, path, status_code, open, failures, spans"
)

TRACE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(version=1, description=_IN_MOTIA_DB.description, statements=_IN_MOTIA_DB.statements),
    Migration(
        version=2,
        description="traces numbered in the order they began; spans and operations keyed by that number",
        statements=(
            # Keyed by the trace id, a batch's rows landed wherever its ids sort: at the end for our
            # own (UUIDv7, time-ordered), on pages all over each table for ids that came in a
            # traceparent header (random), every page touched written again, and pruning touching as
            # many (bench/RESULTS.md, tracing overhead). Keyed by ``seq``, a batch appends to the end
            # of each table and pruning cuts their beginning; only the trace id's own index takes
            # random inserts, of small entries.
            """
            CREATE TABLE traces_by_seq (
                seq         INTEGER PRIMARY KEY,
                trace_id    TEXT NOT NULL UNIQUE,
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
            )
            """,
            f"INSERT INTO traces_by_seq ({_TRACE_COLUMNS}) "
            f"SELECT {_TRACE_COLUMNS} FROM traces ORDER BY started_at, trace_id",
            """
            CREATE TABLE spans_by_seq (
                trace_seq  INTEGER NOT NULL,
                span_id    TEXT NOT NULL,
                step       TEXT NOT NULL,
                language   TEXT NOT NULL,
                started_at REAL NOT NULL,
                status     TEXT NOT NULL,
                data       BLOB NOT NULL,
                PRIMARY KEY (trace_seq, span_id)
            ) WITHOUT ROWID
            """,
            "INSERT INTO spans_by_seq SELECT t.seq, s.span_id, s.step, s.language, s.started_at, s.status, "
            "s.data FROM trace_spans s JOIN traces_by_seq t USING (trace_id)",
            """
            CREATE TABLE operations_by_seq (
                trace_seq INTEGER NOT NULL,
                id        INTEGER NOT NULL,
                data      BLOB NOT NULL,
                PRIMARY KEY (trace_seq, id)
            ) WITHOUT ROWID
            """,
            "INSERT INTO operations_by_seq SELECT t.seq, o.id, o.data "
            "FROM trace_operations o JOIN traces_by_seq t USING (trace_id)",
            "DROP TABLE trace_operations",
            "DROP TABLE trace_spans",
            "DROP TABLE traces",
            "ALTER TABLE traces_by_seq RENAME TO traces",
            "ALTER TABLE spans_by_seq RENAME TO trace_spans",
            "ALTER TABLE operations_by_seq RENAME TO trace_operations",
            "CREATE INDEX traces_by_start ON traces (started_at, trace_id)",
            "CREATE INDEX trace_spans_by_step ON trace_spans (step, trace_seq)",
        ),
    ),
    Migration(
        version=3,
        description="no index of spans by step: the step filter looks into each listed trace's spans",
        statements=(
            # Every span paid for this index twice, at its insert and at its prune (b-tree entries in
            # a table of their own, in step order: all over it), for one filter of the listings. The
            # step filter now walks the traces newest first, as every listing does, and looks for the
            # step among each one's spans by the spans' primary key (trace_seq, span_id): as fast
            # as the index for a step that ran in many recent traces, a scan of the traces kept for
            # one that ran in none (bench/RESULTS.md, tracing overhead, seventh pass).
            "DROP INDEX IF EXISTS trace_spans_by_step",
        ),
    ),
    Migration(
        version=4,
        description="segments: the traces a write batch finished, as one row; later changes to them as rows",
        statements=(
            # A row per trace cost the trace writer ~10 µs of CPU per trivial request, most of the
            # budget tracing has (bench/RESULTS.md, tracing overhead, tenth pass); a batch's finished
            # traces as one row cost a fraction of that. ``_segments`` says what goes where. The small
            # columns come first: a read that narrows by them does not read the blobs.
            """
            CREATE TABLE segments (
                seq           INTEGER PRIMARY KEY,
                min_started   REAL NOT NULL,
                max_started   REAL NOT NULL,
                traces        INTEGER NOT NULL,
                errors        INTEGER NOT NULL,
                max_id        INTEGER,
                revised       INTEGER NOT NULL DEFAULT 0,
                pruned_before REAL,
                trace_ids     TEXT NOT NULL,
                steps         TEXT NOT NULL,
                summaries     BLOB NOT NULL,
                records       BLOB NOT NULL
            )
            """,
            # listings walk segments newest first, and stop once older ones cannot make the page
            "CREATE INDEX segments_by_start ON segments (max_started)",
            # a trace's later changes, kept as rows, name the segment holding the rest of it
            "ALTER TABLE traces ADD COLUMN segment INTEGER",
            "CREATE INDEX traces_by_segment ON traces (segment) WHERE segment IS NOT NULL",
        ),
    ),
    Migration(
        version=5,
        description="segments say the classes of the HTTP statuses their requests were answered with",
        statements=(
            # A bit per class (1 << 4 for a 4xx: ``_segments.answer_class``): a listing of the requests
            # answered 4xx reads only the segments that hold one. Null in a segment written before:
            # read whatever the filter.
            "ALTER TABLE segments ADD COLUMN answered INTEGER",
        ),
    ),
    Migration(
        version=6,
        description="segments say the HTTP status codes their requests were answered with",
        statements=(
            # A JSON array of the codes (``[200,404]``): where one code of a class is common (a 404
            # in one request of 100: every segment of 512 holds one) a listing of a rarer one (400)
            # reads only the segments holding it, not every one of the class. Null in a segment
            # written before: its class bits (``answered``) say.
            "ALTER TABLE segments ADD COLUMN codes TEXT",
        ),
    ),
    Migration(
        version=7,
        description="traces count the batches written of them",
        statements=(
            # ``changes``, added by every batch's upsert of the row (``TraceDelta.changes``): what a
            # reader watching a trace compares (the Workbench's Endpoints panel reads the row each
            # second, the whole trace only when it moved). A segment's trace was written in one batch:
            # its count is 1 and its revision's. 0 in a row written before: it counts from there.
            "ALTER TABLE traces ADD COLUMN changes INTEGER NOT NULL DEFAULT 0",
        ),
    ),
    Migration(
        version=8,
        description="log lines keep their runner in a column of its own, indexed",
        statements=(
            # A runner filter read each line's JSON for its runner (25 ms per 50,000 lines for a runner
            # no line names: bench/RESULTS.md, session 22); the writer has the runner at hand as it
            # inserts a line (the recorder's line holds it). Lines written before get theirs here, once.
            "ALTER TABLE logs ADD COLUMN runner TEXT",
            "UPDATE logs SET runner = CAST(data AS TEXT) ->> '$.runner' "
            "WHERE instr(CAST(data AS TEXT), '\"runner\"') > 0",
            # the core's own lines (no runner) are not indexed: a filter names a runner
            "CREATE INDEX logs_by_runner ON logs (runner, id) WHERE runner IS NOT NULL",
        ),
    ),
)
