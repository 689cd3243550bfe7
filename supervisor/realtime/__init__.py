"""Real-time streams for clients: Motia's WebSocket protocol, SSE and JSON reads of stream items.

``Realtime`` (created by the runtime) listens to every ``Streams`` change and fans it out through
the ``Hub``; ``register_realtime`` adds the endpoints to the quart app.
"""

from __future__ import annotations

from quart import Quart

from ._access import AccessHookFailed, AccessPolicy, AuthRequest, Identity, OpenAccess
from ._connection import Connection
from ._hub import Hub
from ._realtime import AccessDenied, Realtime
from ._sse import StreamSummary, register_sse
from ._websocket import MAX_CLIENT_FRAME, STREAM_END_TIMEOUT_S, StreamSocketMiddleware
from ._wire import Room


def register_realtime(app: Quart, realtime: Realtime, stream_summary: StreamSummary | None = None) -> None:
    """The WebSocket endpoint on ``/`` and the SSE / JSON routes under ``/__motia``; ``stream_summary``
    answers ``GET /__motia/streams/<name>`` for a name holding a '/' (see :func:`register_sse`)."""
    # Quart's documented way to put ASGI middleware in front of the app.
    app.asgi_app = StreamSocketMiddleware(app.asgi_app, realtime)  # type: ignore[method-assign]
    register_sse(app, realtime, stream_summary)


__all__ = [
    "MAX_CLIENT_FRAME",
    "STREAM_END_TIMEOUT_S",
    "AccessDenied",
    "AccessHookFailed",
    "AccessPolicy",
    "AuthRequest",
    "Connection",
    "Hub",
    "Identity",
    "OpenAccess",
    "Realtime",
    "Room",
    "StreamSummary",
    "register_realtime",
]
