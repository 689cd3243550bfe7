"""Walk ``steps/`` and ``src/`` and sort what we find."""

from __future__ import annotations

import os
from pathlib import Path

from supervisor.discovery._hooks import find_hook_files
from supervisor.discovery._naming import VENV_MARKER, classify, is_skipped_dir
from supervisor.discovery._types import Discovery, SourceFile

# Motia's docs name `steps/` in one place and `steps/` and `src/` in another (both searched recursively,
# nothing outside them); a project may use either, both or neither.
SCAN_ROOTS = ("steps", "src")


def discover(project_root: Path) -> Discovery:
    """Find every step, stream and hook file of the project at ``project_root``; missing roots are fine."""
    steps: list[SourceFile] = []
    streams: list[SourceFile] = []
    for root_name in SCAN_ROOTS:
        scan_root = project_root / root_name
        if not scan_root.is_dir():
            continue
        for path in _walk(scan_root):
            found = classify(path.name)
            if found is None:
                continue
            kind, runner = found
            source = SourceFile(path=path.relative_to(project_root).as_posix(), runner=runner)
            (steps if kind == "step" else streams).append(source)
    return Discovery(
        step_files=sorted(steps), stream_files=sorted(streams), hook_files=find_hook_files(project_root)
    )


def _walk(top: Path) -> list[Path]:
    files: list[Path] = []
    # Symlinked folders are not followed (a link back up the tree would loop); symlinked files are kept.
    for dirpath, dirnames, filenames in os.walk(top):
        # Pruning dirnames in place stops os.walk from descending; sorting keeps the walk reproducible.
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(Path(dirpath) / d))
        files.extend(Path(dirpath) / name for name in filenames if (Path(dirpath) / name).is_file())
    return files


def helper_folders(project_root: Path, limit: int = 500) -> list[Path]:
    """The folders outside the scan roots that may hold the helpers steps import (``middlewares/``,
    where Motia's docs put middlewares, ``services/``, ``lib/``...), skipped folders and virtualenvs
    pruned, at most ``limit`` of them (a big frontend should not cost a watch per folder)."""
    found: list[Path] = []
    tops = sorted(path for path in project_root.iterdir() if path.is_dir() and path.name not in SCAN_ROOTS)
    for top in tops:
        if _skip_dir(top):
            continue
        for dirpath, dirnames, _filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if not _skip_dir(Path(dirpath) / d))
            found.append(Path(dirpath))
            if len(found) >= limit:
                return found
    return found


def _skip_dir(path: Path) -> bool:
    return is_skipped_dir(path.name) or (path / VENV_MARKER).exists()
