"""A client connection as the hub sees it: message order, and a bounded way out to the socket.

The hub delivers synchronously, from inside the stream write that caused the message, and never
waits: a slow or stalled client must not delay the step that wrote, nor the other subscribers.
So every way out is bounded, and a client that falls behind past the bound is cut off (it
resyncs when it reconnects) instead of being waited for or silently skipped.

Two ways out (``Sink``):
- ``DirectSink`` writes the pre-framed message to the socket's transport at once (see
  ``_direct``); the bound is the bytes the transport still holds unsent. No task, no copy per
  client. Nothing is written once the WebSocket is closing or the sink is closed.
- ``QueueSink`` queues messages for a task of the connection to send (SSE, and WebSockets when
  the transport is not reachable); the bound is the queue's length and bytes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Protocol

from ._direct import DirectSocket
from ._wire import Room, ServerMessage

DEFAULT_MAX_MESSAGES = 1024
DEFAULT_MAX_BYTES = 4 * 1024 * 1024


class PendingSync:
    """The place of a join's sync message, reserved when the subscription starts.

    Changes published while the snapshot is being read are held behind it, so the client sees the
    sync first and then every later change, none lost and none out of order.
    """

    __slots__ = ("message",)

    def __init__(self) -> None:
        self.message: ServerMessage | None = None


class Sink(Protocol):
    def write(self, message: ServerMessage) -> str | None:
        """Send or queue ``message``; a reason string when the client is too far behind."""
        ...

    def close(self) -> None: ...

    def finish(self) -> None:
        """Take no more messages; those queued still go out."""
        ...


class Connection:
    """One WebSocket or SSE client: its subscriptions (subscription id -> room) and its way out."""

    def __init__(
        self,
        label: str,
        sink: Sink,
        on_overflow: Callable[[Connection, str], None],
        max_held: int = DEFAULT_MAX_MESSAGES,
    ) -> None:
        self.label = label
        self.subscriptions: dict[str, Room] = {}
        self.sink = sink
        self.cut_off = asyncio.Event()  # set when the client fell behind
        self.going_away = False  # the server is stopping
        self.ended = asyncio.Event()  # set for either: the endpoint ends the stream
        self.closed = False
        self._on_overflow = on_overflow
        self._held: deque[ServerMessage | PendingSync] = deque()
        self._max_held = max_held

    def deliver(self, message: ServerMessage) -> None:
        if self.closed:
            return
        if self._held:
            if len(self._held) >= self._max_held:
                self._overflow(f"{len(self._held)} messages held behind a sync that is still being read")
            else:
                self._held.append(message)
            return
        reason = self.sink.write(message)
        if reason is not None:
            self._overflow(reason)

    def hold_for_sync(self) -> PendingSync:
        pending = PendingSync()
        self._held.append(pending)
        return pending

    def release(self) -> None:
        """Send what was held, up to the next sync that is not read yet."""
        held = self._held
        while held and not self.closed:
            head = held[0]
            message = head.message if isinstance(head, PendingSync) else head
            if message is None:
                return
            held.popleft()
            reason = self.sink.write(message)
            if reason is not None:
                self._overflow(reason)

    def close(self) -> None:
        self.closed = True
        self._held.clear()
        self.sink.close()

    def go_away(self) -> None:
        """The server is stopping: nothing more is delivered, and the endpoint ends the stream once
        what the sink holds is out (an SSE client sees the end of its event stream, a WebSocket
        client a close frame)."""
        self.closed = True
        self._held.clear()
        self.sink.finish()
        self.going_away = True
        self.ended.set()

    def _overflow(self, reason: str) -> None:
        self.close()
        self.cut_off.set()
        self.ended.set()
        self._on_overflow(self, reason)

    def __repr__(self) -> str:
        return f"<Connection {self.label}>"


class DirectSink:
    def __init__(self, socket: DirectSocket, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._socket = socket
        self._transport = socket.transport
        self._max_bytes = max_bytes
        self.closed = False

    def write(self, message: ServerMessage) -> str | None:
        if self.closed or not self._socket.is_open():
            return None  # closing: the endpoint is tearing the connection down, a frame now is an error
        transport = self._transport
        unsent = transport.get_write_buffer_size()
        if unsent + len(message.frame) > self._max_bytes:
            return f"{unsent} bytes unsent (limit {self._max_bytes}): the client reads slower than it is sent"
        transport.write(message.frame)
        return None

    def close(self) -> None:
        self.closed = True

    def finish(self) -> None:
        self.closed = True  # what was written is in the transport already


class QueueSink:
    def __init__(self, max_messages: int = DEFAULT_MAX_MESSAGES, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._messages: deque[ServerMessage] = deque()
        self._bytes = 0
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self._ready = asyncio.Event()
        self.closed = False

    def write(self, message: ServerMessage) -> str | None:
        if self.closed:
            return None
        size = len(message.payload)
        if len(self._messages) >= self._max_messages or self._bytes + size > self._max_bytes:
            return (
                f"{len(self._messages)} messages ({self._bytes} bytes) unsent "
                f"(limits {self._max_messages}, {self._max_bytes}): the client reads slower than it is sent"
            )
        self._messages.append(message)
        self._bytes += size
        self._ready.set()
        return None

    def close(self) -> None:
        self.closed = True
        self._messages.clear()
        self._bytes = 0
        self._ready.set()

    def finish(self) -> None:
        self.closed = True
        self._ready.set()

    async def take(self, timeout: float | None = None) -> list[ServerMessage]:
        """Everything queued, waiting for at least one message; [] on timeout, or once closed (or
        finished) and empty."""
        if not self._messages and not self.closed:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return []
        messages = list(self._messages)
        self._messages.clear()
        self._bytes = 0
        return messages
