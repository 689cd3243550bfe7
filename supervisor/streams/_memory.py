"""In-memory stream items: the twin of the SQLite store."""

from __future__ import annotations

from supervisor.storage import JsonObject, JsonValue, decode_json

from ._store import make_item


class MemoryStreamStore:
    def __init__(self) -> None:
        # Encoded, like SQLite, so both adapters accept and isolate exactly the same data.
        self._groups: dict[tuple[str, str], dict[str, bytes]] = {}

    async def set(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> JsonObject:
        return (await self.put(stream, group_id, item_id, data))[0]

    async def put(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> tuple[JsonObject, bool]:
        item, blob = make_item(stream, group_id, item_id, data)
        group = self._groups.setdefault((stream, group_id), {})
        created = item_id not in group
        group[item_id] = blob
        return item, created

    async def get(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        blob = self._groups.get((stream, group_id), {}).get(item_id)
        return None if blob is None else _decode(blob)

    async def get_group(self, stream: str, group_id: str) -> list[JsonObject]:
        return [_decode(blob) for blob in self._groups.get((stream, group_id), {}).values()]

    async def delete(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        group = self._groups.get((stream, group_id))
        if group is None or item_id not in group:
            return None
        blob = group.pop(item_id)
        if not group:
            del self._groups[(stream, group_id)]
        return _decode(blob)

    async def groups(self, stream: str) -> dict[str, int]:
        found = {
            group: len(items) for (name, group), items in self._groups.items() if name == stream and items
        }
        return dict(sorted(found.items()))

    async def close(self) -> None:
        return None


def _decode(blob: bytes) -> JsonObject:
    item: JsonObject = decode_json(blob)
    return item
