"""``Streams``: the one door every stream mutation goes through.

Steps (through runners), the HTTP layer and the Workbench all call this service,
never a ``StreamStore`` directly, so listeners see every change exactly once and
in the order it was committed. Listeners are plain callables run synchronously
after the store has accepted the change; one that needs to do I/O should hand
the change to its own queue.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from supervisor.storage import JsonObject, JsonValue

from ._change import ChangeKind, StreamChange, StreamListener
from ._store import StreamStore

logger = logging.getLogger("motia.streams")


class Streams:
    def __init__(self, store: StreamStore) -> None:
        self._store = store
        # Keyed by a registration token so the same callable may subscribe twice and
        # each unsubscribe removes only its own registration.
        self._listeners: dict[int, StreamListener] = {}
        self._tokens = itertools.count()

    def subscribe(self, listener: StreamListener) -> Callable[[], None]:
        """Register ``listener`` for every change; returns a callable that unsubscribes it."""
        token = next(self._tokens)
        self._listeners[token] = listener

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe

    async def set(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> JsonObject:
        item, created = await self._store.put(stream, group_id, item_id, data)
        self._publish(stream, group_id, item_id, "create" if created else "update", item)
        return item

    async def get(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        return await self._store.get(stream, group_id, item_id)

    async def get_group(self, stream: str, group_id: str) -> list[JsonObject]:
        return await self._store.get_group(stream, group_id)

    async def groups(self, stream: str) -> dict[str, int]:
        """The stream's groups that hold items, sorted, with how many each holds."""
        return await self._store.groups(stream)

    async def delete(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        removed = await self._store.delete(stream, group_id, item_id)
        if removed is not None:
            self._publish(stream, group_id, item_id, "delete", removed)
        return removed

    async def send(self, stream: str, channel: JsonObject, event: JsonObject) -> None:
        """Publish a custom event to a group (or one item of it); nothing is stored.

        ``channel`` is ``{"groupId": str, "id"?: str}``, ``event`` is ``{"type": str, "data"?: ...}``,
        as in Motia's ``streams.<name>.send(channel, event)``.
        """
        group_id = channel.get("groupId") if isinstance(channel, dict) else None
        item_id = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(group_id, str) or not (item_id is None or isinstance(item_id, str)):
            raise ValueError(
                f"stream {stream!r}: send() channel must be {{'groupId': str, 'id'?: str}}, got {channel!r}"
            )
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ValueError(
                f"stream {stream!r} group {group_id!r}: send() event must be "
                f"{{'type': str, 'data': ...}}, got {event!r}"
            )
        self._publish(stream, group_id, item_id, "event", {"type": event["type"], "data": event.get("data")})

    async def close(self) -> None:
        self._listeners.clear()
        await self._store.close()

    def _publish(
        self, stream: str, group_id: str, item_id: str | None, kind: ChangeKind, data: JsonValue
    ) -> None:
        if not self._listeners:
            return
        change = StreamChange(stream, group_id, item_id, kind, data)
        # A snapshot: a listener may unsubscribe (itself or another) while being called.
        for listener in tuple(self._listeners.values()):
            try:
                listener(change)
            except Exception:
                # The mutation is already committed; a broken listener must not undo it
                # for the caller or starve the listeners after it.
                logger.exception("stream listener %r failed on %s %s/%s", listener, kind, stream, group_id)
