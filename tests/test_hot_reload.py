"""``motia dev`` reloads the project's code when its files change, in every language."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

# A step returning the value of a helper module, so that editing the helper alone must show.
SOURCES = {
    "ts": {
        "steps/ts/value.ts": "export const VALUE = {value}\n",
        "step": """
            import {{ VALUE }} from './value'
            export const config = {{ type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }}
            export const handler = async () => ({{ status: 200, body: {{ value: VALUE }} }})
        """,
        "broken": "export const config = {\n\nexport const handler = async ( => {\n",
    },
    "js": {
        "steps/js/value.js": "module.exports = {{ VALUE: {value} }}\n",
        "step": """
            const {{ VALUE }} = require('./value')
            module.exports = {{
              config: {{ type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }},
              handler: async () => ({{ status: 200, body: {{ value: VALUE }} }}),
            }}
        """,
        "broken": "module.exports = {\n\n  handler: async ( => {\n",
    },
    "py": {
        "steps/py/value.py": "VALUE = {value}\n",
        "step": """
            from value import VALUE
            config = {{"type": "api", "name": "{name}", "path": "{path}", "method": "GET", "emits": []}}
            async def handler(req, context):
                return {{"status": 200, "body": {{"value": VALUE}}}}
        """,
        "broken": "config = {\n\ndef handler(req, context)\n",
    },
}


def helper_file(lang: str) -> str:
    return next(name for name in SOURCES[lang] if name.startswith("steps/"))


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def value_at(server: MotiaServer, path: str) -> object:
    response = server.client.get(path)
    return response.status_code == 200 and response.json()["value"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dev_reloads_changed_added_broken_and_fixed_files(tmp_path: Path, lang: str) -> None:
    sources = SOURCES[lang]
    helper = helper_file(lang)
    write_project(
        tmp_path,
        {
            helper: sources[helper].format(value=1),
            step_path(lang, "first"): sources["step"].format(name="First", path="/first"),
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        assert value_at(server, "/first") == 1

        write(tmp_path, helper, sources[helper].format(value=2))  # a helper module, not a step file
        eventually(lambda: value_at(server, "/first") == 2, timeout=20)

        second = step_path(lang, "second")
        write_project(tmp_path, {second: sources["step"].format(name="Second", path="/second")})
        eventually(lambda: value_at(server, "/second") == 2, timeout=20)

        write(tmp_path, second, sources["broken"])
        eventually(lambda: server.client.get("/second").status_code == 404, timeout=20)
        assert second in server.output
        assert value_at(server, "/first") == 2  # the rest keeps serving

        write_project(tmp_path, {second: sources["step"].format(name="Second", path="/second")})
        eventually(lambda: value_at(server, "/second") == 2, timeout=20)
        assert "[UPDATED]" in server.output


def test_start_does_not_reload(tmp_path: Path) -> None:
    sources = SOURCES["js"]
    helper = helper_file("js")
    write_project(
        tmp_path,
        {
            helper: sources[helper].format(value=1),
            step_path("js", "first"): sources["step"].format(name="First", path="/first"),
        },
    )
    with MotiaServer(tmp_path, mode="start") as server:
        write(tmp_path, helper, sources[helper].format(value=2))
        time.sleep(2)
        assert value_at(server, "/first") == 1
