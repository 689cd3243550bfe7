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


# An event step failing the same way on each of its four attempts, in a function of its own (its frame
# in the stack is counted).
FAILING_EVERY_TIME = {
    "ts": """
        export const config = { type: 'event', name: 'Doomed', subscribes: ['doomed'], emits: [],
          infrastructure: { queue: { maxRetries: 3 } } }
        function sinkTheAttempt(): never { throw new Error('not today') }
        export const handler = async () => { sinkTheAttempt() }
        """,
    "js": """
        exports.config = { type: 'event', name: 'Doomed', subscribes: ['doomed'], emits: [],
          infrastructure: { queue: { maxRetries: 3 } } }
        function sinkTheAttempt() { throw new Error('not today') }
        exports.handler = async () => { sinkTheAttempt() }
        """,
    "py": """
        config = {"type": "event", "name": "Doomed", "subscribes": ["doomed"], "emits": [],
                  "infrastructure": {"queue": {"maxRetries": 3}}}
        def sinkTheAttempt():
            raise RuntimeError("not today")
        async def handler(input, context):
            sinkTheAttempt()
        """,
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_handler_failing_every_attempt_prints_its_stack_on_the_first_and_the_last_attempt_only(
    tmp_path: Path, lang: str
) -> None:
    """Each failed attempt printed the handler's whole stack in `motia dev`'s output (a Python
    traceback four times over for four attempts). The stack shows on the first attempt and the last;
    an attempt between failing as the one before says so in one line. The trace keeps each
    attempt's whole error."""
    files = {step_path(lang, "doomed"): FAILING_EVERY_TIME[lang]}
    project = write_project(tmp_path, files, config={"events": {"retryBackoffMs": 10}})
    with MotiaServer(project, mode="dev") as server:
        emitted = server.client.post("/__motia/emit", json={"topic": "doomed", "data": {}})
        assert emitted.status_code == 200, emitted.text
        trace_id = emitted.json()["traceId"]
        eventually(lambda: runners_of(trace_logs(server, trace_id), "dead-letter queue"))
        trace = server.client.get(f"/__motia/traces/{trace_id}").json()
        output = server.output
    error = "RuntimeError: not today" if lang == "py" else "Error: not today"
    told = [line[line.index("handler failed") :] for line in output.splitlines() if " handler failed" in line]
    assert told == [
        f"handler failed (attempt 1 of 4): {error}",
        f"handler failed again (attempt 2 of 4, its stack as before): {error}",
        f"handler failed again (attempt 3 of 4, its stack as before): {error}",
        f"handler failed (attempt 4 of 4): {error}",
    ], output
    assert output.count("sinkTheAttempt") == 2 * (2 if lang == "py" else 1), output
    assert "\n\n" not in output, output  # no blank line after a Python traceback either
    failed = [span for span in trace["spans"] if span.get("error")]
    assert len(failed) == 4, trace
    assert all("sinkTheAttempt" in str(span["error"]) for span in failed), failed
