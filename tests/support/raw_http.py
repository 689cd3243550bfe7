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
