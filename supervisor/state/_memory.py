"""In-memory state: the twin of the SQLite store, for tests and ephemeral projects."""

from __future__ import annotations

from supervisor.storage import JsonValue, decode_json, encode_json


class MemoryStateStore:
    def __init__(self) -> None:
        # Values kept encoded, like SQLite, so both adapters accept and isolate the same data.
        self._groups: dict[str, dict[str, bytes]] = {}

    async def get(self, group_id: str, key: str) -> JsonValue | None:
        blob = self._groups.get(group_id, {}).get(key)
        return None if blob is None else decode_json(blob)

    async def set(self, group_id: str, key: str, value: JsonValue) -> JsonValue:
        blob = encode_json(value, f"state value {group_id}/{key}")
        self._groups.setdefault(group_id, {})[key] = blob
        return value

    async def delete(self, group_id: str, key: str) -> JsonValue | None:
        group = self._groups.get(group_id)
        if group is None or key not in group:
            return None
        blob = group.pop(key)
        if not group:
            del self._groups[group_id]
        return decode_json(blob)

    async def get_group(self, group_id: str) -> list[JsonValue]:
        return [decode_json(blob) for blob in self._groups.get(group_id, {}).values()]

    async def items(self, group_id: str) -> dict[str, JsonValue]:
        return {key: decode_json(blob) for key, blob in self._groups.get(group_id, {}).items()}

    async def clear(self, group_id: str) -> None:
        self._groups.pop(group_id, None)

    async def groups(self) -> list[str]:
        return sorted(self._groups)

    async def close(self) -> None:
        return None
