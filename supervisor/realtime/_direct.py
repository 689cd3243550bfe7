"""Writing pre-framed WebSocket messages straight to a connection's socket: the one hack.

A stream update goes to every subscriber with the same bytes: server frames are not masked. The
ASGI path (quart/ASGI ``send`` -> the server's WebSocket protocol -> wsproto, which deflates per
connection) costs ~50-90 µs per message per client in Python; a 1,000-subscriber group at 50 updates/s
is 50,000 messages/s, past what one core can do that way. Framing each message once (``_wire``) and
handing the bytes to each connection's transport costs ~5 µs, most of it the send syscall.

The transport is found from the ASGI ``send`` callable, checking each hop's type, for the two servers
``motia dev`` runs (``cli/_serve.py``):
- uvicorn (wsproto implementation): ``send`` is a method of its ``WSProtocol``, which holds the
  transport (``transport``), the wsproto connection (``conn``) and whether it sent a close (``close_sent``);
- hypercorn (HTTP/1.1): ``send`` is a method of its ``WSStream`` (``closed``, ``connection``), whose
  ``send`` leads through ``H11Protocol`` to the ``TCPServer`` holding the stream writer.
On anything else (HTTP/2 WebSockets, uvicorn's websockets implementation, quart's test client, a server
that changed shape) ``find_direct_socket`` returns None, the connection uses the ASGI path, and the
first such fallback is logged, so an upgrade that breaks the plumbing shows up as a warning rather than
as a silent slowdown. Both servers' versions are bounded in pyproject.toml;
``tests/test_realtime_endpoints.py`` checks the fast path is taken under each.

Mixing both writers on one connection is safe: each writes whole frames with one synchronous
``transport.write``. Under permessage-deflate, frames sent this way are simply uncompressed
messages (RSV1 clear), which RFC 7692 allows. Nothing is written once the WebSocket is closing in
either direction (``DirectSocket.is_open``): after a close frame, data frames are a protocol error.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any, cast

_logger = logging.getLogger("motia.realtime")

# (the attribute leading to the next hop, the class name expected there)
_HYPERCORN_PATH = (
    ("send", "H11Protocol"),  # WSStream.send is H11Protocol.stream_send
    ("send", "TCPServer"),  # H11Protocol.send is TCPServer.protocol_send
)

_fallback_logged = False


class DirectSocket(ABC):
    """A WebSocket's transport, and whether the WebSocket on it is still open."""

    __slots__ = ("transport",)

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.transport = transport

    @abstractmethod
    def is_open(self) -> bool:
        """False from the moment either side has sent a close frame, or the socket is closing."""


class HypercornSocket(DirectSocket):
    __slots__ = ("_stream",)

    def __init__(self, transport: asyncio.WriteTransport, stream: Any) -> None:
        super().__init__(transport)
        self._stream = stream  # hypercorn's WSStream: its wsproto connection knows the close handshake

    def is_open(self) -> bool:
        if self.transport.is_closing() or self._stream.closed:
            return False
        return _state_name(self._stream.connection) == "OPEN"


class UvicornSocket(DirectSocket):
    __slots__ = ("_protocol",)

    def __init__(self, transport: asyncio.WriteTransport, protocol: Any) -> None:
        super().__init__(transport)
        self._protocol = protocol  # uvicorn's WSProtocol: its wsproto connection knows the handshake

    def is_open(self) -> bool:
        if self.transport.is_closing() or self._protocol.close_sent:
            return False
        return _state_name(self._protocol.conn) == "OPEN"


def find_direct_socket(asgi_send: Any) -> DirectSocket | None:
    """The socket behind an accepted WebSocket's ASGI ``send``; None (logged once) if unreachable."""
    owner = getattr(asgi_send, "__self__", None)
    kind = type(owner).__name__
    if kind == "WSProtocol" and type(owner).__module__.startswith("uvicorn."):
        return _uvicorn_socket(owner)
    if kind == "WSStream":
        return _hypercorn_socket(owner)
    _fall_back(f"the ASGI send belongs to {kind}, neither uvicorn's WSProtocol nor hypercorn's WSStream")
    return None


def _uvicorn_socket(protocol: Any) -> DirectSocket | None:
    state = _state_name(getattr(protocol, "conn", None))
    if not isinstance(getattr(protocol, "close_sent", None), bool) or state is None:
        _fall_back("uvicorn's WSProtocol has no close_sent flag or wsproto connection state")
        return None
    transport = getattr(protocol, "transport", None)
    if not _is_write_transport(transport):
        _fall_back(f"uvicorn's WSProtocol has no write transport (found {type(transport).__name__})")
        return None
    return UvicornSocket(cast(asyncio.WriteTransport, transport), protocol)


def _hypercorn_socket(stream: Any) -> DirectSocket | None:
    state = _state_name(getattr(stream, "connection", None))
    if not isinstance(getattr(stream, "closed", None), bool) or state is None:
        _fall_back("hypercorn's WSStream has no closed flag or wsproto connection state")
        return None
    hop: Any = stream
    for attribute, expected in _HYPERCORN_PATH:
        hop = getattr(getattr(hop, attribute, None), "__self__", None)
        # a subclass counts: cli/_hypercorn.py's _PromptTCPServer is hypercorn's TCPServer
        if expected not in {cls.__name__ for cls in type(hop).__mro__}:
            _fall_back(f"found {type(hop).__name__} where hypercorn's {expected} was expected")
            return None
    transport = getattr(getattr(hop, "writer", None), "transport", None)
    if not _is_write_transport(transport):
        _fall_back(f"hypercorn's TCPServer has no write transport (found {type(transport).__name__})")
        return None
    return HypercornSocket(cast(asyncio.WriteTransport, transport), stream)


def _is_write_transport(transport: object) -> bool:
    # asyncio's own transports are WriteTransports; uvloop's (supervisor/cli/_event_loop.py) have the
    # same methods without the base class
    return all(callable(getattr(transport, name, None)) for name in ("write", "is_closing", "abort"))


def _state_name(connection: Any) -> str | None:
    """The name of a wsproto connection's state (``OPEN``, ``LOCAL_CLOSING`` ...)."""
    state = getattr(connection, "state", None)
    name = getattr(state, "name", None)
    return name if isinstance(name, str) else None


def _fall_back(reason: str) -> None:
    global _fallback_logged
    if not _fallback_logged:
        _fallback_logged = True
        _logger.warning(
            "stream updates go to WebSocket clients through the slower ASGI path (%s); expected under "
            "HTTP/2 or another server, otherwise the server's internals changed: see realtime/_direct.py",
            reason,
        )
