"""The durable queue in the project's SQLite database (``queue_deliveries``, ``queue_dead_letters``).

Lanes, claims and due times are columns with partial indexes (storage/_schema.py, version 2),
so every read the bus makes is an index range of the size it asked for: the backlog stays on
disk, whatever its length.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from supervisor.storage import JsonValue, SqliteDatabase, decode_json, encode_json

from ._queue import unknown
from ._types import DeadLetter, Delivery, Target

_COMMON = "id, topic, subscriber, data, trace_id, message_group_id, attempts"
_DELIVERY_COLUMNS = f"{_COMMON}, available_at, last_error, isolate, claimed"
_DEAD_COLUMNS = f"{_COMMON}, last_error, failed_at"

# The lane of a FIFO row; `IS` so that a NULL group is a lane too.
_LANE = "fifo = 1 AND subscriber = ? AND message_group_id IS ?"


class SqliteEventQueue:
    """The queue on a shared ``SqliteDatabase``; the database's owner closes it."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def enqueue(
        self,
        topic: str,
        data: JsonValue,
        trace_id: str,
        targets: Sequence[Target],
        message_group_id: str | None = None,
        *,
        claim: bool = False,
    ) -> list[Delivery]:
        if not targets:
            return []
        blob = encode_json(data, f"event data for topic {topic!r}")
        now = time.time()

        def write(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            rows = []
            for target in targets:
                available_at = now + target.delay_seconds
                held = target.fifo and _lane_exists(conn, target.subscriber, message_group_id)
                claimed = claim and not held and available_at <= now
                cursor = conn.execute(
                    "INSERT INTO queue_deliveries (topic, subscriber, data, trace_id, message_group_id, "
                    "available_at, fifo, held, claimed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (topic, target.subscriber, blob, trace_id, message_group_id, available_at,
                     target.fifo, held, claimed),
                )  # fmt: skip
                rows.append((_rowid(cursor), target.subscriber, available_at, claimed))
            return rows

        return [
            Delivery(ident, topic, name, data, trace_id, message_group_id, 0, available_at, None,
                     claimed=claimed)
            for ident, name, available_at, claimed in await self._db.write(write)
        ]  # fmt: skip

    async def claim(self, limit: int, now: float, *, isolated: bool = False) -> list[Delivery]:
        if limit <= 0:
            return []

        def write(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(
                "UPDATE queue_deliveries SET claimed = 1 WHERE id IN (SELECT id FROM queue_deliveries "
                "WHERE held = 0 AND claimed = 0 AND isolate = ? AND available_at <= ? "
                f"ORDER BY available_at, id LIMIT ?) RETURNING {_DELIVERY_COLUMNS}",
                (isolated, now, limit),
            ).fetchall()

        rows = await self._db.write(write)
        # RETURNING gives no order guarantee.
        rows.sort(key=lambda row: (row[7], row[0]))
        return [_delivery(row) for row in rows]

    async def next_due(self, after: float) -> float | None:
        def read(conn: sqlite3.Connection) -> float | None:
            times = [
                conn.execute(
                    "SELECT MIN(available_at) FROM queue_deliveries "
                    "WHERE held = 0 AND claimed = 0 AND isolate = ? AND available_at > ?",
                    (isolated, after),
                ).fetchone()[0]
                for isolated in (False, True)
            ]
            found = [float(t) for t in times if t is not None]
            return min(found) if found else None

        return await self._db.read(read)

    async def release_claims(self) -> int:
        def write(conn: sqlite3.Connection) -> int:
            return conn.execute("UPDATE queue_deliveries SET claimed = 0 WHERE claimed = 1").rowcount

        return await self._db.write(write)

    async def ack(self, delivery_id: int, *, claim_next: bool = False) -> Delivery | None:
        def write(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            row = conn.execute(
                "DELETE FROM queue_deliveries WHERE id = ? RETURNING fifo, subscriber, message_group_id",
                (delivery_id,),
            ).fetchone()
            if row is None or not row[0]:
                return None
            return _promote(conn, row[1], row[2], claim_next)

        row = await self._db.write(write)
        return _delivery(row) if row is not None else None

    async def schedule_retry(
        self, delivery_id: int, attempts: int, available_at: float, error: str, *, isolate: bool = False
    ) -> None:
        def write(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE queue_deliveries SET attempts = ?, available_at = ?, last_error = ?, claimed = 0, "
                "isolate = isolate OR ? WHERE id = ?",
                (attempts, available_at, error, isolate, delivery_id),
            )
            if cursor.rowcount == 0:
                raise unknown("pending delivery", delivery_id)

        await self._db.write(write)

    async def dead_letter(self, delivery_id: int, attempts: int, error: str) -> DeadLetter:
        failed_at = time.time()

        def write(conn: sqlite3.Connection) -> tuple[Any, ...]:
            row = conn.execute(
                f"INSERT INTO queue_dead_letters ({_DEAD_COLUMNS}, fifo) "
                "SELECT id, topic, subscriber, data, trace_id, message_group_id, ?, ?, ?, fifo "
                f"FROM queue_deliveries WHERE id = ? RETURNING {_DEAD_COLUMNS}, fifo",
                (attempts, error, failed_at, delivery_id),
            ).fetchone()
            if row is None:
                raise unknown("pending delivery", delivery_id)
            conn.execute("DELETE FROM queue_deliveries WHERE id = ?", (delivery_id,))
            dead, fifo = tuple(row[:-1]), row[-1]
            if fifo:
                _promote(conn, dead[2], dead[5], claim=False)
            return dead

        return _dead_letter(await self._db.write(write))

    async def pending(self) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(f"SELECT {_DELIVERY_COLUMNS} FROM queue_deliveries ORDER BY id").fetchall()

        return [_delivery(row) for row in await self._db.read(read)]

    async def dead_letters(self, subscriber: str | None = None, limit: int | None = None) -> list[DeadLetter]:
        where, params = _subscriber_filter(subscriber)

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(
                f"SELECT {_DEAD_COLUMNS} FROM queue_dead_letters WHERE {where} ORDER BY id LIMIT ?",
                (*params, -1 if limit is None else limit),
            ).fetchall()

        return [_dead_letter(row) for row in await self._db.read(read)]

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        now = time.time()

        def write(conn: sqlite3.Connection) -> tuple[Any, ...]:
            replayed = _replay(conn, "id = ?", (dead_letter_id,), now)
            if not replayed:
                raise unknown("dead letter", dead_letter_id)
            return replayed[0]

        return _delivery(await self._db.write(write))

    async def replay_dead_letters(self, subscriber: str | None = None) -> int:
        now = time.time()
        where, params = _subscriber_filter(subscriber)

        def write(conn: sqlite3.Connection) -> int:
            return len(_replay(conn, where, params, now))

        return await self._db.write(write)

    async def purge_dead_letter(self, dead_letter_id: int) -> None:
        def write(conn: sqlite3.Connection) -> None:
            if conn.execute("DELETE FROM queue_dead_letters WHERE id = ?", (dead_letter_id,)).rowcount == 0:
                raise unknown("dead letter", dead_letter_id)

        await self._db.write(write)

    async def purge_dead_letters(self, subscriber: str | None = None) -> int:
        where, params = _subscriber_filter(subscriber)

        def write(conn: sqlite3.Connection) -> int:
            return conn.execute(f"DELETE FROM queue_dead_letters WHERE {where}", params).rowcount

        return await self._db.write(write)

    async def close(self) -> None:
        return None


def _lane_exists(conn: sqlite3.Connection, subscriber: str, group: str | None) -> bool:
    row = conn.execute(f"SELECT 1 FROM queue_deliveries WHERE {_LANE} LIMIT 1", (subscriber, group))
    return row.fetchone() is not None


def _promote(
    conn: sqlite3.Connection, subscriber: str, group: str | None, claim: bool
) -> tuple[Any, ...] | None:
    """Make the lane's first row its head (claimed if asked and due); returns the row, if any."""
    row: tuple[Any, ...] | None = conn.execute(
        "UPDATE queue_deliveries SET held = 0, claimed = (? AND available_at <= ?) WHERE id = ("
        f"SELECT id FROM queue_deliveries WHERE {_LANE} ORDER BY id LIMIT 1) RETURNING {_DELIVERY_COLUMNS}",
        (claim, time.time(), subscriber, group),
    ).fetchone()
    return row


def _replay(conn: sqlite3.Connection, where: str, params: Sequence[Any], now: float) -> list[tuple[Any, ...]]:
    """Move the matching dead letters back into the queue, oldest first, each to the end of its lane."""
    dead = conn.execute(
        f"DELETE FROM queue_dead_letters WHERE {where} "
        "RETURNING id, topic, subscriber, data, trace_id, message_group_id, fifo",
        params,
    ).fetchall()
    replayed = []
    for _, topic, subscriber, data, trace_id, group, fifo in sorted(dead):
        held = bool(fifo) and _lane_exists(conn, subscriber, group)
        replayed.append(
            conn.execute(
                "INSERT INTO queue_deliveries (topic, subscriber, data, trace_id, message_group_id, "
                f"available_at, fifo, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_DELIVERY_COLUMNS}",
                (topic, subscriber, data, trace_id, group, now, fifo, held),
            ).fetchone()
        )
    return replayed


def _subscriber_filter(subscriber: str | None) -> tuple[str, tuple[Any, ...]]:
    """A WHERE condition on dead letters: all of them, or one subscriber's."""
    return ("1", ()) if subscriber is None else ("subscriber = ?", (subscriber,))


def _rowid(cursor: sqlite3.Cursor) -> int:
    ident = cursor.lastrowid
    if ident is None:  # pragma: no cover - an INSERT into a rowid table always sets it
        raise RuntimeError("SQLite did not report the new delivery's id")
    return ident


def _delivery(row: tuple[Any, ...]) -> Delivery:
    ident, topic, subscriber, data, trace_id, group, attempts, available_at, error, isolate, claimed = row
    return Delivery(
        ident, topic, subscriber, decode_json(data), trace_id, group, attempts, available_at, error,
        bool(isolate), bool(claimed),
    )  # fmt: skip


def _dead_letter(row: tuple[Any, ...]) -> DeadLetter:
    ident, topic, subscriber, data, trace_id, group, attempts, error, failed_at = row
    return DeadLetter(
        ident, topic, subscriber, decode_json(data), trace_id, group, attempts, error, failed_at
    )
