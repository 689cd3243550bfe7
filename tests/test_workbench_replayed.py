"""A trace whose step failed every attempt, was dead-lettered, then replayed and ran ok (car-alert's
agent, its API key fixed): the Workbench's trace says so, in Debian's Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

FLAKY = {
    "steps/alert.step.js": """
        exports.config = { type: 'api', name: 'Alert', path: '/alert', method: 'POST', emits: ['alert.received'] }
        exports.handler = async (req, { emit }) => {
          await emit({ topic: 'alert.received', data: {} })
          return { status: 200, body: {} }
        }
    """,
    "steps/agent.step.js": """
        exports.config = {
          type: 'event', name: 'Agent', subscribes: ['alert.received'], emits: [],
          infrastructure: { queue: { maxRetries: 1 } },
        }
        exports.handler = async (input, { state }) => {
          if ((await state.get('settings', 'apiKey')) === null) throw new Error('Connection error.')
        }
    """,
}


def test_a_dead_lettered_step_replayed_ok_reads_so_in_its_trace(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The failure's heading goes on with what became of its event: dead-lettered, then replayed at
    a time, and ok (it ended there, in red, in a trace marked ok); the replayed attempt's label says
    replayed. The listing counts the trace's ``failures`` as what failed for good: 1 once the event
    was dead-lettered after two failed attempts, 0 once its replay ran ok."""
    project = write_project(tmp_path / "project", FLAKY)
    with MotiaServer(project, mode="dev") as server:
        trace_id = server.client.post("/alert", json={}).headers["x-trace-id"]
        letters = eventually(lambda: server.client.get("/__motia/dead-letters").json()["deadLetters"])
        # two failed attempts, one failure: the delivery that failed for good (what makes it an error)
        failed = eventually(lambda: _listed(server, trace_id, "error"))
        spans = server.client.get(f"/__motia/traces/{trace_id}").json()["spans"]
        assert [span["status"] for span in spans] == ["ok", "error", "error"] and failed["failures"] == 1
        server.client.put("/__motia/state/item", params={"groupId": "settings", "key": "apiKey"}, json="sk")
        assert server.client.post(f"/__motia/dead-letters/{letters[0]['id']}/replay").status_code == 200
        eventually(lambda: server.client.get(f"/__motia/traces/{trace_id}").json()["spanCount"] == 4)
        assert eventually(lambda: _listed(server, trace_id, "ok"))["failures"] == 0  # replayed: none for good
        seen = run_driver(
            client_packages, "workbench-replayed-driver.mjs", chromium, server.url, str(tmp_path), trace_id
        )
    assert "failure" not in seen, seen["failure"]
    [heading] = seen["failures"]
    assert re.fullmatch(
        r"Agent failed \(attempts 1, 2\): Error: Connection error\. · "
        r"dead-lettered, replayed at \d\d:\d\d:\d\d\.\d\d\d: ok",
        heading,
    ), heading
    assert [(s["step"], s["status"], s["attempt"], s["replayed"]) for s in seen["spans"]] == [
        ("Alert", "ok", None, False),
        ("Agent", "error", None, False),
        ("Agent", "error", "#2", False),
        ("Agent", "ok", None, True),
    ]
    assert seen["consoleErrors"] == []


def _listed(server: MotiaServer, trace_id: str, status: str) -> dict[str, Any] | None:
    """The trace's row in the traces listing, once it has ``status``."""
    listed = server.client.get("/__motia/traces", params={"traceId": trace_id, "status": status}).json()
    rows: list[dict[str, Any]] = listed["traces"]
    return rows[0] if rows else None
