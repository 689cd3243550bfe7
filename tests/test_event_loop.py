"""``motia start`` runs the supervisor on uvloop (a dependency where it builds; bench/RESULTS.md has the
A/B), and on asyncio's own loop with ``MOTIA_EVENT_LOOP=asyncio``, the way out if an extension misbehaves
on uvloop. The Python runner stays on asyncio's loop either way (supervisor/cli/_event_loop.py says
why). Every other end-to-end test runs on the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

LOOP_STEP = """
import asyncio

config = {"type": "api", "name": "Loop", "path": "/loop", "method": "GET", "emits": []}


async def handler(req, context):
    return {"status": 200, "body": {"loop": type(asyncio.get_running_loop()).__module__}}
"""


def uvloop_loaded(pid: int) -> bool:
    return "/uvloop/" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(("choice", "on_uvloop"), [("auto", True), ("asyncio", False)])
def test_motia_start_runs_on_the_event_loop_chosen(tmp_path: Path, choice: str, on_uvloop: bool) -> None:
    project = write_project(tmp_path / "project", {"steps/loop_step.py": LOOP_STEP})
    with MotiaServer(project, mode="start", env={"MOTIA_EVENT_LOOP": choice}) as server:
        response = server.client.get("/loop")
        assert response.status_code == 200, response.text
        assert response.json() == {"loop": "asyncio.unix_events"}  # the Python runner's, always
        assert uvloop_loaded(server.proc.pid) == on_uvloop  # the supervisor's


def test_an_unknown_event_loop_choice_is_named_and_the_default_used(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"steps/loop_step.py": LOOP_STEP})
    with MotiaServer(project, mode="start", env={"MOTIA_EVENT_LOOP": "trio"}) as server:
        assert uvloop_loaded(server.proc.pid)
        assert "MOTIA_EVENT_LOOP=trio is not one of auto, uvloop, asyncio: using auto" in server.output
