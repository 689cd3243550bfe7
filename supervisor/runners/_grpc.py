"""The second transport: runners started by hand dial in over gRPC (``motia dev --runner-listen``).

``RunnerListener`` serves ``motia.runner.v1.RunnerSession/Connect`` on a local address. A runner
started in a developer's debugger (``node runner.mjs --connect ADDR``, ``python -m motia_runner
--connect ADDR``) calls it with the listener's cookie in its metadata, and the stream then carries
exactly the messages the stdio pipes carry, in the same order: the supervisor's Hello first.

``AttachedConnection`` is ``RunnerConnection`` with the pipes replaced by that stream: the same
session, futures, context calls and log records; only opening, sending, reading and ending differ.
The stream carries each message's bytes as they are (gRPC frames them itself, exactly as the stdio
transport does), so neither side parses anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supervisor.protocol import (
    CONNECT_METHOD,
    RUNNER_SERVICE,
    ProtocolError,
    encode_shutdown,
    frame_payload,
)
from supervisor.runners._connection import ContextCallHandler, RunnerConnection
from supervisor.runners._errors import RunnerDied, RunnerUnavailable
from supervisor.runners._spec import RunnerSpec

_logger = logging.getLogger("motia.runner")

#: gRPC metadata a dialling runner sends
COOKIE_KEY = "motia-cookie"
LANGUAGE_KEY = "motia-language"
STEPS_KEY = "motia-steps"
LANGUAGES = ("node", "python")

if TYPE_CHECKING:
    # grpc is imported where a listener starts, not with this module: it takes ~0.2 s, which every
    # motia command would pay, listening or not.
    import grpc

    Context = grpc.aio.ServicerContext[bytes, bytes]


class AttachRefused(Exception):
    """A runner that dialled in cannot serve this project (no steps of its language, unknown
    ``--steps``): the message is what the runner prints."""


class AttachedConnection(RunnerConnection):
    """A runner that dialled in: the stdio conversation over one gRPC stream."""

    transport = "grpc"

    def __init__(
        self,
        context: Context,
        language: str,
        runner_id: str,
        project_root: Path,
        log_level: str,
        on_context_call: ContextCallHandler,
        peer: str,
    ) -> None:
        super().__init__(RunnerSpec(language, ()), runner_id, project_root, log_level, on_context_call)
        self._context = context
        self.peer = peer
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        """The pid it announced (its own host's)."""
        return self.hello.pid if self.hello is not None else None

    @property
    def alive(self) -> bool:
        return self._reader is not None and not self._closed.is_set()

    @property
    def local(self) -> bool:
        """It runs on this machine (its pid is one of ours): a unix socket or a loopback address."""
        return _is_local(self.peer)

    @property
    def ended_by_supervisor(self) -> bool:
        """The supervisor ended the session (a failed health check), not the runner."""
        return self._killed

    async def _open(self) -> None:
        self._reader = asyncio.create_task(self._read_messages(), name=f"{self.runner_id}-grpc-read")
        self._writer = asyncio.create_task(self._write_messages(), name=f"{self.runner_id}-grpc-write")

    def _send(self, frame: bytes) -> None:
        if self._reader is None or self._closed.is_set():
            raise RunnerDied(f"{self.runner_id} is not connected")
        self._outbox.put_nowait(frame_payload(frame))

    async def _write_messages(self) -> None:
        try:
            while True:
                message = await self._outbox.get()
                await self._context.write(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the stream is gone: grpc's own error says how
            self._gone(f"disconnected ({type(exc).__name__}: {exc})")

    async def _read_messages(self) -> None:
        session = self._session
        try:
            while True:
                message: object = await self._context.read()
                if not isinstance(message, bytes):  # grpc.aio.EOF: the runner closed its side
                    break
                event = session.receive_message(message)
                if event is not None:
                    self._take(event)
        except asyncio.CancelledError:
            raise
        except ProtocolError as exc:
            _logger.error("runner %s sent an invalid message (%s); ending its session", self.runner_id, exc)
            self._gone(f"protocol error: {exc}")
            return
        except Exception as exc:
            self._gone(f"disconnected ({type(exc).__name__}: {exc})")
            return
        self._gone("disconnected")

    def _gone(self, reason: str) -> None:
        if not self.close_reason:
            self.close_reason = reason
        self._close()

    async def stop(self, grace: float, reason: str = "") -> None:
        """Ask the runner to finish its in-flight work and exit (it ends the stream)."""
        if self._closed.is_set():
            return
        self._fault = False
        self.close_reason = self.close_reason or reason
        with contextlib.suppress(RunnerUnavailable):
            self._send(encode_shutdown(int(grace * 1000)))
        try:
            await asyncio.wait_for(self._closed.wait(), grace + 2.0)
        except TimeoutError:
            await self.kill("did not disconnect after shutdown", fault=False)

    def _terminate(self, reason: str, *, fault: bool = True, culprit: int | None = None) -> None:
        """End the session (a process on another host, or in a debugger, is not ours to kill)."""
        if not self.close_reason:
            self.close_reason = reason
            self._fault = self._fault and fault
            self._culprit = culprit
        self._killed = True
        self._close()

    def finish(self) -> None:
        """The RPC is over, however it ended: stop reading and writing, fail what still waits."""
        self._gone("disconnected")
        for task in (self._reader, self._writer):
            if task is not None and task is not asyncio.current_task():
                task.cancel()


@dataclass(frozen=True)
class Admission:
    """What a dialling runner asked for: its language, and the steps it takes (None: all of them)."""

    language: str
    steps: frozenset[str] | None


#: serves one attached connection from its handshake to its end (``AttachedRunners.serve``)
Serve = Callable[[AttachedConnection, frozenset[str] | None], Awaitable[None]]
#: a new connection of ``language``, from ``peer``, on ``context``
NewConnection = Callable[["Context", str, str], AttachedConnection]


class RunnerListener:
    """The gRPC server runners dial in to; cookie-checked, one stream per runner."""

    def __init__(self, address: str, cookie: str, connect: NewConnection, serve: Serve) -> None:
        self.address = address
        self.cookie = cookie
        self._connect_runner = connect
        self._serve = serve
        self._server: grpc.aio.Server | None = None
        self._calls: set[asyncio.Task[Any]] = set()

    async def start(self) -> str:
        """Listen; the address bound (port 0 becomes the port chosen). Raises ``OSError`` when the
        address cannot be bound."""
        # The supervisor forks only to exec its runners: gRPC's fork handlers have nothing to do, and
        # while its threads are busy they leave the child to crash before its exec (SIGSEGV: a node
        # runner "exited during handshake" on a hot reload; grpc/grpc#13873). Read at gRPC's start.
        os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
        import grpc

        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        # No (de)serializers: the messages' bytes pass as they are, to the session and from it.
        handler: grpc.RpcMethodHandler[bytes, bytes] = grpc.stream_stream_rpc_method_handler(self._connect)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(RUNNER_SERVICE, {CONNECT_METHOD: handler}),)
        )
        try:
            port = server.add_insecure_port(self.address)
        except RuntimeError as exc:
            raise OSError(f"cannot listen for runners on {self.address}: {exc}") from None
        if not self.address.startswith("unix:") and self.address.endswith(":0"):
            self.address = f"{self.address.rsplit(':', 1)[0]}:{port}"
        await server.start()
        self._server = server
        return self.address

    async def stop(self, grace: float = 1.0) -> None:
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None

    async def _connect(self, requests: AsyncIterator[bytes], context: Context) -> None:
        import grpc

        admission = await self._admit(context)
        connection = self._connect_runner(context, admission.language, context.peer())
        try:
            await self._serve(connection, admission.steps)
        except AttachRefused as refused:
            _logger.warning("runner from %s refused: %s", context.peer(), refused)
            connection.finish()
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(refused))
        finally:
            connection.finish()
        if connection.ended_by_supervisor:
            await context.abort(
                grpc.StatusCode.ABORTED,
                f"the supervisor ended this runner's session: {connection.close_reason}",
            )

    async def _admit(self, context: Context) -> Admission:
        import grpc

        metadata: Mapping[str, str | bytes] = dict(context.invocation_metadata() or ())
        given = metadata.get(COOKIE_KEY, "")
        given_bytes = given.encode() if isinstance(given, str) else given
        if not hmac.compare_digest(given_bytes, self.cookie.encode()):
            what = "no cookie" if not given_bytes else "wrong cookie"
            _logger.warning("refused a runner from %s: %s", context.peer(), what)
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                f"{what}: the supervisor prints its cookie at start-up and writes it to "
                ".motia/runner-listen.json in the project; pass it with --cookie (or start the runner in "
                "the project folder without --cookie to read it from there)",
            )
        language = str(metadata.get(LANGUAGE_KEY, ""))
        if language not in LANGUAGES:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"{LANGUAGE_KEY} metadata is {language!r}, not one of {', '.join(LANGUAGES)}",
            )
        steps = str(metadata.get(STEPS_KEY, "")).strip()
        names = frozenset(name.strip() for name in steps.split(",") if name.strip()) if steps else None
        return Admission(language, names)


def _is_local(peer: str) -> bool:
    """``unix:...``, ``ipv4:127.0.0.1:5000``, ``ipv6:[::1]:5000``: is that this machine?"""
    if peer.startswith("unix"):
        return True
    return is_loopback_address(peer.partition(":")[2] or peer)


def is_loopback_address(address: str) -> bool:
    """Whether a listen address (``HOST:PORT`` or ``unix:PATH``) only takes connections from this machine."""
    if address.startswith("unix:"):
        return True
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
