"""Both HTTP servers ``motia dev``/``start`` can run (uvicorn, the default, and hypercorn, chosen with
``"http": {"server": ...}`` or ``MOTIA_HTTP_SERVER``) serve a project the same way: an api step, a
method outside llhttp's list, a stream over WebSocket (on the direct write path) and over SSE, and a
clean stop, and both refuse what their HTTP parsers cannot take with our JSON errors. The suites of each
behaviour run under the default; this one keeps hypercorn honest."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support.project import write_project
from tests.support.raw_socket import RawSocket
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

FILES = {
    "steps/items.stream.js": """
        exports.config = { name: 'items', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/put_step.py": """
        config = {"type": "api", "name": "Put", "path": "/items/:id", "method": "POST", "emits": []}
        async def handler(req, context):
            item = await context.streams.items.set("g", req["pathParams"]["id"], req["body"])
            return {"status": 200, "body": item}
    """,
}


@pytest.mark.parametrize(
    ("chosen_by", "expected"),
    [
        ({}, os.environ.get("MOTIA_HTTP_SERVER") or "uvicorn"),  # the suite may run under either
        ({"env": {"MOTIA_HTTP_SERVER": "hypercorn"}}, "hypercorn"),
        ({"config": {"http": {"server": "hypercorn"}}}, "hypercorn"),
    ],
    ids=["default", "environment", "config"],
)
def test_each_server_serves_requests_streams_and_stops_cleanly(
    tmp_path: Path, chosen_by: dict[str, Any], expected: str
) -> None:
    if "config" in chosen_by and os.environ.get("MOTIA_HTTP_SERVER"):
        pytest.skip("MOTIA_HTTP_SERVER overrides the project's choice")
    write_project(tmp_path, FILES, chosen_by.get("config"))
    server = MotiaServer(tmp_path, mode="start", env=chosen_by.get("env")).wait_ready()
    try:
        response = server.client.post("/items/a", json={"n": 1})
        assert response.status_code == 200, response.text
        assert (response.json()["n"], response.json()["id"]) == (1, "a")
        # hypercorn names itself; uvicorn is told not to
        assert response.headers.get("server") == ("hypercorn-h11" if expected == "hypercorn" else None)

        brew = server.client.request("BREW", "/items/a", content=b"{}")
        assert (brew.status_code, brew.headers["allow"]) == (405, "POST"), brew.text
        assert brew.json()["error"] == "Method Not Allowed"
        assert server.client.post("/items/b", json={"n": 2}).status_code == 200  # the next one too

        asyncio.run(_websocket_then_sse(server))
    finally:
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
        server.stop()
    records = server.json_logs()
    assert not [r for r in records if r["level"] in ("warn", "warning", "error")], records
    assert not [line for line in server.lines if line.strip() and not line.startswith("{")]


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn"])
def each_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MotiaServer]:
    project = write_project(tmp_path_factory.mktemp(request.param), FILES)
    with MotiaServer(project, mode="start", env={"MOTIA_HTTP_SERVER": request.param}) as server:
        yield server


FILLER = b"".join(b"x-filler-%d: %s\r\n" % (n, b"a" * 1000) for n in range(20))
BIG_HEAD = b"POST /items/a HTTP/1.1\r\nhost: x\r\n" + FILLER
#: a method llhttp does not know: under uvicorn, h11 parses it (cli/_uvicorn.py)
BIG_BREW_HEAD = b"BREW /items/a HTTP/1.1\r\nhost: x\r\n" + FILLER


@pytest.mark.parametrize(
    ("request_bytes", "status", "reads"),
    [
        (BIG_HEAD, 431, "several"),  # still incomplete past 16 KiB
        (BIG_HEAD + b"content-length: 2\r\n\r\n{}", 431, "one"),  # complete, past 16 KiB
        (BIG_BREW_HEAD, 431, "several"),
        (BIG_BREW_HEAD + b"content-length: 2\r\n\r\n{}", 431, "one"),
        (b"\x16\x03\x01 not http\r\n\r\n", 400, "one"),
        (b"BREW /items/a HTTP/1.1\r\nnot a header\r\n\r\n", 400, "one"),  # under uvicorn, h11 parses it
    ],
    ids=[
        "head-over-16-KiB-in-reads",
        "head-over-16-KiB-in-one-read",
        "unknown-method-head-over-16-KiB-in-reads",
        "unknown-method-head-over-16-KiB-in-one-read",
        "not-http",
        "unknown-method-malformed",
    ],
)
def test_what_the_http_parser_refuses_is_a_json_error(
    each_server: MotiaServer, request_bytes: bytes, status: int, reads: str
) -> None:
    """A head past 16 KiB is a 431 however it arrives (llhttp has no limit of its own, h11 none for a
    head that comes whole: cli/_refusals.py sets one); what is not HTTP is a 400; each in our JSON."""
    with socket.create_connection(("127.0.0.1", each_server.port), timeout=10) as sock:
        with contextlib.suppress(ConnectionError):  # the server may close before all is sent
            if reads == "one":
                sock.sendall(request_bytes)
            else:
                for start in range(0, len(request_bytes), 4096):
                    sock.sendall(request_bytes[start : start + 4096])
                    time.sleep(0.005)  # several reads, as from a slow client
        (reply,) = _responses(sock, 1)
    assert reply.status == status, reply
    assert reply.headers["connection"] == "close", reply
    assert reply.headers["content-type"] == "application/json", reply
    assert orjson.loads(reply.body)["error"] == HTTPStatus(status).phrase, reply


def test_an_unknown_method_pipelined_behind_a_request_is_answered_in_order(each_server: MotiaServer) -> None:
    """llhttp does not know BREW: the request goes to h11 (cli/_uvicorn.py) even when it comes in the
    same read as the one before it, and once that one is answered; the connection goes on after it."""
    pipelined = b"".join(
        [
            b'POST /items/a HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"n":1}',
            b"BREW /items/a HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}",
            b'POST /items/b HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"n":2}',
        ]
    )
    with socket.create_connection(("127.0.0.1", each_server.port), timeout=10) as sock:
        sock.sendall(pipelined)
        first, brew, last = _responses(sock, 3)
    assert (first.status, orjson.loads(first.body)["id"]) == (200, "a"), first
    assert (brew.status, brew.headers["allow"]) == (405, "POST"), brew
    assert orjson.loads(brew.body)["error"] == "Method Not Allowed", brew
    assert (last.status, orjson.loads(last.body)["id"]) == (200, "b"), last


def test_an_unknown_method_after_the_end_of_a_body_begun_in_an_earlier_read_is_answered_in_order(
    each_server: MotiaServer,
) -> None:
    """The BREW request comes in the same read as the end of the body before it, whose start came in
    an earlier read: it still starts where that body's content-length ends it, and gets its 405."""
    with socket.create_connection(("127.0.0.1", each_server.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(
            b'POST /items/a HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"n"'
        )
        time.sleep(0.3)  # the server reads the head and the body's start on their own
        sock.sendall(
            b":1}"
            b"BREW /items/a HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"
            b'POST /items/b HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{"n":2}'
        )
        first, brew, last = _responses(sock, 3)
    assert (first.status, orjson.loads(first.body)["id"]) == (200, "a"), first
    assert (brew.status, brew.headers["allow"]) == (405, "POST"), brew
    assert (last.status, orjson.loads(last.body)["id"]) == (200, "b"), last


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _responses(sock: socket.socket, count: int) -> list[_Response]:
    """``count`` responses read off ``sock``, each framed by its content-length."""
    buffer, responses = b"", list[_Response]()
    while len(responses) < count:
        head_end = buffer.find(b"\r\n\r\n")
        if head_end >= 0:
            status_line, *lines = buffer[:head_end].decode("latin-1").split("\r\n")
            headers = {
                name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
            }
            body_end = head_end + 4 + int(headers.get("content-length", "0"))
            if len(buffer) >= body_end:
                responses.append(
                    _Response(int(status_line.split()[1]), headers, buffer[head_end + 4 : body_end])
                )
                buffer = buffer[body_end:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed after {responses}, {buffer!r}"
        buffer += chunk
    return responses


async def _websocket_then_sse(server: MotiaServer) -> None:
    client = await RawSocket.open(server.port)
    try:
        client.join("items", "g")
        sync = await client.next()
        assert sync["event"]["type"] == "sync"
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            assert (await http.post("/items/c", json={"n": 3})).status_code == 200
            update = await client.next()
            assert (update["event"]["type"], update["event"]["data"]["n"]) == ("create", 3)
            headers = {"Accept": "text/event-stream"}
            async with http.stream("GET", "/__motia/streams/items/g/c", headers=headers) as events:
                assert events.headers["content-type"].startswith("text/event-stream")
                data = [line async for line in _data_lines(events.aiter_lines(), 1)]
        event = orjson.loads(data[0])["event"]
        assert (event["type"], event["data"]["n"]) == ("sync", 3)
    finally:
        client.close()


async def _data_lines(lines: AsyncIterator[str], count: int) -> AsyncIterator[str]:
    async for line in lines:
        if line.startswith("data:"):
            yield line.removeprefix("data:").strip()
            count -= 1
            if count == 0:
                return


def test_an_unknown_server_is_one_clear_error(tmp_path: Path) -> None:
    write_project(tmp_path, FILES)
    server = MotiaServer(tmp_path, mode="start", env={"MOTIA_HTTP_SERVER": "gunicorn"})
    assert server.proc.wait(timeout=60) != 0
    server.stop()
    output = "\n".join(server.lines)
    assert "http.server" in output and "uvicorn" in output and "hypercorn" in output, output
