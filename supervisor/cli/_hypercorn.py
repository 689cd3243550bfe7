"""hypercorn as ``motia dev`` and ``motia start`` run it (``"http": {"server": "hypercorn"}`` or
``MOTIA_HTTP_SERVER=hypercorn``; uvicorn is the default, ``cli/_uvicorn.py``): its settings, and one fix
to its connections.

The fix: hypercorn (0.17 and 0.18) starts a keep-alive timer (``keep_alive_timeout``) as a task in a
connection's task group whenever the connection turns idle, i.e. after every response. When the client
then closes the connection, the read loop ends, but nothing stops that timer, and the task group waits
for it before the connection's ``finally`` closes the socket. So every connection a client closed stays
open on our side (CLOSE_WAIT) with its file descriptor, its transport, reader, protocol objects and
buffers, ~12 KiB in all, until the timer fires: at 75 s and 750 new connections a second, 0.7 GiB.
``_PromptTCPServer`` stops the timer as soon as the read loop ends; everything else is hypercorn's.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import hypercorn.asyncio.run as hypercorn_run
from hypercorn.asyncio import serve
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.config import Config

from supervisor.realtime import MAX_CLIENT_FRAME
from supervisor.settings import Settings


class _PromptTCPServer(TCPServer):
    """hypercorn's connection, which lets go of everything once the client has closed it."""

    async def _read_data(self) -> None:
        await super()._read_data()
        # The client closed (or the read failed): no request can come any more, so there is nothing
        # left to time out, and the task group must not wait for the timer to close the socket.
        await self.idle_task.stop()


def _install_prompt_close() -> None:
    """hypercorn's asyncio worker creates each connection's ``TCPServer`` through a global of its
    module (imported there, hence not exported for the type checker)."""
    installed = hypercorn_run.TCPServer  # type: ignore[attr-defined]
    if installed is not _PromptTCPServer:
        if installed is not TCPServer:
            raise RuntimeError("hypercorn.asyncio.run.TCPServer is not hypercorn's own: check this fix")
        hypercorn_run.TCPServer = _PromptTCPServer  # type: ignore[attr-defined]


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
    _install_prompt_close()
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("motia.http")
    config.graceful_timeout = settings.config.shutdown_grace_s
    config.keep_alive_timeout = settings.config.keep_alive_timeout_s
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
