"""Log lines from runners: a step's lines carry its name, a runner's own output carries the
runner's id (``node-0``), never as a step name; what reaches a runner's stderr is an error, one
record per burst (a traceback is one entry)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

SOURCES = {
    "ts": """
        process.stderr.write('raw stderr from ts\\n  at line two\\n')
        export const config = { type: 'api', name: 'Speak', path: '/speak', method: 'GET', emits: [] }
        export const handler = async (_req: unknown, { logger }: any) => {
          logger.info('said by ts')
          return { status: 200, body: {} }
        }
    """,
    "js": """
        process.stderr.write('raw stderr from js\\n  at line two\\n')
        exports.config = { type: 'api', name: 'Speak', path: '/speak', method: 'GET', emits: [] }
        exports.handler = async (_req, { logger }) => {
          logger.info('said by js')
          return { status: 200, body: {} }
        }
    """,
    "py": """
        import sys
        sys.stderr.write("raw stderr from py\\n  at line two\\n")
        sys.stderr.flush()
        config = {"type": "api", "name": "Speak", "path": "/speak", "method": "GET", "emits": []}
        async def handler(req, context):
            context.logger.info("said by py")
            return {"status": 200, "body": {}}
    """,
}
RUNNER = {"ts": "node", "js": "node", "py": "python"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_runner_output_is_tagged_with_the_runner_and_step_lines_with_the_step_and_the_runner(
    tmp_path: Path, lang: str
) -> None:
    write_project(tmp_path, {step_path(lang, "speak"): SOURCES[lang]})
    with MotiaServer(tmp_path, mode="start") as server:
        assert server.client.get("/speak").status_code == 200

        def records() -> dict[str, dict[str, object]]:
            found = {str(record["msg"]): record for record in server.json_logs()}
            assert {f"raw stderr from {lang}\n  at line two", f"said by {lang}"} <= set(found)
            return found

        by_message = eventually(records)
    raw = by_message[f"raw stderr from {lang}\n  at line two"]
    assert raw["runner"] == f"{RUNNER[lang]}-0" and "step" not in raw
    assert raw["level"] == "error"
    said = by_message[f"said by {lang}"]
    assert said["step"] == "Speak" and said["runner"] == f"{RUNNER[lang]}-0"
