"""Patterns found in Motia's own example projects (MotiaDev/motia-examples) that must run unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

PING = {
    "ts": """
        export const config = { type: 'api', name: 'Ping', path: '/ping', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, body: { pong: true } })
    """,
    "js": """
        exports.config = { type: 'api', name: 'Ping', path: '/ping', method: 'GET', emits: [] }
        exports.handler = async () => ({ status: 200, body: { pong: true } })
    """,
    "py": """
        config = {"type": "api", "name": "Ping", "path": "/ping", "method": "GET", "emits": []}
        async def handler(req, context):
            return {"status": 200, "body": {"pong": True}}
    """,
}

# email-marketing-automation's WelcomeEmailSeries: an event step kept for later, subscribed to nothing yet.
SUBSCRIBED_TO_NOTHING = {
    "ts": """
        export const config = {
          type: 'event', name: 'NotWiredYet', subscribes: [], emits: ['later'], flows: ['f'],
        }
        export const handler = async () => {}
    """,
    "js": """
        exports.config = {
          type: 'event', name: 'NotWiredYet', subscribes: [], emits: ['later'], flows: ['f'],
        }
        exports.handler = async () => {}
    """,
    "py": """
        config = {"type": "event", "name": "NotWiredYet", "subscribes": [], "emits": ["later"], "flows": ["f"]}
        async def handler(data, context):
            pass
    """,
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_event_step_subscribed_to_no_topic_loads_and_start_serves_the_project(
    tmp_path: Path, lang: str
) -> None:
    write_project(
        tmp_path,
        {step_path(lang, "ping"): PING[lang], step_path(lang, "not-wired-yet"): SUBSCRIBED_TO_NOTHING[lang]},
    )
    # `start` refuses a project with any step that does not load: serving at all proves it loaded.
    with MotiaServer(tmp_path, mode="start") as server:
        assert server.client.get("/ping").json() == {"pong": True}
        flows = server.client.get("/__motia/flows").json()["flows"]
        output = server.output
    assert "2 of 2 steps loaded" in output, output
    names = [step["name"] for flow in flows for step in flow["steps"]]
    assert "NotWiredYet" in names, flows
