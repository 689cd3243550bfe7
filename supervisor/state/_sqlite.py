"""State in the project's SQLite database (table ``state_items``)."""

from __future__ import annotations

import sqlite3

from supervisor.storage import JsonValue, SqliteDatabase, decode_json, encode_json


class SqliteStateStore:
    """State on a shared ``SqliteDatabase``; the database's owner closes it, not this store."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def get(self, group_id: str, key: str) -> JsonValue | None:
        def read(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "SELECT value FROM state_items WHERE group_id = ? AND key = ?", (group_id, key)
            ).fetchone()
            return None if row is None else bytes(row[0])

        blob = await self._db.lookup(read)
        return None if blob is None else decode_json(blob)

    async def set(self, group_id: str, key: str, value: JsonValue) -> JsonValue:
        # Encoded here, on the caller's side, so a bad value fails its caller before
        # it reaches the shared writer.
        blob = encode_json(value, f"state value {group_id}/{key}")

        def write(conn: sqlite3.Connection) -> None:
            # Upsert rather than REPLACE: REPLACE deletes and re-inserts, which would move
            # the key to the end of its group's insertion order.
            conn.execute(
                "INSERT INTO state_items (group_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (group_id, key) DO UPDATE SET value = excluded.value",
                (group_id, key, blob),
            )

        await self._db.write(write)
        return value

    async def delete(self, group_id: str, key: str) -> JsonValue | None:
        def write(conn: sqlite3.Connection) -> bytes | None:
            row = conn.execute(
                "DELETE FROM state_items WHERE group_id = ? AND key = ? RETURNING value", (group_id, key)
            ).fetchone()
            return None if row is None else bytes(row[0])

        blob = await self._db.write(write)
        return None if blob is None else decode_json(blob)

    async def get_group(self, group_id: str) -> list[JsonValue]:
        return list((await self.items(group_id)).values())

    async def items(self, group_id: str) -> dict[str, JsonValue]:
        def read(conn: sqlite3.Connection) -> list[tuple[str, bytes]]:
            return conn.execute(
                "SELECT key, value FROM state_items WHERE group_id = ? ORDER BY rowid", (group_id,)
            ).fetchall()

        return {key: decode_json(blob) for key, blob in await self._db.read(read)}

    async def clear(self, group_id: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM state_items WHERE group_id = ?", (group_id,))

        await self._db.write(write, bulk=True)  # as large as the group: off the event loop

    async def groups(self) -> list[str]:
        def read(conn: sqlite3.Connection) -> list[str]:
            # BINARY collation orders UTF-8 bytes, which is code point order: same as sorted().
            rows = conn.execute("SELECT DISTINCT group_id FROM state_items ORDER BY group_id")
            return [row[0] for row in rows]

        return await self._db.read(read)

    async def close(self) -> None:
        return None
