"""The channel to the supervisor: private copies of fds 0/1, read on the event loop, written at once.

:func:`claim_channel` takes fds 0 and 1 away from user code so that only frames reach the
supervisor: frames are read from and written to private fds; fd 1 becomes a copy of stderr (so
``print``, C extensions and child processes cannot corrupt the channel) and fd 0 reads
``/dev/null`` (so child processes cannot steal frames).

Frames are read on the event loop, or on a standby thread while a handler holds the loop
(:class:`FrameReader`). Any thread may call :meth:`FrameWriter.send`; frames leave in the order
they were sent, written by the sending thread when the pipe takes them at once, else by the writer
thread. While the supervisor does not read, the reader stops reading (see backpressure).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from motia_runner.backpressure import Backpressure
from motia_runner.framing import FrameDecoder, FramingError, encode_frame
from motia_runner.messages import pb

#: the loop has not turned for this long beyond its tick (liveness.LoopWatch): the standby thread reads
TAKE_OVER_AFTER = 0.1
#: how often the standby thread looks whether the loop is held
STANDBY_TICK = 0.1
#: why a runner whose frames the supervisor no longer takes exits (1), on stderr (the node runner's words)
PIPE_CLOSED = "the supervisor's pipe closed (writing to stdout failed)"


class Writer(Protocol):
    def send(self, message: Any) -> None: ...
    def send_later(self, message: Any) -> None: ...
    def close(self, timeout: float = 5.0) -> None: ...


class Reader(Protocol):
    def start(self) -> None: ...


@dataclass(frozen=True)
class Channel:
    read_fd: int
    write_fd: int

    def open(
        self,
        on_message: Callable[[Any], None],
        on_end: Callable[[str | None], None],
        on_broken: Callable[[], None],
        loop_stalled_for: Callable[[], float],
    ) -> tuple[FrameWriter, FrameReader]:
        """The writer, and the reader (not started yet) of this channel."""
        writer = FrameWriter(self.write_fd, on_broken)
        reader = FrameReader(self.read_fd, on_message, on_end, loop_stalled_for, writer.backpressure)
        return writer, reader


def claim_channel() -> Channel:
    read_fd = os.dup(0)  # os.dup returns non-inheritable fds
    write_fd = os.dup(1)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return Channel(read_fd=read_fd, write_fd=write_fd)


class FrameWriter:
    """Writes frames in the order they were sent, from any thread, never blocking the sender.

    A frame sent while nothing waits to go out is written at once, by the sending thread, to the
    pipe in non-blocking mode: a context call then costs no thread wake-up on its way out (a hand-off
    to the writer thread cost a wake-up and two GIL hand-overs per frame). What the pipe cannot take
    now (the supervisor is not reading), and every frame sent after it, waits for the writer thread,
    which writes it as the pipe drains; a blocked event loop therefore never holds back a Pong. The
    bytes waiting for it are counted in ``backpressure``: past its high mark the reader reads no more.

    A frame nobody waits for (a log line, ``send_later``) sent on the event loop's thread waits for the
    next frame sent or the end of the loop turn, whichever comes first, and goes out in the same write:
    a handler's ``logger.info(...)`` before its ``await state.get(...)`` was a write of its own, which
    could wake the supervisor for the line alone and again for the call (the pet flow: 33 writes per pet,
    7 of them log lines; 26 with this).
    """

    def __init__(self, fd: int, on_broken: Callable[[], None]) -> None:
        self._fd = fd
        os.set_blocking(fd, False)
        self._on_broken = on_broken
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        #: frames (or the rest of one) not written yet, oldest first, for the writer thread
        self._backlog: list[bytes] = []
        #: the writer thread holds frames taken from the backlog and not written yet
        self._busy = False
        self._closing = False
        self._broken = False
        #: frames of ``send_later`` not written yet: they go out before the next frame sent, with it
        self._deferred: list[bytes] = []
        #: the event loop the writer was made on (the session's), whose turns ``send_later`` waits for
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._loop_thread = threading.get_ident()
        self.backpressure = Backpressure(self._lock)
        self._thread = threading.Thread(target=self._run, name="motia-writer", daemon=True)
        self._thread.start()

    def send_later(self, message: Any) -> None:
        """Send one RunnerMessage no one waits for: from the event loop's thread, with the next frame
        sent or at the end of this loop turn; from any other thread (no loop turn to wait for), or once
        the loop has stopped, now."""
        loop = self._loop
        if loop is None or threading.get_ident() != self._loop_thread or not loop.is_running():
            self.send(message)
            return
        frame = encode_frame(message.SerializeToString())
        with self._lock:
            if self._broken or self._closing:
                return
            self._deferred.append(frame)
            if len(self._deferred) > 1:  # the turn's flush is already scheduled
                return
        loop.call_soon(self._flush_deferred)

    def _flush_deferred(self) -> None:
        self._write(b"")

    def send(self, message: Any) -> None:
        """Write one RunnerMessage, or queue it behind what waits; thread-safe, never blocks on the pipe."""
        self._write(encode_frame(message.SerializeToString()))

    def _write(self, frame: bytes) -> None:
        """Write what ``send_later`` holds, then ``frame``, or queue them behind what waits."""
        with self._lock:
            if self._broken or self._closing:
                return
            if self._deferred:
                frame = b"".join((*self._deferred, frame))
                self._deferred.clear()
            if not frame:
                return
            if not self._backlog and not self._busy:
                try:
                    frame = frame[os.write(self._fd, frame) :]
                except BlockingIOError:
                    pass
                except OSError:
                    self._broken = True
                if not frame:
                    return
            if not self._broken:
                self._backlog.append(frame)
                self._ready.notify()
                self.backpressure.add(len(frame))
                return
        self._on_broken()

    def close(self, timeout: float = 5.0) -> None:
        """Write everything sent so far, then stop the writer thread."""
        self._write(b"")
        with self._lock:
            self._closing = True
            self._ready.notify()
        self._thread.join(timeout)

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLOUT)
        while True:
            with self._lock:
                while not self._backlog and not self._closing:
                    self._ready.wait()
                if not self._backlog:
                    return
                data = memoryview(b"".join(self._backlog))
                self._backlog.clear()
                self._busy = True
            try:
                while data:
                    try:
                        written = os.write(self._fd, data)
                    except BlockingIOError:
                        poller.poll()
                        continue
                    data = data[written:]
                    self.backpressure.remove(written)
            except OSError:
                with self._lock:
                    self._broken = True
                    self._backlog.clear()
                self.backpressure.release()
                self._on_broken()
                return
            finally:
                with self._lock:
                    self._busy = False


class FrameReader:
    """Reads SupervisorMessages on the event loop, and on a standby thread while the loop is held.

    The loop watches the pipe (``add_reader``) and reads it itself: a message costs no thread wake-up
    and no GIL hand-over on its way to its handler (a reader thread handing each message to the loop
    cost both, 0.1-0.2 ms per invocation). But a handler may hold the loop (a synchronous call in an
    ``async def``), and Pings must still be answered, and Invokes declined, meanwhile (see liveness):
    so once the loop has not turned for ``TAKE_OVER_AFTER`` beyond its tick, the standby thread reads
    the pipe instead, until the loop turns again. One lock makes one reader at a time, and one decoder
    sees the bytes in the order they came. After the standby thread read, the loop lets one turn
    pass before it reads again, so that what the thread handed to the loop runs before what the loop
    reads next.

    While the writer's ``backpressure`` is full, neither reads: the loop stops watching the pipe until
    the writer has drained (``backpressure.on_drained``), so the pipe fills and the supervisor's
    writes wait in the supervisor (see backpressure for why only input stops).

    ``on_message`` is called on whichever thread read the message, in the order they came; ``on_end``
    once, with ``None`` on EOF or a description of the protocol error.
    """

    def __init__(
        self,
        fd: int,
        on_message: Callable[[Any], None],
        on_end: Callable[[str | None], None],
        loop_stalled_for: Callable[[], float],
        backpressure: Backpressure,
    ) -> None:
        self._fd = fd
        os.set_blocking(fd, False)
        self._backpressure = backpressure
        backpressure.on_drained = self._on_drained
        self._on_message = on_message
        self._on_end = on_end
        self._loop_stalled_for = loop_stalled_for
        self._decoder = FrameDecoder()
        self._lock = threading.Lock()
        self._ended = False
        #: the standby thread read since the loop last did
        self._standby_read = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._standby = threading.Thread(target=self._stand_by, name="motia-reader", daemon=True)

    def start(self) -> None:
        """Start reading (call on the loop)."""
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._fd, self._read_on_loop)
        self._standby.start()

    def _read_on_loop(self) -> None:
        with self._lock:
            if self._standby_read:  # its messages wait in the loop's queue, behind this call: after them
                self._standby_read = False
                return
            if not self._ended and not self._backpressure.full:
                self._read()
            if (self._ended or self._backpressure.full) and self._loop is not None:
                # on_drained, called once full turns False (before or after this), watches it again
                self._loop.remove_reader(self._fd)

    def _on_drained(self) -> None:
        """The writer drained (on its thread): the loop reads again; the standby thread sees it itself."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: the runner is exiting
                self._loop.call_soon_threadsafe(self._watch)

    def _watch(self) -> None:
        if self._loop is not None and not self._ended and not self._backpressure.full:
            self._loop.add_reader(self._fd, self._read_on_loop)

    def _stand_by(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while not self._ended:
            if self._backpressure.full or self._loop_stalled_for() < TAKE_OVER_AFTER:
                time.sleep(STANDBY_TICK)
            elif poller.poll(int(STANDBY_TICK * 1000)):
                with self._lock:
                    if not self._ended and not self._backpressure.full:
                        self._read()
                        self._standby_read = True

    def _read(self) -> None:
        """Read what the pipe holds and hand over each whole message (with the lock held)."""
        try:
            data = os.read(self._fd, 1 << 16)
        except BlockingIOError:  # the other reader took it
            return
        except OSError as exc:
            self._end(f"protocol error on stdin ({type(exc).__name__}: {exc})")
            return
        if not data:
            self._end(None)
            return
        try:
            for frame in self._decoder.feed(data):
                message = pb.SupervisorMessage()
                message.ParseFromString(frame)
                self._on_message(message)
        except FramingError as exc:
            self._end(f"protocol error on stdin ({type(exc).__name__}: {exc})")
        except Exception as exc:  # DecodeError from protobuf
            self._end(f"protocol error on stdin (undecodable frame: {exc})")

    def _end(self, error: str | None) -> None:
        self._ended = True
        self._on_end(error)
