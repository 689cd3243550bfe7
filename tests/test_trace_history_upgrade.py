"""Traces and logs that earlier versions kept in ``.motia/motia.db`` (its migration 3 tables) move once
into ``.motia/traces.db`` on start, so that an upgrade keeps its trace history: read back as they
were, never doubled, never lost to an interruption."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.storage import MIGRATIONS
from supervisor.storage._migrations import apply_migrations
from supervisor.tracing import (
    Batch,
    LogQuery,
    Moved,
    SqliteTraceStore,
    TraceDelta,
    TraceQuery,
    move_earlier_traces,
)
from tests.support.earlier_traces import write_earlier_traces
from tests.support.project import write_project
from tests.support.server import MotiaServer

_TABLES = ("traces", "trace_spans", "trace_operations", "logs")


def _earlier_database(path: Path) -> Path:
    """A motia.db as the version before traces.db left it: two traces (one with a span left running),
    their operations, and log lines in and out of a trace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        apply_migrations(conn, [m for m in MIGRATIONS if m.version <= 3], str(path))
        write_earlier_traces(conn)
    return path


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _TABLES}


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    yield _earlier_database(tmp_path / ".motia" / "motia.db"), tmp_path / ".motia" / "traces.db"


async def test_traces_an_earlier_version_kept_in_motia_db_move_to_the_traces_file_once(
    files: tuple[Path, Path],
) -> None:
    database, traces_file = files
    store = await SqliteTraceStore.open(traces_file)
    try:
        # a trace this version recorded before the move: it stays, and stays the newest
        await store.write(Batch({"t-now": TraceDelta(1_800_000_300.0, 1_800_000_301.0, kind="api")}))
        assert move_earlier_traces(database, traces_file) == Moved(traces=2, logs=3)
        assert _counts(database) == dict.fromkeys(_TABLES, 0)
        assert move_earlier_traces(database, traces_file) == Moved()
        # t-now, whole in its batch, is in a segment (supervisor/tracing/_segments.py); the moved ones
        # are rows
        assert _counts(traces_file) == {"traces": 2, "trace_spans": 4, "trace_operations": 2, "logs": 3}
        with sqlite3.connect(traces_file) as conn:
            assert conn.execute("SELECT trace_ids FROM segments").fetchall() == [("t-now",)]

        assert await store.recover() >= 1_800_000_200_000_000
        listed = await store.traces(TraceQuery())
        assert [row["traceId"] for row in listed.traces] == ["t-now", "t-new", "t-old"]
        trace = await store.trace("t-old")
        assert trace is not None
        assert trace["status"] == "ok"  # its running cron span was lost with the earlier process
        assert [(span["spanId"], span["step"], span["status"]) for span in trace["spans"]] == [
            ("s0", "A", "ok"),
            ("s1", "A", "lost"),
        ]
        assert [event.get("topic") or event["message"] for event in trace["events"]] == ["t", "in t-old"]
        by_step = await store.traces(TraceQuery(step="B"))
        assert [row["traceId"] for row in by_step.traces] == ["t-new"]
        logs = await store.logs(LogQuery())
        assert [line["message"] for line in logs.logs] == ["outside any trace", "in t-new", "in t-old"]
        python = await store.logs(LogQuery(runner="python"))  # by the runner column moved lines have too
        assert [line["message"] for line in python.logs] == ["in t-new"]
    finally:
        await store.close()


async def test_a_move_interrupted_in_either_file_neither_loses_nor_doubles(files: tuple[Path, Path]) -> None:
    """An interruption is played by a trigger that fails the write: first in the traces file (the
    copy), then in motia.db (the emptying, after the copy was committed)."""
    database, traces_file = files
    await (await SqliteTraceStore.open(traces_file)).close()  # the schema, as the runtime opens it
    held = _counts(database)
    fail = "BEGIN SELECT RAISE(ABORT, 'interrupted'); END"
    with sqlite3.connect(traces_file, isolation_level=None) as conn:
        conn.execute(f"CREATE TRIGGER interrupt BEFORE INSERT ON logs {fail}")
    with pytest.raises(sqlite3.IntegrityError, match="interrupted"):
        move_earlier_traces(database, traces_file)
    assert _counts(traces_file) == dict.fromkeys(_TABLES, 0)
    assert _counts(database) == held

    with sqlite3.connect(traces_file, isolation_level=None) as conn:
        conn.execute("DROP TRIGGER interrupt")
    with sqlite3.connect(database, isolation_level=None) as conn:
        conn.execute(f"CREATE TRIGGER interrupt BEFORE DELETE ON logs {fail}")
    with pytest.raises(sqlite3.IntegrityError, match="interrupted"):
        move_earlier_traces(database, traces_file)
    assert _counts(traces_file) == held
    assert _counts(database) == held

    with sqlite3.connect(database, isolation_level=None) as conn:
        conn.execute("DROP TRIGGER interrupt")
    assert move_earlier_traces(database, traces_file) == Moved(traces=2, logs=3)
    assert _counts(traces_file) == held
    assert _counts(database) == dict.fromkeys(_TABLES, 0)


async def test_without_a_motia_db_the_move_creates_none(tmp_path: Path) -> None:
    traces_file = tmp_path / "traces.db"
    await (await SqliteTraceStore.open(traces_file)).close()
    assert move_earlier_traces(tmp_path / "motia.db", traces_file) == Moved()
    assert not (tmp_path / "motia.db").exists()


@pytest.mark.e2e
def test_a_project_upgraded_from_an_earlier_version_shows_its_earlier_traces(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "steps/ping.step.ts": """
                export const config = { type: 'api', name: 'Ping', path: '/ping', method: 'GET', emits: [] }
                export const handler = async () => ({ status: 200, body: { ok: true } })
            """
        },
    )
    _earlier_database(project / ".motia" / "motia.db")
    with MotiaServer(project, mode="start") as server:
        listed = server.client.get("/__motia/traces").json()["traces"]
        assert [row["traceId"] for row in listed] == ["t-new", "t-old"]
        logs = server.client.get("/__motia/logs", params={"q": "outside any trace"}).json()["logs"]
        assert [line["message"] for line in logs] == ["outside any trace"]
    assert _counts(project / ".motia" / "motia.db") == dict.fromkeys(_TABLES, 0)
