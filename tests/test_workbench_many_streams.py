"""The Workbench following more streams than Chromium opens connections to one host, in Debian's
Chromium: the page's stream subscriptions share one WebSocket, so its panels' reads still go out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.test_workbench import _driven_through_restarts

pytestmark = pytest.mark.e2e

STREAMS = [f"s{n}" for n in range(1, 8)]

MANY_STREAMS_STEPS = {
    **{
        f"steps/{name}.stream.js": f"""
            exports.config = {{ name: '{name}', schema: {{ type: 'object' }}, baseConfig: {{ storageType: 'default' }} }}
        """
        for name in STREAMS
    },
    "steps/work.step.js": """
        exports.config = { type: 'api', name: 'Work', path: '/work', method: 'GET', emits: [] }
        exports.handler = async (req, { streams, traceId }) => {
          for (const name of ['s1', 's2', 's3', 's4', 's5', 's6', 's7']) await streams[name].set(traceId, 'started', { by: 'Work' })
          await streams.s1.set('board', traceId, { by: 'Work' }) // a group other requests write to too
          return { status: 200, body: { done: true } }
        }
    """,
    "steps/touch.step.js": """
        exports.config = { type: 'api', name: 'Touch', path: '/touch/:stream/:group', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          await streams[req.pathParams.stream].set(req.pathParams.group, 'touched', { by: 'the test' })
          return { status: 200, body: {} }
        }
    """,
}


def test_a_request_that_follows_seven_streams_leaves_the_panels_reads_answered(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """A request sent from the Endpoints panel follows the group its trace wrote to in each of the
    app's seven streams (one EventSource each took all six connections Chromium opens to a host, and one more
    waited): every subscription syncs, the panel's poll and the health line's read are answered
    meanwhile, an item set in the seventh stream shows, and the page opened one WebSocket for all.
    The server stopped and started again on its port: the socket opens again once the health line
    sees it back (not before: no failed attempt), its subscriptions joined again, and an item set in
    the first stream then shows."""
    project = write_project(tmp_path / "project", MANY_STREAMS_STEPS)
    driver = "workbench-many-streams-driver.mjs"
    with _driven_through_restarts(project, tmp_path / "signals", chromium, client_packages, driver) as run:
        run.restart("streams")
    seen = run.seen

    # the group its trace wrote to in each stream, and the shared board
    assert seen["rooms"] == len(STREAMS) + 1 and seen["synced"] == len(STREAMS) + 1, seen
    # on the board: the item it wrote, not the one written before it by another request (counted)
    assert sorted(seen["board"], key=lambda line: line["hidden"]) == [
        {"kind": "written", "id": seen["traceId"], "hidden": False},
        {"kind": "there", "id": "touched", "hidden": True},
    ], seen
    assert seen["others"] == "1", seen
    # an item another request sets in a group it wrote to: shown as it comes, marked so
    assert seen["touchedMarked"], seen
    assert seen["answered"]["steps"] >= 2 and seen["answered"]["health"] >= 1, seen
    assert seen["created"] and seen["createdAfterRestart"], seen
    assert seen["errorShown"] == ""
    assert seen["sockets"] == ["/", "/"]  # one, then one again after the restart
    # the health line's reads that failed while the server was down; no socket's attempt
    assert all(error.startswith("Failed to load resource: ") for error in seen["expectedErrors"]), seen
    assert seen["consoleErrors"] == []
