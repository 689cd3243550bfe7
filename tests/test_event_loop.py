"""``motia start`` runs the supervisor and the Python runner on uvloop (a dependency where it builds;
bench/RESULTS.md has the A/B), and on asyncio's own loop with ``MOTIA_EVENT_LOOP=asyncio``, the way out
if an extension misbehaves on uvloop. Every other end-to-end test runs on the default."""

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


@pytest.mark.parametrize(
    ("choice", "loop_module"),
    [("auto", "uvloop"), ("asyncio", "asyncio.unix_events")],
)
def test_motia_start_runs_on_the_event_loop_chosen(tmp_path: Path, choice: str, loop_module: str) -> None:
    project = write_project(tmp_path / "project", {"steps/loop_step.py": LOOP_STEP})
    with MotiaServer(project, mode="start", env={"MOTIA_EVENT_LOOP": choice}) as server:
        response = server.client.get("/loop")
        assert response.status_code == 200, response.text
        assert response.json() == {"loop": loop_module}  # the Python runner's loop
        assert uvloop_loaded(server.proc.pid) == (loop_module == "uvloop")  # the supervisor's


def test_an_unknown_event_loop_choice_is_named_and_the_default_used(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"steps/loop_step.py": LOOP_STEP})
    with MotiaServer(project, mode="start", env={"MOTIA_EVENT_LOOP": "trio"}) as server:
        assert server.client.get("/loop").json() == {"loop": "uvloop"}
        assert "MOTIA_EVENT_LOOP=trio is not one of auto, uvloop, asyncio: using auto" in server.output
