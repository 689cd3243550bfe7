"""Both HTTP servers ``motia dev``/``start`` can run (uvicorn, the default, and hypercorn, chosen with
``"http": {"server": ...}`` or ``MOTIA_HTTP_SERVER``) serve a project the same way: an api step, a
method outside llhttp's list, a stream over WebSocket (on the direct write path) and over SSE, and a
clean stop. The suites of each behaviour run under the default; this one keeps hypercorn honest."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import AsyncIterator
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
        _heads_past_the_limit_and_garbage_are_refused(server.port, json_bodies=expected == "uvicorn")

        asyncio.run(_websocket_then_sse(server))
    finally:
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
        server.stop()
    records = server.json_logs()
    assert not [r for r in records if r["level"] in ("warn", "warning", "error")], records
    assert not [line for line in server.lines if line.strip() and not line.startswith("{")]


def _heads_past_the_limit_and_garbage_are_refused(port: int, json_bodies: bool) -> None:
    """A head still incomplete past 16 KiB is a 431 (llhttp has no limit of its own: cli/_uvicorn.py
    sets hypercorn's); what is not HTTP is a 400. hypercorn's (h11's) own answers have empty bodies."""
    big_head = b"POST /items/a HTTP/1.1\r\nhost: x\r\n" + b"".join(
        b"x-filler-%d: %s\r\n" % (n, b"a" * 1000) for n in range(40)
    )
    requests = [
        (big_head, 431),
        (b"\x16\x03\x01 not http\r\n\r\n", 400),
        (b"BREW /items/a HTTP/1.1\r\nnot a header\r\n\r\n", 400),  # under uvicorn, h11 parses it
    ]
    for request, status in requests:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            with contextlib.suppress(ConnectionError):  # the server may close before all is sent
                for start in range(0, len(request), 4096):
                    sock.sendall(request[start : start + 4096])
                    time.sleep(0.005)  # several reads, as from a slow client
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 %d" % status), reply
        if json_bodies:
            assert orjson.loads(body)["error"] == HTTPStatus(status).phrase, reply


async def _websocket_then_sse(server: MotiaServer) -> None:
    client = await RawSocket.open(server.port)
    try:
        client.join("items", "g")
        sync = await client.next(timeout=10)
        assert sync["event"]["type"] == "sync"
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            assert (await http.post("/items/c", json={"n": 3})).status_code == 200
            update = await client.next(timeout=10)
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
