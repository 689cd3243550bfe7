"""uvicorn as ``motia dev`` and ``motia start`` run it (the default server; bench/RESULTS.md, issue 14).

uvicorn parses HTTP/1.1 with httptools (llhttp, Node's parser, in C) and speaks WebSocket through wsproto,
on the supervisor's uvloop: 3.3-3.6x hypercorn's api requests per second on this machine. What it does
differently from hypercorn out of the box, and what is changed here so a client sees no difference:

- llhttp knows a fixed list of methods and answers any other (``BREW``) with its own plain-text 400
  before the app sees it; HTTP says any token is a method, and we answer JSON (a 405 naming the allowed
  methods, or a 404). Such a request is handed, with its connection, to uvicorn's h11 implementation,
  which parses any token; the bytes of the request are replayed to it (``_HttpToolsProtocol``).
- a connection reset by its client kept its keep-alive timer, and through it the connection's objects,
  until the timer fired (``keepAliveTimeoutSeconds``, 75 s); the timer now stops whenever the
  connection is lost.
- requests still running when the shutdown grace is over are cancelled, as under hypercorn, and the
  front answers them a JSON 503 (``http/_asgi.py``); uvicorn would then log an error and a traceback
  per request ("Exception in ASGI application") for a cancellation it caused itself: those records
  are dropped.
- its log records go through ``motia``'s logging (``log_config=None``), warnings and errors only; no
  access log, no ``server`` header, no X-Forwarded-* rewriting (as hypercorn: a proxy's headers reach
  the steps as sent), no WebSocket pings of its own.
- SIGINT and SIGTERM stay motia's own (``_Server.capture_signals``): the shutdown starts from
  ``shutdown_trigger``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

from supervisor.cli._listen import BACKLOG
from supervisor.realtime import MAX_CLIENT_FRAME
from supervisor.settings import Settings

# A request head longer than this is not kept for a replay (llhttp's own limit is 80 KiB)
_MAX_REPLAYED_HEAD = 64 * 1024


class _HttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools connection, which hands a request with a method llhttp does not know over to
    uvicorn's h11 connection instead of answering 400, and stops its keep-alive timer when the
    connection is lost, however it is lost.

    To replay the request, the bytes of a request head are kept while it is incomplete across reads;
    a head that arrives in one read (nearly all of them) costs no copy. A request whose start cannot
    be told (it follows a pipelined request in the same read) gets uvicorn's 400, as does one that
    comes while an earlier response on the connection is still being written."""

    # the bytes since the current request began, while its head is incomplete; b"" between requests;
    # None when they are not known (its head began after another request in the same read)
    _head: bytes | None = b""
    _in_head = False  # a request began; its head (method, path, headers) is not complete yet
    _in_body = False  # a request's head is complete, its body is not
    _begun = 0  # requests begun during the current read

    def on_message_begin(self) -> None:
        self._begun += 1
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._in_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        # what was fed before this read, for a replay: b"" between requests, a head's bytes, or None
        before = None if self._in_body else (self._head if self._in_head else b"")
        self._begun = 0
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            request = self._request_bytes(before, data)
            if request is not None and self._previous_response_done():
                self._hand_over_to_h11(request)
                return
            self._reject("Invalid HTTP request received.")
            return
        except httptools.HttpParserError:
            self._reject("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head:
            self._head = self._request_bytes(before, data)
            if self._head is not None and len(self._head) > _MAX_REPLAYED_HEAD:
                self._head = None

    def _request_bytes(self, before: bytes | None, data: bytes) -> bytes | None:
        """The bytes of the request that is being parsed, if they are known: it began in an earlier
        read (its head so far, then this read), or at the start of this one."""
        if self._begun == 0:
            return None if before is None else before + data
        if self._begun == 1 and before == b"":
            return data
        return None

    def _previous_response_done(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def _reject(self, message: str) -> None:
        self.logger.warning(message)
        self.send_400_response(message)

    def _hand_over_to_h11(self, request: bytes) -> None:
        """The connection goes on under uvicorn's h11 implementation, from the start of ``request``
        (uvicorn hands an upgraded connection to its WebSocket implementation the same way)."""
        successor = H11Protocol(
            config=self.config, server_state=self.server_state, app_state=self.app_state, _loop=self.loop
        )
        self.connections.discard(self)
        successor.connection_made(self.transport)
        self.transport.set_protocol(successor)
        successor.data_received(request)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # uvicorn stops the timer only when the connection ended cleanly (exc None); after a reset
        # the timer would hold this connection's objects until keepAliveTimeoutSeconds
        self._unset_keepalive_if_required()


class _CancelledByShutdown(logging.Filter):
    """Drops uvicorn's records of the requests it cancels itself at the end of the shutdown grace
    (one "Cancel N running task(s)" error, then a traceback per request): the front answered each a
    503 and logged it as a warning (``http/_asgi.py``), as under hypercorn, which logs nothing more."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], asyncio.CancelledError):
            return False
        return not str(record.msg).startswith("Cancel %s running task(s)")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """motia's own handlers stay installed (``cli/_serve.py``): they set the shutdown trigger."""
        yield


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    grace = settings.config.shutdown_grace_s
    # uvicorn types these as int; they are only ever handed to timers
    keep_alive: Any = settings.config.keep_alive_timeout_s
    return uvicorn.Config(
        app,
        http=_HttpToolsProtocol,
        ws=WSProtocol,
        interface="asgi3",
        backlog=BACKLOG,
        lifespan="on",
        log_config=None,
        log_level=logging.WARNING,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=keep_alive,
        timeout_graceful_shutdown=grace,  # type: ignore[arg-type]
        # uvicorn would buffer a client's WebSocket message up to 16 MiB before our own size check runs
        ws_max_size=MAX_CLIENT_FRAME,
        ws_ping_interval=None,
        ws_ping_timeout=None,
    )


async def serve_uvicorn(
    app: Any, settings: Settings, listener: socket.socket, shutdown_trigger: Callable[[], Awaitable[Any]]
) -> None:
    """Serve ``app`` on the bound ``listener`` (closed when serving ends) until ``shutdown_trigger``
    returns, then shut down: in-flight requests get ``shutdownGraceSeconds`` to finish."""
    error_log = logging.getLogger("uvicorn.error")
    cancelled_filter = _CancelledByShutdown()
    error_log.addFilter(cancelled_filter)
    server = _Server(uvicorn_config(app, settings))
    serving = asyncio.ensure_future(server.serve(sockets=[listener]))
    trigger = asyncio.ensure_future(shutdown_trigger())
    try:
        await asyncio.wait({serving, trigger}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await serving
        # the requests cancelled at the end of the grace answer their 503 as they unwind
        cancelled = set(server.server_state.tasks)
        if cancelled:
            await asyncio.wait(cancelled, timeout=1.0)
    finally:
        trigger.cancel()
        error_log.removeFilter(cancelled_filter)
