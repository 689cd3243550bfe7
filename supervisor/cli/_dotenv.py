"""Loads the project's ``.env`` into the environment (runners inherit it), without overriding.

Parsed by python-dotenv with the rules Node Motia's ``dotenv`` follows and users rely on: ``export KEY=``
prefixes, single and double quotes stripped, ``# comments`` after a value (quoted or not), values that
span lines inside quotes, escapes (``\\n``, ``\\"``...) in double quotes. Like Node's dotenv, ``${VAR}`` is
kept as written (no interpolation).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from dotenv import dotenv_values


def parse_dotenv(text: str) -> dict[str, str]:
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {name: value for name, value in values.items() if value is not None}


def load_dotenv(project_root: Path) -> None:
    path = project_root / ".env"
    if path.is_file():
        for name, value in parse_dotenv(path.read_text(encoding="utf-8")).items():
            os.environ.setdefault(name, value)
