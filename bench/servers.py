"""Server processes the benchmarks start, read and stop (by pid)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from constants import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def motia_argv(project: Path, port: int, code: Path | None = None) -> list[str]:
    """``motia start`` of this checkout, or of ``code`` (a git ref's code from :func:`extract`, run from
    its own folder with this interpreter)."""
    script = Path(sys.executable).parent / "motia"
    head = [str(script)] if script.exists() and code is None else [sys.executable, "-m", "supervisor"]
    return [*head, "start", "--project", str(project), "-p", str(port)]


def extract(ref: str, into: Path) -> Path:
    """The code of git ``ref``, runnable with our interpreter and node_modules (``code`` above)."""
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for modules in ("runners/node/node_modules", "node_modules"):
        if (REPO / modules).exists():
            (into / modules).symlink_to(REPO / modules)
    return into


def codes_under_test(baseline_ref: str | None, workdir: Path) -> dict[str, Path | None]:
    """``{"old": <baseline_ref's code>, "new": None}`` (None: this checkout), or only "new" without a ref:
    what an A/B against a git ref passes to :func:`motia` as ``code``, round after round."""
    if not baseline_ref:
        return {"new": None}
    return {"old": extract(baseline_ref, workdir / "baseline"), "new": None}


@dataclass
class Server:
    """A server process we started; stdout is pumped by a thread, ``bench-start`` log lines are indexed."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    started_ns: int
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    marks: dict[tuple[str, int], int] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)
    ready_s: float = 0.0

    @classmethod
    def spawn(
        cls, name: str, argv: list[str], port: int, env: dict[str, str] | None = None, cwd: Path = REPO
    ) -> Server:
        full_env = {**os.environ, **(env or {})}
        started = time.monotonic_ns()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = cls(name, proc, port, started)
        threading.Thread(target=server._pump, name=f"pump-{name}", daemon=True).start()
        return server

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if '"bench-start"' in line:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    record = json.loads(line)
                    meta = record["meta"]
                    with self.cond:
                        self.marks[(record["step"], int(meta["seq"]))] = int(meta["t"])
                        self.cond.notify_all()
                continue
            self.tail.append(line)

    def wait_mark(self, step: str, seq: int, timeout: float) -> int:
        with self.cond:
            if not self.cond.wait_for(lambda: (step, seq) in self.marks, timeout):
                raise TimeoutError(f"{self.name}: handler {step} did not start for seq {seq} in {timeout}s")
            return self.marks.pop((step, seq))

    def get(self, path: str, timeout: float = 1.0) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def wait_ready(self, path: str, timeout: float = 60.0, interval: float = 0.005) -> float:
        """Poll ``path`` until it answers 200; returns seconds since spawn."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n" + "\n".join(self.tail)
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.get(path) == 200:
                    return (time.monotonic_ns() - self.started_ns) / 1e9
            time.sleep(interval)
        raise TimeoutError(f"{self.name} did not answer {path} within {timeout}s:\n" + "\n".join(self.tail))

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def running(servers: list[Server], stop_timeout: float = 20.0) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.stop(stop_timeout)


@contextlib.contextmanager
def motia(
    project: Path,
    *,
    code: Path | None = None,
    env: dict[str, str] | None = None,
    ready: str | tuple[str, ...] = "/__motia/health",
    timeout: float = 60.0,
    interval: float = 0.005,
    stop_timeout: float = 20.0,
    name: str = "motia",
) -> Iterator[Server]:
    """``motia start`` on ``project`` (this checkout's, or ``code``'s) on a free port, once every path in
    ``ready`` answers 200; stopped by its pid on the way out. ``server.ready_s``: spawn to ready."""
    port = free_port()
    server = Server.spawn(name, motia_argv(project, port, code), port, env, cwd=code or REPO)
    with running([server], stop_timeout):
        for path in (ready,) if isinstance(ready, str) else ready:
            server.ready_s = server.wait_ready(path, timeout, interval)
        yield server


def native_modules(server: Server) -> list[dict[str, object]]:
    """Per process of the server's tree: whether protobuf's upb C extension and uvloop are loaded
    (from /proc/<pid>/maps, Linux), so a run shows what it measured rather than what was expected."""
    out: list[dict[str, object]] = []
    for proc in server.tree():
        with contextlib.suppress(OSError, psutil.Error):
            maps = Path(f"/proc/{proc.pid}/maps").read_text()
            out.append(
                {
                    "pid": proc.pid,
                    "cmd": " ".join(proc.cmdline())[:80],
                    "protobuf_upb": "/google/_upb/" in maps,
                    "uvloop": "/uvloop/" in maps,
                }
            )
    return out
