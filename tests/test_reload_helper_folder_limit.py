"""``motia dev`` watches at most ``HELPER_FOLDER_LIMIT`` helper folders (outside steps/ and src/):
past it, one warning names the first folder not watched, whether found at start or made later, and
a file written there is not reported. ``project_changes`` on real watches of a temp project, with a
limit of 2 passed in rather than 500 folders made."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from supervisor.reload import project_changes

LIMIT = 2
WARNING = "hot reload watches at most 2 folders outside steps/ and src/"


@contextlib.asynccontextmanager
async def reported(project: Path) -> AsyncIterator[set[str]]:
    """The paths ``project_changes`` reports (relative to ``project``), gathered while in the block;
    on entry, its watches are up (a file written in ``lib/`` is reported)."""
    seen: set[str] = set()
    stop = asyncio.Event()

    async def gather() -> None:
        async for changes in project_changes(project, stop, helper_limit=LIMIT):
            seen.update(changes.paths)

    task = asyncio.create_task(gather())
    try:
        await until(lambda: "lib/ready.ts" in seen, write=lambda: (project / "lib/ready.ts").write_text(""))
        yield seen
    finally:  # as motia dev stops: the stop event set, the task cancelled (it may wait for a batch)
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(done: Callable[[], bool], write: Callable[[], object] = lambda: None) -> None:
    """Wait for ``done``, calling ``write`` every half second (a watch may not be up at the first)."""
    for _ in range(60):
        write()
        for _ in range(5):
            if done():
                return
            await asyncio.sleep(0.1)
    raise AssertionError("not reported in 30 s")


def not_watching(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and WARNING in r.getMessage()
    ]


async def test_the_helper_folders_past_the_limit_at_start_are_named_once_and_not_watched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("a", "b", "c"):  # found in this order: lib, lib/a (the limit), lib/b, lib/c
        (tmp_path / "lib" / name).mkdir(parents=True)
    with caplog.at_level(logging.WARNING, logger="motia.core"):
        async with reported(tmp_path) as seen:
            (tmp_path / "lib/b/unseen.ts").write_text("")
            (tmp_path / "lib/c/unseen.ts").write_text("")
            await until(
                lambda: "lib/a/seen.ts" in seen, write=lambda: (tmp_path / "lib/a/seen.ts").write_text("")
            )
    assert not {"lib/b/unseen.ts", "lib/c/unseen.ts"} & seen
    assert not_watching(caplog) == [f"not watching lib/b and the helper folders found after it: {WARNING}"]


async def test_a_helper_folder_made_past_the_limit_is_named_once_and_not_watched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "lib").mkdir()
    with caplog.at_level(logging.WARNING, logger="motia.core"):
        async with reported(tmp_path) as seen:
            (tmp_path / "lib/a").mkdir()  # the second folder: the limit
            await until(
                lambda: "lib/a/seen.ts" in seen, write=lambda: (tmp_path / "lib/a/seen.ts").write_text("")
            )
            assert not_watching(caplog) == []
            for name in ("b", "c"):
                (tmp_path / "lib" / name).mkdir()
                (tmp_path / "lib" / name / "unseen.ts").write_text("")
            await until(
                lambda: "lib/a/later.ts" in seen, write=lambda: (tmp_path / "lib/a/later.ts").write_text("")
            )
    assert not {"lib/b/unseen.ts", "lib/c/unseen.ts"} & seen
    assert not_watching(caplog) == [f"not watching lib/b and the helper folders found after it: {WARNING}"]
