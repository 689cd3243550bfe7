"""Loads the project's ``.env`` into the environment (runners inherit it), without overriding."""

from __future__ import annotations

import os
from pathlib import Path


def parse_dotenv(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[name.strip()] = value
    return values


def load_dotenv(project_root: Path) -> None:
    path = project_root / ".env"
    if path.is_file():
        for name, value in parse_dotenv(path.read_text(encoding="utf-8")).items():
            os.environ.setdefault(name, value)
