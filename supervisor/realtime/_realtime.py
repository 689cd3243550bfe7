"""``Realtime``: the hub plus what the WebSocket and SSE endpoints share (stream names, access)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from supervisor.storage import JsonValue
from supervisor.streams import Streams

from ._access import AccessHookFailed, AccessPolicy, AuthRequest, Identity, OpenAccess
from ._connection import DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES
from ._hub import Hub
from ._wire import Room

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
        stamp_sync = self._stamp_sync if streams.shared is not None else None
        self.hub = Hub(self._read_snapshot, max_held=max_messages, stamp_sync=stamp_sync)
        self._unsubscribe = streams.subscribe(self.hub.publish, on_gap=self.hub.resync)

    def stream_names(self) -> Collection[str]:
        return self._stream_names()

    def close(self) -> None:
        self._unsubscribe()

    async def authenticate(self, request: AuthRequest) -> Identity:
        """Who the request is. A hook that fails is logged, and the identity refuses every join."""
        where = request.url.partition("?")[0]  # the query may hold the token: keep it out of the log
        try:
            return Identity(await self.policy.authenticate(request))
        except AccessHookFailed as exc:
            _logger.error(
                "stream authentication failed for %s: %s; its subscriptions will be refused",
                where,
                exc,
                extra={"meta": {"stack": exc.stack}} if exc.stack else None,
            )
            return Identity(failure=str(exc))
        except Exception as exc:
            _logger.exception("stream authentication failed for %s; its subscriptions will be refused", where)
            return Identity(failure=f"{type(exc).__name__}: {exc}")

    async def check_access(self, room: Room, identity: Identity) -> None:
        """Raise ``AccessDenied`` unless the stream exists, authentication worked and ``canAccess``
        allows ``room``. The client is told that and why, never the hook's own error (see the log)."""
        names = self.stream_names()
        if room.stream not in names:
            known = ", ".join(sorted(names)) or "none"
            raise AccessDenied(f"no stream named {room.stream!r} (streams: {known})")
        if identity.failure is not None:
            raise AccessDenied(f"access to {room} denied: authentication failed")
        try:
            allowed = await self.policy.can_access(room, identity.context)
        except AccessHookFailed as exc:
            _logger.error(
                "access to %s denied: %s",
                room,
                exc,
                extra={"meta": {"stack": exc.stack}} if exc.stack else None,
            )
            raise AccessDenied(f"access to {room} denied: the access check failed") from None
        except Exception:
            _logger.exception("access to %s denied: the access check failed", room)
            raise AccessDenied(f"access to {room} denied: the access check failed") from None
        if not allowed:
            raise AccessDenied(f"access to {room} denied")

    async def _stamp_sync(self, room: Room) -> int | None:
        return await self.streams.stamp(room.stream, room.group_id)

    async def _read_snapshot(self, room: Room) -> JsonValue:
        if room.item_id is None:
            items: list[JsonValue] = list(await self.streams.get_group(room.stream, room.group_id))
            return items
        return await self.streams.get(room.stream, room.group_id, room.item_id)
