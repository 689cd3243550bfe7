"""The state store contract every adapter fulfils (checked by tests/test_state_contract.py)."""

from __future__ import annotations

from typing import Protocol

from supervisor.storage import JsonValue


class StateStore(Protocol):
    """Key/value JSON state, partitioned into groups (Motia's ``state`` API).

    Values go in and come out as plain JSON values; what is returned is never the
    object stored, so callers may mutate it freely. ``get_group``/``items`` list a
    group in insertion order (overwriting a key keeps its place), ``groups`` is sorted.
    """

    async def get(self, group_id: str, key: str) -> JsonValue | None: ...

    async def set(self, group_id: str, key: str, value: JsonValue) -> JsonValue: ...

    async def delete(self, group_id: str, key: str) -> JsonValue | None: ...

    async def get_group(self, group_id: str) -> list[JsonValue]: ...

    async def items(self, group_id: str) -> dict[str, JsonValue]: ...

    async def clear(self, group_id: str) -> None: ...

    async def groups(self) -> list[str]: ...

    async def close(self) -> None: ...
