"""Who pays for a runner death: the invocation that was alone in its runner, never its bystanders.

Real faults, real runners: a step that kills its runner (exits, passes the memory limit,
stops answering heartbeats, blocks its event loop past its timeout) while healthy events of
another step are in flight in the same runner. The healthy ones have no retry budget at all (maxRetries 0),
so a single death charged to them would dead-letter them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

HEALTHY_SECONDS = 2.0  # well past a memory check (every 1 s) and a heartbeat timeout (1 s)

HEALTHY = {
    "ts": f"""
        export const config = {{
          type: 'event', name: 'Healthy', subscribes: ['work'], emits: [],
          infrastructure: {{ queue: {{ maxRetries: 0 }} }},
        }}
        export const handler = async (input: any, {{ state, traceId }}: any) => {{
          await new Promise((resolve) => setTimeout(resolve, {HEALTHY_SECONDS * 1000}))
          await state.set('healthy', traceId, input)
        }}
    """,
    "js": f"""
        exports.config = {{
          type: 'event', name: 'Healthy', subscribes: ['work'], emits: [],
          infrastructure: {{ queue: {{ maxRetries: 0 }} }},
        }}
        exports.handler = async (input, {{ state, traceId }}) => {{
          await new Promise((resolve) => setTimeout(resolve, {HEALTHY_SECONDS * 1000}))
          await state.set('healthy', traceId, input)
        }}
    """,
    "py": f"""
        import asyncio
        config = {{
            "type": "event", "name": "Healthy", "subscribes": ["work"], "emits": [],
            "infrastructure": {{"queue": {{"maxRetries": 0}}}},
        }}
        async def handler(input_data, context):
            await asyncio.sleep({HEALTHY_SECONDS})
            await context.state.set("healthy", context.trace_id, input_data)
    """,
}

# Each counts its attempts in state before it brings its runner down.
CRASHERS = {
    "exit": (
        "js",
        """
        exports.config = {
          type: 'event', name: 'Crasher', subscribes: ['crash'], emits: [],
          infrastructure: { queue: { maxRetries: 2 } },
        }
        exports.handler = async (input, { state, traceId }) => {
          await state.set('attempts', traceId, ((await state.get('attempts', traceId)) ?? 0) + 1)
          process.exit(7)
        }
        """,
    ),
    "memory": (
        "ts",
        """
        export const config = {
          type: 'event', name: 'Crasher', subscribes: ['crash'], emits: [],
          infrastructure: { queue: { maxRetries: 2 } },
        }
        const kept: Buffer[] = []
        export const handler = async (input: any, { state, traceId }: any) => {
          await state.set('attempts', traceId, ((await state.get('attempts', traceId)) ?? 0) + 1)
          for (let i = 0; i < 30; i++) kept.push(Buffer.alloc(10 * 1024 * 1024, 1))
          await new Promise((resolve) => setTimeout(resolve, 10000))
        }
        """,
    ),
    "heartbeat": (
        "py",
        """
        import os
        import signal
        config = {
            "type": "event", "name": "Crasher", "subscribes": ["crash"], "emits": [],
            "infrastructure": {"queue": {"maxRetries": 2}},
        }
        async def handler(input_data, context):
            attempts = (await context.state.get("attempts", context.trace_id) or 0) + 1
            await context.state.set("attempts", context.trace_id, attempts)
            os.kill(os.getpid(), signal.SIGSTOP)  # the whole runner stops: no heartbeat answers
        """,
    ),
}

READ_STATE_PY = """
    config = {"type": "api", "name": "ReadState", "path": "/state/:group/:key", "method": "GET", "emits": []}
    async def handler(req, context):
        value = await context.state.get(req["pathParams"]["group"], req["pathParams"]["key"])
        return {"status": 200, "body": {"value": value}}
"""

READER = """
    export const config = { type: 'api', name: 'ReadState', path: '/state/:group/:key', method: 'GET', emits: [] }
    export const handler = async (req: any, { state }: any) =>
      ({ status: 200, body: { value: await state.get(req.pathParams.group, req.pathParams.key) } })
"""


def emit(server: MotiaServer, topic: str, data: Any) -> str:
    response = server.client.post("/__motia/emit", json={"topic": topic, "data": data})
    assert response.status_code == 200, response.text
    trace_id: str = response.json()["traceId"]
    return trace_id


def state(server: MotiaServer, group: str, key: str) -> Any:
    return server.client.get(f"/state/{group}/{key}").json()["value"]


def runners(server: MotiaServer, language: str) -> dict[str, Any]:
    info: dict[str, Any] = server.client.get("/__motia/health").json()["runners"][language]
    return info


@pytest.mark.parametrize("fault", list(CRASHERS))
def test_a_step_that_kills_its_runner_pays_for_it_and_the_healthy_events_in_flight_do_not(
    tmp_path: Path, fault: str
) -> None:
    lang, crasher = CRASHERS[fault]
    language = "python" if lang == "py" else "node"
    project = write_project(
        tmp_path,
        {
            step_path(lang, "healthy"): HEALTHY[lang],
            step_path(lang, "crasher"): crasher,
            # The reader lives in the other runner, so reads work while this one restarts.
            **({"steps/reader/read_state_step.py": READ_STATE_PY} if language == "node" else {}),
            **({"steps/reader/read-state.step.ts": READER} if language == "python" else {}),
        },
        {
            "events": {"retryBackoffMs": 50, "retryBackoffMaxMs": 200},
            "runners": {"memoryLimitMb": 250, "heartbeatTimeoutSeconds": 1},
        },
    )
    with MotiaServer(project) as server:
        healthy: list[str] = []
        crashing: list[str] = []
        for round_ in range(2):  # the runner is brought down once per round, with healthy work in it
            healthy += [emit(server, "work", {"round": round_, "n": n}) for n in range(2)]
            crashing.append(emit(server, "crash", {"round": round_}))
            restarted = round_ + 1
            eventually(lambda: runners(server, language)["restarts"] >= restarted, timeout=30)  # noqa: B023
            eventually(lambda: runners(server, language)["pids"], timeout=30)

        def dead_letters() -> list[dict[str, Any]]:
            entries: list[dict[str, Any]] = server.client.get("/__motia/dead-letters").json()["deadLetters"]
            return entries

        eventually(lambda: len(dead_letters()) == len(crashing), timeout=90)
        for trace_id in healthy:
            assert eventually(lambda: state(server, "healthy", trace_id), timeout=60)  # noqa: B023
        entries = dead_letters()
        assert {entry["subscriber"] for entry in entries} == {"Crasher"}
        assert sorted(entry["traceId"] for entry in entries) == sorted(crashing)
        for entry in entries:
            # 1 + maxRetries charged attempts, all alone; the first, shared one was free.
            assert entry["attempts"] == 3, entry
            assert state(server, "attempts", entry["traceId"]) == 4
        assert runners(server, language)["isolated"]["restarts"] >= 3 * len(crashing) - 1
        assert "without spending a retry" in server.output


def test_a_step_that_blocks_its_event_loop_past_its_timeout_pays_and_the_bystanders_do_not(
    tmp_path: Path,
) -> None:
    """The runner is killed because one invocation held its loop past that invocation's timeout: the
    culprit is known, so it alone is charged; the healthy event that was in flight beside it (no
    retry budget at all) is re-run for free, even though it was the only other one there."""
    project = write_project(
        tmp_path,
        {
            step_path("py", "healthy"): HEALTHY["py"],
            step_path("py", "blocker"): """
                import time
                config = {
                    "type": "event", "name": "Blocker", "subscribes": ["block"], "emits": [],
                    "infrastructure": {"handler": {"timeout": 2}, "queue": {"maxRetries": 1}},
                }
                async def handler(input_data, context):
                    attempts = (await context.state.get("attempts", context.trace_id) or 0) + 1
                    await context.state.set("attempts", context.trace_id, attempts)
                    while True:
                        time.sleep(0.2)  # holds the event loop for good
            """,
            "steps/reader/read-state.step.ts": READER,
        },
        {"events": {"retryBackoffMs": 50, "retryBackoffMaxMs": 200}},
    )
    with MotiaServer(project) as server:
        healthy = emit(server, "work", {"n": 1})
        eventually(lambda: runners(server, "python")["inFlight"] >= 1)
        blocker = emit(server, "block", {})

        def dead_letters() -> list[dict[str, Any]]:
            entries: list[dict[str, Any]] = server.client.get("/__motia/dead-letters").json()["deadLetters"]
            return entries

        (entry,) = eventually(dead_letters, timeout=90)
        assert (entry["subscriber"], entry["traceId"], entry["attempts"]) == ("Blocker", blocker, 2)
        assert state(server, "attempts", blocker) == 2
        assert eventually(lambda: state(server, "healthy", healthy), timeout=60) == {"n": 1}
        assert runners(server, "python")["restarts"] >= 1
        assert "another invocation's doing, not counted" in server.output
        assert "by step Blocker, at steps/py/blocker_step.py:" in server.output


HUNGRY = {
    "ts": """
        export const config = {
          type: 'event', name: 'Hungry', subscribes: ['eat'], emits: [],
          infrastructure: { handler: { ram: 128 }, queue: { maxRetries: 1 } },
        }
        const kept: Buffer[] = []
        export const handler = async (input: any, { state, traceId }: any) => {
          await state.set('attempts', traceId, ((await state.get('attempts', traceId)) ?? 0) + 1)
          kept.push(Buffer.alloc(200 * 1024 * 1024, 1))
        }
    """,
    "js": """
        exports.config = {
          type: 'event', name: 'Hungry', subscribes: ['eat'], emits: [],
          infrastructure: { handler: { ram: 128 }, queue: { maxRetries: 1 } },
        }
        const kept = []
        exports.handler = async (input, { state, traceId }) => {
          await state.set('attempts', traceId, ((await state.get('attempts', traceId)) ?? 0) + 1)
          kept.push(Buffer.alloc(200 * 1024 * 1024, 1))
        }
    """,
    # This one holds on: caught by the periodic memory check rather than when it returns.
    "py": """
        import asyncio
        config = {
            "type": "event", "name": "Hungry", "subscribes": ["eat"], "emits": [],
            "infrastructure": {"handler": {"ram": 128}, "queue": {"maxRetries": 1}},
        }
        async def handler(input_data, context):
            attempts = (await context.state.get("attempts", context.trace_id) or 0) + 1
            await context.state.set("attempts", context.trace_id, attempts)
            hoard = b"\\x01" * (200 * 1024 * 1024)
            await asyncio.sleep(5)
            return len(hoard)
    """,
}

MODEST = {
    "ts": """
        export const config = {
          type: 'event', name: 'Modest', subscribes: ['eat'], emits: [],
          infrastructure: { handler: { ram: 128 } },
        }
        export const handler = async (input: any, { state, traceId }: any) => {
          await state.set('modest', traceId, Buffer.alloc(1024 * 1024, 1).length)
        }
    """,
    "js": """
        exports.config = {
          type: 'event', name: 'Modest', subscribes: ['eat'], emits: [],
          infrastructure: { handler: { ram: 128 } },
        }
        exports.handler = async (input, { state, traceId }) => {
          await state.set('modest', traceId, Buffer.alloc(1024 * 1024, 1).length)
        }
    """,
    "py": """
        config = {
            "type": "event", "name": "Modest", "subscribes": ["eat"], "emits": [],
            "infrastructure": {"handler": {"ram": 128}},
        }
        async def handler(input_data, context):
            await context.state.set("modest", context.trace_id, len(b"\\x01" * (1024 * 1024)))
    """,
}


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_step_over_its_handler_ram_recycles_the_runner_and_is_retried(tmp_path: Path, lang: str) -> None:
    language = "python" if lang == "py" else "node"
    project = write_project(
        tmp_path,
        {
            step_path(lang, "hungry"): HUNGRY[lang],
            step_path(lang, "modest"): MODEST[lang],
            **({"steps/reader/read_state_step.py": READ_STATE_PY} if language == "node" else {}),
            **({"steps/reader/read-state.step.ts": READER} if language == "python" else {}),
        },
        {"events": {"retryBackoffMs": 50, "retryBackoffMaxMs": 200}},  # global limit: 1024 MB
    )
    with MotiaServer(project) as server:
        before = runners(server, language)["pids"]
        trace_id = emit(server, "eat", {})

        def dead_letters() -> list[dict[str, Any]]:
            entries: list[dict[str, Any]] = server.client.get("/__motia/dead-letters").json()["deadLetters"]
            return entries

        try:
            (entry,) = eventually(dead_letters, timeout=120)
        except AssertionError as exc:
            raise AssertionError(f"no dead letter for Hungry\n{server.output}") from exc
        assert entry["subscriber"] == "Hungry"
        assert entry["attempts"] == 2  # 1 + maxRetries charged, each one alone in its runner
        assert "step Hungry grew the runner by" in entry["error"]
        assert "over its handler.ram of 128 MB" in entry["error"]
        # A first run that overlapped Modest's (a slow machine) cannot be told apart from Modest's
        # growth: it is not charged and runs again isolated, so Hungry may have run 3 times.
        assert state(server, "attempts", trace_id) in (2, 3)
        # The step that stayed under its limit on the same event was not disturbed.
        assert state(server, "modest", trace_id) == 1024 * 1024
        # The runner that grew was recycled.
        assert eventually(lambda: (pids := runners(server, language)["pids"]) and pids != before, timeout=30)
