"""The Python a project's steps run in, and the protobuf the Python runner can fall back on.

Python steps import the project's packages, so the Python runner runs in the project's interpreter,
looked for in this order:

1. ``runners.python.interpreter`` in ``motia.config.json`` (a path, relative to the project root);
2. ``python_modules/`` (what ``motia install`` and Node Motia's ``motia install`` create);
3. ``.venv/``, then ``venv/``;
4. the virtualenv active in the shell (``$VIRTUAL_ENV``);
5. the interpreter ``motia`` itself runs in.

The runner needs ``protobuf`` and the project's environment rarely has it. It does not have to:
``PROTOBUF_PATH_ENV`` names the folder holding motia's own ``google/protobuf``, and the runner makes
just that package importable, after the project's own paths, when the project has none (see
``motia_runner/bundled_protobuf.py``). A project's own protobuf, old or new, wins.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from supervisor.runners._errors import RunnerSetupError

PROTOBUF_PATH_ENV = "MOTIA_RUNNER_PROTOBUF_PATH"
DEBUGPY_PATH_ENV = "MOTIA_RUNNER_DEBUGPY_PATH"
PROJECT_VENVS = ("python_modules", ".venv", "venv")


@dataclass(frozen=True)
class ProjectPython:
    path: str
    #: why this one was chosen, for the start-up log
    origin: str
    #: the project's own (configured, or one of its folders), not the shell's or motia's
    in_project: bool = True


def _venv_python(venv: Path) -> Path | None:
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    return None


def project_python(project_root: Path, configured: str | None = None) -> ProjectPython:
    """The interpreter the Python runner runs in (see the module docstring for the order)."""
    if configured:
        path = Path(configured)
        path = path if path.is_absolute() else project_root / path
        if path.is_dir():  # a virtualenv folder rather than its interpreter
            path = _venv_python(path) or path / "bin" / "python"
        if not path.exists():
            raise RunnerSetupError(
                "python",
                f"{path} does not exist (runners.python.interpreter in motia.config.json)",
                "fix the path in motia.config.json, or remove it to use python_modules/ or .venv/",
            )
        return ProjectPython(str(path), "runners.python.interpreter in motia.config.json")
    for name in PROJECT_VENVS:
        venv = project_root / name
        found = _venv_python(venv)
        if found is not None:
            return ProjectPython(str(found), f"the project's {name}/")
        if venv.is_dir() and (venv / "pyvenv.cfg").exists():
            raise RunnerSetupError(
                "python",
                f"{name}/ is a virtualenv without an interpreter ({venv / 'bin' / 'python'} is missing)",
                f"delete {name}/ and run `motia install` to create it again",
            )
    active = os.environ.get("VIRTUAL_ENV")
    if active:
        found = _venv_python(Path(active))
        if found is not None:
            return ProjectPython(str(found), "the active virtualenv ($VIRTUAL_ENV)", in_project=False)
    return ProjectPython(
        sys.executable,
        "motia's own interpreter (the project has no python_modules/, .venv/ or venv/)",
        in_project=False,
    )


def protobuf_search_path() -> str:
    """The folder holding motia's own ``google/protobuf`` (site-packages, or wherever it is installed)."""
    spec = importlib.util.find_spec("google.protobuf")
    if spec is None or not spec.submodule_search_locations:
        raise RunnerSetupError("python", "motia's own protobuf is missing", "reinstall motia")
    return str(Path(next(iter(spec.submodule_search_locations))).resolve().parent.parent)


def debugpy_search_path() -> str | None:
    """The folder holding motia's own ``debugpy`` (the ``debug`` extra), when it is installed: the
    Python runner falls back on it under ``--inspect-python`` (see ``motia_runner/debugger.py``)."""
    spec = importlib.util.find_spec("debugpy")
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(next(iter(spec.submodule_search_locations))).resolve().parent)
