"""An emit whose event is not ``{topic, data}`` fails the handler with an error saying what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

# The shape of MotiaDev's vision-example (written for an older Motia): the topic under ``type``.
OLD_TYPE_EMIT = {
    "ts": """
        export const config = { type: 'api', name: 'Old', path: '/old', method: 'POST', emits: ['enhance'] }
        export const handler = async (req, { emit }) => {
          await emit({ type: 'enhance', data: { prompt: 'p' } })
          return { status: 200, body: {} }
        }
    """,
    "js": """
        exports.config = { type: 'api', name: 'Old', path: '/old', method: 'POST', emits: ['enhance'] }
        exports.handler = async (req, { emit }) => {
          await emit({ type: 'enhance', data: { prompt: 'p' } })
          return { status: 200, body: {} }
        }
    """,
    "py": """
        config = {"type": "api", "name": "Old", "path": "/old", "method": "POST", "emits": ["enhance"]}


        async def handler(req, ctx):
            await ctx.emit({"type": "enhance", "data": {"prompt": "p"}})
            return {"status": 200, "body": {}}
    """,
}


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_an_emit_naming_its_topic_type_as_older_motia_did_says_to_name_it_topic(
    tmp_path: Path, lang: str
) -> None:
    write_project(tmp_path, {step_path(lang, "old"): OLD_TYPE_EMIT[lang]})
    with MotiaServer(tmp_path) as server:
        answer = server.client.post("/old", json={})
    assert answer.status_code == 500
    expected = {
        "ts": 'TypeError: emit expects { topic: string, data, messageGroupId? }, got { type: "enhance" }: name it `topic`',
        "py": "TypeError: emit() needs a 'topic' string, got {'type': 'enhance'}: name it 'topic'",
    }
    assert answer.json()["message"] == expected["py" if lang == "py" else "ts"]
