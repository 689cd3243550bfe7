"""The direct WebSocket write path on its own, without a server: how a pre-framed message reaches a
socket (``DirectSink``), when it must not (closing, closed, too far behind), how uvicorn's and
hypercorn's plumbing is recognised (``find_direct_socket``), and the framing every client shares (``text_frame``).

tests/test_realtime_endpoints.py checks the same path end to end under the real servers.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
import wsproto.frame_protocol as wsframes
from wsproto.connection import ConnectionState

from supervisor.realtime import _direct as direct
from supervisor.realtime._connection import DirectSink
from supervisor.realtime._direct import HypercornSocket, find_direct_socket
from supervisor.realtime._wire import ServerMessage, text_frame


class RecordingTransport(asyncio.WriteTransport):
    """Records what is written; ``unsent`` plays the kernel buffer a slow client leaves full."""

    def __init__(self, unsent: int = 0) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.unsent = unsent
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def get_write_buffer_size(self) -> int:
        return self.unsent

    def is_closing(self) -> bool:
        return self.closing


def ws_stream(state: ConnectionState = ConnectionState.OPEN, closed: bool = False) -> Any:
    """What DirectSocket reads of hypercorn's WSStream: its closed flag and its wsproto state."""
    return SimpleNamespace(closed=closed, connection=SimpleNamespace(state=state))


def message(payload: bytes = b'{"event":{"type":"update"}}') -> ServerMessage:
    return ServerMessage(1, "update", payload)


# --------------------------------------------------------------------------- DirectSink


def test_the_same_frame_bytes_go_to_every_socket_at_once() -> None:
    update = message()
    transports = [RecordingTransport() for _ in range(3)]
    for transport in transports:
        assert DirectSink(HypercornSocket(transport, ws_stream())).write(update) is None
    assert all(t.written == [update.frame] for t in transports)
    assert all(t.written[0] is update.frame for t in transports)  # framed once, never copied per client


def test_a_client_too_far_behind_is_refused_with_the_reason_and_nothing_written() -> None:
    update = message()
    limit = 1000
    fits = RecordingTransport(unsent=limit - len(update.frame))
    assert DirectSink(HypercornSocket(fits, ws_stream()), max_bytes=limit).write(update) is None
    behind = RecordingTransport(unsent=limit - len(update.frame) + 1)
    reason = DirectSink(HypercornSocket(behind, ws_stream()), max_bytes=limit).write(update)
    assert reason is not None and "unsent (limit 1000)" in reason
    assert behind.written == []


@pytest.mark.parametrize(
    ("transport_closing", "stream_closed", "state"),
    [
        (True, False, ConnectionState.OPEN),  # the socket is closing
        (False, True, ConnectionState.OPEN),  # hypercorn closed the stream
        (False, False, ConnectionState.LOCAL_CLOSING),  # the server sent a close frame (e.g. 1009)
        (False, False, ConnectionState.REMOTE_CLOSING),  # the client sent one
        (False, False, ConnectionState.CLOSED),
    ],
)
def test_nothing_is_written_once_either_side_is_closing(
    transport_closing: bool, stream_closed: bool, state: ConnectionState
) -> None:
    transport = RecordingTransport()
    transport.closing = transport_closing
    socket = HypercornSocket(transport, ws_stream(state, stream_closed))
    assert not socket.is_open()
    assert DirectSink(socket).write(message()) is None  # not a slow client: just nothing to do
    assert transport.written == []


def test_nothing_is_written_after_the_sink_is_closed() -> None:
    transport = RecordingTransport()
    sink = DirectSink(HypercornSocket(transport, ws_stream()))
    sink.close()
    assert sink.write(message()) is None
    assert transport.written == []


# --------------------------------------------------------------------------- find_direct_socket


class TCPServer:
    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.writer = SimpleNamespace(transport=transport)

    async def protocol_send(self, event: object) -> None: ...


class H11Protocol:
    def __init__(self, server: TCPServer) -> None:
        self.send = server.protocol_send

    async def stream_send(self, event: object) -> None: ...


class WSStream:
    """The shape of hypercorn 0.17-0.18's HTTP/1.1 WebSocket stream, as far as _direct follows it."""

    def __init__(self, protocol: H11Protocol) -> None:
        self.send = protocol.stream_send
        self.closed = False
        self.connection = SimpleNamespace(state=ConnectionState.OPEN)

    async def app_send(self, message: object) -> None: ...


def test_the_transport_is_found_by_following_hypercorns_send_chain() -> None:
    transport = RecordingTransport()
    stream = WSStream(H11Protocol(TCPServer(transport)))
    socket = find_direct_socket(stream.app_send)
    assert socket is not None and socket.transport is transport and socket.is_open()
    stream.connection.state = ConnectionState.LOCAL_CLOSING
    assert not socket.is_open()


class PromptTCPServer(TCPServer):
    """As cli/_hypercorn.py installs it: hypercorn's TCPServer, subclassed."""


def test_hypercorns_tcp_server_is_recognised_through_motias_subclass_of_it() -> None:
    transport = RecordingTransport()
    socket = find_direct_socket(WSStream(H11Protocol(PromptTCPServer(transport))).app_send)
    assert socket is not None and socket.transport is transport


class WSProtocol:
    """The shape of uvicorn 0.54's wsproto WebSocket protocol, as far as _direct follows it."""

    __module__ = "uvicorn.protocols.websockets.wsproto_impl"

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.transport = transport
        self.close_sent = False
        self.conn = SimpleNamespace(state=ConnectionState.OPEN)

    async def send(self, message: object) -> None: ...


def test_the_transport_is_found_on_uvicorns_websocket_protocol_until_a_close_frame() -> None:
    transport = RecordingTransport()
    protocol = WSProtocol(transport)
    socket = find_direct_socket(protocol.send)
    assert socket is not None and socket.transport is transport and socket.is_open()
    protocol.close_sent = True  # uvicorn sent a close frame (an oversized message, the app closed)
    assert not socket.is_open()
    protocol.close_sent = False
    protocol.conn.state = ConnectionState.REMOTE_CLOSING  # the client sent one
    assert not socket.is_open()
    protocol.conn.state = ConnectionState.OPEN
    transport.closing = True
    assert not socket.is_open()


class H2Protocol:
    async def stream_send(self, event: object) -> None: ...


def test_any_other_shape_falls_back_to_the_asgi_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(direct, "_fallback_logged", True)  # logging once is tested with the server
    transport = RecordingTransport()
    http2 = WSStream(H11Protocol(TCPServer(transport)))
    http2.send = H2Protocol().stream_send  # an HTTP/2 WebSocket's send leads elsewhere
    assert find_direct_socket(http2.app_send) is None
    no_state = WSStream(H11Protocol(TCPServer(transport)))
    no_state.connection = SimpleNamespace()
    assert find_direct_socket(no_state.app_send) is None
    server = TCPServer(transport)
    no_transport = WSStream(H11Protocol(server))
    server.writer = SimpleNamespace(transport=None)
    assert find_direct_socket(no_transport.app_send) is None

    async def plain_asgi_send(message: object) -> None: ...

    assert find_direct_socket(plain_asgi_send) is None
    no_conn = WSProtocol(transport)
    del no_conn.conn
    assert find_direct_socket(no_conn.send) is None
    not_uvicorns = type("WSProtocol", (WSProtocol,), {"__module__": "another_server"})(transport)
    assert find_direct_socket(not_uvicorns.send) is None


# --------------------------------------------------------------------------- text_frame


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_a_text_frame_is_what_a_websocket_client_decodes_at_every_length_boundary(size: int) -> None:
    payload = ("é" * (size // 2) + "x" * (size % 2)).encode()
    assert len(payload) == size
    client = wsframes.FrameProtocol(client=True, extensions=[])
    client.receive_bytes(text_frame(payload))
    [frame] = list(client.received_frames())
    assert (frame.opcode, frame.frame_finished, frame.payload) == (
        wsframes.Opcode.TEXT,
        True,
        payload.decode(),
    )
