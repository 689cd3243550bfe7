"""Trace rows as the schema before trace numbers left them (``traces.db`` schema 1, the same tables
as ``motia.db``'s migration 3): what the migration and the move to ``traces.db`` start from."""

from __future__ import annotations

import sqlite3

import orjson

from supervisor.storage import JsonObject


def write_earlier_traces(conn: sqlite3.Connection, *, logs: bool = True) -> None:
    """Two traces, t-old (step A) and t-new (step B, 100 s later), each with a span that ended (s0) and
    a cron span left running (s1, counted open) and an emit operation (topic ``t``); with ``logs``, a
    log line in each trace (t-new's from runner python-0) and one outside any. Ids are the microsecond they were recorded at."""
    for trace_id, started, step in (("t-old", 1_800_000_000.0, "A"), ("t-new", 1_800_000_100.0, "B")):
        conn.execute(
            "INSERT INTO traces (trace_id, started_at, updated_at, kind, name, method, path, "
            "status_code, open, failures, spans) VALUES (?, ?, ?, 'api', ?, 'GET', '/x', 200, 1, 0, 2)",
            (trace_id, started, started + 1, step),
        )
        for index, status in enumerate(("ok", "running")):
            span: JsonObject = {"type": "api" if index == 0 else "cron", "file": "steps/a.step.ts"}
            span["startedAt"] = (started + index) * 1000
            conn.execute(
                "INSERT INTO trace_spans (trace_id, span_id, step, language, started_at, status, data) "
                "VALUES (?, ?, ?, 'typescript', ?, ?, ?)",
                (trace_id, f"s{index}", step, started + index, status, orjson.dumps(span)),
            )
        operation = {"id": int(started * 1_000_000), "type": "emit", "traceId": trace_id, "topic": "t"}
        operation["time"] = started * 1000  # every version recorded it
        conn.execute(
            "INSERT INTO trace_operations (trace_id, id, data) VALUES (?, ?, ?)",
            (trace_id, operation["id"], orjson.dumps(operation)),
        )
        if logs:  # the line in t-new came from a runner
            runner = "python-0" if trace_id == "t-new" else None
            _log(conn, int(started * 1_000_000) + 1, started, trace_id, f"in {trace_id}", runner)
    if logs:
        _log(conn, 1_800_000_200_000_000, 1_800_000_200.0, None, "outside any trace")


def _log(
    conn: sqlite3.Connection,
    ident: int,
    time: float,
    trace_id: str | None,
    message: str,
    runner: str | None = None,
) -> None:
    line = {"id": ident, "time": time * 1000, "level": "info", "step": None, "traceId": trace_id}
    line["message"], line["runner"] = message, runner
    conn.execute(
        "INSERT INTO logs (id, time, level, step, trace_id, message, data) VALUES (?, ?, 'info', NULL, ?, ?, ?)",
        (ident, time, trace_id, message, orjson.dumps(line)),
    )
