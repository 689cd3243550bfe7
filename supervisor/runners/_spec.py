"""How to start each runner (node, python)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_RUNNER_ENTRY = REPO_ROOT / "runners" / "node" / "bin" / "runner.mjs"
PYTHON_RUNNER_PATH = REPO_ROOT / "runners" / "python"
RUNNER_COOKIE = "motia-runner-v1"


@dataclass(frozen=True)
class RunnerSpec:
    runner: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def project_python(project_root: Path) -> str:
    """The project's own interpreter: its .venv or python_modules venv, else ours."""
    for venv in (".venv", "venv", "python_modules"):
        for candidate in (
            project_root / venv / "bin" / "python",
            project_root / venv / "Scripts" / "python.exe",
        ):
            if candidate.exists():
                return str(candidate)
    return sys.executable


def node_spec() -> RunnerSpec:
    return RunnerSpec("node", ("node", str(NODE_RUNNER_ENTRY)))


def python_spec(project_root: Path) -> RunnerSpec:
    existing = os.environ.get("PYTHONPATH")
    python_path = str(PYTHON_RUNNER_PATH) + (os.pathsep + existing if existing else "")
    return RunnerSpec(
        "python",
        (project_python(project_root), "-X", "utf8", "-m", "motia_runner"),
        {"PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1"},
    )


def spec_for(runner: str, project_root: Path) -> RunnerSpec:
    if runner == "node":
        return node_spec()
    if runner == "python":
        return python_spec(project_root)
    raise ValueError(f"no runner named {runner!r}")
