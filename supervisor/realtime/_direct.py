"""Writing pre-framed WebSocket messages straight to a hypercorn connection's socket: the one hack.

A stream update goes to every subscriber with the same bytes: server frames are not masked. The
ASGI path (quart/ASGI ``send`` -> hypercorn's WSStream -> wsproto, which deflates per connection)
costs ~50-90 µs per message per client in Python; a 1,000-subscriber group at 50 updates/s is
50,000 messages/s, past what one core can do that way. Framing each message once (``_wire``) and
handing the bytes to each connection's transport costs ~5 µs, most of it the send syscall.

The transport is found by following hypercorn's HTTP/1.1 WebSocket plumbing from the ASGI
``send`` callable, checking each hop's type. On anything else (HTTP/2 WebSockets, another server,
quart's test client, a hypercorn that changed shape) ``find_direct_socket`` returns None, the
connection uses the ASGI path, and the first such fallback is logged, so a hypercorn upgrade that
breaks the plumbing shows up as a warning rather than as a silent slowdown. hypercorn's version
is bounded in pyproject.toml; ``tests/test_realtime_endpoints.py`` checks the fast path is taken.

Mixing both writers on one connection is safe: each writes whole frames with one synchronous
``transport.write``. Under permessage-deflate, frames sent this way are simply uncompressed
messages (RSV1 clear), which RFC 7692 allows. Nothing is written once the WebSocket is closing in
either direction (``DirectSocket.is_open``): after a close frame, data frames are a protocol error.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

_logger = logging.getLogger("motia.realtime")

# (the attribute leading to the next hop, the class name expected there)
_HYPERCORN_PATH = (
    ("send", "H11Protocol"),  # WSStream.send is H11Protocol.stream_send
    ("send", "TCPServer"),  # H11Protocol.send is TCPServer.protocol_send
)

_fallback_logged = False


class DirectSocket:
    """A hypercorn WebSocket's transport, and whether the WebSocket on it is still open."""

    __slots__ = ("_stream", "transport")

    def __init__(self, transport: asyncio.WriteTransport, stream: Any) -> None:
        self.transport = transport
        self._stream = stream  # hypercorn's WSStream: its wsproto connection knows the close handshake

    def is_open(self) -> bool:
        """False from the moment either side has sent a close frame, or the socket is closing."""
        if self.transport.is_closing() or self._stream.closed:
            return False
        return _state_name(self._stream) == "OPEN"


def find_direct_socket(asgi_send: Any) -> DirectSocket | None:
    """The socket behind an accepted WebSocket's ASGI ``send``; None (logged once) if unreachable."""
    stream = getattr(asgi_send, "__self__", None)
    if type(stream).__name__ != "WSStream":
        _fall_back(f"the ASGI send belongs to {type(stream).__name__}, not hypercorn's WSStream")
        return None
    if not isinstance(getattr(stream, "closed", None), bool) or _state_name(stream) is None:
        _fall_back("hypercorn's WSStream has no closed flag or wsproto connection state")
        return None
    hop: Any = stream
    for attribute, expected in _HYPERCORN_PATH:
        hop = getattr(getattr(hop, attribute, None), "__self__", None)
        if type(hop).__name__ != expected:
            _fall_back(f"found {type(hop).__name__} where hypercorn's {expected} was expected")
            return None
    transport = getattr(getattr(hop, "writer", None), "transport", None)
    # asyncio's own transports are WriteTransports; uvloop's (supervisor/cli/_event_loop.py) have the
    # same methods without the base class
    if not all(callable(getattr(transport, name, None)) for name in ("write", "is_closing", "abort")):
        _fall_back(f"hypercorn's TCPServer has no write transport (found {type(transport).__name__})")
        return None
    return DirectSocket(cast(asyncio.WriteTransport, transport), stream)


def _state_name(stream: Any) -> str | None:
    state = getattr(getattr(stream, "connection", None), "state", None)
    name = getattr(state, "name", None)
    return name if isinstance(name, str) else None


def _fall_back(reason: str) -> None:
    global _fallback_logged
    if not _fallback_logged:
        _fallback_logged = True
        _logger.warning(
            "stream updates go to WebSocket clients through the slower ASGI path (%s); expected under "
            "HTTP/2 or another server, otherwise hypercorn's internals changed: see realtime/_direct.py",
            reason,
        )
