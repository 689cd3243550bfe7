"""HTTP/1.1 over a plain socket, framed by h11, for tests that check what travels on one connection:
keep-alive, bodyless responses, a body sent late."""

from __future__ import annotations

import socket

import h11


def read_response(connection: h11.Connection, sock: socket.socket) -> tuple[h11.Response, bytes]:
    """The next response on ``sock``, head and body; ConnectionError when the server closed it first."""
    head: h11.Response | None = None
    body = b""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            return head, body
        elif isinstance(event, h11.ConnectionClosed):
            raise ConnectionError("the server closed the connection")


def hang_up_mid_request(port: int, request: bytes) -> None:
    """Send ``request`` (a head and part of the body it announces) and close the connection, as a
    client whose upload was cut off does; nothing is read."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)


def request_once(port: int, request: bytes) -> tuple[h11.Response, bytes]:
    """One request on a connection of its own, closed by the client once the response is read."""
    connection = h11.Connection(h11.CLIENT)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return read_response(connection, sock)
