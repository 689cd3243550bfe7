"""A spy on ``SqliteDatabase.write``: which thread each write ran on (the event loop's or the writer's)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
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
