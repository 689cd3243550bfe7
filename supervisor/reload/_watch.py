from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from supervisor.discovery import SCAN_ROOTS, StepImports, helper_folders, in_helper_folder, is_skipped_dir
from supervisor.reload._changes import ProjectChanges, classify_changes, is_root_file, may_be_code_path

_logger = logging.getLogger("motia.core")

# watchfiles debounces bursts (an editor's save, a git checkout) into one batch.
DEBOUNCE_MS = 300
#: the most helper folders watched (at start and made later): a big tree should not cost a watch per folder
HELPER_FOLDER_LIMIT = 500

_Batch = set[tuple[Change, Path]]


async def project_changes(
    project_root: Path, stop: asyncio.Event, helper_limit: int = HELPER_FOLDER_LIMIT
) -> AsyncIterator[ProjectChanges]:
    """Yield each batch of changes that matters to the running project, classified.

    The scanned folders (``steps/``, ``src/``) are watched recursively; the project root only for its
    own files (``.env``, ``motia.config.json``, hook files, ``requirements.txt``) and the folders made
    in it: watching the root recursively would walk ``node_modules`` and virtualenvs. The other
    folders, where helpers may live (``middlewares/``, ``services/``), are watched each on its own,
    those found at start and those made later (``mkdir services`` while ``motia dev`` runs), with the
    folders :func:`supervisor.discovery.helper_folders` prunes left out (a frontend's ``node_modules``
    is not walked), at most ``helper_limit`` of them: the first one past it is named in a warning.
    """
    watch = _Watchers(project_root, stop, helper_limit)
    folders = [project_root / name for name in SCAN_ROOTS if (project_root / name).is_dir()]
    watch.start([project_root], recursive=False, wanted=lambda path: is_root_file(project_root, path))
    watch.helpers(helper_folders(project_root, limit=helper_limit + 1))  # one past: named if there
    if folders:
        watch.start(folders, recursive=True, wanted=lambda path: may_be_code_path(project_root, path))
    try:
        while not stop.is_set():
            batch = await watch.batches.get()
            while not watch.batches.empty():  # the other watchers' part of the same burst
                batch |= watch.batches.get_nowait()
            paths = {path for _change, path in batch}
            # What the steps import, read at most once for the batch, whatever its size: whether a
            # folder with its own package.json holds helpers depends on it (the watches' filter
            # leaves that question here).
            imports = StepImports(project_root)
            # A folder made in a watched one: watched from now on, its files so far counted as changed
            # (they may have been written before its watch began).
            made = sorted(path for change, path in batch if change == Change.added and path.is_dir())
            paths.update(await watch.made(made, imports))
            changes = classify_changes(project_root, paths, imports)
            if changes.paths:
                yield changes
    finally:
        await watch.close()


class _Watchers:
    """The watch tasks of a project, each feeding ``batches``."""

    def __init__(self, project_root: Path, stop: asyncio.Event, helper_limit: int) -> None:
        self.project_root = project_root
        self.stop = stop
        self._helper_limit = helper_limit
        self.batches: asyncio.Queue[_Batch] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._helper_count = 0
        self._full = False

    def start(self, paths: list[Path], *, recursive: bool, wanted: Callable[[Path], bool]) -> None:
        # A folder-by-folder watch reports the folders made in it; a recursive one watches them already.
        self._tasks.append(
            asyncio.create_task(_watch(self.batches, paths, recursive, self.stop, wanted, not recursive))
        )

    def helpers(self, folders: list[Path]) -> list[Path]:
        """Watch the helper ``folders`` (in the order found) up to the limit; the first one past it is
        named in a warning, once: a step making folders by the thousand would flood the log. The
        folders watched."""
        room = self._helper_limit - self._helper_count
        if len(folders) > room and not self._full:
            self._full = True
            _logger.warning(
                "not watching %s and the helper folders found after it: hot reload watches at most %d "
                "folders outside steps/ and src/",
                folders[room].relative_to(self.project_root),
                self._helper_limit,
            )
        folders = folders[:room]
        if folders:
            self._helper_count += len(folders)
            self.start(
                folders, recursive=False, wanted=lambda path: may_be_code_path(self.project_root, path)
            )
        return folders

    async def made(self, folders: Iterable[Path], imports: StepImports) -> set[Path]:
        """Watch the ``folders`` just made that may hold code; the files in them now."""
        scan_roots: list[Path] = []
        helpers: list[Path] = []
        for folder in folders:
            if folder.parent == self.project_root and folder.name in SCAN_ROOTS:
                scan_roots.append(folder)
            elif not self._full and in_helper_folder(self.project_root, folder, imports):
                room = self._helper_limit - self._helper_count - len(helpers)
                if room >= 0:  # up to one past the limit: the folder ``helpers`` names
                    helpers.extend(helper_folders(self.project_root, [folder], room + 1, imports))
        helpers = self.helpers(helpers)
        if not scan_roots and not helpers:
            return set()
        if scan_roots:
            self.start(
                scan_roots, recursive=True, wanted=lambda path: may_be_code_path(self.project_root, path)
            )
        await asyncio.sleep(0)  # the new watch tasks set their watches up before their first wait
        return {path for folder in helpers for path in _files_in(folder)}.union(
            *map(_files_under, scan_roots)
        )

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _files_in(folder: Path) -> list[Path]:
    try:
        return [path for path in folder.iterdir() if path.is_file()]
    except OSError:  # gone already
        return []


def _files_under(root: Path) -> set[Path]:
    found: set[Path] = set()
    for top, dirs, names in os.walk(root):
        dirs[:] = [name for name in dirs if not is_skipped_dir(name)]
        found.update(Path(top, name) for name in names)
    return found


async def _watch(
    batches: asyncio.Queue[_Batch],
    paths: list[Path],
    recursive: bool,
    stop: asyncio.Event,
    wanted: Callable[[Path], bool],
    made_folders: bool,
) -> None:
    default_filter = DefaultFilter()

    def keep(change: Change, path: str) -> bool:
        if not default_filter(change, path):
            return False
        return wanted(Path(path)) or (made_folders and change == Change.added and os.path.isdir(path))

    try:
        async for changes in awatch(
            *paths, watch_filter=keep, stop_event=stop, debounce=DEBOUNCE_MS, recursive=recursive
        ):
            batches.put_nowait({(change, Path(path)) for change, path in changes})
    except FileNotFoundError as exc:  # a folder made and removed before its watch began
        _logger.debug("not watching %s: %s", ", ".join(map(str, paths)), exc)
