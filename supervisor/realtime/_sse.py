"""Streams over plain HTTP: a JSON read of a group or item, and Server-Sent Events.

    GET /__motia/streams/<stream>/<group>[/<id>]      JSON: the item list, or the item
    GET /__motia/sse/<stream>/<group>[/<id>]          text/event-stream: sync, then every change

The JSON URL also answers as SSE when asked for ``Accept: text/event-stream`` (what EventSource
sends). Each SSE event carries the same JSON as the WebSocket message, named by its event type
(sync, create, update, delete, event, error), with the message timestamp as its id. A client that
reconnects with ``Last-Event-ID`` gets the messages it missed when this process still remembers
them, otherwise a fresh sync. A comment line goes out as a heartbeat when nothing else does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import unquote_to_bytes

import orjson
from quart import Quart, Response, request

from ._access import AuthRequest, Identity, find_token
from ._connection import QueueSink
from ._realtime import AccessDenied, Realtime
from ._wire import Room, ServerMessage

_logger = logging.getLogger("motia.realtime")

HEARTBEAT_CONFIG_KEY = "MOTIA_SSE_HEARTBEAT_SECONDS"
DEFAULT_HEARTBEAT_S = 15.0
# How long EventSource waits before reconnecting.
RETRY_MS = 2000


#: what answers ``GET /__motia/streams/<name>`` (the stream's groups), given the name
StreamSummary = Callable[[str], Awaitable[Response]]


def register_sse(app: Quart, realtime: Realtime, stream_summary: StreamSummary | None = None) -> None:
    # The routes take the rest of the path whole and _room_of splits it as sent: Quart matches on the
    # decoded path, where a stream's or group's '/' (sent as %2F) would be one more part. So a stream
    # whose name holds one comes here when only its name is asked: ``stream_summary`` answers.
    @app.route("/__motia/streams/<stream>/<path:rest>", methods=["GET"])
    async def read_stream(stream: str, rest: str) -> Response:
        parts = _parts_after(STREAMS_PREFIX)
        if len(parts) == 1 and parts[0] and stream_summary is not None:
            return await stream_summary(parts[0])
        room = _room_of(STREAMS_PREFIX)
        if room is None:
            return _not_a_room()
        if "text/event-stream" in request.headers.get("accept", ""):
            return await _event_stream(app, realtime, room)
        denied = await _deny(realtime, room)
        if denied is not None:
            return denied
        if room.item_id is None:
            return _json_response(200, await realtime.streams.get_group(room.stream, room.group_id))
        item = await realtime.streams.get(room.stream, room.group_id, room.item_id)
        if item is None:
            return _json_response(404, {"error": "Not Found", "message": f"no item {room}"})
        return _json_response(200, item)

    @app.route("/__motia/sse/<stream>/<path:rest>", methods=["GET"])
    async def stream_events(stream: str, rest: str) -> Response:
        room = _room_of(SSE_PREFIX)
        if room is None:
            return _not_a_room()
        return await _event_stream(app, realtime, room)


STREAMS_PREFIX = "/__motia/streams/"
SSE_PREFIX = "/__motia/sse/"


def _room_of(prefix: str) -> Room | None:
    """The room the request's path names after ``prefix`` (stream/group[/item]); None when it names
    no room (too few or too many parts)."""
    parts = _parts_after(prefix)
    if len(parts) not in (2, 3) or "" in parts:
        return None
    return Room(*parts)


def _parts_after(prefix: str) -> list[str]:
    """The parts of the request's path after ``prefix``, each decoded on its own from the path as sent."""
    raw: bytes | None = request.scope.get("raw_path")
    if raw is None:  # a server that keeps no raw path: the decoded one, a '/' in a name splits it
        return request.path.removeprefix(prefix).split("/")
    sent = raw.split(b"?", 1)[0].removeprefix(prefix.encode()).split(b"/")
    return [unquote_to_bytes(part).decode("utf-8", "replace") for part in sent]


def _not_a_room() -> Response:
    message = "a stream URL names <stream>/<group>[/<item>], each part encoded (a '/' in one as %2F)"
    return _json_response(404, {"error": "Not Found", "message": message})


async def _authenticate(realtime: Realtime) -> Identity:
    headers = {name.lower(): value for name, value in request.headers.items()}
    query = {name: value for name, value in request.args.items()}
    token = find_token((), headers, query)
    return await realtime.authenticate(AuthRequest(request.url, headers, query, token))


async def _deny(realtime: Realtime, room: Room) -> Response | None:
    try:
        await realtime.check_access(room, await _authenticate(realtime))
    except AccessDenied as exc:
        unknown = room.stream not in realtime.stream_names()
        status, error = (404, "Not Found") if unknown else (403, "Forbidden")
        return _json_response(status, {"error": error, "code": "STREAM_ACCESS_DENIED", "message": str(exc)})
    return None


async def _event_stream(app: Quart, realtime: Realtime, room: Room) -> Response:
    denied = await _deny(realtime, room)
    if denied is not None:
        return denied
    heartbeat = float(app.config.get(HEARTBEAT_CONFIG_KEY, DEFAULT_HEARTBEAT_S))
    last_event_id = request.headers.get("last-event-id") or request.args.get("lastEventId")
    peer = request.headers.get("remote-addr", "")
    response = Response(
        _events(realtime, room, _timestamp(last_event_id), heartbeat, peer),
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    response.timeout = None  # an event stream is open for as long as the client wants
    return response


async def _events(
    realtime: Realtime, room: Room, last_timestamp: int | None, heartbeat: float, peer: str
) -> AsyncIterator[bytes]:
    hub = realtime.hub
    sink = QueueSink(realtime.max_messages, realtime.max_bytes)
    connection = hub.connect("sse", sink, peer)
    subscription_id = uuid.uuid4().hex
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        if last_timestamp is None or not hub.resume(connection, subscription_id, room, last_timestamp):
            await hub.join(connection, subscription_id, room)
        while True:
            messages = await sink.take(timeout=heartbeat)
            if messages:
                yield b"".join(_event(message) for message in messages)
            elif connection.closed:
                # cut off for falling behind (EventSource reconnects and resyncs), or the server is
                # stopping: the response ends, its last chunk sent
                return
            else:
                yield b": heartbeat\n\n"
    finally:
        hub.disconnect(connection)


def _json_response(status: int, body: object) -> Response:
    return Response(orjson.dumps(body), status=status, content_type="application/json")


def _event(message: ServerMessage) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (message.timestamp, message.kind.encode(), message.payload)


def _timestamp(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
