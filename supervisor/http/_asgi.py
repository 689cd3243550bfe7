"""The ASGI front: requests that match an api step go straight to its runner.

Quart's request machinery (contexts, werkzeug request/response objects, its own
routing) costs more per request than the runner round trip itself, and api
steps need none of it. Everything that does not match an api step route (404s,
405s, the internal /__motia endpoints, WebSockets) falls through to quart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from supervisor.http._api_steps import run_api_step
from supervisor.http._backend import StepInvoker
from supervisor.http._response import HttpResponse
from supervisor.routing import Match

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Any arguments: quart types its own asgi_app with hypercorn's precise scope unions
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

MAX_BODY_BYTES = 32 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class ApiStepFront:
    def __init__(self, inner: ASGIApp, invoker: StepInvoker, max_body: int = MAX_BODY_BYTES) -> None:
        self._inner = inner
        self._invoker = invoker
        self._max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._inner(scope, receive, send)
            return
        method: str = scope["method"]
        found = self._invoker.routes.match(method, scope["path"])
        if not isinstance(found, Match):
            await self._inner(scope, receive, send)
            return
        try:
            raw = await _read_body(receive, self._max_body)
        except BodyTooLarge:
            limit = f"request body over the {self._max_body // (1024 * 1024)} MiB limit"
            await _send(
                send, HttpResponse.json(413, {"error": "Payload Too Large", "message": limit}), method
            )
            return
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in scope["headers"]
        ]
        query = scope["query_string"].decode("latin-1")
        response = await run_api_step(self._invoker, found.target, found.path_params, headers, query, raw)
        await _send(send, response, method)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _send(send: Send, response: HttpResponse, method: str) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    # a HEAD response announces the GET body's length but carries none
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else response.body})
