"""A spy on ``SqliteDatabase.write``: which thread each write ran on (the event loop's or the writer's)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from supervisor.storage import SqliteDatabase


def record_write_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, every ``SqliteDatabase.write`` appends the ident of the thread its callable ran on."""
    ran_on: list[int] = []
    write = SqliteDatabase.write

    async def recording(self: SqliteDatabase, fn: Callable[[sqlite3.Connection], Any], **kwargs: Any) -> Any:
        def traced(conn: sqlite3.Connection) -> Any:
            ran_on.append(threading.get_ident())
            return fn(conn)

        return await write(self, traced, **kwargs)

    monkeypatch.setattr(SqliteDatabase, "write", recording)
    return ran_on


async def until_a_write_runs_on_the_loop(write: Callable[[], Awaitable[object]], ran_on: list[int]) -> None:
    """Repeat the small ``write``, a loop turn apart, until one ran on this thread (the event loop's):
    the writer is idle then. What came before may keep the writer thread busy for a while (its last
    commits, a checkpoint), the longer on a busy machine; 30 s guard a hang."""
    loop_thread = threading.get_ident()
    deadline = time.monotonic() + 30
    while True:
        await asyncio.sleep(0.01)  # a loop turn of its own: its first write may run on the loop
        del ran_on[:]
        await write()
        if ran_on and ran_on[-1] == loop_thread:
            return
        assert time.monotonic() < deadline, "no small write ran on the event loop in 30 s"
