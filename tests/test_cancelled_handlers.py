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
# what became of each; before that, a background callback it never awaits tries the same (their
# refusals reach no one); and the step the emit would reach.
SOURCES = {
    "ts": """
        export const config = { type: 'event', name: 'Slow', subscribes: ['slow'], emits: ['after'],
          infrastructure: { handler: { timeout: 1 }, queue: { maxRetries: 0 } } }
        export const handler = async (input: unknown, { logger, state, emit, traceId }: any) => {
          setTimeout(() => { state.set('late', `bg-${traceId}`, true); emit({ topic: 'after', data: {} }) }, 2000)
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
          setTimeout(() => { state.set('late', `bg-${traceId}`, true); emit({ topic: 'after', data: {} }) }, 2000)
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
        async def later(call):
            await asyncio.sleep(2)
            await call()
        async def handler(input, context):
            asyncio.create_task(later(lambda: context.state.set("late", "bg-" + context.trace_id, True)))
            asyncio.create_task(later(lambda: context.emit({"topic": "after", "data": {}})))
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
    """Its calls after the cancel are refused (an awaited one throws in the handler), and it is said
    once, as a warning naming the step, however many calls were refused and whether or not anything
    awaited them (a refused call in an unawaited callback was an unhandled-rejection error line each)."""
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
        # four calls refused, two of them unawaited in a callback: one warning, no error line each
        [told] = lines_saying(logs, "ran on after it was cancelled")
        assert told["level"] == "warn" and "step Slow" in told["message"], told
        assert "refused" in told["message"] and "timed out after 1s" in told["message"], told
        every = server.client.get("/__motia/logs", params={"limit": 1000}).json()["logs"]
        noise = [line for line in every if line["level"] == "error" and "refused" in line["message"]]
        assert noise == [], noise
        assert "unhandled" not in server.output and "never retrieved" not in server.output, server.output
        assert lines_saying(logs, "handler timed out after 1s (attempt 1)"), messages
        [set_line] = lines_saying(logs, "set ")
        assert set_line["message"].startswith("set failed:"), messages
        assert "refused" in set_line["message"] and "cancelled" in set_line["message"], messages
        [emit_line] = lines_saying(logs, "emit ")
        assert emit_line["message"].startswith("emit failed:"), messages
        answer = server.client.get("/__motia/state/item", params={"groupId": "late", "key": trace_id})
        assert answer.status_code == 404, answer.text
        assert not lines_saying(logs, "after ran"), messages
