"""The channel to a supervisor over gRPC (``--connect``): for a runner started by hand, in a debugger.

The runner dials ``motia dev --runner-listen``'s address and calls ``RunnerSession.Connect`` with its
cookie, language and ``--steps`` in the metadata; the stream then carries the messages the stdio
pipes carry. ``GrpcWriter`` and ``GrpcReader`` offer what ``FrameWriter`` and ``FrameReader`` offer,
so the session does not know which channel it runs on: messages go out in the order they were
sent (grpc's thread drains one queue), and each message read is handed to ``on_message`` on the
reader thread. While grpc takes nothing from that queue (HTTP/2's flow control: the supervisor does
not read), the reader thread takes no next message (see backpressure).
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motia_runner.backpressure import Backpressure

#: where ``motia dev --runner-listen`` writes its address and cookie, under the project folder
CONNECTION_FILE = Path(".motia") / "runner-listen.json"
MAX_MESSAGE = 64 * 1024 * 1024
_STOP = None


class ConnectError(Exception):
    """The runner cannot dial in (no cookie, a supervisor that refuses it): one line for stderr."""


@dataclass(frozen=True)
class GrpcLink:
    address: str
    cookie: str
    steps: Sequence[str] = ()

    def open(
        self,
        on_message: Callable[[Any], None],
        on_end: Callable[[str | None], None],
        on_broken: Callable[[], None],
        loop_stalled_for: Callable[[], float],
    ) -> tuple[GrpcWriter, GrpcReader]:
        """The writer, and the reader (not started yet: it dials) of this channel; its reader is a
        thread of its own (grpc's stream), so the loop being held does not concern it."""
        writer = GrpcWriter(on_broken)
        return writer, GrpcReader(self, writer, on_message, on_end)

    def metadata(self) -> list[tuple[str, str]]:
        pairs = [("motia-cookie", self.cookie), ("motia-language", "python")]
        if self.steps:
            pairs.append(("motia-steps", ",".join(self.steps)))
        return pairs


def resolve_link(address: str | None, cookie: str | None, steps: Sequence[str], project: Path) -> GrpcLink:
    """The address and cookie given, or those the supervisor wrote to the project's connection file."""
    if address and cookie:
        return GrpcLink(address, cookie, steps)
    path = project / CONNECTION_FILE
    try:
        written = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        missing = "--cookie" if address else "an address (--connect ADDR) and --cookie"
        raise ConnectError(
            f"no {missing} given, and {path} cannot be read ({exc}); is `motia dev --runner-listen ADDR` "
            "running in this project? Start the runner in the project folder, or pass both"
        ) from None
    return GrpcLink(address or str(written["address"]), cookie or str(written["cookie"]), steps)


class GrpcWriter:
    """Queues messages for grpc's thread, which takes the next one once HTTP/2's flow control took the
    last; the bytes queued are counted in ``backpressure``."""

    def __init__(self, on_broken: Callable[[], None]) -> None:
        #: each message with its size, or _STOP
        self._queue: queue.SimpleQueue[tuple[Any, int] | None] = queue.SimpleQueue()
        self._on_broken = on_broken
        self._lock = threading.Lock()
        self.backpressure = Backpressure(self._lock)
        #: the call is over (the supervisor ended its side, or it failed): what grpc took was sent
        self.ended = threading.Event()

    def send(self, message: Any) -> None:
        """Queue one RunnerMessage; thread-safe, never blocks."""
        size = message.ByteSize()
        with self._lock:
            self.backpressure.add(size)
        self._queue.put((message, size))

    def send_later(self, message: Any) -> None:
        """``send``: grpc's thread takes messages as HTTP/2 lets it, several per write already."""
        self.send(message)

    def close(self, timeout: float = 5.0) -> None:
        """Send everything queued so far, end the runner's side of the stream, and wait for the
        supervisor to end its own."""
        self._queue.put(_STOP)
        # grpc takes a message from the iterator before its bytes reach the socket, and the process
        # exits right after this returns: so wait until the supervisor, having read our end of the
        # stream (and so every message before it), ends the call. A call the supervisor ended first
        # is over as well: grpc then stops taking messages, and waiting for them to go would only
        # wait out the timeout.
        self.ended.wait(timeout)

    def messages(self) -> Iterator[Any]:
        """What grpc sends, in order, until ``close``.

        A message counts as queued until grpc asks for the next one: grpc's thread takes the next only
        once HTTP/2's flow control let the last one's bytes go (its send completed), so what waits in
        grpc is counted as what waits in the stdio writer is: the bytes not handed to the socket yet.
        Uncounted the moment grpc took it, a message larger than the high mark let the reader read on
        while all of it was still waiting (and 64 KiB more behind it).
        """
        while (item := self._queue.get()) is not _STOP:
            message, size = item
            yield message
            self.backpressure.remove(size)  # grpc asks for the next: this one's send completed


class GrpcReader:
    """Calls Connect, then hands each SupervisorMessage to ``on_message`` on its own thread.

    ``on_end`` is called once: ``None`` when the supervisor ended the stream in order, else what went
    wrong, with ``refused`` True when the supervisor never took the runner (a wrong cookie...).
    """

    def __init__(
        self,
        link: GrpcLink,
        writer: GrpcWriter,
        on_message: Callable[[Any], None],
        on_end: Callable[[str | None], None],
    ) -> None:
        self._link = link
        self._writer = writer
        self._on_message = on_message
        self._on_end = on_end
        self.refused = False
        self._thread = threading.Thread(target=self._run, name="motia-grpc-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        import grpc

        from motia_runner._generated.runner_pb2_grpc import RunnerSessionStub

        options = [
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            # Backpressure needs the supervisor's sends to wait while the reader thread takes no
            # message. With BDP probing, grpc core widens the window it grants the supervisor from
            # the bandwidth it measures, whether or not messages are taken: a runner that took
            # nothing still received all 20,000 requests of the backpressure test (test_runners).
            # Without it the window stays at grpc's lookahead (64 KiB), replenished as messages are
            # taken; enough on the local links an attached runner is used on.
            ("grpc.http2.bdp_probe", 0),
        ]
        channel = grpc.insecure_channel(self._link.address, options=options)
        stub = RunnerSessionStub(channel)  # type: ignore[no-untyped-call]
        received = False
        backpressure = self._writer.backpressure
        try:
            call = stub.Connect(self._writer.messages(), metadata=self._link.metadata())
            # once the call is over grpc takes nothing more: the reader must not wait for that
            call.add_done_callback(lambda _call: backpressure.release())
            for message in call:
                received = True
                self._on_message(message)
                backpressure.wait_while_full()  # and grpc reads no more of the stream meanwhile
        except grpc.RpcError as exc:
            code, details = exc.code(), exc.details()
            self.refused = not received
            if code == grpc.StatusCode.UNAVAILABLE and not received:
                self._on_end(
                    f"no supervisor answers at {self._link.address} ({details}); start `motia dev "
                    f"--runner-listen {self._link.address}` first"
                )
            elif not received:
                self._on_end(f"the supervisor at {self._link.address} refused this runner: {details}")
            else:
                self._on_end(f"the supervisor at {self._link.address} ended the session: {details}")
            return
        finally:
            self._writer.ended.set()  # nothing more will be sent
            channel.close()
        self._on_end(None)


def project_folder() -> Path:
    return Path(os.environ.get("MOTIA_PROJECT_ROOT") or os.getcwd())
