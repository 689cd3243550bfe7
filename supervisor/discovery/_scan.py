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


def _skip_dir(path: Path) -> bool:
    return is_skipped_dir(path.name) or (path / VENV_MARKER).exists()
