"""A real ``redis-server`` (Debian's package, installed by scripts/setup) for the tests, on a free port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.server import free_port


class RedisServer:
    """``redis-server`` on a free port of 127.0.0.1 with its files in ``directory``; stopped by its pid."""

    def __init__(
        self, directory: Path, binary: str, port: int | None = None, *, unix_socket: bool = False
    ) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        #: also listening on a unix socket in ``directory`` (``unix_url``), when asked for
        self.unix_url = f"unix://{directory / 'redis.sock'}?db=0" if unix_socket else None
        on_socket = (
            ["--unixsocket", str(directory / "redis.sock"), "--unixsocketperm", "700"] if unix_socket else []
        )
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory),
             "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
             "--logfile", str(directory / "redis.log"), *on_socket],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait()

    def _wait(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise TimeoutError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def pause(self) -> None:
        """SIGSTOP: the process lives and its port still accepts connections, but nothing answers."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT: the paused server answers again, with what it had (no restart)."""
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a paused server would not act on the SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def redis_server_binary() -> str:
    """Debian's redis-server: a failure on CI, a skip elsewhere when it is missing."""
    found = shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(path).exists()), None
    )
    if found is None:
        message = "redis-server is not installed (scripts/setup installs Debian's redis-server with apt-get)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found
