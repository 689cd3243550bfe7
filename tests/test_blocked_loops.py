"""Handlers that block their runner's event loop in synchronous code: reported, routed around, and
the runner killed only when it must be.

Real runners, real blocking calls: ``time.sleep`` inside ``async def`` (the shape of a synchronous
SDK call in a Python agent), a busy loop in a Node handler.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from supervisor.protocol import ContextCall, TriggerKind
from supervisor.runners import ContextCallError, PoolSettings, RunnerPool
from supervisor.runners._spec import python_spec
from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

BLOCK_SECONDS = 12

BLOCK = {
    "ts": f"""
        export const config = {{ type: 'api', name: 'Block', path: '/block', method: 'POST', emits: [] }}
        export const handler = async () => {{
          const end = Date.now() + {BLOCK_SECONDS * 1000}
          while (Date.now() < end) {{ /* synchronous: nothing else runs on this loop */ }}
          return {{ status: 200, body: {{ pid: process.pid }} }}
        }}
    """,
    "js": f"""
        exports.config = {{ type: 'api', name: 'Block', path: '/block', method: 'POST', emits: [] }}
        exports.handler = async () => {{
          const end = Date.now() + {BLOCK_SECONDS * 1000}
          while (Date.now() < end) {{ /* synchronous: nothing else runs on this loop */ }}
          return {{ status: 200, body: {{ pid: process.pid }} }}
        }}
    """,
    "py": f"""
        import os
        import time
        config = {{"type": "api", "name": "Block", "path": "/block", "method": "POST", "emits": []}}
        async def handler(req, context):
            time.sleep({BLOCK_SECONDS})  # a synchronous SDK call inside async def
            return {{"status": 200, "body": {{"pid": os.getpid()}}}}
    """,
}

OK = {
    "ts": """
        export const config = { type: 'api', name: 'Ok', path: '/ok', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, body: { pid: process.pid } })
    """,
    "js": """
        exports.config = { type: 'api', name: 'Ok', path: '/ok', method: 'GET', emits: [] }
        exports.handler = async () => ({ status: 200, body: { pid: process.pid } })
    """,
    "py": """
        import os
        config = {"type": "api", "name": "Ok", "path": "/ok", "method": "GET", "emits": []}
        async def handler(req, context):
            return {"status": 200, "body": {"pid": os.getpid()}}
    """,
}


def runner_of(lang: str) -> str:
    return "python" if lang == "py" else "node"


def health(server: MotiaServer, runner: str) -> dict[str, Any]:
    info: dict[str, Any] = server.client.get("/__motia/health").json()["runners"][runner]
    return info


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_handler_blocking_its_event_loop_is_reported_by_step_and_other_requests_keep_answering(
    tmp_path: Path, lang: str
) -> None:
    """While one handler holds its runner's loop for 12 s, requests to the other steps of that
    language are answered by another runner (a spare, the pool having one runner), long before the
    blocked one. A Python runner answers heartbeats from a thread, so the blocked handler finishes
    (200); a Node runner answers them from its loop and is killed at the heartbeat timeout (10 s),
    the kill naming the step."""
    runner = runner_of(lang)
    project = write_project(
        tmp_path, {step_path(lang, "block"): BLOCK[lang], step_path(lang, "ok"): OK[lang]}
    )
    with MotiaServer(project) as server, concurrent.futures.ThreadPoolExecutor(2) as pool:
        before = health(server, runner)["pids"]
        blocked = pool.submit(server.client.post, "/block")
        eventually(lambda: health(server, runner)["inFlight"] >= 1)
        if lang == "py":
            # Sent before the supervisor can know: it reaches the blocked runner, which declines it.
            early = pool.submit(server.client.get, "/ok")
        warning = f"step Block has blocked the event loop of runner {runner}-0"
        # a hang guard only: that the warning came while the loop was held is what `not blocked.done()` proves
        eventually(lambda: warning in server.output, timeout=30)
        if lang == "py":
            assert early.result().status_code == 200
        answered: list[int] = []
        while len(answered) < 3:
            response = server.client.get("/ok")
            assert response.status_code == 200, response.text
            answered.append(response.json()["pid"])
        assert not blocked.done(), "the other requests waited for the blocked handler"
        assert set(answered).isdisjoint(before), "answered by the blocked runner"

        response = blocked.result()
        if lang == "py":
            assert response.status_code == 200, response.text
            assert response.json()["pid"] in before
            assert health(server, runner)["restarts"] == 0
            assert re.search(r"at steps/py/block_step\.py:\d+ in handler: time\.sleep\(12\)", server.output)
            assert "make the handler a plain `def`" in server.output
            eventually(lambda: "the event loop of runner python-0 runs again" in server.output)
        else:
            assert response.status_code == 503, response.text
            assert (
                "no heartbeat within 10s: its event loop was blocked by step Block"
                in response.json()["message"]
            )
            eventually(lambda: health(server, runner)["restarts"] >= 1)
        assert server.client.get("/ok").status_code == 200


def test_an_import_that_blocks_the_loop_is_reported_at_the_users_import_line_not_inside_importlib(
    tmp_path: Path,
) -> None:
    """A handler that imports a slow package lazily (as MotiaDev's airbnb example imports its SDKs)
    blocks the loop inside importlib's frozen frames, whose names ("<frozen importlib._bootstrap>")
    are no files, beneath a chain of imports deeper than the stack the report keeps (40 frames): the
    report names the handler's import line, the innermost frame of the project."""
    elsewhere = tmp_path / "elsewhere"  # an installed package: outside the project's own code
    chain = {f"slow_sdk{'' if i == 0 else i}.py": f"import slow_sdk{i + 1}\n" for i in range(10)}
    chain["slow_sdk10.py"] = "import time\n\ntime.sleep(3)\n"
    write_project(elsewhere, chain)
    project = write_project(
        tmp_path / "app",
        {
            step_path("py", "importer"): f"""
                import sys
                sys.path.insert(0, {str(elsewhere)!r})
                config = {{"type": "api", "name": "Importer", "path": "/import", "method": "POST", "emits": []}}
                async def handler(req, context):
                    import slow_sdk
                    return {{"status": 200, "body": {{}}}}
            """
        },
    )
    with MotiaServer(project) as server:
        assert server.client.post("/import").status_code == 200
        warning = eventually(
            lambda: next((line for line in server.lines if "has blocked the event loop" in line), None)
        )
    assert "at steps/py/importer_step.py:5 in handler: import slow_sdk." in warning, warning


def test_a_python_loop_blocked_past_its_handler_timeout_restarts_the_runner_naming_the_step(
    tmp_path: Path,
) -> None:
    """A runner that still answers heartbeats but whose loop never comes back is not left stuck:
    once the stall outlasts the timeout of the invocation holding it, the runner is restarted."""
    project = write_project(
        tmp_path,
        {
            step_path("py", "forever"): """
                import time
                config = {"type": "api", "name": "Forever", "path": "/forever", "method": "POST", "emits": []}
                async def handler(req, context):
                    while True:
                        time.sleep(0.2)
            """,
            step_path("py", "ok"): OK["py"],
        },
        {"apiTimeoutSeconds": 2},
    )
    with MotiaServer(project) as server:
        before = health(server, "python")["pids"]
        response = server.client.post("/forever")
        assert response.status_code == 504, response.text
        eventually(lambda: health(server, "python")["restarts"] >= 1, timeout=20)
        assert "its event loop was blocked for" in server.output
        assert "by step Forever, at steps/py/forever_step.py:" in server.output
        assert "past its limit of 2s" in server.output
        after = eventually(lambda: (r := server.client.get("/ok")).status_code == 200 and r.json()["pid"])
        assert after not in before


def test_a_frozen_python_runner_is_told_apart_from_a_busy_one(tmp_path: Path) -> None:
    """A process that answers nothing at all (here: stopped) is dead, not busy: killed at the
    heartbeat timeout, with a message saying so."""
    project = write_project(
        tmp_path,
        {
            step_path("py", "freeze"): """
                import os
                import signal
                config = {"type": "api", "name": "Freeze", "path": "/freeze", "method": "POST", "emits": []}
                async def handler(req, context):
                    os.kill(os.getpid(), signal.SIGSTOP)
            """,
            step_path("py", "ok"): OK["py"],
        },
        {"runners": {"heartbeatTimeoutSeconds": 2}},
    )
    with MotiaServer(project) as server:
        response = server.client.post("/freeze", timeout=httpx.Timeout(30))
        assert response.status_code == 503, response.text
        assert "no heartbeat within 2s: the process answered nothing" in response.json()["message"]
        assert "has answered no heartbeat for" in server.output
        assert eventually(lambda: server.client.get("/ok").status_code == 200)


async def test_a_spare_runner_serves_while_the_pool_is_blocked_and_stops_once_idle(tmp_path: Path) -> None:
    """The pool (real Python runners) starts one spare for work that waits behind a blocked loop,
    and stops it once it has been idle, with a runner free, for ``spare_idle``."""
    release = tmp_path / "release"
    write_project(
        tmp_path,
        {
            "steps/block_step.py": f"""
                import os
                import time
                config = {{"type": "api", "name": "Block", "path": "/block", "method": "POST", "emits": []}}
                async def handler(req, context):
                    while not os.path.exists({str(release)!r}):  # holds the loop until the test says
                        time.sleep(0.05)
                    return {{"status": 200, "body": {{"pid": os.getpid()}}}}
            """,
            "steps/ok_step.py": OK["py"],
        },
    )

    async def refuse(call: ContextCall) -> object:
        raise ContextCallError("no context calls here")

    pool = RunnerPool(
        python_spec(tmp_path),
        tmp_path,
        "info",
        refuse,
        ["steps/block_step.py", "steps/ok_step.py"],
        [],
        PoolSettings(size=1, spares=2, spare_idle=1.0),
    )
    await pool.start()
    try:
        (runner,) = pool.pids()
        blocked = asyncio.create_task(
            pool.invoke("steps/block_step.py", "Block", TriggerKind.API, b"{}", "t1")
        )
        await asyncio.sleep(0)  # the blocking invocation is sent first
        assert pool.in_flight == 1
        answers = [
            orjson.loads(
                (await pool.invoke("steps/ok_step.py", "Ok", TriggerKind.API, b"{}", f"t{n}")).result_json
            )
            for n in range(3)
        ]
        assert not blocked.done()
        spares = {answer["body"]["pid"] for answer in answers}
        assert len(spares) == 1 and runner not in spares  # one spare, however many waited
        release.touch()
        assert (await blocked).ok
        async with asyncio.timeout(30):
            while pool.pids() != [runner]:  # noqa: ASYNC110 - polling what the pool reports
                await asyncio.sleep(0.1)
    finally:
        release.touch()
        await pool.stop(1.0)
