"""Python step files import like the package modules Motia makes of them: relative imports within
``steps/`` and ``src/``, absolute ones from the project root, one module per file however it is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

FILES = {
    "steps/pets/helpers.py": 'GREETING = "hello"\n',
    "steps/shared/text.py": "def shout(text):\n    return text.upper()\n",
    "src/services/__init__.py": "",
    "src/services/store.py": 'NAME = "store"\n',
    "steps/pets/greet_step.py": """
        from . import helpers
        from .helpers import GREETING
        from ..shared.text import shout
        from src.services.store import NAME
        import steps.pets.helpers as absolute_helpers

        config = {"type": "api", "name": "Greet", "path": "/greet", "method": "GET", "emits": []}

        async def handler(req, context):
            return {
                "status": 200,
                "body": {
                    "greeting": shout(GREETING),
                    "store": NAME,
                    "oneModule": absolute_helpers is helpers,
                    "module": __name__,
                    "package": __package__,
                },
            }
    """,
    # dots in the file name are not package boundaries
    "steps/pets/nightly.report_step.py": """
        from .helpers import GREETING

        config = {"type": "api", "name": "Report", "path": "/report", "method": "GET", "emits": []}

        def handler(req, context):
            return {"status": 200, "body": {"greeting": GREETING, "module": __name__}}
    """,
    "src/services/lookup_step.py": """
        from .store import NAME

        config = {"type": "api", "name": "Lookup", "path": "/lookup", "method": "GET", "emits": []}

        async def handler(req, context):
            return {"status": 200, "body": {"store": NAME}}
    """,
}


def test_python_steps_import_relatively_and_from_the_project_root(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", FILES)
    # installed packages named like the project's folders must not win over them
    installed = write_project(tmp_path / "site", {"src/__init__.py": "", "steps/__init__.py": ""})
    with MotiaServer(project, mode="start", env={"PYTHONPATH": str(installed)}) as server:
        assert server.client.get("/greet").json() == {
            "greeting": "HELLO",
            "store": "store",
            "oneModule": True,
            "module": "steps.pets.greet_step",
            "package": "steps.pets",
        }
        assert server.client.get("/report").json() == {
            "greeting": "hello",
            "module": "steps.pets.nightly_report_step",
        }
        assert server.client.get("/lookup").json() == {"store": "store"}
