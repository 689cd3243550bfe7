"""The stream item store contract (checked by tests/test_streams_contract.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from supervisor.storage import JsonObject, JsonValue, encode_json

from ._change import StreamChange, StreamListener


class StreamStore(Protocol):
    """Items keyed by (stream, group_id, item_id); an item is ``{**data, "id": item_id}``.

    ``get_group`` lists a group in insertion order (overwriting an item keeps its place).
    Returned items are fresh objects; mutating them changes nothing stored.
    """

    async def set(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> JsonObject: ...

    async def put(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> tuple[JsonObject, bool]:
        """Like ``set``, and also says whether the item was created (True) or replaced (False)."""
        ...

    async def get(self, stream: str, group_id: str, item_id: str) -> JsonObject | None: ...

    async def get_group(self, stream: str, group_id: str) -> list[JsonObject]: ...

    async def delete(self, stream: str, group_id: str, item_id: str) -> JsonObject | None: ...

    async def groups(self, stream: str) -> dict[str, int]:
        """The stream's groups that hold items, sorted, with how many each holds."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class SharedStreamStore(StreamStore, Protocol):
    """A store several supervisors share (Redis). It publishes every change itself, stamped, in the
    order it commits them, and hands back the changes of every supervisor (its own included) through
    ``listen``; its writes return once their change came back."""

    async def send(self, change: StreamChange) -> None:
        """Publish a custom event (nothing is stored)."""
        ...

    async def stamp(self, stream: str, group_id: str) -> int:
        """The next timestamp of a group, for a sync: later than every change published before."""
        ...

    def listen(self, listener: StreamListener, on_gap: Callable[[], None]) -> None:
        """Call ``listener`` with every change; ``on_gap`` when some may have been missed (an outage)."""
        ...

    async def listening(self) -> None:
        """Wait until changes published from now on are received."""
        ...


def make_item(stream: str, group_id: str, item_id: str, data: JsonValue) -> tuple[JsonObject, bytes]:
    """Build the stored item and its encoding, refusing data that is not a JSON object."""
    if not isinstance(data, dict):
        raise ValueError(
            f"stream {stream!r} group {group_id!r} item {item_id!r}: data must be a JSON object, "
            f"got {type(data).__name__}; wrap the value, e.g. {{'value': ...}}"
        )
    item = {**data, "id": item_id}
    return item, encode_json(item, f"stream item {stream}/{group_id}/{item_id}")
