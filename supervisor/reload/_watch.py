from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from supervisor.discovery import SCAN_ROOTS, helper_folders
from supervisor.reload._changes import ProjectChanges, classify_changes, is_code_path, is_root_file

# watchfiles debounces bursts (an editor's save, a git checkout) into one batch.
DEBOUNCE_MS = 300


async def project_changes(project_root: Path, stop: asyncio.Event) -> AsyncIterator[ProjectChanges]:
    """Yield each batch of changes that matters to the running project, classified.

    The scanned folders (``steps/``, ``src/``) are watched recursively; the project root only for its
    own files (``.env``, ``motia.config.json``, hook files, ``requirements.txt``): watching the root
    recursively would walk ``node_modules`` and virtualenvs. The other folders, where helpers may live
    (``middlewares/``, ``services/``), are watched each on its own as found at start, skipped folders
    pruned (a frontend's ``node_modules`` is not walked); a folder made there later is not watched.
    """
    batches: asyncio.Queue[set[Path]] = asyncio.Queue()
    folders = [project_root / name for name in SCAN_ROOTS if (project_root / name).is_dir()]
    watchers = [
        asyncio.create_task(
            _watch(batches, [project_root], False, stop, lambda path: is_root_file(project_root, path))
        )
    ]
    helpers = helper_folders(project_root)
    if helpers:
        watchers.append(
            asyncio.create_task(
                _watch(batches, helpers, False, stop, lambda path: is_code_path(project_root, path))
            )
        )
    if folders:
        watchers.append(
            asyncio.create_task(
                _watch(batches, folders, True, stop, lambda path: is_code_path(project_root, path))
            )
        )
    try:
        while not stop.is_set():
            paths = await batches.get()
            while not batches.empty():  # the other watcher's part of the same burst
                paths |= batches.get_nowait()
            changes = classify_changes(project_root, paths)
            if changes.paths:
                yield changes
    finally:
        for watcher in watchers:
            watcher.cancel()
        for watcher in watchers:
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _watch(
    batches: asyncio.Queue[set[Path]],
    paths: list[Path],
    recursive: bool,
    stop: asyncio.Event,
    wanted: Callable[[Path], bool],
) -> None:
    default_filter = DefaultFilter()

    def keep(change: Change, path: str) -> bool:
        return default_filter(change, path) and wanted(Path(path))

    async for changes in awatch(
        *paths, watch_filter=keep, stop_event=stop, debounce=DEBOUNCE_MS, recursive=recursive
    ):
        batches.put_nowait({Path(path) for _change, path in changes})
