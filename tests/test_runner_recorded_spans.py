"""An api step's span recorded by its runner (``Invoke.span``, ``Recorder.runner_span``): the trace
reads as when the core recorded it, in TypeScript, JavaScript and Python; a span still running is
seen running, what the handler does lands under it, a failure keeps its located stack and an answer
the core made instead of the handler's is the one recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

EXTENSIONS = {"ts": ".step.ts", "js": ".step.js", "py": "_step.py"}
LANGUAGES = {"ts": "typescript", "js": "javascript", "py": "python"}

FILES = {
    "steps/hello.step.ts": """
        export const config = { type: 'api', name: 'HelloTs', path: '/ts/hello', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, body: { ok: true } })
    """,
    "steps/hello.step.js": """
        exports.config = { type: 'api', name: 'HelloJs', path: '/js/hello', method: 'GET', emits: [] }
        exports.handler = async () => ({ status: 200, body: { ok: true } })
    """,
    "steps/hello_step.py": """
        config = {"type": "api", "name": "HelloPy", "path": "/py/hello", "method": "GET", "emits": []}

        async def handler(req, ctx):
            return {"status": 200, "body": {"ok": True}}
    """,
    "steps/slow.step.ts": """
        export const config = { type: 'api', name: 'SlowTs', path: '/ts/slow', method: 'GET', emits: [] }
        export const handler = async () => {
          await new Promise((resolve) => setTimeout(resolve, 3000))
          return { status: 200, body: { ok: true } }
        }
    """,
    "steps/slow_step.py": """
        import asyncio

        config = {"type": "api", "name": "SlowPy", "path": "/py/slow", "method": "GET", "emits": []}

        async def handler(req, ctx):
            await asyncio.sleep(3)
            return {"status": 200, "body": {"ok": True}}
    """,
    "steps/busy.step.ts": """
        export const config = { type: 'api', name: 'BusyTs', path: '/ts/busy', method: 'POST', emits: ['busy.done'] }
        export const handler = async (req: any, { state, logger, emit }: any) => {
          await state.set('busy', 'k', { n: 1 })
          logger.info('busy working')
          await emit({ topic: 'busy.done', data: {} })
          return { status: 201, body: {} }
        }
    """,
    "steps/busy_step.py": """
        config = {"type": "api", "name": "BusyPy", "path": "/py/busy", "method": "POST", "emits": ["busy.done"]}

        async def handler(req, ctx):
            await ctx.state.set("busy", "k", {"n": 1})
            ctx.logger.info("busy working")
            await ctx.emit({"topic": "busy.done", "data": {}})
            return {"status": 201, "body": {}}
    """,
    "steps/boom.step.ts": """
        export const config = { type: 'api', name: 'BoomTs', path: '/ts/boom', method: 'GET', emits: [] }
        type Why = { why: string }
        export const handler = async () => {
          const why: Why = { why: 'no reason' }
          throw new Error(`boom: ${why.why}`)
        }
    """,
    "steps/boom_step.py": """
        config = {"type": "api", "name": "BoomPy", "path": "/py/boom", "method": "GET", "emits": []}

        async def handler(req, ctx):
            raise ValueError("boom")
    """,
    "steps/refused.step.ts": """
        export const config = { type: 'api', name: 'RefusedTs', path: '/ts/refused', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, headers: { 'x-bad': 'a\\nb' }, body: {} })
    """,
    "steps/refused_step.py": """
        config = {"type": "api", "name": "RefusedPy", "path": "/py/refused", "method": "GET", "emits": []}

        async def handler(req, ctx):
            return {"status": 200, "headers": {"x-bad": "a\\nb"}, "body": {}}
    """,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = write_project(tmp_path_factory.mktemp("runner_spans"), FILES)
    with MotiaServer(project) as running:
        yield running


def trace_of(server: MotiaServer, trace_id: str, done: bool = True) -> dict[str, Any]:
    def read() -> dict[str, Any] | None:
        response = server.client.get(f"/__motia/traces/{trace_id}")
        if response.status_code != 200:
            return None
        trace: dict[str, Any] = response.json()
        return trace if not done or trace["status"] != "running" else None

    found: dict[str, Any] = eventually(read, timeout=20)
    return found


def runners(server: MotiaServer) -> dict[str, int]:
    """Runner id -> pid."""
    listed = server.client.get("/__motia/runners").json()
    return {runner["id"]: runner["pid"] for runner in listed["runners"]}


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_trivial_requests_trace_names_its_span_runner_pid_status_and_answer(
    server: MotiaServer, lang: str
) -> None:
    before = time.time()
    response = server.client.get(f"/{lang}/hello")
    after = time.time()
    assert response.status_code == 200
    trace_id = response.headers["x-trace-id"]
    trace = trace_of(server, trace_id)
    step = f"Hello{lang.capitalize()}"
    assert trace["status"] == "ok"
    assert trace["entry"] == {
        "type": "api",
        "step": step,
        "method": "GET",
        "path": f"/{lang}/hello",
        "statusCode": 200,
    }
    [span] = trace["spans"]
    assert (span["step"], span["type"], span["language"], span["status"]) == (
        step,
        "api",
        LANGUAGES[lang],
        "ok",
    )
    assert (span["statusCode"], span["parentSpanId"], span["error"]) == (200, None, None)
    assert runners(server)[span["runner"]] == span["pid"]
    assert (
        before * 1000 - 5 <= span["startedAt"] <= span["startedAt"] + span["durationMs"] <= after * 1000 + 5
    )
    assert trace_id in [
        t["traceId"] for t in server.client.get("/__motia/traces", params={"step": step}).json()["traces"]
    ]


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_a_long_handler_is_seen_running_before_it_ends(server: MotiaServer, lang: str) -> None:
    answers: list[httpx.Response] = []
    started = time.time()
    request = threading.Thread(
        target=lambda: answers.append(httpx.get(f"{server.url}/{lang}/slow", timeout=30))
    )
    request.start()

    def running() -> dict[str, Any] | None:
        page = server.client.get("/__motia/traces", params={"step": f"Slow{lang.capitalize()}"}).json()
        return next((t for t in page["traces"] if t["status"] == "running"), None)

    seen = eventually(running, timeout=2.5)
    assert time.time() - started < 2.5  # before the handler's 3 s are up
    request.join()
    [response] = answers
    assert response.status_code == 200
    trace = trace_of(server, seen["traceId"])
    [span] = trace["spans"]
    assert (span["status"], span["statusCode"]) == ("ok", 200)
    assert runners(server)[span["runner"]] == span["pid"]
    assert span["durationMs"] >= 2900


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_what_a_handler_does_is_recorded_under_its_span(server: MotiaServer, lang: str) -> None:
    response = server.client.post(f"/{lang}/busy", json={})
    assert response.status_code == 201
    trace = trace_of(server, response.headers["x-trace-id"])
    [span] = trace["spans"]
    assert (span["status"], span["statusCode"], trace["entry"]["statusCode"]) == ("ok", 201, 201)
    under = [
        (e["type"], e.get("name"), e.get("message")) for e in trace["events"] if e["spanId"] == span["spanId"]
    ]
    assert ("state", "state.set", None) in under
    assert ("emit", "emit", None) in under
    assert ("log", None, "busy working") in under


@pytest.mark.parametrize(
    ("lang", "file", "line"), [("ts", "steps/boom.step.ts", 5), ("py", "steps/boom_step.py", 4)]
)
def test_a_failing_handlers_stack_points_at_the_users_line(
    server: MotiaServer, lang: str, file: str, line: int
) -> None:
    response = server.client.get(f"/{lang}/boom")
    assert response.status_code == 500
    trace = trace_of(server, response.headers["x-trace-id"])
    [span] = trace["spans"]
    assert (span["status"], span["statusCode"], trace["status"]) == ("error", 500, "error")
    assert "boom" in span["error"]["message"]
    assert (span["error"]["location"]["file"], span["error"]["location"]["line"]) == (file, line)


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_an_answer_the_core_refused_records_the_cores_status(server: MotiaServer, lang: str) -> None:
    response = server.client.get(f"/{lang}/refused")
    assert response.status_code == 500
    trace = trace_of(server, response.headers["x-trace-id"])
    [span] = trace["spans"]
    assert (span["statusCode"], span["status"], trace["status"]) == (500, "error", "error")
    assert trace["entry"]["statusCode"] == 500
