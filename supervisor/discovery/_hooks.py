"""Project hook files: where the project's stream ``authenticate(request)`` hook lives.

Motia 0.17 documents one place, the ``streamAuth.authenticate`` of the default export of
``motia.config.ts``; that file is TypeScript-only and usually imports plugins, so it is taken as a hook
file only when it mentions ``streamAuth`` (a project whose config holds only plugins keeps loading
without them). For every language there is also a dedicated file exporting ``authenticate``:

* ``motia.auth.ts`` (or ``.js``, ``.mjs``, ``.cjs``, ``.mts``, ``.cts``) for Node,
* ``motia_auth.py`` for Python,

looked for at the project root, then directly in ``steps/`` and ``src/`` (not in their subfolders).
``motia.config.*`` is looked for at the root only, as Motia does. A project should have one hook file;
the registry reports more than one defining ``authenticate`` as a problem.
"""

from __future__ import annotations

from pathlib import Path

from supervisor.discovery._naming import NODE_EXTENSIONS
from supervisor.discovery._types import RunnerKind, SourceFile

HOOK_DIRS = ("", "steps", "src")
NODE_HOOK_NAMES = tuple(f"motia.auth{ext}" for ext in NODE_EXTENSIONS)
PYTHON_HOOK_NAMES = ("motia_auth.py",)
MOTIA_CONFIG_NAMES = tuple(f"motia.config{ext}" for ext in NODE_EXTENSIONS)
# Motia's key for the stream auth section of motia.config.ts.
MOTIA_CONFIG_MARKER = "streamAuth"


def find_hook_files(project_root: Path) -> list[SourceFile]:
    """The project's hook files, in precedence order: root, ``steps/``, ``src/``; dedicated files first."""
    found: list[SourceFile] = []
    for folder in HOOK_DIRS:
        directory = project_root / folder if folder else project_root
        if not directory.is_dir():
            continue
        found.extend(_here(project_root, directory, NODE_HOOK_NAMES, "node"))
        found.extend(_here(project_root, directory, PYTHON_HOOK_NAMES, "python"))
    for name in MOTIA_CONFIG_NAMES:
        path = project_root / name
        if path.is_file() and _mentions_stream_auth(path):
            found.append(SourceFile(name, "node"))
    return found


def hook_file_runner(name: str) -> RunnerKind | None:
    """The runner that loads a hook file named ``name`` (``motia.auth.ts``, ``motia.config.ts``,
    ``motia_auth.py``), or None for any other name."""
    if name in NODE_HOOK_NAMES or name in MOTIA_CONFIG_NAMES:
        return "node"
    return "python" if name in PYTHON_HOOK_NAMES else None


def is_motia_config(path: str) -> bool:
    """``motia.config.ts`` and friends: hook files that may legitimately define no hook."""
    return Path(path).name in MOTIA_CONFIG_NAMES


def _here(root: Path, directory: Path, names: tuple[str, ...], runner: RunnerKind) -> list[SourceFile]:
    return [
        SourceFile((directory / name).relative_to(root).as_posix(), runner)
        for name in names
        if (directory / name).is_file()
    ]


def _mentions_stream_auth(path: Path) -> bool:
    try:
        return MOTIA_CONFIG_MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
