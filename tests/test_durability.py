"""What survives the supervisor being killed (SIGKILL): every acknowledged emit and state write."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

FILES = {
    "steps/slow.step.js": """
        exports.config = { type: 'event', name: 'Slow', subscribes: ['job'], emits: [] }
        exports.handler = async (input, { state }) => {
          await new Promise((resolve) => setTimeout(resolve, 50))
          await state.set('done', String(input.n), input.n)
        }
    """,
    "steps/put.step.js": """
        exports.config = { type: 'api', name: 'Put', path: '/put/:key', method: 'POST', emits: [] }
        exports.handler = async (req, { state }) => {
          await state.set('kept', req.pathParams.key, req.body)
          return { status: 200, body: {} }
        }
    """,
    "steps/count.step.js": """
        exports.config = { type: 'api', name: 'Count', path: '/count/:group', method: 'GET', emits: [] }
        exports.handler = async (req, { state }) =>
          ({ status: 200, body: { count: (await state.getGroup(req.pathParams.group)).length } })
    """,
}


def test_acknowledged_emits_and_state_writes_survive_a_sigkill_of_the_supervisor(tmp_path: Path) -> None:
    # A small window, so that most of the backlog is on disk when the supervisor dies.
    project = write_project(tmp_path, FILES, {"events": {"concurrency": 4}})
    events = 300
    with MotiaServer(project) as first:
        assert first.client.post("/put/a", json={"v": 1}).status_code == 200
        for n in range(events):
            response = first.client.post("/__motia/emit", json={"topic": "job", "data": {"n": n}})
            assert response.status_code == 200
        first.proc.kill()  # SIGKILL: no shutdown, no flush, in-flight handlers cut short
        first.proc.wait(timeout=10)
    with MotiaServer(project) as second:
        assert eventually(lambda: second.client.get("/count/done").json()["count"] == events, timeout=90)
        assert second.client.get("/count/kept").json()["count"] == 1
