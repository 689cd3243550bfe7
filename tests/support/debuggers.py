"""Real debugger sessions on a runner, as an IDE holds them, for end-to-end tests.

``NodeInspector`` speaks the Chrome DevTools Protocol to a node runner's V8 inspector (through
tests/clients/cdp-driver.mjs and the ``ws`` package); ``DebugpyClient`` speaks the Debug Adapter
Protocol to debugpy, the way VS Code's Python debugger attaches. Both offer the same few moves: set a
breakpoint on the line of a step file holding some text, wait until a request stops there, evaluate
an expression in the stopped frame, resume.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO, Protocol

CLIENTS_DIR = Path(__file__).resolve().parents[1] / "clients"


class DebuggerSession(Protocol):
    def break_at(self, file: Path, marker: str) -> None: ...
    def wait_paused(self, timeout: float) -> None: ...
    def evaluate(self, expression: str) -> Any: ...
    def resume(self) -> None: ...
    def pid(self) -> int: ...
    def close(self) -> None: ...


def connect(host: str, port: int, timeout: float = 30.0) -> socket.socket:
    """A connection to ``host:port`` once something listens there (debugpy takes the first
    connection for its client, so there is no probing first)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection((host, port), timeout=None)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class NodeInspector:
    """A CDP session on a node runner's inspector at ``host:port``."""

    def __init__(self, host: str, port: int) -> None:
        connect(host, port).close()
        self._driver = subprocess.Popen(
            ["node", str(CLIENTS_DIR / "cdp-driver.mjs"), f"{host}:{port}"],
            cwd=CLIENTS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def _ask(self, timeout: float = 30.0, **command: Any) -> dict[str, Any]:
        assert self._driver.stdin is not None and self._driver.stdout is not None
        self._driver.stdin.write(json.dumps(command) + "\n")
        self._driver.stdin.flush()
        answers: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: answers.put(self._driver.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        try:
            line = answers.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"the CDP driver did not answer {command} within {timeout}s") from None
        if not line:
            stderr = self._driver.stderr.read() if self._driver.stderr else ""
            raise RuntimeError(f"the CDP driver exited: {stderr}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"CDP: {answer['error']}")
        return answer

    def break_at(self, file: Path, marker: str) -> None:
        self._ask(cmd="break", file=str(file), marker=marker)

    def wait_paused(self, timeout: float) -> None:
        self._ask(timeout, cmd="paused")

    def evaluate(self, expression: str) -> Any:
        return self._ask(cmd="eval", expr=expression)["value"]

    def resume(self) -> None:
        self._ask(cmd="resume")

    def pid(self) -> int:
        pid: int = self._ask(cmd="pid")["value"]
        return pid

    def close(self) -> None:
        if self._driver.stdin is not None:
            self._driver.stdin.close()
        try:
            self._driver.wait(5)
        except subprocess.TimeoutExpired:
            self._driver.kill()
            self._driver.wait()
        for stream in (self._driver.stdout, self._driver.stderr):
            if stream is not None:
                stream.close()


class DebugpyClient:
    """A Debug Adapter Protocol session attached to debugpy at ``host:port``."""

    def __init__(
        self, host: str, port: int, timeout: float = 30.0, attach: dict[str, Any] | None = None
    ) -> None:
        """``attach``: the arguments of the attach request, as an IDE sends its launch configuration's."""
        self._sock = connect(host, port, timeout)
        self._seq = itertools.count(1)
        self._responses: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._thread_id: int | None = None
        self._frame_id: int | None = None
        self._pid: int | None = None
        self._process: queue.Queue[int] = queue.Queue()
        try:
            self.request(
                "initialize",
                timeout,
                adapterID="debugpy",
                clientID="motia-tests",
                pathFormat="path",
                linesStartAt1=True,
                columnsStartAt1=True,
            )
            # attach is answered only once the configuration is done (breakpoints set): see configure
            self._attach = self._send("attach", **(attach or {}))
            self.wait_event("initialized", timeout)
        except TimeoutError:
            self._sock.close()
            raise
        self._configured = False

    # ------------------------------------------------------------------ the wire

    def _send(self, command: str, **arguments: Any) -> int:
        seq = next(self._seq)
        self._responses[seq] = queue.Queue()
        body = json.dumps(
            {"seq": seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        with self._lock:
            self._sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return seq

    def _response(self, seq: int, timeout: float = 30.0) -> dict[str, Any]:
        try:
            response = self._responses[seq].get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"debugpy did not answer request {seq} within {timeout}s") from None
        if not response.get("success"):
            raise RuntimeError(f"DAP {response.get('command')}: {response.get('message')}")
        body: dict[str, Any] = response.get("body") or {}
        return body

    def request(self, command: str, timeout: float = 30.0, **arguments: Any) -> dict[str, Any]:
        return self._response(self._send(command, **arguments), timeout)

    def _read(self) -> None:
        with contextlib.suppress(OSError), self._sock.makefile("rb") as stream:  # OSError: the adapter went
            self._read_messages(stream)

    def _read_messages(self, stream: BinaryIO) -> None:
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None
            message = json.loads(stream.read(length))
            if message["type"] == "response":
                self._responses[message["request_seq"]].put(message)
            elif message["type"] == "event":
                if message["event"] == "process":  # whenever it comes: kept for pid()
                    self._process.put(int(message["body"]["systemProcessId"]))
                self._events.put(message)

    def wait_event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self._events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise TimeoutError(f"no DAP {name} event within {timeout}s") from None
            if event["event"] == name:
                body: dict[str, Any] = event.get("body") or {}
                return body

    # ------------------------------------------------------------------ the moves

    def break_at(self, file: Path, marker: str) -> None:
        lines = file.read_text(encoding="utf-8").splitlines()
        line = next(number for number, text in enumerate(lines, 1) if marker in text)
        self.request("setBreakpoints", source={"path": str(file)}, breakpoints=[{"line": line}])
        self.configure()

    def wait_paused(self, timeout: float) -> None:
        stopped = self.wait_event("stopped", timeout)
        self._thread_id = stopped["threadId"]
        frames = self.request("stackTrace", threadId=self._thread_id, levels=1)["stackFrames"]
        self._frame_id = frames[0]["id"]

    def evaluate(self, expression: str) -> Any:
        result = self.request("evaluate", expression=expression, frameId=self._frame_id, context="repl")
        return json.loads(result["result"]) if result["result"].isdigit() else result["result"]

    def resume(self) -> None:
        self.request("continue", threadId=self._thread_id)

    def configure(self) -> None:
        """Done configuring (no breakpoints): a runner waiting for its debugger goes on."""
        if not self._configured:
            self._configured = True
            self.request("configurationDone")
            self._response(self._attach)

    def pid(self) -> int:
        """The debuggee's pid, as debugpy announces it once attached (its ``process`` event)."""
        self.configure()
        if self._pid is None:
            try:
                self._pid = self._process.get(timeout=30)
            except queue.Empty:
                raise TimeoutError("debugpy announced no process within 30s") from None
        return self._pid

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, RuntimeError, OSError):
            self.request("disconnect", timeout=5, terminateDebuggee=False)
        self._sock.close()
