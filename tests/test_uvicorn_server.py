"""What ``cli/_uvicorn.py`` makes of uvicorn, on a server run in this process with a small ASGI app: an
answer of known length leaves in one write and a streamed one head first; an app that fails before any
of its answer left gets uvicorn's clean 500, one whose head left a close; a connection its client
reset is let go at once. ``motia dev``/``start`` on each server is test_http_servers.py's, what
connections cost a running ``motia start`` test_connections.py's."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import struct
import weakref
from pathlib import Path
from typing import Any, cast

import h11
import pytest

from supervisor.cli._listen import listen
from supervisor.cli._uvicorn import _HttpToolsProtocol, _Server, uvicorn_config
from supervisor.http._asgi import _send
from supervisor.http._response import HttpResponse
from supervisor.settings import Settings
from tests.support.raw_http import read_response

REQUEST = b"GET /ping HTTP/1.1\r\nhost: x\r\n\r\n"


class _CountedWrites:
    """A connection's transport, keeping what each ``write`` carried in ``writes``."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport = transport
        self.writes = writes

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _CountingProtocol(_HttpToolsProtocol):
    """The server's protocol (``cli/_uvicorn.py``) writing through a ``_CountedWrites``: the writes of
    every connection, in order, in ``writes``."""

    writes: list[bytes] = []

    def connection_made(self, transport: Any) -> None:
        super().connection_made(cast(asyncio.Transport, _CountedWrites(transport, self.writes)))


async def test_an_answer_of_known_length_leaves_in_one_write_a_streamed_one_head_first() -> None:
    """uvicorn writes a response's head and body apart (two send syscalls, and with TCP_NODELAY two
    segments): under ``cli/_uvicorn.py`` an answer the front sends (``http/_asgi.py``), whatever its
    kind, is one write; one of known length sent in parts has its head written with the first part;
    a streamed answer's head leaves before its first chunk, which waits here until the client has
    read the head."""
    release = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        method, path = scope["method"], scope["path"]
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await release.wait()
            await send({"type": "http.response.body", "body": b"one", "more_body": True})
            await send({"type": "http.response.body", "body": b"two"})
            return
        if path == "/parts":  # a length, the body in parts (as quart sends its answers)
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"6")]})
            await send({"type": "http.response.body", "body": b"abc", "more_body": True})
            await send({"type": "http.response.body", "body": b"def"})
            return
        answers = {
            "/json": HttpResponse.json(200, {"ok": True}),
            "/large": HttpResponse(200, [], b"x" * 300_000),
            "/empty": HttpResponse(204, [("x-kind", "empty")], b""),
            "/close": HttpResponse.json(200, {"last": True}, [("connection", "close")]),
        }
        await _send(send, answers[path], method)

    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    server = _Server(uvicorn_config(app, Settings(project_root=Path.cwd(), mode="start")))
    server.config.lifespan = "off"
    server.config.http = _CountingProtocol
    _CountingProtocol.writes = []
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        client = h11.Connection(h11.CLIENT)
        sock = await asyncio.to_thread(socket.create_connection, ("127.0.0.1", port), 10)

        async def exchange(method: str, path: str) -> tuple[h11.Response, bytes, list[bytes]]:
            """A request on the connection; its response, and the writes that carried it."""
            before = len(_CountingProtocol.writes)
            request = client.send(h11.Request(method=method, target=path, headers=[("host", "x")]))
            sock.sendall(request + (client.send(h11.EndOfMessage()) or b""))
            head, body = await asyncio.to_thread(read_response, client, sock)
            if client.our_state is h11.DONE and client.their_state is h11.DONE:
                client.start_next_cycle()
            return head, body, _CountingProtocol.writes[before:]

        for method, path, status, body in [
            ("GET", "/json", 200, b'{"ok":true}'),
            ("HEAD", "/json", 200, b""),
            ("GET", "/large", 200, b"x" * 300_000),
            ("GET", "/empty", 204, b""),
        ]:
            head, got, writes = await exchange(method, path)
            assert (head.status_code, got) == (status, body), (method, path)
            assert len(writes) == 1, (method, path, writes)
            assert writes[0].startswith(b"HTTP/1.1 %d " % status) and writes[0].endswith(body)
        with sock:
            head, got, writes = await exchange("GET", "/close")
            assert (head.status_code, dict(head.headers)[b"connection"]) == (200, b"close")
            assert len(writes) == 1, writes
            assert await asyncio.to_thread(sock.recv, 1) == b""

        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            client = h11.Connection(h11.CLIENT)
            head, got, writes = await exchange("GET", "/parts")
            assert got == b"abcdef" and len(writes) == 2, writes  # the head with the first part
            assert writes[0].startswith(b"HTTP/1.1 200 ") and writes[0].endswith(b"abc"), writes

        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n")
            received = b""
            while b"\r\n\r\n" not in received:  # the head, while the first chunk is held back
                received += await asyncio.to_thread(sock.recv, 65536)
            assert received.startswith(b"HTTP/1.1 200 ") and b"transfer-encoding: chunked" in received
            release.set()
            while not received.endswith(b"0\r\n\r\n"):
                received += await asyncio.to_thread(sock.recv, 65536)
        assert received.endswith(b"3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n"), received
    finally:
        server.should_exit = True
        await serving


async def test_an_app_that_fails_before_any_of_its_answer_left_gets_a_500_one_whose_head_left_a_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The head of an answer of known length is held until its body (``cli/_uvicorn.py``): an app that
    fails meanwhile (raises, returns without the body, sends a body short of its length, or a head
    uvicorn refuses) has sent nothing, so its client gets uvicorn's clean 500, as for an app that fails
    before starting, and the failure is logged as uvicorn logs it. A streamed answer's head has left:
    its connection is closed, as uvicorn does."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path = scope["path"]
        headers = [(b"content-length", b"6")]
        if path == "/bad-header":
            headers = [(b"x-bad", b"one\r\ntwo")]
        elif path == "/bad-second-value":  # values are checked at once: the second is found
            headers = [(b"content-length", b"6"), (b"x-fine", b"ok\tok"), (b"x-bad", b"one\x00two")]
        elif path == "/bad-name":
            headers = [(b"content-length", b"6"), (b"x bad", b"fine")]
        elif path == "/streamed-raises":
            headers = []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if path == "/short":
            await send({"type": "http.response.body", "body": b"abc"})
        elif path in ("/raises", "/streamed-raises"):
            raise ValueError(f"broken after the start of {path}")

    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    server = _Server(uvicorn_config(app, Settings(project_root=Path.cwd(), mode="start")))
    server.config.lifespan = "off"
    serving = asyncio.create_task(server.serve(sockets=[listener]))

    def get(path: str) -> tuple[h11.Response | None, bytes]:
        """The response to GET ``path`` on a connection of its own (None: closed before any), and what
        came after its head until the server closed the connection."""
        client = h11.Connection(h11.CLIENT)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(client.send(h11.Request(method="GET", target=path, headers=[("host", "x")])))
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        client.receive_data(received)
        client.receive_data(b"")
        head: h11.Response | None = None
        body = b""
        with contextlib.suppress(h11.RemoteProtocolError):  # a chunked body cut short
            while not isinstance(event := client.next_event(), h11.ConnectionClosed | h11.EndOfMessage):
                if isinstance(event, h11.Response):
                    head = event
                elif isinstance(event, h11.Data):
                    body += event.data
        return head, body

    try:
        with caplog.at_level(logging.ERROR, logger="uvicorn.error"):
            for path, logged in [
                ("/raises", "Exception in ASGI application"),
                ("/returns", "ASGI callable returned without completing response."),
                ("/short", "Exception in ASGI application"),
                ("/bad-header", "Exception in ASGI application"),
                ("/bad-second-value", "Exception in ASGI application"),
                ("/bad-name", "Exception in ASGI application"),
            ]:
                caplog.clear()
                head, body = await asyncio.to_thread(get, path)
                assert head is not None, path
                assert (head.status_code, body) == (500, b"Internal Server Error"), path
                assert dict(head.headers)[b"connection"] == b"close", path
                assert [r.getMessage().strip() for r in caplog.records] == [logged.strip()], path
                error = caplog.records[0].exc_info
                if path == "/raises":
                    assert error is not None and isinstance(error[1], ValueError)
                elif path.startswith("/bad-"):
                    assert error is not None, path
                    which = "name" if path == "/bad-name" else "value"
                    assert str(error[1]) == f"Invalid HTTP header {which}."
            caplog.clear()
            head, body = await asyncio.to_thread(get, "/streamed-raises")
            assert head is not None and head.status_code == 200 and body == b""
            assert [r.getMessage().strip() for r in caplog.records] == ["Exception in ASGI application"]
    finally:
        server.should_exit = True
        await serving


async def test_a_connection_reset_by_its_client_holds_nothing_under_uvicorn() -> None:
    """uvicorn stops a connection's keep-alive timer only when the connection ends cleanly; after a
    reset (RST) the timer held the connection's objects for keepAliveTimeoutSeconds. The server as
    ``cli/_uvicorn.py`` configures it lets them go at once."""

    async def app(scope: dict[str, object], receive: object, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

    listener = listen("127.0.0.1", 0)
    port = listener.getsockname()[1]
    server = _Server(uvicorn_config(app, Settings(project_root=Path.cwd(), mode="start")))
    server.config.lifespan = "off"
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:  # the listener is bound and listening already: the connection waits in its backlog
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 204")
        [connection] = server.server_state.connections
        held = weakref.ref(connection)
        del connection
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # closes with linger 0: an RST
        for _ in range(100):
            await asyncio.sleep(0.02)
            gc.collect()
            if held() is None:
                break
        assert held() is None, "the reset connection is still held (by its keep-alive timer?)"
    finally:
        server.should_exit = True
        await serving
