"""``motia install`` run as a user would, in a project folder: Python packages into the project's
virtualenv (python_modules/ when it has none), npm install where there is a package.json; idempotent;
a package that cannot be installed is named. Offline: the packages are wheels the test writes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer, run_motia
from tests.support.wheels import make_unbuildable_sdist, make_wheel

pytestmark = pytest.mark.e2e

GREETING_STEP = """
    import sys
    import motia_greeting
    config = {"type": "api", "name": "Greeting", "path": "/greeting", "method": "GET", "emits": []}
    async def handler(req, context):
        return {"status": 200, "body": {"word": motia_greeting.WORD, "prefix": sys.prefix}}
"""
OFFLINE = "--no-index\n--find-links ./wheels\n"


def greeting_project(root: Path, requirements: str) -> Path:
    make_wheel(root / "wheels", "motia-greeting", "1.0", "WORD = 'hello from the project'\n")
    write_project(root, {"steps/greeting_step.py": GREETING_STEP, "requirements.txt": requirements})
    return root


def with_motia_on_path() -> dict[str, str]:
    return {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}


def test_install_creates_python_modules_runs_npm_once_and_is_idempotent(tmp_path: Path) -> None:
    project = greeting_project(tmp_path, OFFLINE + "motia-greeting==1.0\n")
    # Motia's layout: package.json's postinstall runs `motia install` (ours, here): it must not loop
    (project / "package.json").write_text(
        json.dumps({"name": "p", "private": True, "scripts": {"postinstall": "motia install"}})
    )
    first = run_motia("install", cwd=project, env=with_motia_on_path())
    assert first.returncode == 0, first.stdout + first.stderr
    assert "creating python_modules/" in first.stdout
    assert "Successfully installed motia-greeting-1.0" in first.stdout
    assert first.stdout.count("motia install: npm install") == 1
    assert "run by npm (a package.json script): not running npm install again" in first.stdout
    assert (project / "package-lock.json").is_file()
    with MotiaServer(project) as server:
        body = server.client.get("/greeting").json()
    assert body["word"] == "hello from the project"
    assert Path(body["prefix"]).resolve() == (project / "python_modules").resolve()

    again = run_motia("install", cwd=project, env=with_motia_on_path())
    assert again.returncode == 0, again.stdout + again.stderr
    assert "creating python_modules/" not in again.stdout
    assert "Requirement already satisfied: motia-greeting==1.0" in again.stdout


def test_a_package_that_cannot_be_installed_is_named(tmp_path: Path) -> None:
    project = greeting_project(tmp_path, OFFLINE + "motia-greeting==1.0\nmotia-not-there==2.0\n")
    done = run_motia("install", cwd=project)
    assert done.returncode == 1
    assert "motia install: could not install motia-not-there==2.0 (from requirements.txt)" in done.stderr
    assert "No matching distribution found for motia-not-there==2.0" in done.stderr


def test_a_package_whose_build_fails_is_named_with_what_needed_it_and_why(tmp_path: Path) -> None:
    """vision-example's vision-agent needs av, an sdist whose build fails without ffmpeg's libraries:
    pip 23's error lines name no package ("Getting requirements to build wheel did not run
    successfully"), so the message names it from what pip was collecting, and quotes the build's
    reason."""
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "vision-kit", "1.0", "", requires=("native-av==11.0",))
    make_unbuildable_sdist(wheels, "native-av", "11.0", "pkg-config could not find libraries ['avformat']")
    write_project(
        tmp_path, {"steps/greeting_step.py": GREETING_STEP, "requirements.txt": OFFLINE + "vision-kit==1.0\n"}
    )
    done = run_motia("install", cwd=tmp_path)
    assert done.returncode == 1
    message = done.stderr[done.stderr.index("motia install: could not install") :]
    assert message.startswith("motia install: could not install native-av (needed by vision-kit==1.0)")
    assert "pkg-config could not find libraries ['avformat']" in message


def test_a_requirement_on_motia_itself_as_motias_docs_list_it_is_left_out_and_said(tmp_path: Path) -> None:
    """Motia's project-structure guide lists ``motia>=0.5.12`` in requirements.txt; no step imports it
    and pip cannot meet it, so the rest is installed and the one left out is named. ``motia-greeting``
    is a package of its own and goes in."""
    project = greeting_project(
        tmp_path, OFFLINE + "# Core Motia dependency\nmotia>=0.5.12  # Motia\nmotia-greeting==1.0\n"
    )
    done = run_motia("install", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "requirements.txt lists motia>=0.5.12: not installed, no step needs it" in done.stdout
    assert "Successfully installed motia-greeting-1.0" in done.stdout
    assert sorted(path.name for path in project.iterdir() if path.name.startswith(".")) == []
    with MotiaServer(project) as server:
        assert server.client.get("/greeting").json()["word"] == "hello from the project"


def test_pyproject_dependencies_go_into_the_venv_the_project_already_has(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "wheels", "motia-greeting", "1.0", "WORD = 'from pyproject'\n")
    write_project(
        tmp_path,
        {
            "steps/greeting_step.py": GREETING_STEP,
            "pyproject.toml": f'[project]\nname = "app"\nversion = "0"\ndependencies = ["motia-greeting @ {wheel.as_uri()}"]\n',
        },
    )
    run_motia("install", cwd=tmp_path)  # creates python_modules/ the first time
    (tmp_path / "python_modules").rename(tmp_path / ".venv")
    done = run_motia("install", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"into {tmp_path / '.venv'}" in done.stdout
    assert not (tmp_path / "python_modules").exists()
    with MotiaServer(tmp_path) as server:
        assert server.client.get("/greeting").json()["word"] == "from pyproject"


def test_a_python_modules_without_its_interpreter_is_made_again(tmp_path: Path) -> None:
    project = greeting_project(tmp_path, OFFLINE + "motia-greeting==1.0\n")
    assert run_motia("install", cwd=project).returncode == 0
    for python in (project / "python_modules" / "bin").glob("python*"):
        python.unlink()  # as after copying the project to another machine
    done = run_motia("install", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "has no interpreter: creating it again" in done.stdout
    assert "Successfully installed motia-greeting-1.0" in done.stdout
