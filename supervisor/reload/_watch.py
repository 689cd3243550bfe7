from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

from supervisor.discovery import SCAN_ROOTS, is_skipped_dir

# Any source a step may import counts, not only step files: a helper module changing
# changes the steps that use it.
CODE_SUFFIXES = frozenset({".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".py", ".json"})


def is_code_path(project_root: Path, path: Path) -> bool:
    try:
        relative = path.relative_to(project_root)
    except ValueError:
        return False
    parts = relative.parts
    if len(parts) < 2 or parts[0] not in SCAN_ROOTS or any(is_skipped_dir(part) for part in parts[:-1]):
        return False
    return path.suffix in CODE_SUFFIXES and not path.name.startswith(".")


async def code_changes(project_root: Path, stop: asyncio.Event) -> AsyncIterator[set[Path]]:
    """Yield each batch of code changes (watchfiles debounces bursts, e.g. an editor's save)."""
    # Only the scanned folders: watching the project root would walk node_modules and venvs.
    watched = [project_root / name for name in SCAN_ROOTS if (project_root / name).is_dir()]
    if not watched:
        return
    default_filter = DefaultFilter()

    def wanted(change: Change, path: str) -> bool:
        return default_filter(change, path) and is_code_path(project_root, Path(path))

    async for changes in awatch(*watched, watch_filter=wanted, stop_event=stop, debounce=300):
        paths = {Path(path) for _change, path in changes}
        if paths:
            yield paths
