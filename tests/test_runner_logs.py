"""Log lines from runners: a step's lines carry its name, a runner's own output carries the
runner's id (``node-0``), never as a step name; what reaches a runner's stderr is an error, one
record per burst (a traceback is one entry)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

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


# A library that colours what it writes whether or not a terminal reads it (envalid's report of
# missing variables, in MotiaDev's trello-flow): through the step's logger and the runner's stderr.
COLOURED = {
    "ts": """
        export const config = { type: 'api', name: 'Report', path: '/report', method: 'GET', emits: [] }
        export const handler = async (_req: unknown, { logger }: any) => {
          logger.error('\\x1b[33mMissing\\x1b[0m environment variables: \\x1b[34mTOKEN\\x1b[0m')
          process.stderr.write('\\x1b[37m====\\x1b[0m raw from ts\\n')
          return { status: 200, body: {} }
        }
    """,
    "js": """
        exports.config = { type: 'api', name: 'Report', path: '/report', method: 'GET', emits: [] }
        exports.handler = async (_req, { logger }) => {
          logger.error('\\x1b[33mMissing\\x1b[0m environment variables: \\x1b[34mTOKEN\\x1b[0m')
          process.stderr.write('\\x1b[37m====\\x1b[0m raw from js\\n')
          return { status: 200, body: {} }
        }
    """,
    "py": """
        import sys
        config = {"type": "api", "name": "Report", "path": "/report", "method": "GET", "emits": []}
        async def handler(req, context):
            context.logger.error("\\x1b[33mMissing\\x1b[0m environment variables: \\x1b[34mTOKEN\\x1b[0m")
            sys.__stderr__.write("\\x1b[37m====\\x1b[0m raw from py\\n")
            sys.__stderr__.flush()
            return {"status": 200, "body": {}}
    """,
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_terminal_colours_are_left_out_of_log_records(tmp_path: Path, lang: str) -> None:
    """They showed as '[33mMissing[0m' in the Workbench's Logs panel and in `motia start`'s JSON."""
    write_project(tmp_path, {step_path(lang, "report"): COLOURED[lang]})
    with MotiaServer(tmp_path, mode="start") as server:
        assert server.client.get("/report").status_code == 200
        wanted = {"Missing environment variables: TOKEN", f"==== raw from {lang}"}

        def messages() -> set[str]:
            found = {str(record["msg"]) for record in server.json_logs()}
            assert wanted <= found, found
            return found

        eventually(messages)
        served = {line["message"] for line in server.client.get("/__motia/logs").json()["logs"]}
    assert wanted <= served
    assert not [message for message in served if "\x1b" in message]


# A step file that logs as it is imported, before it is a step (the top-level console.warn of a
# .step.ts, a Python module-level logging.warning): its line showed as "(node-0)", no step named.
LOUD = {
    "ts": """
        console.warn('loading ts {n}')
        export const config = { type: 'api', name: 'Loud', path: '/loud', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, body: {} })
    """,
    "js": """
        console.warn('loading js {n}')
        exports.config = { type: 'api', name: 'Loud', path: '/loud', method: 'GET', emits: [] }
        exports.handler = async () => ({ status: 200, body: {} })
    """,
    "py": """
        import logging
        logging.warning("loading py {n}")
        config = {"type": "api", "name": "Loud", "path": "/loud", "method": "GET", "emits": []}
        async def handler(req, context):
            return {"status": 200, "body": {}}
    """,
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_line_a_step_file_logs_as_it_loads_names_the_file_then_its_step(tmp_path: Path, lang: str) -> None:
    """Where lines name their step (the terminal, the Logs panel's column and filter, ``motia logs``):
    the file (relative to the project) on its first load, its step's name once known (a reload)."""
    file = step_path(lang, "loud")
    write_project(tmp_path, {file: LOUD[lang].replace("{n}", "1")})
    with MotiaServer(tmp_path, mode="dev") as server:

        def logged(message: str) -> dict[str, Any]:
            found = server.client.get("/__motia/logs").json()["logs"]
            lines = [line for line in found if line["message"] == message]
            assert len(lines) == 1, found
            line: dict[str, Any] = lines[0]
            return line

        first = eventually(lambda: logged(f"loading {lang} 1"))
        assert first["step"] == file and first["level"] == "warn"
        filtered = server.client.get("/__motia/logs", params={"step": file}).json()["logs"]
        assert [line["message"] for line in filtered] == [f"loading {lang} 1"]
        assert any(f"[{file}] " in line and f"loading {lang} 1" in line for line in server.lines), (
            server.output
        )

        (tmp_path / file).write_text(textwrap.dedent(LOUD[lang].replace("{n}", "2")).lstrip("\n"))
        again = eventually(lambda: logged(f"loading {lang} 2"), timeout=30)
        assert again["step"] == "Loud"
