"""``motia dev`` watches at most ``HELPER_FOLDER_LIMIT`` helper folders (outside steps/ and src/):
past it, one warning names the first folder not watched, whether found at start or made later, and
a file written there is not reported. ``project_changes`` on real watches of a temp project, with a
limit of 2 passed in rather than 500 folders made."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import pytest

from tests.support import watches
from tests.support.watches import Reported, until

LIMIT = 2
WARNING = "hot reload watches at most 2 folders outside steps/ and src/"


def reported(project: Path) -> contextlib.AbstractAsyncContextManager[Reported]:
    return watches.reported(project, "lib/ready.ts", LIMIT)


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
    assert not {"lib/b/unseen.ts", "lib/c/unseen.ts"} & seen.paths()
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
    assert not {"lib/b/unseen.ts", "lib/c/unseen.ts"} & seen.paths()
    assert not_watching(caplog) == [f"not watching lib/b and the helper folders found after it: {WARNING}"]
