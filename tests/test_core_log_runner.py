"""The lines the core writes about a step's run (its handler failed, the event is retried, dead-lettered)
carry the runner process that ran it, as the step's own lines do: read by runner (the Logs panel,
``motia logs``, the JSON lines), they show beside them. The real CLI on a temp project, in each language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

# An event step that fails every attempt (two: one retry) and an api step that fails, each logging first.
SOURCES = {
    "ts": (
        """
        export const config = { type: 'event', name: 'Flaky', subscribes: ['flaky'], emits: [],
          infrastructure: { queue: { maxRetries: 1 } } }
        export const handler = async (input: unknown, { logger }: any) => {
          logger.info('about to fail')
          throw new Error('not today')
        }
        """,
        """
        export const config = { type: 'api', name: 'Broken', path: '/broken', method: 'POST', emits: [] }
        export const handler = async (req: unknown, { logger }: any) => {
          logger.info('about to fail')
          throw new Error('not today')
        }
        """,
    ),
    "js": (
        """
        exports.config = { type: 'event', name: 'Flaky', subscribes: ['flaky'], emits: [],
          infrastructure: { queue: { maxRetries: 1 } } }
        exports.handler = async (input, { logger }) => {
          logger.info('about to fail')
          throw new Error('not today')
        }
        """,
        """
        exports.config = { type: 'api', name: 'Broken', path: '/broken', method: 'POST', emits: [] }
        exports.handler = async (req, { logger }) => {
          logger.info('about to fail')
          throw new Error('not today')
        }
        """,
    ),
    "py": (
        """
        config = {"type": "event", "name": "Flaky", "subscribes": ["flaky"], "emits": [],
                  "infrastructure": {"queue": {"maxRetries": 1}}}
        async def handler(input, context):
            context.logger.info("about to fail")
            raise RuntimeError("not today")
        """,
        """
        config = {"type": "api", "name": "Broken", "path": "/broken", "method": "POST", "emits": []}
        async def handler(req, context):
            context.logger.info("about to fail")
            raise RuntimeError("not today")
        """,
    ),
}


def trace_logs(server: MotiaServer, trace_id: str) -> list[dict[str, Any]]:
    answer = server.client.get("/__motia/logs", params={"traceId": trace_id, "limit": 1000})
    assert answer.status_code == 200, answer.text
    logs: list[dict[str, Any]] = answer.json()["logs"]
    return logs


def runners_of(logs: list[dict[str, Any]], says: str) -> list[str | None]:
    return [line["runner"] for line in logs if says in line["message"]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_cores_lines_about_a_steps_run_name_the_runner_that_ran_it(tmp_path: Path, lang: str) -> None:
    event_step, api_step = SOURCES[lang]
    files = {step_path(lang, "flaky"): event_step, step_path(lang, "broken"): api_step}
    project = write_project(tmp_path, files, config={"events": {"retryBackoffMs": 10}})
    with MotiaServer(project, mode="dev") as server:
        emitted = server.client.post("/__motia/emit", json={"topic": "flaky", "data": {}})
        assert emitted.status_code == 200, emitted.text
        trace_id = emitted.json()["traceId"]
        logs = eventually(
            lambda: (
                (found := trace_logs(server, trace_id)) and runners_of(found, "dead-letter queue") and found
            )
        )
        broken = server.client.post("/broken", json={})
        assert broken.status_code == 500, broken.text
        api_logs = eventually(lambda: trace_logs(server, broken.headers["x-trace-id"]))
    own = set(runners_of(logs, "about to fail"))
    assert len(own) >= 1 and None not in own, logs
    runner = "python" if lang == "py" else "node"
    assert all(str(name).startswith(runner) for name in own), own
    core = {
        "handler failed (attempt": 2,
        "retrying in": 1,
        "moved to the dead-letter queue after 2 attempt(s)": 1,
    }
    for says, times in core.items():
        tagged = runners_of(logs, says)
        assert len(tagged) == times and set(tagged) <= own, (says, logs)
    [api_runner] = runners_of(api_logs, "about to fail")
    assert api_runner is not None
    assert runners_of(api_logs, "api handler failed") == [api_runner], api_logs
