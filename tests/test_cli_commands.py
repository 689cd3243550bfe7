"""``motia --version``/``version``, ``--help`` and ``motia build``, run as a user would, in a project folder."""

from __future__ import annotations

import argparse
import re
from importlib import metadata
from pathlib import Path

import pytest

from supervisor.cli.main import build_parser
from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import run_motia, run_motia_reader_gone
from tests.test_project_loading import GOOD, broken_project

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("args", [["--version"], ["-V"], ["version"]])
def test_version_names_the_installed_release(tmp_path: Path, args: list[str]) -> None:
    done = run_motia(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"motia {metadata.version('motia-supervisor')} ")


def test_help_lists_every_command_on_one_line(tmp_path: Path) -> None:
    done = run_motia("--help", cwd=tmp_path)
    assert done.returncode == 0
    commands: dict[str, argparse.ArgumentParser] = next(
        action.choices for action in build_parser()._actions if isinstance(action.choices, dict)
    )
    lines = done.stdout.splitlines()
    for name, parser in commands.items():
        line = next((line for line in lines if re.match(rf"\s+{re.escape(name)}\s{{2,}}\S", line)), None)
        assert line is not None, f"{name} is not listed with its help:\n{done.stdout}"
        assert parser.description or line.split(name, 1)[1].strip()
    # one line each: no wrapped continuation lines in the list
    listing = lines[lines.index("commands:") + 2 :]
    assert all(re.match(r"\s{4}\S", line) for line in listing if line.strip()), done.stdout


def test_build_loads_every_language_and_exits_0_without_serving(tmp_path: Path) -> None:
    files = {
        step_path(lang, "good"): GOOD[lang]
        .replace("'Good'", f"'Good{lang}'")
        .replace('"Good"', f'"Good{lang}"')
        .replace("/good", f"/good-{lang}")
        for lang in LANGUAGES
    }
    files["steps/ts/items.stream.ts"] = (
        "export const config = { name: 'items', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }\n"
    )
    write_project(tmp_path, files)
    done = run_motia("build", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "summary: 3 of 3 steps loaded" in lines
    assert any(re.match(r"\s+TypeScript:\s+1 of 1 steps, 1 of 1 streams$", line) for line in lines), lines
    assert any(re.match(r"\s+JavaScript:\s+1 of 1 steps$", line) for line in lines), lines
    assert any(re.match(r"\s+Python:\s+1 of 1 steps$", line) for line in lines), lines
    assert lines[-1] == "motia build: ok"
    assert not (tmp_path / ".motia").exists(), "build must not open the project's database"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_build_exits_1_listing_every_error(tmp_path: Path, lang: str) -> None:
    broken_project(tmp_path, lang)
    done = run_motia("build", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "summary: 1 of 4 steps loaded, 3 problems" in lines
    numbered = [line for line in lines if re.match(r"\s+\d+\. ", line)]
    assert len(numbered) == 3
    for stem, cause in (("broken", "SyntaxError"), ("bad-method", "FETCH"), ("zz-duplicate", "already used")):
        assert any(step_path(lang, stem) in line and cause in line for line in numbered), numbered
    assert lines[-1] == "motia build: failed"


TRIGGERS_STEP = {
    "ts": "export const config = { name: 'stepB', triggers: [{ type: 'event', topic: 'pms.start' }], emits: [] }\n"
    "export const handler = async () => {}\n",
    "js": "export const config = { name: 'stepB', triggers: [{ type: 'event', topic: 'pms.start' }], emits: [] }\n"
    "export const handler = async () => {}\n",
    "py": "config = {'name': 'stepB', 'triggers': [{'type': 'event', 'topic': 'pms.start'}], 'emits': []}\n"
    "async def handler(_, context):\n    pass\n",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_build_of_a_step_in_the_triggers_form_of_later_motia_says_which_form_to_write(
    tmp_path: Path, lang: str
) -> None:
    """A step copied from a project of a Motia release after 0.17 (its playground) has `triggers`
    and no `type`: the problem names `triggers` and the 0.17 form, not only a missing `type`."""
    write_project(tmp_path, {step_path(lang, "step-b"): TRIGGERS_STEP[lang]})
    done = run_motia("build", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    problem = next(line for line in done.stdout.splitlines() if re.match(r"\s+1\. ", line))
    assert step_path(lang, "step-b") in problem and "field 'type'" in problem, problem
    assert "`triggers` is the step form of Motia releases after 0.17" in problem, problem
    assert "`type: 'event'` with `subscribes: [topic]`" in problem, problem


def test_build_of_a_project_without_steps_warns_naming_the_folders(tmp_path: Path) -> None:
    done = run_motia("build", cwd=tmp_path)
    assert done.returncode == 0
    assert "no steps found" in done.stdout and "steps/ and src/" in done.stdout


@pytest.mark.parametrize(
    ("args", "status"),
    [(["version"], 141), (["create", "app", "-t", "pet-app"], 141), (["build"], 0)],
    ids=["version", "create", "build"],
)
def test_a_command_whose_reader_went_away_ends_quietly(tmp_path: Path, args: list[str], status: int) -> None:
    """``motia ... | head``: once head has gone, the next write finds no reader; the command ends as a
    Unix tool killed by SIGPIPE does (141), without a Python traceback. One whose output is log lines
    (build) does its work, the lines going nowhere, and exits with its own status."""
    write_project(tmp_path, {step_path("js", "good"): GOOD["js"]})
    done = run_motia_reader_gone(*args, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (status, "")


@pytest.mark.parametrize("command", [["install"], ["rules", "pull"], ["docker", "setup"]])
def test_a_command_given_a_project_folder_that_does_not_exist_says_so(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "nope"
    done = run_motia(*command, "--project", str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"motia {' '.join(command)}: project directory {missing} does not exist\n"
    assert not missing.exists()
