"""Python steps run in the project's own interpreter, so the project's packages import."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("venv_name", [".venv", "python_modules"])
def test_python_steps_use_the_projects_virtualenv(tmp_path: Path, venv_name: str) -> None:
    venv = tmp_path / venv_name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_packages = next((venv / "lib").glob("python3*/site-packages"))
    # protobuf (the runner's one dependency) comes from ours; the marker exists only in the project's venv
    (site_packages / "ours.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site_packages / "only_in_project_venv.py").write_text("WHERE = 'project venv'\n")
    write_project(
        tmp_path,
        {
            "steps/where_step.py": """
                import sys
                import only_in_project_venv
                config = {"type": "api", "name": "Where", "path": "/where", "method": "GET", "emits": []}
                async def handler(req, context):
                    return {"status": 200, "body": {"where": only_in_project_venv.WHERE, "prefix": sys.prefix}}
            """
        },
    )
    with MotiaServer(tmp_path) as server:
        body = server.client.get("/where").json()
    assert body["where"] == "project venv"
    assert Path(body["prefix"]).resolve() == venv.resolve()


WHERE_STEP = """
    import sys
    config = {"type": "api", "name": "Where", "path": "/where", "method": "GET", "emits": []}
    async def handler(req, context):
        import google.protobuf
        return {"status": 200, "body": {"prefix": sys.prefix, "protobuf": google.protobuf.__file__}}
"""


def bare_venv(path: Path) -> Path:
    """A virtualenv with nothing installed: no protobuf, no pip."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def runner_line(output: str) -> str:
    return next(line for line in output.splitlines() if "python runner:" in line)


def test_a_project_venv_without_protobuf_loads_every_python_step_with_motias_protobuf(tmp_path: Path) -> None:
    venv = bare_venv(tmp_path / "python_modules")
    write_project(tmp_path, {"steps/where_step.py": WHERE_STEP})
    with MotiaServer(tmp_path) as server:
        body = server.client.get("/where").json()
        output = server.output
    assert Path(body["prefix"]).resolve() == venv.resolve()
    assert not Path(body["protobuf"]).resolve().is_relative_to(venv.resolve())
    line = runner_line(output)
    assert f"{venv}/bin/python (the project's python_modules/)" in line
    assert re.search(r"protobuf \d+\.\d+\.\d+ \(\w+, motia's\)", line), line


def test_a_project_without_a_virtualenv_is_not_said_to_own_the_protobuf_of_motias_interpreter(
    tmp_path: Path,
) -> None:
    """rag-docling-weaviate-agent, before `motia install`: its steps ran on motia's interpreter, and the
    runner's line said that interpreter's protobuf was "the project's"."""
    write_project(tmp_path, {"steps/where_step.py": WHERE_STEP})
    with MotiaServer(tmp_path) as server:
        assert Path(server.client.get("/where").json()["prefix"]).resolve() == Path(sys.prefix).resolve()
        line = runner_line(server.output)
    assert "motia's own interpreter" in line
    assert re.search(r"protobuf \d+\.\d+\.\d+ \(\w+, the interpreter's\)", line), line


def test_the_interpreter_named_in_the_config_wins_and_python_modules_comes_before_dot_venv(
    tmp_path: Path,
) -> None:
    bare_venv(tmp_path / ".venv")
    modules = bare_venv(tmp_path / "python_modules")
    write_project(tmp_path, {"steps/where_step.py": WHERE_STEP})
    with MotiaServer(tmp_path) as server:
        assert Path(server.client.get("/where").json()["prefix"]).resolve() == modules.resolve()

    chosen = bare_venv(tmp_path / "envs" / "mine")
    (tmp_path / "motia.config.json").write_text('{"runners": {"python": {"interpreter": "envs/mine"}}}')
    with MotiaServer(tmp_path) as server:
        assert Path(server.client.get("/where").json()["prefix"]).resolve() == chosen.resolve()
        assert "runners.python.interpreter in motia.config.json" in runner_line(server.output)


def test_a_virtualenv_without_its_interpreter_is_reported_with_the_fix(tmp_path: Path) -> None:
    venv = bare_venv(tmp_path / "python_modules")
    for python in (venv / "bin").glob("python*"):
        python.unlink()
    write_project(tmp_path, {"steps/where_step.py": WHERE_STEP})
    with MotiaServer(tmp_path) as server:
        output = server.output
    assert "python runner: could not start: python_modules/ is a virtualenv without an interpreter" in output
    assert "fix: delete python_modules/ and run `motia install` to create it again" in output
