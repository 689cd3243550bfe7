"""A handler that runs past its timeout is logged by the core, at error level, alike for api, event and
cron steps: which step, in which trace, after how many seconds and in which runner. Without the line,
a 504, a retried event or a failed cron run left nothing in the Logs panel, ``motia logs`` or the trace
to say why. The real CLI on a temp project, in each language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

# An api, an event and a cron step that each log, then outlast their one-second timeout.
SOURCES = {
    "ts": (
        """
        export const config = { type: 'api', name: 'SlowApi', path: '/slow', method: 'POST', emits: [] }
        export const handler = async (req: unknown, { logger }: any) => {
          logger.info('about to sleep')
          await new Promise((resolve) => setTimeout(resolve, 20000))
          return { status: 200, body: {} }
        }
        """,
        """
        export const config = { type: 'event', name: 'SlowEvent', subscribes: ['slow'], emits: [],
          infrastructure: { handler: { timeout: 1 }, queue: { maxRetries: 0 } } }
        export const handler = async (input: unknown, { logger }: any) => {
          logger.info('about to sleep')
          await new Promise((resolve) => setTimeout(resolve, 20000))
        }
        """,
        """
        export const config = { type: 'cron', name: 'SlowCron', cron: '0 0 1 1 *', emits: [],
          infrastructure: { handler: { timeout: 1 } } }
        export const handler = async ({ logger }: any) => {
          logger.info('about to sleep')
          await new Promise((resolve) => setTimeout(resolve, 20000))
        }
        """,
    ),
    "js": (
        """
        exports.config = { type: 'api', name: 'SlowApi', path: '/slow', method: 'POST', emits: [] }
        exports.handler = async (req, { logger }) => {
          logger.info('about to sleep')
          await new Promise((resolve) => setTimeout(resolve, 20000))
          return { status: 200, body: {} }
        }
        """,
        """
        exports.config = { type: 'event', name: 'SlowEvent', subscribes: ['slow'], emits: [],
          infrastructure: { handler: { timeout: 1 }, queue: { maxRetries: 0 } } }
        exports.handler = async (input, { logger }) => {
          logger.info('about to sleep')
          await new Promise((resolve) => setTimeout(resolve, 20000))
        }
        """,
        """
        exports.config = { type: 'cron', name: 'SlowCron', cron: '0 0 1 1 *', emits: [],
          infrastructure: { handler: { timeout: 1 } } }
        exports.handler = async ({ logger }) => {
          logger.info('about to sleep')
          await new Promise((resolve) => setTimeout(resolve, 20000))
        }
        """,
    ),
    "py": (
        """
        import asyncio
        config = {"type": "api", "name": "SlowApi", "path": "/slow", "method": "POST", "emits": []}
        async def handler(req, context):
            context.logger.info("about to sleep")
            await asyncio.sleep(20)
            return {"status": 200, "body": {}}
        """,
        """
        import asyncio
        config = {"type": "event", "name": "SlowEvent", "subscribes": ["slow"], "emits": [],
                  "infrastructure": {"handler": {"timeout": 1}, "queue": {"maxRetries": 0}}}
        async def handler(input, context):
            context.logger.info("about to sleep")
            await asyncio.sleep(20)
        """,
        """
        import asyncio
        config = {"type": "cron", "name": "SlowCron", "cron": "0 0 1 1 *", "emits": [],
                  "infrastructure": {"handler": {"timeout": 1}}}
        async def handler(context):
            context.logger.info("about to sleep")
            await asyncio.sleep(20)
        """,
    ),
}


def trace_logs(server: MotiaServer, trace_id: str) -> list[dict[str, Any]]:
    answer = server.client.get("/__motia/logs", params={"traceId": trace_id, "limit": 1000})
    assert answer.status_code == 200, answer.text
    logs: list[dict[str, Any]] = answer.json()["logs"]
    return logs


def logged(server: MotiaServer, trace_id: str, says: str) -> list[dict[str, Any]]:
    """The trace's lines, once one of them ``says``."""
    logs: list[dict[str, Any]] = eventually(
        lambda: (found := trace_logs(server, trace_id)) and lines_saying(found, says) and found
    )
    return logs


def lines_saying(logs: list[dict[str, Any]], says: str) -> list[dict[str, Any]]:
    return [line for line in logs if says in line["message"]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_handler_past_its_timeout_is_logged_with_its_step_trace_timeout_and_runner(
    tmp_path: Path, lang: str
) -> None:
    api_step, event_step, cron_step = SOURCES[lang]
    files = {
        step_path(lang, "slow_api"): api_step,
        step_path(lang, "slow_event"): event_step,
        step_path(lang, "slow_cron"): cron_step,
    }
    project = write_project(tmp_path, files, config={"apiTimeoutSeconds": 1})
    with MotiaServer(project, mode="dev") as server:
        answered = server.client.post("/slow", json={})
        assert answered.status_code == 504, answered.text
        emitted = server.client.post("/__motia/emit", json={"topic": "slow", "data": {}})
        assert emitted.status_code == 200, emitted.text
        ran = server.client.post("/__motia/cron/SlowCron/run", params={"wait": "1"})
        assert ran.status_code == 500, ran.text
        assert "cron handler timed out after 1s" in ran.json()["message"], ran.text
        runs = {
            "api handler timed out after 1s": ("SlowApi", answered.headers["x-trace-id"]),
            "handler timed out after 1s (attempt 1)": ("SlowEvent", emitted.json()["traceId"]),
            "cron handler timed out after 1s": ("SlowCron", ran.json()["traceId"]),
        }
        logs = {says: logged(server, trace_id, says) for says, (_, trace_id) in runs.items()}
    runner = "python" if lang == "py" else "node"
    for says, (step, trace_id) in runs.items():
        [own] = lines_saying(logs[says], "about to sleep")
        assert str(own["runner"]).startswith(runner), own
        [line] = lines_saying(logs[says], says)
        assert line["level"] == "error", line
        assert line["step"] == step and line["traceId"] == trace_id, line
        assert line["runner"] == own["runner"], (line, own)
        assert line["meta"] == {"timeoutSeconds": 1}, line
