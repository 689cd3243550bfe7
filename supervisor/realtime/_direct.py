"""Writing pre-framed WebSocket messages straight to a hypercorn connection's socket.

A stream update goes to every subscriber with the same bytes: server frames are not masked. The
ASGI path (quart/ASGI ``send`` -> hypercorn's WSStream -> wsproto, which deflates per connection)
costs ~50-90 µs per message per client in Python; a 1,000-subscriber group at 50 updates/s is
50,000 messages/s, past what one core can do that way. Framing each message once and handing the
bytes to each connection's transport costs ~5 µs, most of it the send syscall.

The transport is found by following hypercorn's HTTP/1.1 WebSocket plumbing from the ASGI
``send`` callable, checking each hop's type; on anything else (HTTP/2 WebSockets, another server,
quart's test client, a hypercorn that changed shape) ``find_transport`` returns None and the
connection uses the ASGI path. Mixing both writers on one connection is safe: each writes whole
frames with one synchronous ``transport.write``. Under permessage-deflate, frames sent this way
are simply uncompressed messages (RSV1 clear), which RFC 7692 allows.
"""

from __future__ import annotations

import asyncio
from typing import Any

# (the attribute leading to the next hop, the class name expected there)
_HYPERCORN_PATH = (
    ("send", "H11Protocol"),  # WSStream.send is H11Protocol.stream_send
    ("send", "TCPServer"),  # H11Protocol.send is TCPServer.protocol_send
)


def find_transport(asgi_send: Any) -> asyncio.WriteTransport | None:
    stream = getattr(asgi_send, "__self__", None)
    if type(stream).__name__ != "WSStream":
        return None
    hop: Any = stream
    for attribute, expected in _HYPERCORN_PATH:
        hop = getattr(getattr(hop, attribute, None), "__self__", None)
        if type(hop).__name__ != expected:
            return None
    transport = getattr(getattr(hop, "writer", None), "transport", None)
    if not isinstance(transport, asyncio.WriteTransport) or transport.is_closing():
        return None
    return transport
