"""A handler cancelled at its timeout writes nothing afterwards. In Motia a timed-out handler's process
is killed; here a Node promise cannot be stopped (and a Python handler may catch its cancellation), so
the handler runs on: its state writes and emits after the cancel are refused, or they would land while
its retry runs (seen with a Motia example whose timed-out attempt went on saving progress). The real
CLI on a temp project, in each language."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually
from tests.test_timeout_logs import lines_saying, trace_logs

pytestmark = pytest.mark.e2e

# An event step that outlasts its one-second timeout, then tries a state write and an emit, saying
# what became of each; and the step the emit would reach.
SOURCES = {
    "ts": """
        export const config = { type: 'event', name: 'Slow', subscribes: ['slow'], emits: ['after'],
          infrastructure: { handler: { timeout: 1 }, queue: { maxRetries: 0 } } }
        export const handler = async (input: unknown, { logger, state, emit, traceId }: any) => {
          await new Promise((resolve) => setTimeout(resolve, 3000))
          try { await state.set('late', traceId, true); logger.info('set accepted') }
          catch (e: any) { logger.info(`set failed: ${e.message}`) }
          try { await emit({ topic: 'after', data: {} }); logger.info('emit accepted') }
          catch (e: any) { logger.info(`emit failed: ${e.message}`) }
        }
        """,
    "js": """
        exports.config = { type: 'event', name: 'Slow', subscribes: ['slow'], emits: ['after'],
          infrastructure: { handler: { timeout: 1 }, queue: { maxRetries: 0 } } }
        exports.handler = async (input, { logger, state, emit, traceId }) => {
          await new Promise((resolve) => setTimeout(resolve, 3000))
          try { await state.set('late', traceId, true); logger.info('set accepted') }
          catch (e) { logger.info(`set failed: ${e.message}`) }
          try { await emit({ topic: 'after', data: {} }); logger.info('emit accepted') }
          catch (e) { logger.info(`emit failed: ${e.message}`) }
        }
        """,
    "py": """
        import asyncio
        config = {"type": "event", "name": "Slow", "subscribes": ["slow"], "emits": ["after"],
                  "infrastructure": {"handler": {"timeout": 1}, "queue": {"maxRetries": 0}}}
        async def handler(input, context):
            try:
                await asyncio.sleep(3)
            except asyncio.CancelledError:
                await asyncio.sleep(2)  # a handler that swallows its cancellation runs on
            try:
                await context.state.set("late", context.trace_id, True)
                context.logger.info("set accepted")
            except BaseException as e:
                context.logger.info(f"set failed: {e}")
            try:
                await context.emit({"topic": "after", "data": {}})
                context.logger.info("emit accepted")
            except BaseException as e:
                context.logger.info(f"emit failed: {e}")
        """,
}
AFTER = {
    "ts": "export const config = { type: 'event', name: 'After', subscribes: ['after'], emits: [] }\n"
    "export const handler = async (input: unknown, { logger }: any) => { logger.info('after ran') }\n",
    "js": "exports.config = { type: 'event', name: 'After', subscribes: ['after'], emits: [] }\n"
    "exports.handler = async (input, { logger }) => { logger.info('after ran') }\n",
    "py": "config = {'type': 'event', 'name': 'After', 'subscribes': ['after'], 'emits': []}\n"
    "async def handler(input, context):\n    context.logger.info('after ran')\n",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_handler_running_on_past_its_timeout_cannot_write_state_or_emit(tmp_path: Path, lang: str) -> None:
    files = {step_path(lang, "slow"): SOURCES[lang], step_path(lang, "after"): AFTER[lang]}
    project = write_project(tmp_path, files)
    with MotiaServer(project, mode="dev") as server:
        emitted = server.client.post("/__motia/emit", json={"topic": "slow", "data": {}})
        assert emitted.status_code == 200, emitted.text
        trace_id = emitted.json()["traceId"]
        logs = eventually(
            lambda: (found := trace_logs(server, trace_id)) and lines_saying(found, "emit ") and found,
            timeout=30,
        )
        messages = [line["message"] for line in logs]
        assert lines_saying(logs, "handler timed out after 1s (attempt 1)"), messages
        [set_line] = lines_saying(logs, "set ")
        assert set_line["message"].startswith("set failed:"), messages
        assert "refused" in set_line["message"] and "cancelled" in set_line["message"], messages
        [emit_line] = lines_saying(logs, "emit ")
        assert emit_line["message"].startswith("emit failed:"), messages
        answer = server.client.get("/__motia/state/item", params={"groupId": "late", "key": trace_id})
        assert answer.status_code == 404, answer.text
        assert not lines_saying(logs, "after ran"), messages
