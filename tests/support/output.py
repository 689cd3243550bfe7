"""The lines a child process writes to a pipe, whole up to the moment they are asked for."""

from __future__ import annotations

import os
import select
import threading
from typing import IO


class OutputLines:
    """A thread reads the pipe as the process writes (so it never blocks on a full pipe), and
    ``lines()`` also reads what is in the pipe at the moment of the call.

    Why both: a check made right after something the process did (an HTTP answer, a health
    report) must see every line the process wrote before doing it. Left to the thread alone, such
    a line can still be in the pipe, unread, when a busy machine has not yet scheduled the thread.
    """

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._fd = pipe.fileno()
        os.set_blocking(self._fd, False)
        self._lines: list[str] = []
        self._partial = b""  # the start of a line whose end is not written yet
        self._at_end = False
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def lines(self) -> list[str]:
        with self._lock:
            self._read_available()
            return list(self._lines)

    def close(self, timeout: float = 5.0) -> None:
        """Once the process has exited: read to the end of its output, then close the pipe.

        ``timeout`` bounds the wait for the end, which a child process that shares the pipe and
        outlives this one (a runner) holds back."""
        self._thread.join(timeout)
        with self._lock:
            if not self._closed:
                self._read_available()
                self._closed = True
                self._pipe.close()

    def _pump(self) -> None:
        readable = select.poll()  # not select(): a long session's descriptors may pass 1024
        readable.register(self._fd, select.POLLIN)
        while True:
            with self._lock:
                if self._closed:
                    return
                self._read_available()
                if self._at_end:
                    return
            readable.poll(100)  # ms; a close meanwhile is seen at the next turn

    def _read_available(self) -> None:
        """Under the lock: every complete line the pipe holds now, without waiting for more."""
        while not (self._at_end or self._closed):
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                self._at_end = True
                if self._partial:
                    self._lines.append(self._partial.decode(errors="replace"))
                    self._partial = b""
                return
            *complete, self._partial = (self._partial + chunk).split(b"\n")
            self._lines.extend(raw.decode(errors="replace") for raw in complete)
