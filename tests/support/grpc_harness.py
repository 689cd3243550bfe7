"""``RunnerHarness`` over the second transport: the test serves ``RunnerSession/Connect`` (grpcio) and
the runner, started with ``--connect``, dials it. The same send/recv as over stdio, so the runner
tests run unchanged over both transports.

What the runner writes outside the channel (its stdout and stderr: in a runner started by hand
neither is the channel) is kept in ``stderr_lines``.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from supervisor.protocol import CONNECT_METHOD, RUNNER_SERVICE
from supervisor.protocol._generated import runner_pb2 as pb
from tests.support.runner_harness import RunnerHarness, runner_env

Connect = Callable[[Iterator[bytes], grpc.ServicerContext], Iterator[bytes]]


def serve_connect(
    connect: Connect, threads: int = 4, options: Sequence[tuple[str, int]] = ()
) -> tuple[grpc.Server, int]:
    """A started gRPC server on a free port of 127.0.0.1 whose ``RunnerSession/Connect`` is ``connect``
    (raw messages in and out), and the port."""
    server = grpc.server(ThreadPoolExecutor(max_workers=threads), options=options)
    handler: grpc.RpcMethodHandler[bytes, bytes] = grpc.stream_stream_rpc_method_handler(connect)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(RUNNER_SERVICE, {CONNECT_METHOD: handler}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


class GrpcRunnerHarness(RunnerHarness):
    def __init__(self, argv: Sequence[str], project: Path, env: dict[str, str] | None = None) -> None:
        self.project = project
        self._outgoing: queue.Queue[bytes | None] = queue.Queue()
        self.messages = queue.Queue()
        self.stderr_lines = []
        self.garbage = []
        self.hello_reply = pb.HelloReply()
        self.channel_end = "runner ended its call"
        self.metadata: dict[str, str] = {}
        self._server, port = serve_connect(self._connect)
        self.proc = subprocess.Popen(
            [*argv, "--connect", f"127.0.0.1:{port}", "--cookie", "harness"],
            cwd=project,
            env=env or runner_env(project),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._readers = [
            threading.Thread(target=self._read_lines, args=(self.proc.stdout,), daemon=True),
            threading.Thread(target=self._read_lines, args=(self.proc.stderr,), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_lines(self, pipe: object) -> None:
        assert pipe is not None
        for line in pipe:  # type: ignore[attr-defined]
            self.stderr_lines.append(line.decode(errors="replace").rstrip("\n"))

    def _connect(self, requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        self.metadata = {key: str(value) for key, value in context.invocation_metadata()}
        threading.Thread(target=self._read_messages, args=(requests,), daemon=True).start()
        while (payload := self._outgoing.get()) is not None:
            yield payload

    def _read_messages(self, requests: Iterator[bytes]) -> None:
        try:
            for payload in requests:
                message = pb.RunnerMessage()
                message.ParseFromString(payload)
                self.messages.put(message)
        except grpc.RpcError:  # grpcio's bare error: the call was cancelled, not ended by the runner
            self.channel_end = "runner's call was cancelled (its process went or the channel broke)"
        self.messages.put(None)
        self._outgoing.put(None)  # as the supervisor does: the runner's end of the stream ends the call

    def send(self, message: pb.SupervisorMessage) -> None:
        self._outgoing.put(message.SerializeToString())

    def close(self, grace_ms: int = 1000) -> int:
        code = self._stop(grace_ms)
        self._outgoing.put(None)
        self._server.stop(1).wait(5)
        for reader in self._readers:
            reader.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        return code

    def _ask_to_stop(self, grace_ms: int) -> None:
        self.send(pb.SupervisorMessage(shutdown=pb.Shutdown(grace_ms=grace_ms)))
