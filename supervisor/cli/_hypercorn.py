"""hypercorn as ``motia dev`` and ``motia start`` run it (``"http": {"server": "hypercorn"}`` or
``MOTIA_HTTP_SERVER=hypercorn``; uvicorn is the default, ``cli/_uvicorn.py``): its settings, and two fixes
to its connections.

The first: hypercorn (0.17 and 0.18) starts a keep-alive timer (``keep_alive_timeout``) as a task in a
connection's task group whenever the connection turns idle, i.e. after every response. When the client
then closes the connection, the read loop ends, but nothing stops that timer, and the task group waits
for it before the connection's ``finally`` closes the socket. So every connection a client closed stays
open on our side (CLOSE_WAIT) with its file descriptor, its transport, reader, protocol objects and
buffers, ~12 KiB in all, until the timer fires: at 75 s and 750 new connections a second, 0.7 GiB.
``_PromptTCPServer`` stops the timer as soon as the read loop ends.

The second: what h11 refuses (a malformed request, a head still incomplete past 16 KiB) hypercorn answers
with an empty body, and h11 takes a head of any size that comes in one read; ``_JsonErrorsH11Protocol``
answers both with our JSON errors, and a head past 16 KiB whichever way it comes (``cli/_refusals.py``,
as under uvicorn). Everything else is hypercorn's.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import h11
import hypercorn.asyncio.run as hypercorn_run
import hypercorn.protocol as hypercorn_protocol
from hypercorn.asyncio import serve
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.config import Config
from hypercorn.events import Closed
from hypercorn.protocol.h11 import H11Protocol

from supervisor.cli._refusals import MAX_HEAD_BYTES, head_size, refusal
from supervisor.realtime import MAX_CLIENT_FRAME
from supervisor.settings import Settings


class _PromptTCPServer(TCPServer):
    """hypercorn's connection, which lets go of everything once the client has closed it."""

    async def _read_data(self) -> None:
        await super()._read_data()
        # The client closed (or the read failed): no request can come any more, so there is nothing
        # left to time out, and the task group must not wait for the timer to close the socket.
        await self.idle_task.stop()


class _JsonErrorsH11Protocol(H11Protocol):
    """hypercorn's HTTP/1.1 connection, which answers what h11 refuses with our JSON errors and limits
    a request's head however it arrives."""

    async def _send_error_response(self, status_code: int) -> None:
        response = refusal(status_code)
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers]
        headers += [(b"content-length", b"%d" % len(response.body)), (b"connection", b"close")]
        headers += self.config.response_headers("h11")
        await self._send_h11_event(h11.Response(status_code=response.status, headers=headers))
        await self._send_h11_event(h11.Data(data=response.body))
        await self._send_h11_event(h11.EndOfMessage())

    async def _create_stream(self, request: h11.Request) -> None:
        # h11 limits only a head still incomplete after a read (``h11_max_incomplete_size``)
        if head_size(request.method, request.target, request.headers.raw_items()) > MAX_HEAD_BYTES:
            await self._send_error_response(431)
            await self.send(Closed())
            return
        await super()._create_stream(request)


def _install_fixes() -> None:
    """hypercorn's asyncio worker creates each connection's ``TCPServer``, and that its HTTP/1.1
    protocol, through globals of their modules (imported there, hence not exported for the type
    checker)."""
    _replace(hypercorn_run, "TCPServer", TCPServer, _PromptTCPServer)
    _replace(hypercorn_protocol, "H11Protocol", H11Protocol, _JsonErrorsH11Protocol)


def _replace(module: Any, name: str, original: type, fixed: type) -> None:
    installed = getattr(module, name)
    if installed is not fixed:
        if installed is not original:
            raise RuntimeError(f"{module.__name__}.{name} is not hypercorn's own: check this fix")
        setattr(module, name, fixed)


def skip_cancelled_connections(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The event loop's exception handler while serving. hypercorn cancels the connections still
    open when the shutdown grace is over, and asyncio.start_server in Python 3.11 and 3.12 then
    reports each one as "Exception in callback ... CancelledError" (3.13 checks for a cancelled
    task): nothing went wrong, so those are skipped. The rest is reported as usual, through the
    ``asyncio`` logger, which ``configure_logging`` formats like every other record."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


def hypercorn_config(settings: Settings, listener: socket.socket) -> Config:
    """The settings hypercorn serves with; it takes the bound ``listener`` over (and closes it)."""
    _install_fixes()
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("motia.http")
    config.graceful_timeout = settings.config.shutdown_grace_s
    config.keep_alive_timeout = settings.config.keep_alive_timeout_s
    config.h11_max_incomplete_size = MAX_HEAD_BYTES
    # hypercorn would buffer a client's WebSocket frame up to 16 MiB before our own size check runs
    config.websocket_max_message_size = MAX_CLIENT_FRAME
    return config


async def serve_hypercorn(
    app: Any, settings: Settings, listener: socket.socket, shutdown_trigger: Callable[[], Awaitable[Any]]
) -> None:
    """Serve ``app`` on the bound ``listener`` (closed when serving ends) until ``shutdown_trigger``
    returns, then shut down: in-flight requests get ``shutdownGraceSeconds`` to finish."""
    asyncio.get_running_loop().set_exception_handler(skip_cancelled_connections)
    await serve(app, hypercorn_config(settings, listener), shutdown_trigger=shutdown_trigger)
