"""Where in the user's code an error happened, read from the stack a runner sent.

Both runners send the stack as their language prints it, without their own frames (when any frame is
the user's): V8's ``at fn (/abs/file.ts:7:9)`` lines, innermost first (TypeScript already mapped to its
own lines by tsx's source maps), or Python's ``File "/abs/file.py", line 9, in fn`` lines, innermost
last. The location is the innermost frame in
a file of the project, outside its dependencies and the runners' own files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from supervisor.storage import JsonObject

_V8_FRAME = re.compile(r"^\s*at (?:.*?\()?((?:file://)?/[^():]+):(\d+)(?::(\d+))?\)?\s*$")
_PYTHON_FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+)')
_DEPENDENCY_DIRS = ("node_modules", "python_modules", "site-packages", "dist-packages", ".venv", "venv")


def locate(stack: str, project_root: Path, internal: Sequence[Path] = ()) -> JsonObject | None:
    """``{"file": "steps/x.step.ts", "line": 7, "column": 9}`` (file relative to the project), or None
    when no frame of the stack is in the project's own code. ``internal``: folders whose frames are
    never the user's (the runners'), even inside the project."""
    root = str(project_root)
    skipped = [str(folder) for folder in internal]
    for path, line, column in _frames(stack):
        if not path.startswith(root + "/") or any(path.startswith(folder + "/") for folder in skipped):
            continue
        relative = path[len(root) + 1 :]
        if any(part in _DEPENDENCY_DIRS for part in relative.split("/")[:-1]):
            continue
        return {"file": relative, "line": line, "column": column}
    return None


def _frames(stack: str) -> Iterator[tuple[str, int, int]]:
    """Frames innermost first: (absolute path, line, column or 0)."""
    lines = stack.splitlines()
    python = [match for line in lines if (match := _PYTHON_FRAME.match(line))]
    if python:
        for match in reversed(python):
            yield match.group(1), int(match.group(2)), 0
        return
    for line in lines:
        match = _V8_FRAME.match(line)
        if match:
            path = match.group(1)
            path = unquote(urlparse(path).path) if path.startswith("file://") else path.split("?")[0]
            yield path, int(match.group(2)), int(match.group(3) or 0)
