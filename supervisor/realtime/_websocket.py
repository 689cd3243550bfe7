"""The WebSocket endpoint Motia's stream clients connect to: ``ws://host:port/``, and every other path
too, as Motia's (a ``ws`` server on the HTTP server, given no ``path``, takes every upgrade): a front
end that opens ``ws://host/streams/<name>/<group>`` gets the stream socket there, not a refusal.

It is ASGI middleware in front of the quart app rather than a quart route, because it needs the
ASGI ``send`` callable itself: through it, messages are written to the socket pre-framed (see
``_direct``). Every other request goes on to the app.

A connection is a reader (client frames, handled one at a time and in order, so a leave after a
join applies to that join), a watch on falling behind, and, when the socket is not directly
writable, a writer task draining the connection's queue. Whichever ends first ends the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias
from urllib.parse import parse_qsl

from ._access import AuthRequest, Identity, choose_subprotocol, find_token
from ._connection import Connection, DirectSink, QueueSink
from ._direct import DirectSocket, find_direct_socket
from ._realtime import AccessDenied, Realtime
from ._wire import ACCESS_DENIED, InvalidClientFrame, Join, parse_client_frame

_logger = logging.getLogger("motia.realtime")

# ASGI's shapes, loosely: the app behind is quart's, typed with its own (narrower) ones.
Scope: TypeAlias = Any
Receive: TypeAlias = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send: TypeAlias = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp: TypeAlias = Callable[..., Awaitable[None]]

# A join or leave is ~200 bytes; anything near this is not a Motia client.
MAX_CLIENT_FRAME = 64 * 1024
CLOSE_TOO_BIG = 1009
# "Try again later": the client reconnects (Motia's clients do after 2 s) and resyncs.
CLOSE_SLOW_CONSUMER = 1013
# The server is stopping: Motia's clients reconnect (to the next server on this address).
CLOSE_GOING_AWAY = 1001
CLOSE_TIMEOUT_S = 1.0
# A stream ended because the server stops: what its client was sent drains, then the close frame.
STREAM_END_TIMEOUT_S = 2 * CLOSE_TIMEOUT_S + 0.5


class FrameTooLarge(Exception):
    pass


class StreamSocketMiddleware:
    def __init__(self, app: ASGIApp, realtime: Realtime) -> None:
        self._app = app
        self._realtime = realtime

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await _serve(scope, receive, send, self._realtime)
        else:
            await self._app(scope, receive, send)


async def _serve(scope: Scope, receive: Receive, send: Send, realtime: Realtime) -> None:
    if (await receive())["type"] != "websocket.connect":
        return
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    subprotocols = list(scope.get("subprotocols") or ())
    request = AuthRequest(_url(scope, headers), headers, query, find_token(subprotocols, headers, query))
    identity = await realtime.authenticate(request)
    await send({"type": "websocket.accept", "subprotocol": choose_subprotocol(subprotocols), "headers": []})

    socket = find_direct_socket(send)
    sink = (
        DirectSink(socket, realtime.max_bytes)
        if socket is not None
        else QueueSink(realtime.max_messages, realtime.max_bytes)
    )
    client = scope.get("client")
    hub = realtime.hub
    connection = hub.connect("websocket", sink, f"{client[0]}:{client[1]}" if client else "")
    reader = asyncio.create_task(_read(receive, realtime, connection, identity))
    tasks = {reader, asyncio.create_task(connection.ended.wait())}
    writer = asyncio.create_task(_write(send, connection, sink)) if isinstance(sink, QueueSink) else None
    if writer is not None:
        tasks.add(writer)
    close: tuple[int, str] | None = None
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if connection.cut_off.is_set():
            close = (CLOSE_SLOW_CONSUMER, "too slow: outbound buffer full; reconnect to resync")
        elif connection.going_away:
            close = (CLOSE_GOING_AWAY, "server shutting down")
            if writer is not None:  # what was queued goes out first, if the client takes it soon
                await asyncio.wait({writer}, timeout=CLOSE_TIMEOUT_S)
        elif _raised(reader, FrameTooLarge):
            close = (CLOSE_TOO_BIG, f"frame larger than {MAX_CLIENT_FRAME} bytes")
        else:
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    _logger.error("stream socket %s failed", connection.label, exc_info=task.exception())
    finally:
        # The writer goes first: while stuck sending to a stalled client, no close frame gets out.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            if close is not None:
                await _close(send, socket, *close)
        finally:
            # after the close frame: a stopping server waits for its stream clients to be gone
            hub.disconnect(connection)


async def _read(receive: Receive, realtime: Realtime, connection: Connection, identity: Identity) -> None:
    hub = realtime.hub
    while True:
        event = await receive()
        if event["type"] != "websocket.receive":
            return  # websocket.disconnect
        raw: str | bytes = event.get("text") or event.get("bytes") or b""
        if len(raw) > MAX_CLIENT_FRAME:
            _logger.warning("closing stream client %s: a %d-byte frame", connection.label, len(raw))
            raise FrameTooLarge
        try:
            frame = parse_client_frame(raw)
        except InvalidClientFrame as exc:
            hub.error(connection, exc.room, exc.code, str(exc))
            continue
        if isinstance(frame, Join):
            try:
                await realtime.check_access(frame.room, identity)
            except AccessDenied as exc:
                hub.error(connection, frame.room, ACCESS_DENIED, str(exc))
                continue
            await hub.join(connection, frame.subscription_id, frame.room)
        else:
            hub.leave(connection, frame.subscription_id)


async def _write(send: Send, connection: Connection, sink: QueueSink) -> None:
    while not connection.closed:
        for message in await sink.take():
            # Text frames: the browser client JSON.parses MessageEvent.data, a Blob for binary ones.
            await send({"type": "websocket.send", "text": message.text})


async def _close(send: Send, socket: DirectSocket | None, code: int, reason: str) -> None:
    # The close frame queues behind whatever the client has not read: a stalled client would hold
    # it forever, so give up after a moment and drop the connection.
    try:
        closing = send({"type": "websocket.close", "code": code, "reason": reason})
        await asyncio.wait_for(closing, CLOSE_TIMEOUT_S)
    except Exception:
        if socket is not None:
            socket.transport.abort()


def _url(scope: Scope, headers: dict[str, str]) -> str:
    host = headers.get("host", "")
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope.get('scheme', 'ws')}://{host}{scope.get('path', '/')}" + (f"?{query}" if query else "")


def _raised(task: asyncio.Task[None], kind: type[BaseException]) -> bool:
    return task.done() and not task.cancelled() and isinstance(task.exception(), kind)
