"""``project_changes`` on real watches of a temp project, for the tests of hot reload's watching."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from supervisor.reload import project_changes


@dataclass
class Reported:
    """The batches ``project_changes`` yielded, each as its paths (relative to the project)."""

    batches: list[frozenset[str]] = field(default_factory=list)

    def paths(self) -> set[str]:
        return set().union(*self.batches)

    def __contains__(self, path: object) -> bool:
        return any(path in batch for batch in self.batches)


@contextlib.asynccontextmanager
async def reported(project: Path, ready: str, helper_limit: int) -> AsyncIterator[Reported]:
    """What ``project_changes`` reports, gathered while in the block; on entry, its watches are up
    (the file ``ready``, written in a watched folder, is reported)."""
    seen = Reported()
    stop = asyncio.Event()

    async def gather() -> None:
        async for changes in project_changes(project, stop, helper_limit=helper_limit):
            seen.batches.append(changes.paths)

    task = asyncio.create_task(gather())
    try:
        await until(lambda: ready in seen, write=lambda: (project / ready).write_text(""))
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
