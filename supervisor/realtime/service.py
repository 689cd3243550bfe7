"""``Realtime``: the hub plus what the WebSocket and SSE endpoints share (stream names, access)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from supervisor.storage import JsonValue
from supervisor.streams import Streams

from ._access import AccessPolicy, AuthRequest, OpenAccess
from ._connection import DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES
from ._hub import Hub
from ._protocol import Room

_logger = logging.getLogger("motia.realtime")


class AccessDenied(Exception):
    """A subscription that may not start; the message says why, for the client."""


class Realtime:
    def __init__(
        self,
        streams: Streams,
        stream_names: Callable[[], Collection[str]],
        *,
        policy: AccessPolicy | None = None,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.streams = streams
        self._stream_names = stream_names
        self.policy: AccessPolicy = policy or OpenAccess()
        # Per connection: how far a client may fall behind before it is cut off.
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.hub = Hub(self._read_snapshot, max_held=max_messages)
        self._unsubscribe = streams.subscribe(self.hub.publish)

    def stream_names(self) -> Collection[str]:
        return self._stream_names()

    def close(self) -> None:
        self._unsubscribe()

    async def authenticate(self, request: AuthRequest) -> JsonValue:
        """The request's auth context; a hook that fails makes it anonymous (and is logged)."""
        try:
            return await self.policy.authenticate(request)
        except Exception:
            _logger.exception("stream authenticate hook failed for %s; the client is anonymous", request.url)
            return None

    async def check_access(self, room: Room, auth_context: JsonValue) -> None:
        """Raise ``AccessDenied`` unless the stream exists and its ``canAccess`` allows ``room``."""
        names = self.stream_names()
        if room.stream not in names:
            known = ", ".join(sorted(names)) or "none"
            raise AccessDenied(f"no stream named {room.stream!r} (streams: {known})")
        try:
            allowed = await self.policy.can_access(room, auth_context)
        except Exception as exc:
            _logger.exception("canAccess of stream %s failed for %s", room.stream, room)
            raise AccessDenied(f"access check for {room} failed: {exc}") from None
        if not allowed:
            raise AccessDenied(f"access to {room} denied")

    async def _read_snapshot(self, room: Room) -> JsonValue:
        if room.item_id is None:
            items: list[JsonValue] = list(await self.streams.get_group(room.stream, room.group_id))
            return items
        return await self.streams.get(room.stream, room.group_id, room.item_id)
