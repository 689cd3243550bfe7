"""The hub: which connection watches which item or group, and the fan-out of every stream change.

``Hub.publish`` is a ``Streams`` listener: every mutation, whoever made it (a TS, JS or Python
step through its runner, the HTTP layer, the supervisor itself), reaches it synchronously after
the store accepted it. It stamps the change, encodes it once, and hands it to each connection
watching the item or its group, whose bounded way out (see ``_connection``) never waits on the
client.

A later Redis fan-out plugs in between ``Streams`` and ``publish``: local changes go to a Redis
channel, and what arrives from the channel (from any supervisor) is handed to ``publish``.
Timestamps are stamped here, per process, so they increase for each client whatever the source.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

from supervisor.storage import JsonValue
from supervisor.streams import StreamChange

from ._clock import TimestampClock, wall_clock_ms
from ._connection import DEFAULT_MAX_MESSAGES, Connection, Sink
from ._replay import ReplayLog
from ._wire import ACCESS_DENIED, Room, change_message, error_message, sync_message

_logger = logging.getLogger("motia.realtime")

SnapshotReader = Callable[[Room], Awaitable[JsonValue]]
"""Reads a room's current value: the item (or None) for an item room, the item list for a group."""


class Hub:
    def __init__(
        self,
        read_snapshot: SnapshotReader,
        *,
        max_held: int = DEFAULT_MAX_MESSAGES,
        clock: TimestampClock | None = None,
    ) -> None:
        self._read_snapshot = read_snapshot
        self._max_held = max_held
        self._clock = clock or TimestampClock()
        self.replay = ReplayLog(started_at=wall_clock_ms())
        # room -> {connection: how many of its subscriptions watch the room}
        self._rooms: dict[Room, dict[Connection, int]] = {}
        self._connections: set[Connection] = set()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ connections

    def connect(self, kind: str, sink: Sink, peer: str = "") -> Connection:
        label = f"{kind}#{next(self._ids)}" + (f" from {peer}" if peer else "")
        connection = Connection(label, sink, self._cut_off, self._max_held)
        self._connections.add(connection)
        return connection

    def _cut_off(self, connection: Connection, reason: str) -> None:
        _logger.warning(
            "disconnecting stream client %s: %s; it resyncs when it reconnects", connection.label, reason
        )
        # Called from inside ``publish`` while it iterates the rooms: unsubscribe just after.
        asyncio.get_running_loop().call_soon(self.disconnect, connection)

    def disconnect(self, connection: Connection) -> None:
        for subscription_id in list(connection.subscriptions):
            self.leave(connection, subscription_id)
        connection.close()
        self._connections.discard(connection)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    @property
    def connections(self) -> frozenset[Connection]:
        return frozenset(self._connections)

    # ------------------------------------------------------------------ subscriptions

    async def join(self, connection: Connection, subscription_id: str, room: Room) -> None:
        """Start a subscription: queue the sync (the room's current value), then every later change.

        The subscription is registered and its sync stamped *before* the snapshot is read, so a
        change committed during the read is either in the snapshot or delivered after it.
        """
        if subscription_id in connection.subscriptions:
            self.leave(connection, subscription_id)  # a re-join replaces the old subscription
        self._register(connection, subscription_id, room)
        timestamp = self._clock.stamp(room)
        pending = connection.hold_for_sync()
        try:
            snapshot = await self._read_snapshot(room)
        except Exception as exc:
            _logger.exception("stream %s: reading the current value for %s failed", room, connection.label)
            self.leave(connection, subscription_id)
            reason = f"could not read {room}: {exc}"
            message = error_message(room, ACCESS_DENIED, reason, self._clock.stamp(room))
        else:
            message = sync_message(room, snapshot, timestamp)
        pending.message = message
        connection.release()

    def error(self, connection: Connection, room: Room | None, code: str, message: str) -> None:
        """Queue an error event; stamped like any message of ``room`` so the client applies it."""
        connection.deliver(error_message(room, code, message, self._clock.stamp(room)))

    def resume(self, connection: Connection, subscription_id: str, room: Room, last_timestamp: int) -> bool:
        """Start a subscription with the messages missed since ``last_timestamp``, instead of a sync.

        False (nothing registered) when this process no longer remembers all of them.
        """
        missed = self.replay.since(room, last_timestamp)
        if missed is None:
            return False
        # No await between reading the log and registering: no message can fall in between.
        self._register(connection, subscription_id, room)
        for message in missed:
            connection.deliver(message)
        return True

    def leave(self, connection: Connection, subscription_id: str) -> bool:
        room = connection.subscriptions.pop(subscription_id, None)
        if room is None:
            return False
        watchers = self._rooms.get(room)
        if watchers is not None:
            count = watchers.get(connection, 0) - 1
            if count > 0:
                watchers[connection] = count
            else:
                watchers.pop(connection, None)
                if not watchers:
                    del self._rooms[room]
        return True

    def _register(self, connection: Connection, subscription_id: str, room: Room) -> None:
        connection.subscriptions[subscription_id] = room
        watchers = self._rooms.setdefault(room, {})
        watchers[connection] = watchers.get(connection, 0) + 1

    # ------------------------------------------------------------------ fan-out

    def publish(self, change: StreamChange) -> None:
        group = Room(change.stream, change.group_id)
        item = None if change.item_id is None else Room(change.stream, change.group_id, change.item_id)
        message = change_message(change, self._clock.stamp(group, item))
        self.replay.record(group, change.item_id, message)
        group_watchers = self._rooms.get(group)
        if group_watchers:
            for connection in group_watchers:
                connection.deliver(message)
        item_watchers = self._rooms.get(item) if item is not None else None
        if item_watchers:
            # One copy per connection: the clients hand an item message to the item's group
            # subscriptions on the same socket themselves.
            for connection in item_watchers:
                if not group_watchers or connection not in group_watchers:
                    connection.deliver(message)
