"""A WebSocket client with no library behaviour of its own (wsproto over asyncio streams), for tests
of the stream endpoints: it reads only when told to, so back-pressure and ordering can be checked."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from typing import Any, ClassVar

import orjson
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    RejectConnection,
    Request,
    TextMessage,
)


class RawSocket:
    #: every socket not closed yet, for close_all() at the end of a test
    _open: ClassVar[set[RawSocket]] = set()

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ws: WSConnection) -> None:
        self.reader, self.writer, self.ws = reader, writer, ws
        self.closed: CloseConnection | None = None
        self.subprotocol: str | None = None
        self._backlog: deque[str] = deque()
        RawSocket._open.add(self)

    @classmethod
    def close_all(cls) -> None:
        """Close every socket a test opened (in the test's event loop, before it closes)."""
        for client in list(cls._open):
            client.close()

    @classmethod
    async def open(
        cls,
        port: int,
        subprotocols: list[str] | None = None,
        small_buffer: bool = False,
        target: str = "/",
    ) -> RawSocket:
        sock = socket.socket()
        if small_buffer:  # a client that never reads should fill the server's buffers soon
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock)
        ws = WSConnection(ConnectionType.CLIENT)
        writer.write(ws.send(Request(host="127.0.0.1", target=target, subprotocols=subprotocols or [])))
        client = cls(reader, writer, ws)
        while True:
            data = await reader.read(65536)
            if not data:  # the server closed before accepting: say so, rather than read on forever
                raise ConnectionError(f"WebSocket to {target} closed before its handshake completed")
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    client.subprotocol = event.subprotocol
                    return client
                if isinstance(event, RejectConnection):
                    writer.close()
                    raise ConnectionError(f"WebSocket to {target} refused: HTTP {event.status_code}")

    def send(self, text: str) -> None:
        self.writer.write(self.ws.send(Message(data=text)))

    def join(self, stream: str, group: str, item: str | None = None, sub: str = "s1") -> None:
        data: dict[str, Any] = {"streamName": stream, "groupId": group, "subscriptionId": sub}
        if item is not None:
            data["id"] = item
        self.send(orjson.dumps({"type": "join", "data": data}).decode())

    async def next(self, timeout: float = 30.0) -> dict[str, Any]:
        """The next server message; ConnectionError once the socket is closed and everything is read.

        ``timeout`` guards a hang when a message is due; a test proving none comes passes its own."""
        while not self._backlog:
            if self.closed is not None:
                raise ConnectionError(f"closed {self.closed.code} {self.closed.reason}")
            for event in self.ws.events():
                if isinstance(event, TextMessage):
                    self._backlog.append(event.data)
                elif isinstance(event, CloseConnection):
                    self.closed = event
            if self._backlog or self.closed is not None:
                continue
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                raise ConnectionError("EOF")
            self.ws.receive_data(data)
        return dict(orjson.loads(self._backlog.popleft()))

    async def until_closed(self, timeout: float = 10.0) -> CloseConnection | None:
        with contextlib.suppress(ConnectionError, TimeoutError):
            while True:
                await self.next(timeout)
        return self.closed

    def close(self) -> None:
        RawSocket._open.discard(self)
        self.writer.close()
