"""Start the real ``motia`` CLI against a project directory and talk HTTP to it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from tests.support.output import OutputLines

REPO_ROOT = Path(__file__).resolve().parents[2]


#: the ports ``free_port`` holds until ``release_ports``
_held: list[socket.socket] = []


def free_port(count: int = 1) -> int:
    """A port of 127.0.0.1 that no other program can take before the one it is meant for binds it
    (the first of ``count`` consecutive ones, for a pool that takes one each).

    A port found free and let go may be taken in between: by another test's server, or as the
    local port of any outgoing connection. This one stays bound here, never listening, until
    ``release_ports``: meanwhile the kernel gives it to no bind to port 0 and to no outgoing
    connection, and a socket binding it by number fails, while a server binding it with
    SO_REUSEADDR (motia, redis-server, node's inspector and HTTP servers, debugpy all do) binds
    and listens on it, started again on it too."""
    while True:
        first = _hold(0)
        port = int(first.getsockname()[1])
        held = [first]
        try:
            held += [_hold(port + n) for n in range(1, count)]
        except (OSError, OverflowError):  # one of the next ones is taken, or past the last port
            for sock in held:
                sock.close()
            continue
        _held.extend(held)
        return port


def _hold(port: int) -> socket.socket:
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    except (OSError, OverflowError):
        sock.close()
        raise
    return sock


def release_ports() -> None:
    """Lets go the ports ``free_port`` held (the test module that asked for them has ended)."""
    while _held:
        _held.pop().close()


def motia_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "supervisor", *args]


def run_motia(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``motia ARGS`` to completion in ``cwd``, as a user would in their project folder."""
    return subprocess.run(
        motia_argv(*args),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_motia_reader_gone(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``motia ARGS`` with its stdout a pipe whose reader has already gone (``motia ... | head``
    once head has its lines: any write after is the same as the first); stderr captured."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            motia_argv(*args), cwd=cwd, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120
        )
    finally:
        os.close(write_end)


class MotiaServer:
    """A ``motia dev|start`` process on a free port; its output is kept for assertions."""

    def __init__(
        self,
        project: Path,
        mode: str = "dev",
        env: dict[str, str] | None = None,
        debug: bool = False,
        motia: Sequence[str] | None = None,
        inherit_env: bool = True,
        args: Sequence[str] = (),
        port: int | None = None,
    ):
        """``motia`` is the command (default: this checkout's, ``python -m supervisor``, run from the
        repository); another one (an installed ``motia``) runs in the project folder. With
        ``inherit_env=False``, ``env`` is the whole environment. ``args`` are more options for the
        command. ``port``: the one to listen on (a server started again where clients expect it), a
        free one by default."""
        self.project = project
        self.mode = mode
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [mode, "--project", str(project), "-p", str(self.port), *args]
        if debug:
            command.append("-d")
        full_env = dict(os.environ) if inherit_env else {}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [*motia, *command] if motia else motia_argv(*command),
            cwd=project if motia else REPO_ROOT,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        self._output = OutputLines(self.proc.stdout)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def lines(self) -> list[str]:
        """Every line written so far, including those written just before an answer just received."""
        return self._output.lines()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def json_logs(self) -> list[dict[str, Any]]:
        """The JSON log lines (``motia start``)."""
        records = []
        for line in self.lines:
            if line.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    records.append(json.loads(line))
        return records

    def wait_ready(self, timeout: float = 60.0) -> MotiaServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"motia exited with {self.proc.returncode}:\n{self.output}")
            try:
                if self.client.get("/__motia/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"motia did not become ready in {timeout}s:\n{self.output}")

    def stop(self, timeout: float = 30.0) -> int:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._output.close()
        return self.proc.returncode

    def __enter__(self) -> MotiaServer:
        return self.wait_ready()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def eventually(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns a truthy value, which is returned.

    An AssertionError or a connection error counts as "not yet"; the last one is re-raised at the timeout.
    What is waited for will happen: the timeout only guards against a hang, and is as generous as a
    busy machine needs (it costs nothing while the check passes).
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (AssertionError, httpx.TransportError) as exc:  # not ready yet
            last_error = exc
        time.sleep(interval)
    if last_error is not None:
        raise last_error
    raise AssertionError(f"condition not met within {timeout}s")
