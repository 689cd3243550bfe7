"""How to start each runner (node, python) in this environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from supervisor.runners._files import runner_files
from supervisor.runners._node_env import find_node, installed_node_runner
from supervisor.runners._python_env import (
    DEBUGPY_PATH_ENV,
    PROTOBUF_PATH_ENV,
    debugpy_search_path,
    project_python,
    protobuf_search_path,
)

RUNNER_COOKIE = "motia-runner-v1"


@dataclass(frozen=True)
class RunnerSpec:
    runner: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    #: what runs the steps and why it was chosen, for the start-up log
    description: str = ""


def prepare_runner(runner: str, project_root: Path, python_interpreter: str | None = None) -> RunnerSpec:
    """Check the environment for the ``runner`` (node, python) and say how to start it.

    Raises ``RunnerSetupError`` (what was found, what to do) when it cannot run here. Blocking: the
    first start of a node runner version installs its npm packages; call it from a worker thread.
    """
    if runner == "node":
        return node_spec()
    if runner == "python":
        return python_spec(project_root, python_interpreter)
    raise ValueError(f"no runner named {runner!r}")


def node_spec() -> RunnerSpec:
    node = find_node()
    installed = installed_node_runner(runner_files().node)
    return RunnerSpec(
        "node",
        (node.path, str(installed / "bin" / "runner.mjs")),
        description=f"{node.path} (runner files in {installed})",
    )


def python_spec(project_root: Path, interpreter: str | None = None) -> RunnerSpec:
    python = project_python(project_root, interpreter)
    existing = os.environ.get("PYTHONPATH")
    python_path = str(runner_files().python) + (os.pathsep + existing if existing else "")
    env = {"PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1", PROTOBUF_PATH_ENV: protobuf_search_path()}
    debugpy = debugpy_search_path()
    if debugpy is not None:
        env[DEBUGPY_PATH_ENV] = debugpy
    return RunnerSpec(
        "python",
        (python.path, "-X", "utf8", "-m", "motia_runner"),
        env,
        description=f"{python.path} ({python.origin})",
    )
