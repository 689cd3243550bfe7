"""Runners started by hand that attach to a ``motia dev|start --runner-listen`` server over gRPC, as a
developer starts them in a debugger: the real runner, its real command line, its own process."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from supervisor.discovery import RunnerKind
from tests.support.output import OutputLines
from tests.support.runner_harness import REPO_ROOT, node_runner_argv
from tests.support.server import MotiaServer, eventually, free_port


def listen_args(cookie: str = "test-cookie") -> tuple[str, list[str]]:
    """A free local address, and the options that make a server listen there for runners."""
    address = f"127.0.0.1:{free_port()}"
    return address, ["--runner-listen", address, "--runner-cookie", cookie]


def connect_argv(runner: RunnerKind, *args: str) -> list[str]:
    """The runner's command line with ``--connect ...`` (``args``), as a debug configuration runs it."""
    if runner == "node":
        return [*node_runner_argv(), *args]
    return [sys.executable, "-m", "motia_runner", *args]


def attach_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a hand-started runner needs: the Python runner's package on PYTHONPATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTIA_RUNNER_")}
    python_path = str(REPO_ROOT / "runners" / "python")
    env["PYTHONPATH"] = python_path + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra or {})
    return env


class HandStartedRunner:
    """A runner process started with ``--connect``; its stderr is kept for assertions."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=attach_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        self._output = OutputLines(self.proc.stdout)

    @property
    def output(self) -> str:
        return "\n".join(self._output.lines())

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait(self, timeout: float = 30.0) -> int:
        """Its exit status, once it has exited and all it wrote is read."""
        code = self.proc.wait(timeout=timeout)
        self._output.close()
        return code

    def kill(self) -> None:
        """As a debugger's stop button does: the process is gone, nothing said."""
        self.proc.kill()
        self.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        else:
            self.wait()


def runners(server: MotiaServer) -> list[dict[str, Any]]:
    """What ``GET /__motia/runners`` lists."""
    response = server.client.get("/__motia/runners")
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()["runners"]
    return listed


def wait_attached(server: MotiaServer, runner: HandStartedRunner, timeout: float = 60.0) -> dict[str, Any]:
    """The row of ``runner`` once it has attached (a runner that exits meanwhile fails at once)."""

    def attached() -> dict[str, Any] | None:
        if runner.proc.poll() is not None:
            raise RuntimeError(f"the runner exited with {runner.proc.returncode}:\n{runner.output}")
        return next((row for row in runners(server) if row["pid"] == runner.pid), None)

    row: dict[str, Any] = eventually(attached, timeout=timeout)
    return row


class CuttableLink:
    """A TCP hop between a hand-started runner and the server it dials: it can stop carrying what the
    runner sends (the server then reads nothing of it, as a supervisor that falls behind) and cut the
    connection (its calls are cancelled at both ends, as when the network between them goes)."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        #: set while what the runner sends is carried to the server
        self._upstream = threading.Event()
        self._upstream.set()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                runner, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            self._sockets += [runner, server]
            threading.Thread(target=self._carry, args=(runner, server, self._upstream), daemon=True).start()
            threading.Thread(target=self._carry, args=(server, runner, None), daemon=True).start()

    def _carry(self, source: socket.socket, sink: socket.socket, gate: threading.Event | None) -> None:
        try:
            while gate is None or gate.wait():
                data = source.recv(1 << 16)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
        except OSError:  # cut
            return

    def stop_carrying_the_runners_output(self) -> None:
        self._upstream.clear()

    def carry_the_runners_output(self) -> None:
        self._upstream.set()

    def cut(self) -> None:
        """Reset every connection (SO_LINGER 0: a RST, not an orderly end) and stop accepting."""
        self._listener.close()
        sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the carriers blocked reading it
            sock.close()
        self._upstream.set()  # the frozen carrier wakes and finds its socket closed
