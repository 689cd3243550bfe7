"""Walk ``steps/`` and ``src/`` and sort what we find."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable
from pathlib import Path

from supervisor.discovery._hooks import find_hook_files
from supervisor.discovery._imports import leads_into, relative_import_targets
from supervisor.discovery._naming import VENV_MARKER, classify, is_skipped_dir
from supervisor.discovery._types import Discovery, SourceFile

# Motia's docs name `steps/` in one place and `steps/` and `src/` in another (both searched recursively,
# nothing outside them); a project may use either, both or neither.
SCAN_ROOTS = ("steps", "src")
#: a folder holding one is a JS project of its own (a web app beside the steps), not a helper folder
PACKAGE_MANIFEST = "package.json"


def package_manifest(root: Path) -> dict[str, object]:
    """The ``package.json`` of ``root`` read as a JSON object; empty when there is none or it is not one."""
    try:
        manifest = json.loads((root / PACKAGE_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


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


def misplaced_files(project_root: Path) -> list[str]:
    """Step and stream files lying in the project root itself, where discovery does not look: Motia's
    docs title some of theirs without a folder (``send_message_step.py``), and a file pasted so is
    otherwise dropped without a word."""
    try:
        names = sorted(entry.name for entry in project_root.iterdir() if entry.is_file())
    except OSError:
        return []
    return [name for name in names if classify(name) is not None]


def _walk(top: Path) -> list[Path]:
    files: list[Path] = []
    # Symlinked folders are not followed (a link back up the tree would loop); symlinked files are kept.
    for dirpath, dirnames, filenames in os.walk(top):
        # Pruning dirnames in place stops os.walk from descending; sorting keeps the walk reproducible.
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(Path(dirpath) / d))
        files.extend(Path(dirpath) / name for name in filenames if (Path(dirpath) / name).is_file())
    return files


def helper_folders(
    project_root: Path,
    tops: Iterable[Path] | None = None,
    limit: int = 500,
    imports: StepImports | None = None,
) -> list[Path]:
    """The folders outside the scan roots that may hold the helpers steps import (``middlewares/``,
    where Motia's docs put middlewares, ``services/``, ``lib/``...): ``tops`` (by default the root's
    folders but the scan roots) and the folders under them, skipped folders, virtualenvs and separate
    JS projects pruned (see :func:`in_helper_folder`), at most ``limit`` of them (a big tree should not
    cost a watch per folder). ``imports``: the steps' imports already read for this batch of changes."""
    imports = imports or StepImports(project_root)
    if tops is None:
        tops = sorted(
            path for path in project_root.iterdir() if path.is_dir() and path.name not in SCAN_ROOTS
        )
    found: list[Path] = []
    for top in tops:
        if not _in_helper_folder(project_root, top, imports):
            continue
        for dirpath, dirnames, _filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if _may_hold_helpers(Path(dirpath) / d, imports))
            found.append(Path(dirpath))
            if len(found) >= limit:
                return found
    return found


def in_helper_folder(project_root: Path, folder: Path, imports: StepImports | None = None) -> bool:
    """Whether ``folder`` (outside the scan roots) may hold helpers of the steps: neither it nor a folder
    above it is skipped (``node_modules``, dot-folders, virtualenvs...) or a separate JS project, a
    folder with its own ``package.json`` (a web app next to the steps, a tool), unless a Node file
    under the scan roots imports from that project by a relative path. Pass the same ``imports`` to
    the calls about one batch of changes: the steps are then read once for all of them, not per path."""
    return _in_helper_folder(project_root, folder, imports or StepImports(project_root))


def _in_helper_folder(project_root: Path, folder: Path, imports: StepImports) -> bool:
    try:
        parts = folder.relative_to(project_root).parts
    except ValueError:
        return False
    if not parts or parts[0] in SCAN_ROOTS:
        return False
    return all(
        _may_hold_helpers(project_root.joinpath(*parts[:depth]), imports)
        for depth in range(1, len(parts) + 1)
    )


def _may_hold_helpers(folder: Path, imports: StepImports) -> bool:
    if _skip_dir(folder):
        return False
    return not (folder / PACKAGE_MANIFEST).is_file() or imports.lead_into(folder)


class StepImports:
    """What the Node files under the scan roots import by relative paths, read once, when first asked
    (most projects have no separate JS project beside their steps, and then nothing is read): one
    per question or batch of changes, as the steps may have changed since."""

    def __init__(self, project_root: Path) -> None:
        self._project_root = project_root

    @functools.cached_property
    def _targets(self) -> list[Path]:
        roots = [self._project_root / name for name in SCAN_ROOTS]
        return relative_import_targets(file for root in roots if root.is_dir() for file in _walk(root))

    def lead_into(self, folder: Path) -> bool:
        return leads_into(self._targets, folder)


def _skip_dir(path: Path) -> bool:
    return is_skipped_dir(path.name) or (path / VENV_MARKER).exists()
