"""The trace writer process (``supervisor.tracing.TraceWriter``) on the real CLI: it starts and stops with
the supervisor, keeps every trace a clean shutdown flushed, is replaced when it dies (requests never
notice), and never outlives a supervisor that was killed."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from supervisor.storage._migrations import apply_migrations
from supervisor.tracing._schema import TRACE_MIGRATIONS
from tests.support.earlier_traces import write_earlier_traces
from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

WRITER_MODULE = "supervisor.tracing._writer_process"
FILES = {
    "steps/ping_step.py": """
        config = {"type": "api", "name": "Ping", "path": "/ping", "method": "GET", "emits": []}
        async def handler(req, context):
            context.logger.info("pinged")
            return {"status": 200, "body": {"ok": True}}
    """,
}


def trace_writers(server: MotiaServer) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(server.proc.pid).children():
        try:
            if WRITER_MODULE in child.cmdline():
                found.append(child)
        except psutil.Error:  # exited meanwhile
            continue
    return found


def the_trace_writer(server: MotiaServer) -> psutil.Process:
    writers = trace_writers(server)
    assert len(writers) == 1, writers
    return writers[0]


def ping(server: MotiaServer) -> str:
    response = server.client.get("/ping")
    assert response.status_code == 200, response.text
    return response.headers["x-trace-id"]


def finished(server: MotiaServer, trace_id: str) -> dict[str, Any] | None:
    response = server.client.get(f"/__motia/traces/{trace_id}")
    if response.status_code != 200:
        return None
    trace: dict[str, Any] = response.json()
    return trace if trace["status"] == "ok" else None


def stored_trace_ids(project: Path) -> set[str]:
    """The traces in the file: rows, and those segments hold (supervisor/tracing/_segments.py)."""
    with sqlite3.connect(project / ".motia" / "traces.db") as conn:
        rows = {row[0] for row in conn.execute("SELECT trace_id FROM traces")}
        for (ids,) in conn.execute("SELECT trace_ids FROM segments"):
            rows.update(ids.split(" "))
        return rows


def test_a_clean_shutdown_stops_the_writer_after_it_wrote_every_trace(tmp_path: Path) -> None:
    project = write_project(tmp_path, FILES)
    server = MotiaServer(project, mode="start").wait_ready()
    try:
        writer = the_trace_writer(server)
        # answered, not yet flushed (the recorder flushes every 0.5 s): the shutdown writes them
        trace_ids = {ping(server) for _ in range(40)}
    finally:
        assert server.stop() == 0, server.output
    assert not writer.is_running()
    assert trace_ids <= stored_trace_ids(project)
    assert "trace writer" not in server.output  # it said nothing: no crash, no complaint


def test_a_killed_writer_is_replaced_and_requests_never_fail(tmp_path: Path) -> None:
    project = write_project(tmp_path, FILES)
    with MotiaServer(project, mode="start") as server:
        before = ping(server)
        eventually(lambda: server.client.get(f"/__motia/traces/{before}").status_code == 200)
        writer = the_trace_writer(server)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)

        after = [ping(server) for _ in range(20)]  # answered as ever, whatever became of their batch
        replacement = eventually(lambda: trace_writers(server), timeout=20)[0]
        assert replacement.pid != writer.pid
        last = ping(server)
        trace = eventually(lambda: finished(server, last), timeout=20)
        assert trace["spans"][0]["step"] == "Ping"
        assert server.client.get(f"/__motia/traces/{before}").status_code == 200  # nothing lost on disk
        assert len(after) == 20
        eventually(lambda: f"trace writer (pid {writer.pid}) exited with code -9" in server.output)


def test_spans_a_killed_writer_left_running_end_as_errors_when_its_replacement_starts(tmp_path: Path) -> None:
    """A span the dead writer stored as running would stay running: its end goes to the replacement,
    which never saw it start. The replacement ends it first, as an error saying why, and its trace
    is no longer open."""
    release = tmp_path / "release"
    files = {
        **FILES,
        "steps/hold_step.py": f"""
            import asyncio, os
            config = {{"type": "api", "name": "Hold", "path": "/hold", "method": "GET", "emits": []}}
            async def handler(req, context):
                while not os.path.exists({str(release)!r}):
                    await asyncio.sleep(0.05)
                return {{"status": 200, "body": {{"held": True}}}}
        """,
    }
    project = write_project(tmp_path / "project", files)
    with MotiaServer(project, mode="start") as server:
        held: list[httpx.Response] = []
        request = threading.Thread(target=lambda: held.append(httpx.get(f"{server.url}/hold", timeout=60)))
        request.start()
        try:

            def running_hold() -> str | None:
                listed = server.client.get("/__motia/traces", params={"step": "Hold"}).json()["traces"]
                return listed[0]["traceId"] if listed and listed[0]["status"] == "running" else None

            trace_id = eventually(running_hold)  # its span is stored, as running
            writer = the_trace_writer(server)
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=10)
            release.touch()  # its end now goes to the replacement
            request.join(timeout=60)
            assert held and held[0].status_code == 200
            eventually(lambda: finished(server, ping(server)), timeout=20)  # a replacement writes

            def ended() -> dict[str, Any] | None:
                trace: dict[str, Any] = server.client.get(f"/__motia/traces/{trace_id}").json()
                return trace if trace["status"] != "running" else None

            trace = eventually(ended, timeout=20)
        finally:
            release.touch()
            request.join(timeout=60)
        assert trace["status"] == "error"
        (span,) = trace["spans"]
        assert (span["step"], span["status"]) == ("Hold", "error")
        assert span["error"]["name"] == "TraceWriterLost"
        assert f"pid {writer.pid}" in span["error"]["message"]
        eventually(lambda: "marked failed" in server.output)


@pytest.mark.parametrize("schema", [1, 2, 3])
def test_a_traces_file_of_an_earlier_schema_is_migrated_when_motia_starts(
    tmp_path: Path, schema: int
) -> None:
    """A ``.motia/traces.db`` an earlier version wrote (schema 1, 2: the last with an index of spans
    by step, or 3: the last without segments) is migrated by the trace writer as it opens it: the server starts, its traces read back
    (by step too), and new ones are written beside them."""
    project = write_project(tmp_path, FILES)
    path = project / ".motia" / "traces.db"
    path.parent.mkdir()
    with sqlite3.connect(path, isolation_level=None) as conn:
        apply_migrations(conn, TRACE_MIGRATIONS[:1], str(path))
        write_earlier_traces(conn, logs=False)
        apply_migrations(conn, TRACE_MIGRATIONS[:schema], str(path))
    with MotiaServer(project, mode="start") as server:
        by_step = server.client.get("/__motia/traces", params={"step": "A"}).json()["traces"]
        assert [trace["traceId"] for trace in by_step] == ["t-old"]
        pinged = eventually(lambda: finished(server, ping(server)))
        assert pinged["spans"][0]["step"] == "Ping"
        # the earlier ones began in 2027 (tests/support/earlier_traces.py): newest
        listed = server.client.get("/__motia/traces").json()["traces"]
        assert [trace["traceId"] for trace in listed][:2] == ["t-new", "t-old"]
        assert pinged["traceId"] in [trace["traceId"] for trace in listed[2:]]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(TRACE_MIGRATIONS)


def test_a_killed_supervisor_leaves_no_writer_behind(tmp_path: Path) -> None:
    project = write_project(tmp_path, FILES)
    server = MotiaServer(project, mode="start").wait_ready()
    try:
        writer = the_trace_writer(server)
        flushed = ping(server)
        eventually(lambda: server.client.get(f"/__motia/traces/{flushed}").status_code == 200)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=10)
        # it sees the end of its stdin, finishes what it was sent and exits
        deadline = time.monotonic() + 15
        while writer.is_running() and writer.status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the trace writer outlived its supervisor"
            time.sleep(0.05)
    finally:
        server.stop()
    assert flushed in stored_trace_ids(project)


def test_a_traces_file_the_writer_cannot_open_stops_the_start_with_the_reason(tmp_path: Path) -> None:
    project = write_project(tmp_path, FILES)
    (project / ".motia").mkdir()
    (project / ".motia" / "traces.db").write_bytes(b"not a database, " * 512)
    server = MotiaServer(project, mode="start")
    try:
        assert server.proc.wait(timeout=60) == 1
    finally:
        server.stop()
    assert "could not start" in server.output
    assert "traces.db" in server.output, server.output
