"""Shutdown, cron overlap, environment: the process-level behaviour of ``motia dev|start``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.project import write_project
from tests.support.raw_socket import RawSocket
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e


def test_sigterm_finishes_in_flight_requests_then_exits_zero(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/slow.step.ts": """
                export const config = { type: 'api', name: 'Slow', path: '/slow', method: 'GET', emits: [] }
                export const handler = async (req, { logger }) => {
                  logger.info('slow request started')
                  await new Promise((resolve) => setTimeout(resolve, 1500))
                  return { status: 200, body: { finished: true } }
                }
            """,
            "steps/slow_step.py": """
                import asyncio
                config = {"type": "api", "name": "SlowPy", "path": "/slow-py", "method": "GET", "emits": []}
                async def handler(req, context):
                    context.logger.info("slow request started")
                    await asyncio.sleep(1.5)
                    return {"status": 200, "body": {"finished": True}}
            """,
        },
    )
    server = MotiaServer(tmp_path, mode="start").wait_ready()
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            pending = [
                pool.submit(httpx.get, f"{server.url}{path}", timeout=30) for path in ("/slow", "/slow-py")
            ]
            # both in their handlers: one still on its way when the signal comes is not in flight
            eventually(lambda: server.output.count("slow request started") == 2)
            server.proc.send_signal(signal.SIGTERM)
            responses = [future.result() for future in pending]
        assert server.proc.wait(timeout=30) == 0
    finally:
        server.stop()  # even after a failure: a server left running fails a later test (ResourceWarning)
    assert [r.json() for r in responses] == [{"finished": True}, {"finished": True}]


def test_requests_still_running_past_the_grace_get_a_json_503_and_the_log_stays_json_lines(
    tmp_path: Path,
) -> None:
    write_project(
        tmp_path,
        {
            "steps/hang_step.py": """
                import asyncio
                config = {"type": "api", "name": "Hang", "path": "/hang", "method": "POST", "emits": []}
                async def handler(req, context):
                    await asyncio.sleep(3600)
            """,
            "steps/hang_cron_step.py": """
                import asyncio
                config = {"type": "cron", "name": "HangCron", "cron": "0 0 1 1 *", "emits": []}
                async def handler(context):
                    await asyncio.sleep(3600)
            """,
        },
        {"shutdownGraceSeconds": 1},
    )
    server = MotiaServer(tmp_path, mode="start").wait_ready()
    # an api step (served by the ASGI front) and an internal endpoint (served by quart), both hung
    paths = ("/hang", "/__motia/cron/HangCron/run?wait=1")
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            pending = [pool.submit(httpx.post, f"{server.url}{path}", json={}, timeout=30) for path in paths]
            eventually(
                lambda: server.client.get("/__motia/health").json()["runners"]["python"]["inFlight"] == 2
            )
            server.proc.send_signal(signal.SIGTERM)
            responses = [future.result() for future in pending]
        assert server.proc.wait(timeout=30) == 0
    finally:
        server.stop()  # even after a failure: a server left running fails a later test (ResourceWarning)
    for response in responses:
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "Service Unavailable"
        assert "shutdownGraceSeconds" in response.json()["message"]
    lines = [line for line in server.lines if line.strip()]
    not_json = [line for line in lines if not line.startswith("{")]
    assert not not_json, "motia start wrote lines that are not JSON records:\n" + "\n".join(not_json)
    assert any("still running when the server stopped" in r["msg"] for r in server.json_logs())


def test_cron_tick_finding_the_previous_run_still_going_is_skipped(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/slow_cron_step.py": """
                import asyncio
                config = {"type": "cron", "name": "SlowCron", "cron": "* * * * * *", "emits": []}
                async def handler(context):
                    runs = (await context.state.get("cron", "runs") or 0) + 1
                    await context.state.set("cron", "runs", runs)
                    await asyncio.sleep(2.5)
            """,
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        eventually(lambda: "previous run still in progress" in server.output, timeout=30)
        assert "SlowCron" in server.output


def test_dotenv_values_reach_the_steps(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            ".env": "GREETING=hello from dotenv\n",
            "steps/env.step.js": """
                exports.config = { type: 'api', name: 'Env', path: '/env', method: 'GET', emits: [] }
                exports.handler = async () => ({ status: 200, body: { greeting: process.env.GREETING } })
            """,
            "steps/env_step.py": """
                import os
                config = {"type": "api", "name": "EnvPy", "path": "/env-py", "method": "GET", "emits": []}
                async def handler(req, context):
                    return {"status": 200, "body": {"greeting": os.environ.get("GREETING")}}
            """,
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        assert server.client.get("/env").json() == {"greeting": "hello from dotenv"}
        assert server.client.get("/env-py").json() == {"greeting": "hello from dotenv"}


def test_dev_puts_the_stack_in_500_bodies_and_start_does_not(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/throw.step.ts": """
                export const config = { type: 'api', name: 'Throw', path: '/throw', method: 'GET', emits: [] }
                export const handler = async () => { throw new Error('kaboom') }
            """
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        body = server.client.get("/throw").json()
        assert "kaboom" in body["stack"]
        eventually(lambda: body["errorId"] in server.output)


def test_state_survives_a_restart_on_the_embedded_default(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/put.step.ts": """
                export const config = { type: 'api', name: 'Put', path: '/kv/:key', method: 'PUT', emits: [] }
                export const handler = async (req: any, { state }: any) =>
                  ({ status: 200, body: await state.set('kv', req.pathParams.key, req.body) })
            """,
            "steps/get_step.py": """
                config = {"type": "api", "name": "Get", "path": "/kv/:key", "method": "GET", "emits": []}
                async def handler(req, context):
                    return {"status": 200, "body": await context.state.get("kv", req.pathParams["key"])}
            """,
        },
    )
    with MotiaServer(tmp_path, mode="start") as server:
        server.client.put("/kv/a", json={"v": 1})
    assert (tmp_path / ".motia" / "motia.db").exists()
    with MotiaServer(tmp_path, mode="start") as server:
        assert server.client.get("/kv/a").json() == {"v": 1}


def test_memory_adapter_keeps_nothing_on_disk(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/put.step.ts": """
                export const config = { type: 'api', name: 'Put', path: '/kv/:key', method: 'PUT', emits: [] }
                export const handler = async (req: any, { state }: any) =>
                  ({ status: 200, body: await state.set('kv', req.pathParams.key, req.body) })
            """,
        },
        {"state": {"adapter": "memory"}, "streams": {"adapter": "memory"}, "events": {"adapter": "memory"}},
    )
    with MotiaServer(tmp_path, mode="start") as server:
        assert server.client.put("/kv/a", json={"v": 1}).json() == {"v": 1}
    assert not (tmp_path / ".motia").exists()


def test_traces_alone_on_sqlite_keep_their_file_and_create_no_motia_db(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/ping.step.ts": """
                export const config = { type: 'api', name: 'Ping', path: '/ping', method: 'GET', emits: [] }
                export const handler = async () => ({ status: 200, body: { ok: true } })
            """,
        },
        {
            "state": {"adapter": "memory"},
            "streams": {"adapter": "memory"},
            "events": {"adapter": "memory"},
            "tracing": {"adapter": "sqlite"},
        },
    )
    with MotiaServer(tmp_path, mode="start") as server:
        trace_id = server.client.get("/ping").headers["x-trace-id"]
        eventually(lambda: server.client.get(f"/__motia/traces/{trace_id}").status_code == 200)
    assert (tmp_path / ".motia" / "traces.db").exists()
    assert not (tmp_path / ".motia" / "motia.db").exists()


def test_start_on_sqlite_never_imports_the_redis_client(tmp_path: Path) -> None:
    """The Redis client is a fifth of a second of a supervisor's start (and of its trace writer's):
    on the embedded default, with state, an emit, its delivery and the trace all used, no process of
    ``motia start`` imports it (what each imports, as ``python -X importtime`` lists it)."""
    write_project(
        tmp_path,
        {
            "steps/put.step.ts": """
                export const config = { type: 'api', name: 'Put', path: '/kv/:key', method: 'PUT', emits: ['put'] }
                export const handler = async (req: any, { state, emit }: any) => {
                  await emit({ topic: 'put', data: { key: req.pathParams.key } })
                  return { status: 200, body: await state.set('kv', req.pathParams.key, req.body) }
                }
            """,
            "steps/copy_step.py": """
                config = {"type": "event", "name": "Copy", "subscribes": ["put"], "emits": []}

                async def handler(data, ctx):
                    await ctx.state.set("copies", data["key"], True)
            """,
        },
    )
    with MotiaServer(tmp_path, mode="start", env={"PYTHONPROFILEIMPORTTIME": "1"}) as server:
        answer = server.client.put("/kv/a", json={"v": 1})
        eventually(
            lambda: server.client.get(f"/__motia/traces/{answer.headers['x-trace-id']}").status_code == 200
        )
        eventually(
            lambda: server.client.get("/__motia/state/item", params={"groupId": "copies", "key": "a"}).json()
        )
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in server.output.splitlines()
        if line.startswith("import time:")
    }
    assert {"supervisor.core._runtime", "supervisor.storage._database", "sqlite3"} <= imported
    assert sorted(name for name in imported if name == "redis" or name.startswith("redis.")) == []


def test_ctrl_c_in_a_terminal_stops_everything_cleanly(tmp_path: Path) -> None:
    """Ctrl-C signals the whole foreground process group; runners must not die before the supervisor."""
    import os
    import subprocess

    from tests.support.server import free_port, motia_argv

    project = tmp_path / "project"
    started = tmp_path / "started"  # outside the project, which motia dev watches
    write_project(
        project,
        {
            "steps/ok.step.ts": f"""
                import {{ writeFileSync }} from 'fs'
                export const config = {{ type: 'api', name: 'Ok', path: '/ok', method: 'GET', emits: [] }}
                export const handler = async () => {{
                  writeFileSync({str(started)!r}, '')
                  await new Promise((resolve) => setTimeout(resolve, 1000))
                  return {{ status: 200, body: {{ ok: true }} }}
                }}
            """,
            "steps/ok_step.py": """
                config = {"type": "api", "name": "OkPy", "path": "/ok-py", "method": "GET", "emits": []}
                async def handler(req, context):
                    return {"status": 200, "body": {"ok": True}}
            """,
        },
    )
    port = free_port()
    with subprocess.Popen(
        motia_argv("dev", "--project", str(project), "-p", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a shell gives a foreground job
    ) as proc:
        try:
            eventually(
                lambda: httpx.get(f"http://127.0.0.1:{port}/ok-py", timeout=1).status_code == 200, timeout=60
            )
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                in_flight = pool.submit(httpx.get, f"http://127.0.0.1:{port}/ok", timeout=30)
                # in its handler: one still on its way when the signal comes is not in flight
                eventually(started.exists)
                os.killpg(proc.pid, signal.SIGINT)
                assert in_flight.result().json() == {"ok": True}
            output, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    text = output.decode()
    assert proc.returncode == 0, text
    assert "restarting" not in text
    assert "stopped" in text


def test_api_handler_over_its_timeout_answers_504_and_the_runner_keeps_serving(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/slow.step.js": """
                exports.config = { type: 'api', name: 'Slow', path: '/slow', method: 'GET', emits: [] }
                exports.handler = async () => {
                  await new Promise((resolve) => setTimeout(resolve, 3000))
                  return { status: 200, body: {} }
                }
            """,
            "steps/fast.step.js": """
                exports.config = { type: 'api', name: 'Fast', path: '/fast', method: 'GET', emits: [] }
                exports.handler = async () => ({ status: 200, body: { fast: true } })
            """,
        },
        {"apiTimeoutSeconds": 1},
    )
    with MotiaServer(tmp_path) as server:
        response = server.client.get("/slow")
        assert response.status_code == 504
        assert "did not finish within 1s" in response.json()["message"]
        assert server.client.get("/fast").json() == {"fast": True}


@pytest.mark.parametrize(
    ("server_name", "mode", "stop_signal"),
    [
        ("uvicorn", "dev", signal.SIGINT),
        ("hypercorn", "dev", signal.SIGTERM),
        ("uvicorn", "start", signal.SIGTERM),
        ("hypercorn", "start", signal.SIGINT),
    ],
    ids=["uvicorn-dev-ctrl-c", "hypercorn-dev-sigterm", "uvicorn-start-sigterm", "hypercorn-start-ctrl-c"],
)
def test_a_stop_ends_the_live_streams_at_once_while_a_request_in_flight_finishes(
    tmp_path: Path, server_name: str, mode: str, stop_signal: signal.Signals
) -> None:
    """The Workbench's live streams (the Logs' tail, a Streams group's updates: SSE) and Motia's stream
    clients (WebSocket) stay open as long as the client likes: a stop must end them, cleanly, rather
    than wait out the grace (60 s here) and cut them; a request in flight still finishes."""
    gate = tmp_path / "let-the-request-finish"
    write_project(
        tmp_path,
        {
            "steps/items.stream.js": """
                exports.config = {
                  name: 'items', schema: { type: 'object' }, baseConfig: { storageType: 'default' },
                }
            """,
            "steps/gated_step.py": f"""
                import asyncio
                from pathlib import Path
                config = {{"type": "api", "name": "Gated", "path": "/gated", "method": "GET", "emits": []}}
                async def handler(req, context):
                    while not Path({str(gate)!r}).exists():
                        await asyncio.sleep(0.05)
                    return {{"status": 200, "body": {{"finished": True}}}}
            """,
        },
        {"shutdownGraceSeconds": 60},
    )
    server = MotiaServer(tmp_path, mode=mode, env={"MOTIA_HTTP_SERVER": server_name}).wait_ready()
    try:
        asyncio.run(_stop_with_live_streams_open(server, stop_signal, gate))
        # well before the grace: nothing was left to wait for
        assert server.proc.wait(timeout=30) == 0, server.output
    finally:
        server.stop()
    assert "Traceback" not in server.output, server.output


async def _stop_with_live_streams_open(server: MotiaServer, stop_signal: signal.Signals, gate: Path) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        in_flight = asyncio.create_task(http.get("/gated"))
        logs = await _LiveEvents.open(http, "/__motia/logs/stream")
        group = await _LiveEvents.open(http, "/__motia/sse/items/g")
        socket = await RawSocket.open(server.port)
        try:
            socket.join("items", "g")
            assert (await socket.next())["event"]["type"] == "sync"
            await asyncio.to_thread(
                eventually,
                lambda: server.client.get("/__motia/health").json()["runners"]["python"]["inFlight"] == 1,
            )
            server.proc.send_signal(stop_signal)
            # each ends while the request is still held (an SSE client reading to the end of its
            # chunked answer: a cut raises here; a WebSocket client getting a close frame)
            try:
                await asyncio.wait_for(asyncio.gather(logs.to_the_end(), group.to_the_end()), 30)
            except TimeoutError:
                pytest.fail("the event streams were still open 30 s after the stop (grace: 60 s)")
            closed = await socket.until_closed(timeout=30)
            assert closed is not None and closed.code == 1001, closed
            assert not in_flight.done()
        finally:
            socket.close()
            await asyncio.to_thread(gate.touch)
        response = await in_flight
        assert (response.status_code, response.json()) == (200, {"finished": True})
        assert "sync" in group.seen  # it was live: the group's sync came before its end
        # the log stream's last event says why it ended (motia logs -f waits for the next server)
        assert logs.seen[-1:] == ["stopping"], logs.seen


class _LiveEvents:
    """An event stream (SSE) read as a client reads it, to its end."""

    def __init__(self, response: httpx.Response, lines: AsyncIterator[str]) -> None:
        self.response = response
        self._lines = lines
        self.seen: list[str] = []

    @classmethod
    async def open(cls, http: httpx.AsyncClient, path: str) -> _LiveEvents:
        request = http.build_request("GET", path, headers={"accept": "text/event-stream"})
        response = await http.send(request, stream=True)
        assert response.status_code == 200, await response.aread()
        live = cls(response, response.aiter_lines())
        assert (await anext(live._lines)).startswith("retry:")  # it is open
        return live

    async def to_the_end(self) -> None:
        """Reads until the server ends the stream; httpx raises if it was cut instead."""
        async for line in self._lines:
            if line.startswith("event:"):
                self.seen.append(line.removeprefix("event:").strip())
        await self.response.aclose()
