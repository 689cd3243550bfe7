"""The durable queue in the project's SQLite database (``queue_deliveries``, ``queue_dead_letters``)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from supervisor.storage import JsonValue, SqliteDatabase, decode_json, encode_json

from ._queue import unknown
from ._types import DeadLetter, Delivery

_COMMON = "id, topic, subscriber, data, trace_id, message_group_id, attempts"
_DELIVERY_COLUMNS = f"{_COMMON}, available_at, last_error"
_DEAD_COLUMNS = f"{_COMMON}, last_error, failed_at"


class SqliteEventQueue:
    """The queue on a shared ``SqliteDatabase``; the database's owner closes it."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def enqueue(
        self,
        topic: str,
        data: JsonValue,
        trace_id: str,
        subscribers: Sequence[tuple[str, float]],
        message_group_id: str | None = None,
    ) -> list[Delivery]:
        if not subscribers:
            return []
        blob = encode_json(data, f"event data for topic {topic!r}")
        now = time.time()
        rows = [(name, now + delay) for name, delay in subscribers]

        def write(conn: sqlite3.Connection) -> list[int]:
            ids: list[int] = []
            for name, available_at in rows:
                cursor = conn.execute(
                    "INSERT INTO queue_deliveries "
                    "(topic, subscriber, data, trace_id, message_group_id, available_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (topic, name, blob, trace_id, message_group_id, available_at),
                )
                ids.append(_rowid(cursor))
            return ids

        ids = await self._db.write(write)
        return [
            Delivery(ident, topic, name, data, trace_id, message_group_id, 0, available_at, None)
            for ident, (name, available_at) in zip(ids, rows, strict=True)
        ]

    async def ack(self, delivery_id: int) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM queue_deliveries WHERE id = ?", (delivery_id,))

        await self._db.write(write)

    async def schedule_retry(self, delivery_id: int, attempts: int, available_at: float, error: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE queue_deliveries SET attempts = ?, available_at = ?, last_error = ? WHERE id = ?",
                (attempts, available_at, error, delivery_id),
            )
            if cursor.rowcount == 0:
                raise unknown("pending delivery", delivery_id)

        await self._db.write(write)

    async def dead_letter(self, delivery_id: int, attempts: int, error: str) -> DeadLetter:
        failed_at = time.time()

        def write(conn: sqlite3.Connection) -> tuple[Any, ...]:
            row = conn.execute(
                f"INSERT INTO queue_dead_letters ({_DEAD_COLUMNS}) "
                "SELECT id, topic, subscriber, data, trace_id, message_group_id, ?, ?, ? "
                f"FROM queue_deliveries WHERE id = ? RETURNING {_DEAD_COLUMNS}",
                (attempts, error, failed_at, delivery_id),
            ).fetchone()
            if row is None:
                raise unknown("pending delivery", delivery_id)
            conn.execute("DELETE FROM queue_deliveries WHERE id = ?", (delivery_id,))
            return tuple(row)

        return _dead_letter(await self._db.write(write))

    async def pending(self) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(f"SELECT {_DELIVERY_COLUMNS} FROM queue_deliveries ORDER BY id").fetchall()

        return [_delivery(row) for row in await self._db.read(read)]

    async def dead_letters(self) -> list[DeadLetter]:
        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(f"SELECT {_DEAD_COLUMNS} FROM queue_dead_letters ORDER BY id").fetchall()

        return [_dead_letter(row) for row in await self._db.read(read)]

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        now = time.time()

        def write(conn: sqlite3.Connection) -> tuple[Any, ...]:
            row = conn.execute(
                "INSERT INTO queue_deliveries "
                "(topic, subscriber, data, trace_id, message_group_id, attempts, available_at) "
                "SELECT topic, subscriber, data, trace_id, message_group_id, 0, ? "
                f"FROM queue_dead_letters WHERE id = ? RETURNING {_DELIVERY_COLUMNS}",
                (now, dead_letter_id),
            ).fetchone()
            if row is None:
                raise unknown("dead letter", dead_letter_id)
            conn.execute("DELETE FROM queue_dead_letters WHERE id = ?", (dead_letter_id,))
            return tuple(row)

        return _delivery(await self._db.write(write))

    async def close(self) -> None:
        return None


def _rowid(cursor: sqlite3.Cursor) -> int:
    ident = cursor.lastrowid
    if ident is None:  # pragma: no cover - an INSERT into a rowid table always sets it
        raise RuntimeError("SQLite did not report the new delivery's id")
    return ident


def _delivery(row: tuple[Any, ...]) -> Delivery:
    ident, topic, subscriber, data, trace_id, group, attempts, available_at, error = row
    return Delivery(
        ident, topic, subscriber, decode_json(data), trace_id, group, attempts, available_at, error
    )


def _dead_letter(row: tuple[Any, ...]) -> DeadLetter:
    ident, topic, subscriber, data, trace_id, group, attempts, error, failed_at = row
    return DeadLetter(
        ident, topic, subscriber, decode_json(data), trace_id, group, attempts, error, failed_at
    )
