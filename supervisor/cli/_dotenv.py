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


class DotEnv:
    """The project's ``.env`` in ``os.environ``: a variable already set in the environment wins over the
    file's; on a reload, the variables that came from the file follow it (changed, added, removed)."""

    def __init__(self, project_root: Path) -> None:
        self._path = project_root / ".env"
        #: the variables this file set, with their values
        self._applied: dict[str, str] = {}

    def load(self) -> None:
        self.reload()

    def reload(self) -> set[str]:
        """Apply the file as it is now; the names of the variables that changed."""
        values = self._read()
        changed: set[str] = set()
        for name in list(self._applied):
            if name not in values:
                if os.environ.get(name) == self._applied.pop(name):
                    del os.environ[name]
                changed.add(name)
        for name, value in values.items():
            if name in self._applied or name not in os.environ:
                if os.environ.get(name) != value:
                    changed.add(name)
                os.environ[name] = value
                self._applied[name] = value
        return changed

    def _read(self) -> dict[str, str]:
        if not self._path.is_file():
            return {}
        return parse_dotenv(self._path.read_text(encoding="utf-8"))


def load_dotenv(project_root: Path) -> None:
    DotEnv(project_root).load()
