"""File-name rules: which names are steps, which are streams, which folders are never scanned.

Motia 0.17 globs ``**/*.step.{ts,js}`` and ``**/*_step.{ts,js,py}`` (streams alike) under ``steps/`` and
``src/``; its docs also show ``*.step.py`` (``x.step.py``, ``my-step.step.py``, the tutorial's
``pet_creation.stream.py``), which its loader warns about and skips. We accept every form:
``*.step.ts``/``*_step.ts`` and friends for Node, ``*_step.py`` *and* ``*.step.py`` for Python, and any
extra dotted infix before the marker (``x.job.step.ts``, ``x.cron_step.py``). Names that contain the
marker but are not steps are excluded: Workbench UI overrides (``.step.tsx``/``.step.jsx``, never a
runnable extension), tests (``x.step.test.ts``, ``x.spec.step.js``, pytest's ``test_*.py``) and type
declarations (``x.step.d.ts``).
"""

from __future__ import annotations

from pathlib import PurePath

from supervisor.discovery._types import FileKind, Language, RunnerKind

NODE_EXTENSIONS = (".ts", ".js", ".mjs", ".cjs", ".mts", ".cts")
_DECLARATION_SUFFIXES = tuple(f".d{ext}" for ext in NODE_EXTENSIONS)
_KINDS: tuple[FileKind, ...] = ("step", "stream")

# Folders that hold dependencies, build output or caches. Any dot-folder is skipped too (see is_skipped_dir).
SKIPPED_DIR_NAMES = frozenset({"node_modules", "python_modules", "venv", "dist", "__pycache__"})
# A folder holding this file is a Python virtualenv, whatever it is called (``env``, ``.venv``, ``py311``...).
VENV_MARKER = "pyvenv.cfg"


def classify(name: str | PurePath) -> tuple[FileKind, RunnerKind] | None:
    """Say whether a file name (or path; only its last part counts) is a step or a stream, and its runner."""
    filename = PurePath(name).name
    if _is_excluded(filename):
        return None
    for kind in _KINDS:
        if _has_node_marker(filename, kind):
            return kind, "node"
        if _has_python_marker(filename, kind):
            return kind, "python"
    return None


def language_of(path: str) -> Language:
    """What a step or stream file is written in (not its runner: TypeScript and JavaScript share one)."""
    suffix = path.rsplit(".", 1)[-1]
    if suffix == "py":
        return "python"
    return "typescript" if suffix in ("ts", "mts", "cts") else "javascript"


def is_skipped_dir(name: str) -> bool:
    """Folders never scanned, judged by name alone (spotting a virtualenv needs a directory listing)."""
    return name.startswith(".") or name in SKIPPED_DIR_NAMES


def _has_node_marker(filename: str, kind: FileKind) -> bool:
    return any(
        _ends_with(filename, f".{kind}{ext}") or _ends_with(filename, f"_{kind}{ext}")
        for ext in NODE_EXTENSIONS
    )


def _has_python_marker(filename: str, kind: FileKind) -> bool:
    return _ends_with(filename, f"_{kind}.py") or _ends_with(filename, f".{kind}.py")


def _ends_with(filename: str, suffix: str) -> bool:
    # The marker must follow a real base name: '_step.py' or '.step.ts' alone names nothing.
    return filename.endswith(suffix) and len(filename) > len(suffix)


def _is_excluded(filename: str) -> bool:
    # Dot-files are editor droppings (emacs writes '.#x.step.ts' lock files), never user code.
    if filename.startswith("."):
        return True
    if filename.endswith(_DECLARATION_SUFFIXES):
        return True
    # Dotted segments between the base name and the extension: 'x.step.test.ts' -> ['step', 'test'].
    infixes = filename.split(".")[1:-1]
    if "test" in infixes or "spec" in infixes:
        return True
    # pytest collects test_*.py; a 'test_create_pet_step.py' next to its step is a test, not a step.
    return filename.endswith(".py") and filename.startswith("test_")
