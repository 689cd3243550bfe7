"""Stream items in the project's SQLite database (table ``stream_items``)."""

from __future__ import annotations

import sqlite3

from supervisor.storage import JsonObject, JsonValue, SqliteDatabase, decode_json

from ._store import make_item


class SqliteStreamStore:
    """Stream items on a shared ``SqliteDatabase``; the database's owner closes it."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def set(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> JsonObject:
        return (await self.put(stream, group_id, item_id, data))[0]

    async def put(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> tuple[JsonObject, bool]:
        item, blob = make_item(stream, group_id, item_id, data)
        key = (stream, group_id, item_id)

        def write(conn: sqlite3.Connection) -> bool:
            # One statement for a new item (most sets: an item per step of a flow), whose insert says
            # it was new; an existing one is updated in place, not REPLACEd, so it keeps its place in
            # the group. Both are one write: the single writer runs one callable at a time.
            inserted = conn.execute(
                "INSERT INTO stream_items (stream, group_id, item_id, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (stream, group_id, item_id) DO NOTHING",
                (*key, blob),
            ).rowcount
            if inserted:
                return True
            conn.execute(
                "UPDATE stream_items SET data = ? WHERE stream = ? AND group_id = ? AND item_id = ?",
                (blob, *key),
            )
            return False

        created = await self._db.write(write)
        return item, created

    async def get(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "SELECT data FROM stream_items WHERE stream = ? AND group_id = ? AND item_id = ?",
                (stream, group_id, item_id),
            ).fetchone()
            return None if row is None else bytes(row[0])

        blob = await self._db.lookup(read)  # one row by its key: no worker thread hop
        return None if blob is None else _decode(blob)

    async def get_group(self, stream: str, group_id: str) -> list[JsonObject]:
        def read(conn: sqlite3.Connection) -> list[bytes]:
            rows = conn.execute(
                "SELECT data FROM stream_items WHERE stream = ? AND group_id = ? ORDER BY rowid",
                (stream, group_id),
            )
            return [bytes(row[0]) for row in rows]

        return [_decode(blob) for blob in await self._db.read(read)]

    async def delete(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        def write(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "DELETE FROM stream_items WHERE stream = ? AND group_id = ? AND item_id = ? RETURNING data",
                (stream, group_id, item_id),
            ).fetchone()
            return None if row is None else bytes(row[0])

        blob = await self._db.write(write)
        return None if blob is None else _decode(blob)

    async def groups(self, stream: str) -> dict[str, int]:
        def read(conn: sqlite3.Connection) -> list[tuple[str, int]]:
            return conn.execute(
                "SELECT group_id, count(*) FROM stream_items WHERE stream = ? "
                "GROUP BY group_id ORDER BY group_id",
                (stream,),
            ).fetchall()

        return dict(await self._db.read(read))

    async def close(self) -> None:
        return None


def _decode(blob: bytes) -> JsonObject:
    item: JsonObject = decode_json(blob)
    return item
