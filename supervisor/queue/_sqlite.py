"""The durable queue in the project's SQLite database (``queue_deliveries``, ``queue_dead_letters``).

Lanes and due times are columns with partial indexes (storage/_schema.py, version 2), so
every read the bus makes is an index range of the size it asked for: the backlog stays on
disk, whatever its length.

Claims are kept in this object, not in the rows: marking a row claimed would rewrite it
(payload and all) into the WAL once more per delivery, and a claim is void once its
process is gone anyway. Every function that reads or changes the claims runs as one of the
database's writes (on its writer connection, under its lock: the writer thread, or the caller's
thread when the writer is idle), inside the transaction that makes the change it is about,
so claims and rows never disagree: a row leaves the claims in the same write that
deletes or releases it, and a claim read sees every write before it.

Claims are handed out oldest due first, so the front of the runnable index fills up with
claimed rows. A scan position per kind (isolated or not) remembers where the unclaimed
ones start: every runnable row before it is claimed. Each write that makes a row runnable
and unclaimed (a new event, a retry, the next of a FIFO lane, a replay) moves the position
back to that row if it lies before, so a claim never reads past rows already handed out.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from supervisor.storage import JsonValue, SqliteDatabase, decode_json

from ._queue import encode_event_data, unknown
from ._types import DeadLetter, Delivery, Target

_Key = tuple[float, int]
"""A row's place in the runnable index: (available_at, id)."""
_END = 2**62
_IN_BATCH = 500  # ids per `IN (...)`, well under SQLite's limit on bound parameters

_COMMON = "id, topic, subscriber, data, trace_id, message_group_id, attempts"
_DELIVERY_COLUMNS = f"{_COMMON}, available_at, last_error, isolate"
_DEAD_COLUMNS = f"{_COMMON}, last_error, failed_at"

# The lane of a FIFO row; `IS` so that a NULL group is a lane too.
_LANE = "fifo = 1 AND subscriber = ? AND message_group_id IS ?"


class SqliteEventQueue:
    """The queue on a shared ``SqliteDatabase``; the database's owner closes it."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        # Ids handed out to run, and where unclaimed runnable rows start per kind (None: at
        # the beginning); both touched only by the database's writes (see the module doc).
        self._claims: set[int] = set()
        self._scan_from: dict[bool, _Key | None] = {False: None, True: None}

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
        blob = encode_event_data(topic, data)
        now = time.time()

        def write(conn: sqlite3.Connection) -> list[tuple[int, str, float, bool, bool]]:
            rows = []
            for target in targets:
                available_at = now + target.delay_seconds
                held = target.fifo and _lane_exists(conn, target.subscriber, message_group_id)
                cursor = conn.execute(
                    "INSERT INTO queue_deliveries (topic, subscriber, data, trace_id, message_group_id, "
                    "available_at, fifo, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (topic, target.subscriber, blob, trace_id, message_group_id, available_at,
                     target.fifo, held),
                )  # fmt: skip
                ident = _rowid(cursor)
                claimed = claim and not held and available_at <= now
                if claimed:
                    self._claims.add(ident)
                elif not held:
                    self._runnable(False, (available_at, ident))
                rows.append((ident, target.subscriber, available_at, claimed, held))
            return rows

        return [
            Delivery(ident, topic, name, data, trace_id, message_group_id, 0, available_at, None,
                     claimed=claimed, held=held)
            for ident, name, available_at, claimed, held in await self._db.write(write)
        ]  # fmt: skip

    async def claim(self, limit: int, now: float, *, isolated: bool = False) -> list[Delivery]:
        if limit <= 0:
            return []

        def write(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            taken: list[int] = []
            for available_at, ident in self._scan(conn, isolated, "available_at <= ?", now):
                if ident in self._claims:
                    continue
                taken.append(ident)
                if len(taken) == limit:
                    self._scan_from[isolated] = (available_at, ident + 1)
                    break
            else:
                self._scan_from[isolated] = (now, _END)  # every row due by now is claimed
            self._claims.update(taken)
            return _rows(conn, taken)

        rows = await self._db.write(write)
        rows.sort(key=lambda row: (row[7], row[0]))
        return [_delivery(row, claimed=True) for row in rows]

    async def next_due(self, after: float) -> float | None:
        def write(conn: sqlite3.Connection) -> float | None:
            due = [
                next((at for at, ident in self._scan(conn, isolated, "available_at > ?", after)
                      if ident not in self._claims), None)
                for isolated in (False, True)
            ]  # fmt: skip
            found = [at for at in due if at is not None]
            return min(found) if found else None

        return await self._db.write(write)

    def watch(self, wake: Callable[[], None]) -> None:
        return None  # one supervisor per database: nothing becomes runnable behind its back

    async def release_claims(self) -> int:
        def write(conn: sqlite3.Connection) -> int:
            released = len(self._claims)
            self._claims.clear()
            self._scan_from = {False: None, True: None}
            return released

        return await self._db.write(write)

    async def ack(self, delivery_id: int, *, claim_next: bool = False) -> Delivery | None:
        def write(conn: sqlite3.Connection) -> tuple[tuple[Any, ...], bool] | None:
            self._claims.discard(delivery_id)
            row = conn.execute(
                "DELETE FROM queue_deliveries WHERE id = ? RETURNING fifo, subscriber, message_group_id",
                (delivery_id,),
            ).fetchone()
            if row is None or not row[0]:
                return None
            return self._promote(conn, row[1], row[2], claim_next)

        promoted = await self._db.write(write)
        return None if promoted is None else _delivery(*promoted)

    async def ack_all(self, delivery_ids: Sequence[int]) -> list[Delivery]:
        def write(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            self._claims.difference_update(delivery_ids)
            lanes: set[tuple[str, str | None]] = set()
            for start in range(0, len(delivery_ids), _IN_BATCH):
                batch = delivery_ids[start : start + _IN_BATCH]
                marks = ", ".join("?" * len(batch))
                deleted = conn.execute(
                    f"DELETE FROM queue_deliveries WHERE id IN ({marks}) "
                    "RETURNING fifo, subscriber, message_group_id",
                    batch,
                )
                lanes.update((subscriber, group) for fifo, subscriber, group in deleted if fifo)
            promoted = (self._promote(conn, subscriber, group, claim=False) for subscriber, group in lanes)
            return [head for head, _ in filter(None, promoted)]

        return [_delivery(row) for row in await self._db.write(write)]

    async def schedule_retry(
        self, delivery_id: int, attempts: int, available_at: float, error: str, *, isolate: bool = False
    ) -> None:
        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "UPDATE queue_deliveries SET attempts = ?, available_at = ?, last_error = ?, "
                "isolate = isolate OR ? WHERE id = ? RETURNING isolate, held",
                (attempts, available_at, error, isolate, delivery_id),
            ).fetchone()
            if row is None:
                raise unknown("pending delivery", delivery_id)
            self._claims.discard(delivery_id)
            if not row[1]:
                self._runnable(bool(row[0]), (available_at, delivery_id))

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
            self._claims.discard(delivery_id)
            dead, fifo = tuple(row[:-1]), row[-1]
            if fifo:
                self._promote(conn, dead[2], dead[5], claim=False)
            return dead

        return _dead_letter(await self._db.write(write))

    async def pending(self) -> list[Delivery]:
        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(f"SELECT {_DELIVERY_COLUMNS} FROM queue_deliveries ORDER BY id").fetchall()

        # Inspection only: the claimed flags are as of the return, not of the snapshot.
        return [_delivery(row, claimed=row[0] in self._claims) for row in await self._db.read(read)]

    async def dead_letters(self, subscriber: str | None = None, limit: int | None = None) -> list[DeadLetter]:
        where, params = _subscriber_filter(subscriber)

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(
                f"SELECT {_DEAD_COLUMNS} FROM queue_dead_letters WHERE {where} ORDER BY id LIMIT ?",
                (*params, -1 if limit is None else limit),
            ).fetchall()

        return [_dead_letter(row) for row in await self._db.read(read)]

    async def get_dead_letter(self, dead_letter_id: int) -> DeadLetter | None:
        def read(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = conn.execute(
                f"SELECT {_DEAD_COLUMNS} FROM queue_dead_letters WHERE id = ?", (dead_letter_id,)
            ).fetchone()
            return row

        row = await self._db.read(read)
        return None if row is None else _dead_letter(row)

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        now = time.time()

        def write(conn: sqlite3.Connection) -> tuple[Any, ...]:
            replayed = self._replay(conn, "id = ?", (dead_letter_id,), now)
            if not replayed:
                raise unknown("dead letter", dead_letter_id)
            return replayed[0]

        return _delivery(await self._db.write(write))

    async def replay_dead_letters(self, subscriber: str | None = None) -> list[Delivery]:
        now = time.time()
        where, params = _subscriber_filter(subscriber)

        def write(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return self._replay(conn, where, params, now)

        # as many as there are dead letters: off the event loop
        return [_delivery(row) for row in await self._db.write(write, bulk=True)]

    async def purge_dead_letter(self, dead_letter_id: int) -> None:
        def write(conn: sqlite3.Connection) -> None:
            if conn.execute("DELETE FROM queue_dead_letters WHERE id = ?", (dead_letter_id,)).rowcount == 0:
                raise unknown("dead letter", dead_letter_id)

        await self._db.write(write)

    async def purge_dead_letters(self, subscriber: str | None = None) -> int:
        where, params = _subscriber_filter(subscriber)

        def write(conn: sqlite3.Connection) -> int:
            return conn.execute(f"DELETE FROM queue_dead_letters WHERE {where}", params).rowcount

        return await self._db.write(write, bulk=True)  # as many as there are: off the event loop

    async def close(self) -> None:
        return None

    def _promote(
        self, conn: sqlite3.Connection, subscriber: str, group: str | None, claim: bool
    ) -> tuple[tuple[Any, ...], bool] | None:
        """Make the lane's first row its head, claimed if asked and due; returns it, if any."""
        row: tuple[Any, ...] | None = conn.execute(
            "UPDATE queue_deliveries SET held = 0 WHERE id = ("
            f"SELECT id FROM queue_deliveries WHERE {_LANE} ORDER BY id LIMIT 1) "
            f"RETURNING {_DELIVERY_COLUMNS}",
            (subscriber, group),
        ).fetchone()
        if row is None:
            return None
        claimed = claim and row[7] <= time.time()
        if claimed:
            self._claims.add(row[0])
        else:
            self._runnable(bool(row[9]), (row[7], row[0]))
        return row, claimed

    def _replay(
        self, conn: sqlite3.Connection, where: str, params: Sequence[Any], now: float
    ) -> list[tuple[Any, ...]]:
        """Move the matching dead letters back into the queue, oldest first, each to the end of its lane."""
        dead = conn.execute(
            f"DELETE FROM queue_dead_letters WHERE {where} "
            "RETURNING id, topic, subscriber, data, trace_id, message_group_id, fifo",
            params,
        ).fetchall()
        replayed = []
        for _, topic, subscriber, data, trace_id, group, fifo in sorted(dead):
            held = bool(fifo) and _lane_exists(conn, subscriber, group)
            row = conn.execute(
                "INSERT INTO queue_deliveries (topic, subscriber, data, trace_id, message_group_id, "
                f"available_at, fifo, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_DELIVERY_COLUMNS}",
                (topic, subscriber, data, trace_id, group, now, fifo, held),
            ).fetchone()
            if not held:
                self._runnable(False, (now, row[0]))
            replayed.append(row)
        return replayed

    def _runnable(self, isolated: bool, key: _Key) -> None:
        """A row became runnable and unclaimed: scan from it if it lies before the scan position."""
        start = self._scan_from[isolated]
        if start is not None and key < start:
            self._scan_from[isolated] = key

    def _scan(self, conn: sqlite3.Connection, isolated: bool, due: str, at: float) -> Iterable[_Key]:
        """Runnable rows of a kind from the scan position on, in order, read lazily."""
        start = self._scan_from[isolated]
        where = f"held = 0 AND isolate = ? AND {due}"
        params: tuple[Any, ...] = (isolated, at)
        if start is not None:
            where += " AND (available_at, id) >= (?, ?)"
            params += start
        query = f"SELECT available_at, id FROM queue_deliveries WHERE {where} ORDER BY available_at, id"
        return conn.execute(query, params)


def _lane_exists(conn: sqlite3.Connection, subscriber: str, group: str | None) -> bool:
    row = conn.execute(f"SELECT 1 FROM queue_deliveries WHERE {_LANE} LIMIT 1", (subscriber, group))
    return row.fetchone() is not None


def _rows(conn: sqlite3.Connection, ids: Iterable[int]) -> list[tuple[Any, ...]]:
    wanted = list(ids)
    if not wanted:
        return []
    marks = ", ".join("?" * len(wanted))
    query = f"SELECT {_DELIVERY_COLUMNS} FROM queue_deliveries WHERE id IN ({marks})"
    return conn.execute(query, wanted).fetchall()


def _subscriber_filter(subscriber: str | None) -> tuple[str, tuple[Any, ...]]:
    """A WHERE condition on dead letters: all of them, or one subscriber's."""
    return ("1", ()) if subscriber is None else ("subscriber = ?", (subscriber,))


def _rowid(cursor: sqlite3.Cursor) -> int:
    ident = cursor.lastrowid
    if ident is None:  # pragma: no cover - an INSERT into a rowid table always sets it
        raise RuntimeError("SQLite did not report the new delivery's id")
    return ident


def _delivery(row: tuple[Any, ...], claimed: bool = False) -> Delivery:
    ident, topic, subscriber, data, trace_id, group, attempts, available_at, error, isolate = row
    return Delivery(
        ident, topic, subscriber, decode_json(data), trace_id, group, attempts, available_at, error,
        bool(isolate), claimed,
    )  # fmt: skip


def _dead_letter(row: tuple[Any, ...]) -> DeadLetter:
    ident, topic, subscriber, data, trace_id, group, attempts, error, failed_at = row
    return DeadLetter(
        ident, topic, subscriber, decode_json(data), trace_id, group, attempts, error, failed_at
    )
