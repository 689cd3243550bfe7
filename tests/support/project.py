"""Temporary projects written from inline sources, for end-to-end tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

STEP_EXTENSIONS = {"ts": ".step.ts", "js": ".step.js", "py": "_step.py"}


def write_project(root: Path, files: dict[str, str], config: dict[str, Any] | None = None) -> Path:
    """Write ``files`` (path relative to root -> source, dedented) and an optional motia.config.json."""
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    if config is not None:
        (root / "motia.config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


def step_path(lang: str, stem: str) -> str:
    """``steps/<lang>/<stem>.step.ts`` and friends."""
    return f"steps/{lang}/{stem}{STEP_EXTENSIONS[lang]}"
