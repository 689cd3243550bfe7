"""A TCP proxy in front of a server that counts the connections it could pass on, for tests of how
often a client comes back (a client's reconnects to a server that stops and starts again)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class CountingProxy:
    """Listens on ``port`` and passes each connection on to ``upstream_port``; one the upstream refuses
    is closed at once (the client sees the connection end, as when nothing listens)."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._reached: list[float] = []
        self._attempts: list[float] = []
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def reached(self) -> list[float]:
        """When (time.monotonic()) each connection that reached the upstream so far was accepted."""
        with self._lock:
            return list(self._reached)

    @property
    def attempts(self) -> list[float]:
        """When each connection made to the proxy so far was accepted, whether the upstream took it."""
        with self._lock:
            return list(self._attempts)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            accepted = time.monotonic()
            with self._lock:
                self._attempts.append(accepted)
            try:
                upstream = socket.create_connection(("127.0.0.1", self._upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._reached.append(accepted)
                self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(source, target), daemon=True).start()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def __enter__(self) -> CountingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)
