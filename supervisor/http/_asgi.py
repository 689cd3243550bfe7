"""The ASGI front: requests that match an api step go straight to its runner.

Quart's request machinery (contexts, werkzeug request/response objects, its own
routing) costs more per request than the runner round trip itself, and api
steps need none of it. ``POST /__motia/emit`` (and ``POST /emit``) is answered here
too, for the same reason: an emit's way to its handler is a latency goal. Everything
else that does not match an api step route (404s, 405s, the other internal /__motia
endpoints, WebSockets) falls through to quart.

CORS is answered here too, for every HTTP response: preflights (an ``OPTIONS``
request no api step declares) get their 204 without reaching quart, and the
allow-origin headers go on api-step and quart responses alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from supervisor.http._api_steps import run_api_step
from supervisor.http._backend import StepInvoker
from supervisor.http._cors import ALLOW_ORIGIN, CorsPolicy, Header
from supervisor.http._emit import EMIT_PATHS, Emit, answer_emit
from supervisor.http._errors import server_failed
from supervisor.http._response import HttpResponse
from supervisor.routing import Match

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Any arguments: quart types its own asgi_app with hypercorn's precise scope unions
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

_logger = logging.getLogger("motia.http")

MAX_BODY_BYTES = 32 * 1024 * 1024
_PREFLIGHT_ANSWER = HttpResponse(204, [], b"")


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    """The client hung up before its request body was complete (fewer bytes than its Content-Length,
    a chunked body without its last chunk): the request is not run, nobody is left to answer."""


class ApiStepFront:
    def __init__(
        self,
        inner: ASGIApp,
        invoker: StepInvoker,
        max_body: int = MAX_BODY_BYTES,
        *,
        emit: Emit | None = None,
    ) -> None:
        """``emit``: serve ``POST /__motia/emit`` and ``POST /emit`` with it (None: quart does)."""
        self._inner = inner
        self._invoker = invoker
        self._emit = emit
        self._max_body = max_body
        self._cors = CorsPolicy(invoker.cors) if invoker.cors is not None else None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._inner(scope, receive, send)
            return
        method: str = scope["method"]
        # Matched on the path as sent, as Express does: '/files/a%2Fb' is one parameter, 'a/b'.
        raw_path: bytes | None = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        found = self._invoker.routes.match(method, path)
        cors = self._cors
        if not isinstance(found, Match):
            if cors is not None and method == "OPTIONS":  # a preflight: no api step here answers OPTIONS
                await _send(send, _PREFLIGHT_ANSWER, method, cors.preflight_headers(scope["headers"]))
                return
            extra = cors.response_headers(scope["headers"]) if cors is not None else ()
            if method == "POST" and self._emit is not None and path in EMIT_PATHS:
                await self._serve_emit(self._emit, receive, send, path, extra)
                return
            await _through_quart(self._inner, scope, receive, send, extra)
            return
        extra = cors.response_headers(scope["headers"]) if cors is not None else ()
        raw = await self._body(receive, send, method, path, extra)
        if raw is None:
            return
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in scope["headers"]
        ]
        query = scope["query_string"].decode("latin-1")
        try:
            response = await run_api_step(
                self._invoker, found.target, method, path, found.path_params, headers, query, raw
            )
        except asyncio.CancelledError:
            _logger.warning(
                "%s %s: still running when the server stopped; answered 503",
                method,
                path,
                extra={"step": found.target.name},
            )
            await _answer_cancelled(send, method, extra)
            raise
        except Exception as exc:  # a bug of ours: still a JSON answer, and one log record
            response = server_failed(exc, f"{method} {path}", self._invoker.expose_errors)
        await _send(send, response, method, extra)

    async def _serve_emit(
        self, emit: Emit, receive: Receive, send: Send, path: str, extra: Sequence[Header]
    ) -> None:
        raw = await self._body(receive, send, "POST", path, extra)
        if raw is None:
            return
        try:
            response = await answer_emit(emit, raw)
        except asyncio.CancelledError:
            await _answer_cancelled(send, "POST", extra)
            raise
        except Exception as exc:  # a bug of ours: still a JSON answer, and one log record
            response = server_failed(exc, f"POST {path}", self._invoker.expose_errors)
        await _send(send, response, "POST", extra)

    async def _body(
        self, receive: Receive, send: Send, method: str, path: str, extra: Sequence[Header]
    ) -> bytes | None:
        """The request's body; None when it was answered already (too large) or nobody is left to."""
        try:
            return await _read_body(receive, self._max_body)
        except ClientGone:
            _logger.debug("%s %s: the client hung up before its body was complete; not run", method, path)
            return None
        except BodyTooLarge:
            limit = f"request body over the {self._max_body // (1024 * 1024)} MiB limit"
            # The rest of the body is not read, so this connection cannot carry another request:
            # say so, or the client sends its next one into a socket the server is closing.
            await _send(send, HttpResponse.error(413, limit, [("connection", "close")]), method, extra)
            return None


_STOPPING = HttpResponse.error(
    503,
    "the server stopped before this request finished (it ran past shutdownGraceSeconds)",
    [("connection", "close"), ("retry-after", "1")],
)


async def _answer_cancelled(send: Send, method: str, extra: Sequence[Header]) -> None:
    """hypercorn cancels the requests still running when the shutdown grace is over, and would
    answer them an empty 500: they get a JSON 503 instead (if the client is still there)."""
    with contextlib.suppress(Exception):
        await _send(send, _STOPPING, method, extra)


async def _through_quart(
    inner: ASGIApp, scope: Any, receive: Receive, send: Send, extra: Sequence[Header]
) -> None:
    """A request quart answers (the ``/__motia`` endpoints, 404s, 405s), with the CORS headers
    ``extra`` added to its response, and a JSON 503 if the server stops before it answered."""
    started = False

    async def send_with_headers(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
            headers = list(message.get("headers", ()))
            if extra and not any(name.lower() == ALLOW_ORIGIN for name, _ in headers):
                message = {**message, "headers": [*headers, *extra]}
        await send(message)

    try:
        await inner(scope, receive, send_with_headers)
    except asyncio.CancelledError:
        if not started:
            await _answer_cancelled(send, scope["method"], extra)
        raise


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _send(send: Send, response: HttpResponse, method: str, extra: Sequence[Header] = ()) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]
    if extra and not any(name == "access-control-allow-origin" for name, _ in response.headers):
        headers.extend(extra)  # a handler's own CORS headers win, as in Express
    if response.bodyless:  # 204, 304: no body, so no length either
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    # a HEAD response announces the GET body's length but carries none
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else response.body})
