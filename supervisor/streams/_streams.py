"""``Streams``: the one door every stream mutation goes through.

Steps (through runners), the HTTP layer and the Workbench all call this service,
never a ``StreamStore`` directly, so listeners see every change exactly once and
in the order it was committed. Listeners are plain callables run synchronously
after the store has accepted the change (with a store several supervisors share,
Redis, once it came back through the store's feed, which carries every
supervisor's changes); one that needs to do I/O should hand the change to its own
queue. A set made with ``publish_later`` (a runner's, answered in the loop callback
that read it) reaches them in the loop's next callback instead, and so does every
change committed while one is held, so that their order stays the commits'.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

from supervisor.storage import JsonObject, JsonValue

from ._change import ChangeKind, StreamChange, StreamListener
from ._store import SharedStreamStore, StreamStore

logger = logging.getLogger("motia.streams")


class Streams:
    def __init__(self, store: StreamStore) -> None:
        self._store = store
        # Keyed by a registration token so the same callable may subscribe twice and
        # each unsubscribe removes only its own registration.
        self._listeners: dict[int, StreamListener] = {}
        self._gap_listeners: dict[int, Callable[[], None]] = {}
        self._tokens = itertools.count()
        #: changes committed and not yet told to the listeners (``publish_later``), oldest first
        self._held: list[StreamChange] = []
        #: the store publishes (Redis): listeners hear every supervisor's changes, stamped, from it
        self.shared: SharedStreamStore | None = store if isinstance(store, SharedStreamStore) else None
        if self.shared is not None:
            self.shared.listen(self._notify, self._gap)

    def subscribe(
        self, listener: StreamListener, on_gap: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        """Register ``listener`` for every change (and ``on_gap`` for when a shared store's feed lost
        some); returns a callable that unsubscribes them."""
        token = next(self._tokens)
        self._listeners[token] = listener
        if on_gap is not None:
            self._gap_listeners[token] = on_gap

        def unsubscribe() -> None:
            self._listeners.pop(token, None)
            self._gap_listeners.pop(token, None)

        return unsubscribe

    async def listening(self) -> None:
        """Wait until a shared store's feed is subscribed (no change published after is missed)."""
        if self.shared is not None:
            await self.shared.listening()

    async def stamp(self, stream: str, group_id: str) -> int | None:
        """A timestamp for a sync of the group, from the shared store's clock; None: stamp locally."""
        return None if self.shared is None else await self.shared.stamp(stream, group_id)

    async def set(
        self, stream: str, group_id: str, item_id: str, data: JsonValue, *, publish_later: bool = False
    ) -> JsonObject:
        """Store the item; its change reaches the listeners before this returns, or with
        ``publish_later`` in the loop's next callback: a runner's reply to the set then leaves before
        the WebSocket writes of its subscribers (~20-40 µs each), which is what the runner waits for."""
        item, created = await self._store.put(stream, group_id, item_id, data)
        if self.shared is None:
            kind: ChangeKind = "create" if created else "update"
            self._publish(stream, group_id, item_id, kind, item, later=publish_later)
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
        if removed is not None and self.shared is None:
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
        data = {"type": event["type"], "data": event.get("data")}
        if self.shared is not None:
            await self.shared.send(StreamChange(stream, group_id, item_id, "event", data))
        else:
            self._publish(stream, group_id, item_id, "event", data)

    async def close(self) -> None:
        self._listeners.clear()
        await self._store.close()

    def _publish(
        self,
        stream: str,
        group_id: str,
        item_id: str | None,
        kind: ChangeKind,
        data: JsonValue,
        *,
        later: bool = False,
    ) -> None:
        if not self._listeners:
            return
        change = StreamChange(stream, group_id, item_id, kind, data)
        if not later and not self._held:
            self._notify(change)
            return
        self._held.append(change)  # behind those held before it, in the order of the commits
        if len(self._held) == 1:
            asyncio.get_running_loop().call_soon(self._release)

    def _release(self) -> None:
        held, self._held = self._held, []
        for change in held:
            self._notify(change)

    def _gap(self) -> None:
        for on_gap in tuple(self._gap_listeners.values()):
            try:
                on_gap()
            except Exception:
                logger.exception("stream gap listener %r failed", on_gap)

    def _notify(self, change: StreamChange) -> None:
        kind, stream, group_id = change.kind, change.stream, change.group_id
        # A snapshot: a listener may unsubscribe (itself or another) while being called.
        for listener in tuple(self._listeners.values()):
            try:
                listener(change)
            except Exception:
                # The mutation is already committed; a broken listener must not undo it
                # for the caller or starve the listeners after it.
                logger.exception("stream listener %r failed on %s %s/%s", listener, kind, stream, group_id)
