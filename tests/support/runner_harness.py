"""Drive a real runner process over its stdio protocol, synchronously, for tests.

The harness speaks the same frames as the supervisor but none of its logic, so a
runner can be tested byte for byte: send SupervisorMessages, read RunnerMessages.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from supervisor.discovery import RunnerKind
from supervisor.protocol import FrameDecoder, encode_frame
from supervisor.protocol._generated import runner_pb2 as pb

REPO_ROOT = Path(__file__).resolve().parents[2]
COOKIE = "motia-runner-v1"
NODE_MODULES = REPO_ROOT / "runners" / "node" / "node_modules"


def node_runner_argv() -> list[str]:
    require_node_modules()
    return ["node", str(REPO_ROOT / "runners" / "node" / "bin" / "runner.mjs")]


def require_node_modules() -> None:
    """The node runner's npm packages are there. Without them the test asking is skipped; in CI
    (CI=true), where scripts/setup must have installed them, it fails."""
    if NODE_MODULES.is_dir():
        return
    message = f"{NODE_MODULES.relative_to(REPO_ROOT)} is missing: scripts/setup installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the node runner's tests may not be skipped)")
    pytest.skip(message)


def python_runner_argv() -> list[str]:
    """The Python runner under this interpreter, or under MOTIA_TEST_RUNNER_PYTHON when set."""
    return [os.environ.get("MOTIA_TEST_RUNNER_PYTHON") or sys.executable, "-m", "motia_runner"]


@dataclass(frozen=True)
class RunnerLanguage:
    """A language as the runner tests see it: which runner loads it and how its files are named."""

    name: str  # ts | js | py: the test id
    runner: RunnerKind

    def __str__(self) -> str:
        return self.name

    def argv(self) -> list[str]:
        return node_runner_argv() if self.runner == "node" else python_runner_argv()

    def step(self, stem: str) -> str:
        return f"steps/{stem}_step.py" if self.name == "py" else f"steps/{stem}.step.{self.name}"

    def stream(self, stem: str) -> str:
        return f"steps/{stem}_stream.py" if self.name == "py" else f"steps/{stem}.stream.{self.name}"

    def pick(self, node: str, python: str) -> str:
        """One of two sources: node's (TypeScript and JavaScript alike) or Python's."""
        return node if self.runner == "node" else python


TYPESCRIPT = RunnerLanguage("ts", "node")
JAVASCRIPT = RunnerLanguage("js", "node")
PYTHON = RunnerLanguage("py", "python")
RUNNER_LANGUAGES = (TYPESCRIPT, JAVASCRIPT, PYTHON)


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> source, dedented) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def runner_env(project: Path, runner_id: str = "test-0") -> dict[str, str]:
    env = dict(os.environ)
    env["MOTIA_RUNNER_COOKIE"] = COOKIE
    env["MOTIA_PROJECT_ROOT"] = str(project)
    env["MOTIA_RUNNER_ID"] = runner_id
    python_path = str(REPO_ROOT / "runners" / "python")
    env["PYTHONPATH"] = (
        python_path + os.pathsep + env.get("PYTHONPATH", "") if env.get("PYTHONPATH") else python_path
    )
    return env


class RunnerHarness:
    def __init__(self, argv: Sequence[str], project: Path, env: dict[str, str] | None = None) -> None:
        self.project = project
        self.proc = subprocess.Popen(
            list(argv),
            cwd=project,
            env=env or runner_env(project),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.messages: queue.Queue[pb.RunnerMessage | None] = queue.Queue()
        self.stderr_lines: list[str] = []
        self.garbage: list[bytes] = []
        self.hello_reply = pb.HelloReply()  # what the runner answered to handshake()
        self.channel_end = "runner closed its stdout"  # what recv reports once no message can come
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def __enter__(self) -> RunnerHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_stdout(self) -> None:
        decoder = FrameDecoder()
        stdout = self.proc.stdout
        assert isinstance(stdout, io.BufferedReader)  # read1: whatever has arrived, without waiting for more
        try:
            while chunk := stdout.read1(65536):
                for frame in decoder.feed(chunk):
                    message = pb.RunnerMessage()
                    message.ParseFromString(frame)
                    self.messages.put(message)
        except Exception as exc:  # framing error: record what was written
            self.garbage.append(getattr(exc, "garbage", b""))
        self.messages.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode(errors="replace").rstrip("\n"))

    def send(self, message: pb.SupervisorMessage) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(encode_frame(message.SerializeToString()))
        self.proc.stdin.flush()

    def recv(self, timeout: float = 15.0) -> pb.RunnerMessage:
        message = self.messages.get(timeout=timeout)
        if message is None:
            raise EOFError(f"{self.channel_end}; stderr: {self.stderr_lines[-20:]}")
        return message

    def recv_kind(
        self,
        kind: str,
        timeout: float = 15.0,
        where: Callable[[pb.RunnerMessage], bool] = lambda _m: True,
        seen: list[pb.RunnerMessage] | None = None,
    ) -> pb.RunnerMessage:
        """Next message of one kind ("hello", "loaded", "result", "call", "pong", "log").

        Messages of other kinds are appended to ``seen`` (when given) and skipped.
        """
        while True:
            message = self.recv(timeout)
            if message.WhichOneof("kind") == kind and where(message):
                return message
            if seen is not None:
                seen.append(message)

    def handshake(self, log_level: str = "info") -> pb.HelloReply:
        self.send(
            pb.SupervisorMessage(
                hello=pb.Hello(
                    protocol_version=1,
                    project_root=str(self.project),
                    runner_id="test-0",
                    log_level=log_level,
                )
            )
        )
        self.hello_reply = self.recv_kind("hello").hello
        return self.hello_reply

    def load(
        self,
        step_files: Sequence[str] = (),
        stream_files: Sequence[str] = (),
        request_id: int = 1,
        hook_files: Sequence[str] = (),
    ) -> pb.LoadResult:
        self.send(
            pb.SupervisorMessage(
                load=pb.LoadFiles(
                    request_id=request_id,
                    step_files=step_files,
                    stream_files=stream_files,
                    hook_files=hook_files,
                )
            )
        )
        return self.recv_kind("loaded", timeout=60).loaded

    def invoke(
        self,
        invocation_id: int,
        file: str,
        step_name: str,
        kind: int,
        payload: object,
        trace_id: str = "trace-1",
        topic: str = "",
    ) -> None:
        self.send(
            pb.SupervisorMessage(
                invoke=pb.Invoke(
                    invocation_id=invocation_id,
                    file=file,
                    step_name=step_name,
                    kind=kind,  # type: ignore[arg-type]
                    payload_json=orjson.dumps(payload),
                    trace_id=trace_id,
                    topic=topic,
                )
            )
        )

    def reply(self, call_id: int, result: object = None, error: str | None = None) -> None:
        if error is None:
            reply = pb.ContextReply(call_id=call_id, ok=True, result_json=orjson.dumps(result))
        else:
            reply = pb.ContextReply(call_id=call_id, ok=False, error=error)
        self.send(pb.SupervisorMessage(context_reply=reply))

    def close(self, grace_ms: int = 1000) -> int:
        """Shut the runner down (killed after the grace), then release its pipes; its exit code."""
        code = self._stop(grace_ms)
        for reader in self._readers:  # both read to EOF, which the runner's exit brings
            reader.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        return code

    def _stop(self, grace_ms: int) -> int:
        if self.proc.poll() is None:
            self._ask_to_stop(grace_ms)
            try:
                return self.proc.wait(timeout=grace_ms / 1000 + 5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait()
        return self.proc.returncode

    def _ask_to_stop(self, grace_ms: int) -> None:
        """Shutdown, then the end of the runner's input."""
        try:
            self.send(pb.SupervisorMessage(shutdown=pb.Shutdown(grace_ms=grace_ms)))
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
