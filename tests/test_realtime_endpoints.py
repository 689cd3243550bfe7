"""The realtime endpoints over real sockets: each of the two servers ``motia dev`` runs (uvicorn as
``cli/_uvicorn.py`` configures it, hypercorn) in-process, raw WebSocket clients (wsproto), SSE and JSON
reads with httpx. Bad input, back-pressure and the SSE resume are checked here; the
real Motia clients are driven in test_realtime_clients.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import orjson
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

from supervisor.cli._listen import listen
from supervisor.cli._uvicorn import serve_uvicorn
from supervisor.realtime import MAX_CLIENT_FRAME, Realtime, register_realtime
from supervisor.realtime import _direct as direct
from supervisor.realtime import _websocket as websocket
from supervisor.realtime._connection import DirectSink, QueueSink
from supervisor.settings import Settings
from supervisor.streams import MemoryStreamStore, Streams
from tests.support.raw_socket import RawSocket
from tests.support.server import eventually, free_port


class Server(SimpleNamespace):
    port: int
    streams: Streams
    realtime: Realtime
    app: Quart


SERVERS = ["uvicorn", "hypercorn"]


@contextlib.asynccontextmanager
async def serving(http_server: str, websocket_max_message_size: int | None = None) -> AsyncIterator[Server]:
    """``http_server`` serving the realtime endpoints; uvicorn as ``motia dev`` configures it (its
    WebSocket message limit is MAX_CLIENT_FRAME), hypercorn with its defaults unless told."""
    streams = Streams(MemoryStreamStore())
    realtime = Realtime(streams, lambda: {"items"}, max_bytes=256 * 1024)
    app = Quart("realtime-test")
    app.config["MOTIA_SSE_HEARTBEAT_SECONDS"] = 0.2
    register_realtime(app, realtime)
    port = free_port()
    stop = asyncio.Event()
    if http_server == "uvicorn":
        settings = Settings(project_root=Path.cwd(), mode="start")
        task = asyncio.create_task(serve_uvicorn(app, settings, listen("127.0.0.1", port), stop.wait))
    else:
        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.accesslog = None
        if websocket_max_message_size is not None:
            config.websocket_max_message_size = websocket_max_message_size
        task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    for _ in range(100):
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            break
        await asyncio.sleep(0.02)
    try:
        yield Server(port=port, streams=streams, realtime=realtime, app=app)
    finally:
        RawSocket.close_all()
    stop.set()
    await asyncio.wait_for(task, 10)


@pytest.fixture(params=SERVERS)
async def server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    async with serving(request.param) as running:
        yield running


async def test_accepts_the_authorization_subprotocol(server: Server) -> None:
    client = await RawSocket.open(server.port, ["Authorization", "secret-token"])
    assert client.subprotocol == "Authorization"


async def test_bad_input_gets_error_events_and_the_socket_stays_usable(server: Server) -> None:
    client = await RawSocket.open(server.port)
    client.send("{oops")
    assert (await client.next())["event"]["data"]["code"] == "INVALID_MESSAGE"
    client.send('{"type": "explode", "data": {}}')
    error = (await client.next())["event"]
    assert error["type"] == "error" and "unknown message type 'explode'" in error["data"]["message"]
    client.join("nope", "g")
    denied = await client.next()
    assert denied["streamName"] == "nope"
    assert denied["event"]["data"]["code"] == "STREAM_ACCESS_DENIED"
    client.join("items", "g")
    assert (await client.next())["event"] == {"type": "sync", "data": []}
    await server.streams.set("items", "g", "a", {"v": 1})
    assert (await client.next())["event"]["type"] == "create"


async def test_an_oversized_frame_closes_only_that_socket(server: Server) -> None:
    other = await RawSocket.open(server.port)
    other.join("items", "g")
    await other.next()
    big = await RawSocket.open(server.port)
    big.send("x" * 100_000)
    closed = await big.until_closed()
    assert closed is not None and closed.code == 1009
    await server.streams.set("items", "g", "a", {"still": "works"})
    assert (await other.next())["event"]["data"] == {"still": "works", "id": "a"}


async def test_a_stalled_client_is_cut_off_without_delaying_writers_or_others(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "motia.realtime")
    healthy = await RawSocket.open(server.port)
    healthy.join("items", "g")
    await healthy.next()
    stalled = await RawSocket.open(server.port, small_buffer=True)
    stalled.join("items", "g")
    assert (await stalled.next())["event"]["type"] == "sync"  # joined; from now on it never reads

    payload = {"blob": "y" * 16000}
    received = 0
    for n in range(400):  # ~6 MB (kernel buffers take some) for a client allowed 256 KiB behind
        # A write that waited for the stalled client to read would wait for good (it never
        # reads); the bound only turns such a hang into a failure.
        try:
            await asyncio.wait_for(server.streams.set("items", "g", "a", {**payload, "n": n}), 30)
        except TimeoutError:
            pytest.fail(f"write {n} waited on the stalled client")
        while True:  # the healthy client keeps up
            message = await healthy.next()
            if message["event"]["type"] in ("create", "update"):
                received += 1
                break
    assert received == 400
    # cut off for what it left unread (a bound in bytes), not after a wait
    assert "disconnecting stream client" in caplog.text
    assert "bytes unsent" in caplog.text
    await asyncio.to_thread(eventually, lambda: server.realtime.hub.connection_count == 1)


@pytest.mark.parametrize("path", ["direct", "asgi"])
async def test_when_the_server_stops_a_socket_gets_every_message_sent_before_then_a_1001_close(
    server: Server, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    if path == "asgi":  # the queue and writer task a socket uses when its transport is not reachable
        monkeypatch.setattr(websocket, "find_direct_socket", lambda send: None)
    client = await RawSocket.open(server.port)
    client.join("items", "g")
    assert (await client.next())["event"]["type"] == "sync"
    [connection] = server.realtime.hub.connections
    assert isinstance(connection.sink, QueueSink if path == "asgi" else DirectSink)
    for n in range(20):
        await server.streams.set("items", "g", f"i{n}", {"n": n})
    server.realtime.hub.go_away()
    received = []
    with contextlib.suppress(ConnectionError):
        while True:
            received.append((await client.next())["event"]["data"]["n"])
    assert received == list(range(20))
    assert client.closed is not None and (client.closed.code, client.closed.reason) == (
        1001,
        "server shutting down",
    )
    sse_url = f"http://127.0.0.1:{server.port}/__motia/sse/items/g"
    async with httpx.AsyncClient(timeout=5) as http, http.stream("GET", sse_url) as response:
        # one that comes while the server stops ends at once, cleanly
        assert [line async for line in response.aiter_lines() if line] == ["retry: 2000"]


async def test_json_reads_of_a_group_and_an_item(server: Server) -> None:
    await server.streams.set("items", "g", "a", {"v": 1})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
        assert (await http.get("/__motia/streams/items/g")).json() == [{"v": 1, "id": "a"}]
        assert (await http.get("/__motia/streams/items/g/a")).json() == {"v": 1, "id": "a"}
        missing = await http.get("/__motia/streams/items/g/zzz")
        assert missing.status_code == 404
        unknown = await http.get("/__motia/streams/nope/g")
        assert unknown.status_code == 404 and unknown.json()["code"] == "STREAM_ACCESS_DENIED"


async def _sse_events(lines: AsyncIterator[str], count: int) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    async for line in lines:
        if line == "":
            if current:
                events.append(current)
                current = {}
                if len(events) == count:
                    break
            continue
        field, _, value = line.partition(":")
        current[field or "comment"] = value.strip()
    return events


async def test_sse_sync_changes_heartbeat_and_resume(server: Server) -> None:
    await server.streams.set("items", "g", "a", {"v": 1})
    url = f"http://127.0.0.1:{server.port}/__motia/sse/items/g"
    async with httpx.AsyncClient(timeout=10) as http, http.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        [retry, sync] = await _sse_events(lines, 2)
        assert retry == {"retry": "2000"}
        assert sync["event"] == "sync"
        assert orjson.loads(sync["data"])["event"]["data"] == [{"v": 1, "id": "a"}]
        await server.streams.set("items", "g", "b", {"v": 2})
        [create] = await _sse_events(lines, 1)
        assert create["event"] == "create" and int(create["id"]) > int(sync["id"])
        [heartbeat] = await _sse_events(lines, 1)
        assert heartbeat == {"comment": "heartbeat"}
        last_id = create["id"]

    await server.streams.set("items", "g", "c", {"v": 3})  # while the client is away
    headers = {"Last-Event-ID": last_id}
    async with httpx.AsyncClient(timeout=10) as http, http.stream("GET", url, headers=headers) as response:
        [_, missed] = await _sse_events(response.aiter_lines(), 2)
        assert missed["event"] == "create"
        assert orjson.loads(missed["data"])["id"] == "c"

    # EventSource asks the JSON URL with Accept: text/event-stream
    item_url = f"http://127.0.0.1:{server.port}/__motia/streams/items/g/a"
    headers = {"Accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", item_url, headers=headers) as response,
    ):
        [_, sync] = await _sse_events(response.aiter_lines(), 2)
        assert orjson.loads(sync["data"])["event"] == {"type": "sync", "data": {"v": 1, "id": "a"}}


# ---------------------------------------------------------------- the direct write path (_direct)


async def test_websocket_messages_take_the_direct_path(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "motia.realtime")
    client = await RawSocket.open(server.port)
    client.join("items", "g")
    assert (await client.next())["event"]["type"] == "sync"
    await server.streams.set("items", "g", "a", {"v": 1})
    assert (await client.next())["event"]["type"] == "create"
    [connection] = server.realtime.hub.connections
    assert isinstance(connection.sink, DirectSink), "the server changed shape: see realtime/_direct.py"
    assert "slower ASGI path" not in caplog.text


@pytest.mark.parametrize("http_server", SERVERS)
async def test_nothing_is_written_after_the_server_sent_a_close_frame(http_server: str) -> None:
    # As `motia dev` configures the servers: they close on an oversized frame themselves (1009) and
    # the endpoint only hears of it once the client answers the close, which this client never does.
    async with serving(http_server, websocket_max_message_size=MAX_CLIENT_FRAME) as server:
        client = await RawSocket.open(server.port)
        client.join("items", "g")
        assert (await client.next())["event"]["type"] == "sync"
        client.send("x" * (MAX_CLIENT_FRAME + 1))
        received = b""
        while b"\x88" not in received:  # FIN + opcode 8: the close frame, due before the writes below
            chunk = await asyncio.wait_for(client.reader.read(65536), 30)
            assert chunk, f"the connection ended without a close frame: {received!r}"
            received += chunk
        for n in range(5):
            await server.streams.set("items", "g", "a", {"n": n})
        with contextlib.suppress(TimeoutError):
            while chunk := await asyncio.wait_for(client.reader.read(65536), 0.3):
                received += chunk
        assert [opcode for opcode, _ in server_frames(received)] == [0x8]


def server_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Unmasked server frames: (opcode, payload)."""
    frames = []
    while data:
        opcode, length, offset = data[0] & 0x0F, data[1] & 0x7F, 2
        if length == 126:
            length, offset = int.from_bytes(data[2:4], "big"), 4
        elif length == 127:
            length, offset = int.from_bytes(data[2:10], "big"), 10
        frames.append((opcode, data[offset : offset + length]))
        data = data[offset + length :]
    return frames


async def test_a_fallback_to_the_asgi_path_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(direct, "_fallback_logged", False)
    caplog.set_level(logging.WARNING, "motia.realtime")

    async def not_hypercorn(message: object) -> None:
        return None

    assert direct.find_direct_socket(not_hypercorn) is None
    assert direct.find_direct_socket(not_hypercorn) is None
    assert caplog.text.count("slower ASGI path") == 1
