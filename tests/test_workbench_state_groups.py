"""The State panel's list of groups in Debian's Chromium, with groups named as MotiaDev's examples name
them: by a trace id (wake-surf-club) or a prefix and a session id (car-alert)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

REMEMBER = {
    "steps/remember.step.js": """
        exports.config = { type: 'api', name: 'Remember', path: '/remember', method: 'POST', emits: [] }
        exports.handler = async (req, { state, traceId }) => {
          await state.set(traceId, 'seen', true)
          await state.set(`car_alerts_${traceId}`, 'chunk_0', { text: 'Engine hot' })
          await state.set('friends', 'ann', { name: 'Ann' })
          return { status: 200, body: { traceId } }
        }
    """,
}


def test_a_long_group_name_is_shown_whole_not_cut_at_the_lists_edge(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """A group named by a trace id differs from the next in its last characters (those log lines
    show): the list shows every name whole, wrapped, where it cut the end off."""
    project = write_project(tmp_path / "project", REMEMBER)
    with MotiaServer(project, mode="dev") as server:
        trace_id = server.client.post("/remember", json={}).json()["traceId"]
        seen = run_driver(
            client_packages, "workbench-state-groups-driver.mjs", chromium, server.url, str(tmp_path)
        )
    assert "failure" not in seen, seen["failure"]
    assert {group["name"] for group in seen["groups"]} == {trace_id, f"car_alerts_{trace_id}", "friends"}
    for group in seen["groups"]:
        assert group["text"] == group["name"] and not group["clipped"], group
    assert seen["consoleErrors"] == []
