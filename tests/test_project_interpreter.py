"""Python steps run in the project's own interpreter, so the project's packages import."""

from __future__ import annotations

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
