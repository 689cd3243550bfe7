"""The hub: which connection watches which item or group, and the fan-out of every stream change.

``Hub.publish`` is a ``Streams`` listener: every mutation, whoever made it (a TS, JS or Python
step through its runner, the HTTP layer, the supervisor itself), reaches it synchronously after
the store accepted it. It stamps the change, encodes it once, and hands it to each connection
watching the item or its group, whose bounded way out (see ``_connection``) never waits on the
client.

With one supervisor, changes are stamped here, by this process's clock. With a store several
supervisors share (Redis), the store stamps every change from one clock, publishes it, and hands
what arrives from any supervisor to ``publish``; syncs are stamped by the same clock
(``stamp_sync``), so a client's timestamps increase whichever supervisor wrote, and a client that
moves to another supervisor keeps comparable ones. A gap in that feed (an outage) resyncs every
subscription (``resync``).
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
SyncStamper = Callable[[Room], Awaitable[int | None]]
"""A shared clock's stamp for a sync of the room; None: stamp it locally."""


class Hub:
    def __init__(
        self,
        read_snapshot: SnapshotReader,
        *,
        max_held: int = DEFAULT_MAX_MESSAGES,
        clock: TimestampClock | None = None,
        stamp_sync: SyncStamper | None = None,
    ) -> None:
        self._read_snapshot = read_snapshot
        self._max_held = max_held
        self._clock = clock or TimestampClock()
        self._stamp_sync = stamp_sync
        # Shared: what this process remembers of a group starts with the first change it received.
        self.replay = ReplayLog(started_at=None if stamp_sync is not None else wall_clock_ms())
        self._resyncs: set[asyncio.Task[None]] = set()
        # room -> {connection: how many of its subscriptions watch the room}
        self._rooms: dict[Room, dict[Connection, int]] = {}
        self._connections: set[Connection] = set()
        self._ids = itertools.count(1)
        self._going_away = False
        self._all_gone = asyncio.Event()

    # ------------------------------------------------------------------ connections

    def connect(self, kind: str, sink: Sink, peer: str = "") -> Connection:
        label = f"{kind}#{next(self._ids)}" + (f" from {peer}" if peer else "")
        connection = Connection(label, sink, self._cut_off, self._max_held)
        self._connections.add(connection)
        if self._going_away:
            connection.go_away()
        return connection

    def go_away(self) -> None:
        """The server is stopping: every stream client's connection ends (``Connection.go_away``),
        and one that connects from now on ends at once. Its endpoint would otherwise hold the
        shutdown for the whole grace, then be cut (``cli/_serve.py``)."""
        self._going_away = True
        for connection in tuple(self._connections):
            connection.go_away()
        if not self._connections:
            self._all_gone.set()

    async def gone(self, timeout: float) -> bool:
        """Wait, at most ``timeout`` seconds, for the connections ``go_away`` ended to be gone: each
        endpoint disconnects once its client got the end of its stream (a WebSocket's close frame).
        The HTTP server's own shutdown would otherwise close a WebSocket still open with its code
        (uvicorn's 1012) rather than ours. True if they all went."""
        try:
            await asyncio.wait_for(self._all_gone.wait(), timeout)
        except TimeoutError:
            return False
        return True

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
        if self._going_away and not self._connections:
            self._all_gone.set()

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
        pending = connection.hold_for_sync()
        try:
            shared = await self._stamp_sync(room) if self._stamp_sync is not None else None
            timestamp = self._clock.stamp(room) if shared is None else shared
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
        if change.timestamp is None:
            timestamp = self._clock.stamp(group, item)
        else:  # stamped by the shared store; local stamps (errors) stay past it
            timestamp = change.timestamp
            self._clock.observe(timestamp, group, item)
        message = change_message(change, timestamp)
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

    def resync(self) -> None:
        """Changes may have been missed (the shared feed was down): send every subscription a fresh
        sync, and forget what the replay log holds (its history has a hole)."""
        self.replay.forget()
        for connection in tuple(self._connections):
            for subscription_id, room in tuple(connection.subscriptions.items()):
                task = asyncio.get_running_loop().create_task(self.join(connection, subscription_id, room))
                self._resyncs.add(task)
                task.add_done_callback(self._resyncs.discard)
