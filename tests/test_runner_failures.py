"""Runners that crash, hang, leak or misbehave: the supervisor stays up and loses nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

# Per language: an api step that kills its own runner, a healthy api step, and an
# event step whose first attempt kills the runner and whose second succeeds.
SOURCES: dict[str, dict[str, str]] = {
    "ts": {
        "crash": """
            export const config = { type: 'api', name: 'Crash', path: '/crash', method: 'POST', emits: [] }
            export const handler = async () => { process.exit(3) }
        """,
        "ok": """
            export const config = { type: 'api', name: 'Ok', path: '/ok', method: 'GET', emits: ['crash.once'] }
            export const handler = async (_req: any, { emit, traceId }: any) => {
              if (_req.queryParams.emit) await emit({ topic: 'crash.once', data: {} })
              return { status: 200, body: { pid: process.pid, traceId } }
            }
        """,
        "crash-once": """
            export const config = { type: 'event', name: 'CrashOnce', subscribes: ['crash.once'], emits: [] }
            export const handler = async (_input: any, { state, traceId }: any) => {
              const attempts = ((await state.get('attempts', traceId)) ?? 0) + 1
              await state.set('attempts', traceId, attempts)
              if (attempts === 1) process.exit(4)
              await state.set('done', traceId, { attempts })
            }
        """,
        "spin": """
            export const config = { type: 'api', name: 'Spin', path: '/spin', method: 'POST', emits: [] }
            export const handler = async () => {
              const end = Date.now() + 6000
              while (Date.now() < end) { /* blocks the event loop: no heartbeat answers */ }
              return { status: 200, body: {} }
            }
        """,
        "hog": """
            export const config = { type: 'api', name: 'Hog', path: '/hog', method: 'POST', emits: [] }
            const kept: Buffer[] = []
            export const handler = async () => {
              for (let i = 0; i < 40; i++) kept.push(Buffer.alloc(10 * 1024 * 1024, 1))
              await new Promise((resolve) => setTimeout(resolve, 10000))
              return { status: 200, body: {} }
            }
        """,
    },
    "js": {
        "crash": """
            exports.config = { type: 'api', name: 'Crash', path: '/crash', method: 'POST', emits: [] }
            exports.handler = async () => { process.exit(3) }
        """,
        "ok": """
            const config = { type: 'api', name: 'Ok', path: '/ok', method: 'GET', emits: ['crash.once'] }
            const handler = async (req, { emit, traceId }) => {
              if (req.queryParams.emit) await emit({ topic: 'crash.once', data: {} })
              return { status: 200, body: { pid: process.pid, traceId } }
            }
            module.exports = { config, handler }
        """,
        "crash-once": """
            const config = { type: 'event', name: 'CrashOnce', subscribes: ['crash.once'], emits: [] }
            const handler = async (_input, { state, traceId }) => {
              const attempts = ((await state.get('attempts', traceId)) ?? 0) + 1
              await state.set('attempts', traceId, attempts)
              if (attempts === 1) process.exit(4)
              await state.set('done', traceId, { attempts })
            }
            module.exports = { config, handler }
        """,
        "spin": """
            exports.config = { type: 'api', name: 'Spin', path: '/spin', method: 'POST', emits: [] }
            exports.handler = async () => {
              const end = Date.now() + 6000
              while (Date.now() < end) { /* blocks the event loop */ }
              return { status: 200, body: {} }
            }
        """,
        "hog": """
            exports.config = { type: 'api', name: 'Hog', path: '/hog', method: 'POST', emits: [] }
            const kept = []
            exports.handler = async () => {
              for (let i = 0; i < 40; i++) kept.push(Buffer.alloc(10 * 1024 * 1024, 1))
              await new Promise((resolve) => setTimeout(resolve, 10000))
              return { status: 200, body: {} }
            }
        """,
    },
    "py": {
        "crash": """
            import os
            config = {"type": "api", "name": "Crash", "path": "/crash", "method": "POST", "emits": []}
            async def handler(req, context):
                os._exit(3)
        """,
        "ok": """
            import os
            config = {"type": "api", "name": "Ok", "path": "/ok", "method": "GET", "emits": ["crash.once"]}
            async def handler(req, context):
                if req["queryParams"].get("emit"):
                    await context.emit({"topic": "crash.once", "data": {}})
                return {"status": 200, "body": {"pid": os.getpid(), "traceId": context.trace_id}}
        """,
        "crash-once": """
            import os
            config = {"type": "event", "name": "CrashOnce", "subscribes": ["crash.once"], "emits": []}
            async def handler(input_data, context):
                attempts = (await context.state.get("attempts", context.trace_id) or 0) + 1
                await context.state.set("attempts", context.trace_id, attempts)
                if attempts == 1:
                    os._exit(4)
                await context.state.set("done", context.trace_id, {"attempts": attempts})
        """,
        "spin": """
            import os
            import signal
            config = {"type": "api", "name": "Spin", "path": "/spin", "method": "POST", "emits": []}
            async def handler(req, context):
                # Stops the whole process: no heartbeat answers. (A blocked event loop is not enough:
                # the Python runner answers heartbeats from a thread, see test_blocked_loops.py.)
                os.kill(os.getpid(), signal.SIGSTOP)
                return {"status": 200, "body": {}}
        """,
        "hog": """
            import asyncio
            config = {"type": "api", "name": "Hog", "path": "/hog", "method": "POST", "emits": []}
            kept = []
            async def handler(req, context):
                for _ in range(40):
                    kept.append(bytearray(10 * 1024 * 1024))
                await asyncio.sleep(10)
                return {"status": 200, "body": {}}
        """,
    },
}

STATE_READER = """
    export const config = { type: 'api', name: 'ReadState', path: '/state/:group/:key', method: 'GET', emits: [] }
    export const handler = async (req: any, { state }: any) =>
      ({ status: 200, body: { value: await state.get(req.pathParams.group, req.pathParams.key) } })
"""


def failure_project(tmp_path: Path, lang: str, config: dict[str, Any] | None = None) -> Path:
    files = {step_path(lang, stem): source for stem, source in SOURCES[lang].items()}
    files["steps/reader/read-state.step.ts"] = STATE_READER
    return write_project(tmp_path, files, config or {"events": {"retryBackoffMs": 50}})


def runner_info(server: MotiaServer, runner: str) -> dict[str, Any]:
    info: dict[str, Any] = server.client.get("/__motia/health").json()["runners"][runner]
    return info


def runner_of(lang: str) -> str:
    return "python" if lang == "py" else "node"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_api_request_whose_runner_dies_answers_503_and_the_runner_comes_back(
    tmp_path: Path, lang: str
) -> None:
    with MotiaServer(failure_project(tmp_path, lang)) as server:
        before = server.client.get("/ok").json()["pid"]
        response = server.client.post("/crash")
        assert response.status_code == 503
        body = response.json()
        assert body["error"] == "Service Unavailable"
        assert "Crash" in body["message"]
        after = eventually(lambda: (r := server.client.get("/ok")).status_code == 200 and r.json()["pid"])
        assert after != before
        assert runner_info(server, runner_of(lang))["restarts"] >= 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_event_whose_runner_dies_is_retried(tmp_path: Path, lang: str) -> None:
    with MotiaServer(failure_project(tmp_path, lang)) as server:
        trace_id = server.client.get("/ok", params={"emit": "1"}).json()["traceId"]

        def done_record() -> Any:
            response = server.client.get(f"/state/done/{trace_id}")
            return response.status_code == 200 and response.json()["value"]

        done = eventually(done_record, timeout=30)
        assert done == {"attempts": 2}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_runner_that_stops_answering_heartbeats_is_restarted(tmp_path: Path, lang: str) -> None:
    project = failure_project(tmp_path, lang, {"runners": {"heartbeatTimeoutSeconds": 1}})
    with MotiaServer(project) as server:
        runner = runner_of(lang)
        response = server.client.post("/spin", timeout=30)
        assert response.status_code == 503
        eventually(lambda: runner_info(server, runner)["restarts"] >= 1)
        assert eventually(lambda: server.client.get("/ok").status_code == 200)
        assert "no heartbeat" in server.output


@pytest.mark.parametrize("lang", LANGUAGES)
def test_runner_over_its_memory_limit_is_restarted(tmp_path: Path, lang: str) -> None:
    project = failure_project(tmp_path, lang, {"runners": {"memoryLimitMb": 200}})
    with MotiaServer(project) as server:
        response = server.client.post("/hog", timeout=30)
        assert response.status_code == 503
        # the 503 can come before the log line that says why is read from the server's output
        assert eventually(lambda: "over the 200 MB limit" in server.output), server.output
        assert eventually(lambda: server.client.get("/ok").status_code == 200)


def test_runner_writing_garbage_to_its_protocol_channel_is_logged_and_restarted(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "steps/garbage.step.js": """
                const fs = require('fs')
                exports.config = { type: 'api', name: 'Garbage', path: '/garbage', method: 'POST', emits: [] }
                exports.handler = async () => {
                  fs.writeSync(1, 'NOT A FRAME: hello from user code\\n')
                  return { status: 200, body: {} }
                }
            """,
            "steps/ok.step.js": """
                exports.config = { type: 'api', name: 'Ok', path: '/ok', method: 'GET', emits: [] }
                exports.handler = async () => ({ status: 200, body: { pid: process.pid } })
            """,
        },
    )
    with MotiaServer(project) as server:
        before = server.client.get("/ok").json()["pid"]
        assert server.client.post("/garbage").status_code == 503
        assert "NOT A FRAME" in server.output
        assert "other than protocol frames" in server.output
        after = eventually(lambda: (r := server.client.get("/ok")).status_code == 200 and r.json()["pid"])
        assert after != before


def test_a_runner_that_corrupts_its_channel_answers_the_requests_in_flight_at_once(tmp_path: Path) -> None:
    """Garbage on the channel ends the runner, and every request in it is answered 503 right then:
    not when a timer runs out. With an api timeout of 1.5 s, a late answer would be a 504."""
    project = write_project(
        tmp_path,
        {
            "steps/garbage.step.js": """
                const fs = require('fs')
                exports.config = { type: 'api', name: 'Garbage', path: '/garbage', method: 'POST', emits: [] }
                exports.handler = async () => {
                  fs.writeSync(1, 'NOT A FRAME: hello from user code\\n')
                  await new Promise((resolve) => setTimeout(resolve, 20000))
                  return { status: 200, body: {} }
                }
            """,
            "steps/waiting.step.js": """
                exports.config = { type: 'api', name: 'Waiting', path: '/waiting', method: 'POST', emits: [] }
                exports.handler = async () => {
                  await new Promise((resolve) => setTimeout(resolve, 20000))
                  return { status: 200, body: {} }
                }
            """,
        },
        {"apiTimeoutSeconds": 1.5},
    )
    import concurrent.futures

    with MotiaServer(project) as server, concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(server.client.post, "/waiting")
        eventually(lambda: runner_info(server, "node")["inFlight"] == 1)
        garbage = server.client.post("/garbage")
        assert garbage.status_code == 503, garbage.text
        assert "non-protocol output" in garbage.json()["message"]
        assert waiting.result().status_code == 503, waiting.result().text


def test_pool_size_starts_that_many_runners_and_spreads_concurrent_work(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "steps/slow.step.ts": """
                export const config = { type: 'api', name: 'Slow', path: '/slow', method: 'GET', emits: [] }
                export const handler = async () => {
                  await new Promise((resolve) => setTimeout(resolve, 300))
                  return { status: 200, body: { pid: process.pid } }
                }
            """,
        },
        {"runners": {"node": {"poolSize": 2}}},
    )
    import concurrent.futures

    with MotiaServer(project) as server:
        assert len(runner_info(server, "node")["pids"]) == 2
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            pids = set(pool.map(lambda _i: server.client.get("/slow").json()["pid"], range(8)))
        assert len(pids) == 2
