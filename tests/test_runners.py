"""What both runners do, driven byte for byte over their protocol: each behaviour once, over
TypeScript and JavaScript (the node runner) and Python (the Python runner), and over both transports
(stdio, as the supervisor starts runners; gRPC, as a runner started by hand with --connect dials in).
What only the stdio channel does (its cookie, end of stdin, bytes that are no frame) runs over stdio.

A step's source differs by language, what goes over the wire does not: each test writes its step in
node's and Python's idiom (``lang.pick(node, python)``; TypeScript and JavaScript share one source)
and expects the same messages from every runner. What only one runner has (tsx and zod, CommonJS,
Python's worker threads and pydantic, ...) is tested in test_node_runner.py and test_python_runner.py.
"""

from __future__ import annotations

import contextlib
import io
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import orjson
import pytest

from supervisor.protocol import FrameDecoder, encode_frame
from supervisor.protocol._generated import runner_pb2 as pb
from tests.conftest import TRANSPORTS, StartRunner
from tests.support.grpc_harness import serve_connect
from tests.support.runner_harness import (
    PYTHON,
    RUNNER_LANGUAGES,
    TYPESCRIPT,
    RunnerHarness,
    RunnerLanguage,
    runner_env,
    write_project,
)

API = pb.TRIGGER_KIND_API
EVENT = pb.TRIGGER_KIND_EVENT
CRON = pb.TRIGGER_KIND_CRON
AUTHENTICATE = pb.TRIGGER_KIND_AUTHENTICATE
CAN_ACCESS = pb.TRIGGER_KIND_CAN_ACCESS

#: a step behaviour: once per language
each_language = pytest.mark.parametrize("lang", RUNNER_LANGUAGES, ids=str)
#: a behaviour of the runner process itself: once per runner
each_runner = pytest.mark.parametrize("lang", [TYPESCRIPT, PYTHON], ids=lambda lang: lang.runner)
#: a behaviour of the stdio channel alone
stdio_only = pytest.mark.parametrize("runner_transport", ["stdio"])


@pytest.fixture(params=TRANSPORTS)
def runner_transport(request: pytest.FixtureRequest) -> str:
    """Every runner test here runs over both transports (conftest's ``start_runner``)."""
    transport: str = request.param
    return transport


def result_of(
    h: RunnerHarness, invocation_id: int, seen: list[pb.RunnerMessage] | None = None
) -> pb.InvokeResult:
    return h.recv_kind("result", where=lambda m: m.result.invocation_id == invocation_id, seen=seen).result


def value_of(result: pb.InvokeResult) -> object:
    assert result.ok, (result.error.name, result.error.message, result.error.stack)
    return orjson.loads(result.result_json)


def logs_in(seen: list[pb.RunnerMessage]) -> list[pb.LogRecord]:
    return [m.log for m in seen if m.WhichOneof("kind") == "log"]


def nothing_of_kind(h: RunnerHarness, kind: str, wait: float) -> list[pb.RunnerMessage]:
    """Collect what arrives within ``wait`` seconds and assert none of it is of ``kind``."""
    seen: list[pb.RunnerMessage] = []
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = h.recv(timeout=left)
        except queue.Empty:
            break
        assert message.WhichOneof("kind") != kind, message
        seen.append(message)
    return seen


# --------------------------------------------------------------------------- the runner process


@each_runner
def test_hello_reply_names_the_runner_its_runtime_and_pid(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    h = start_runner(lang, {})
    reply = h.hello_reply
    assert (reply.protocol_version, reply.language, reply.pid) == (1, lang.runner, h.proc.pid)
    assert reply.runtime.startswith(lang.pick("node v", "CPython 3."))
    h.send(pb.SupervisorMessage(ping=pb.Ping(seq=7)))
    assert h.recv_kind("pong").pong.seq == 7
    assert h.close() == 0


@each_runner
def test_without_the_cookie_a_runner_exits_2_with_one_line_on_stderr(
    tmp_path: Path, lang: RunnerLanguage
) -> None:
    env = runner_env(tmp_path)
    del env["MOTIA_RUNNER_COOKIE"]
    proc = subprocess.run(
        lang.argv(), cwd=tmp_path, env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "supervisor" in lines[0]


@stdio_only
@each_runner
def test_end_of_stdin_stops_a_runner_with_exit_0(start_runner: StartRunner, lang: RunnerLanguage) -> None:
    h = start_runner(lang, {})
    assert h.proc.stdin is not None
    h.proc.stdin.close()
    assert h.proc.wait(timeout=10) == 0


@each_runner
def test_a_runner_whose_supervisor_closed_its_pipe_exits_1_with_one_line_on_stderr(
    tmp_path: Path, lang: RunnerLanguage
) -> None:
    project = write_project(tmp_path / "project", {})
    proc = subprocess.Popen(
        lang.argv(),
        cwd=project,
        env=runner_env(project),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.stdout.close()  # the supervisor's end of the runner's output, gone; its input stays open
        hello = pb.Hello(protocol_version=1, project_root=str(project), runner_id="test-0", log_level="info")
        proc.stdin.write(encode_frame(pb.SupervisorMessage(hello=hello).SerializeToString()))
        proc.stdin.flush()  # the runner's reply meets the closed pipe
        assert proc.wait(timeout=30) == 1
        lines = proc.stderr.read().decode().strip().splitlines()
        assert len(lines) == 1 and "the supervisor's pipe closed" in lines[0], lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdin.close()
        proc.stderr.close()


@stdio_only
@each_runner
def test_bytes_that_are_not_a_frame_stop_a_runner_with_a_protocol_error(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    h = start_runner(lang, {})
    assert h.proc.stdin is not None
    h.proc.stdin.write(b"\x07hello, this is not a frame")
    h.proc.stdin.flush()
    assert h.proc.wait(timeout=10) != 0
    h.close()
    assert any("protocol error" in line for line in h.stderr_lines), h.stderr_lines


@each_runner
def test_shutdown_refuses_new_work_and_lets_in_flight_work_finish(
    start_runner: StartRunner, lang: RunnerLanguage, tmp_path: Path
) -> None:
    step = lang.step("slow")
    # the handler runs until the test makes the file ``gate``: in flight when the shutdown comes,
    # however slow the machine
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                import { existsSync } from 'node:fs'
                export const config = { type: 'event', name: 'Slow', subscribes: ['in'], emits: [] }
                export const handler = async (input) => {
                  while (!existsSync(input.gate)) await new Promise((r) => setTimeout(r, 20))
                }
                """,
                """
                import asyncio
                from pathlib import Path

                config = {"type": "event", "name": "Slow", "subscribes": ["in"], "emits": []}


                async def handler(data, context):
                    while not Path(data["gate"]).exists():
                        await asyncio.sleep(0.02)
                """,
            )
        },
    )
    assert not h.load([step]).errors
    gate = tmp_path / "gate"
    h.invoke(1, step, "Slow", EVENT, {"gate": str(gate)})
    h.send(pb.SupervisorMessage(shutdown=pb.Shutdown(grace_ms=30_000)))
    h.invoke(2, step, "Slow", EVENT, {"gate": str(gate)})
    assert not result_of(h, 2).ok  # refused: shutting down
    gate.touch()
    assert result_of(h, 1).ok
    assert h.proc.wait(timeout=10) == 0


@each_runner
def test_what_a_runner_sends_last_arrives_whole_before_it_exits(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    """A runner exits as soon as its last message is sent: large results finished in the shutdown's
    grace period still reach the supervisor whole (over gRPC, sent means written, not only handed to
    grpc)."""
    step = lang.step("big")
    size = 3 * 1024 * 1024
    h = start_runner(
        lang,
        {
            step: lang.pick(
                f"""
                export const config = {{ type: 'api', name: 'Big', path: '/big', method: 'GET', emits: [] }}
                export const handler = async () => {{
                  await new Promise((r) => setTimeout(r, 300))
                  return {{ status: 200, body: 'x'.repeat({size}) }}
                }}
                """,
                f"""
                import asyncio

                config = {{"type": "api", "name": "Big", "path": "/big", "method": "GET", "emits": []}}


                async def handler(req, context):
                    await asyncio.sleep(0.3)
                    return {{"status": 200, "body": "x" * {size}}}
                """,
            )
        },
    )
    assert not h.load([step]).errors
    invocations = (1, 2, 3, 4)
    for invocation_id in invocations:
        h.invoke(invocation_id, step, "Big", API, {"body": None})
    h.send(pb.SupervisorMessage(shutdown=pb.Shutdown(grace_ms=5000)))
    for invocation_id in invocations:
        assert value_of(result_of(h, invocation_id)) == {"status": 200, "body": "x" * size}
    assert h.proc.wait(timeout=10) == 0


class _PipeLink:
    """A runner on stdio pipes, read only when asked: a send blocks on a full pipe (thread-safe)."""

    def __init__(self, argv: list[str], project: Path) -> None:
        self.proc = subprocess.Popen(
            argv, cwd=project, env=runner_env(project), stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._decoder = FrameDecoder()
        self._pending: list[pb.RunnerMessage] = []
        self._sending = threading.Lock()  # sends come from two threads: one whole frame at a time

    def send(self, message: pb.SupervisorMessage) -> None:
        assert self.proc.stdin is not None
        with self._sending:
            self.proc.stdin.write(encode_frame(message.SerializeToString()))
            self.proc.stdin.flush()

    def recv(self) -> pb.RunnerMessage:
        assert isinstance(self.proc.stdout, io.BufferedReader)
        while not self._pending:
            chunk = self.proc.stdout.read1(65536)
            assert chunk, "the runner closed its stdout"
            self._pending += [pb.RunnerMessage.FromString(frame) for frame in self._decoder.feed(chunk)]
        return self._pending.pop(0)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]


class _GrpcLink:
    """A runner dialling a Connect call (``--connect``), its messages read only when asked: a send
    blocks while grpc takes no more of the stream (gRPC's flow control: the runner reads no more);
    thread-safe."""

    def __init__(self, argv: list[str], project: Path) -> None:
        self._outgoing: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self._calls: queue.Queue[tuple[Iterator[bytes], grpc.ServicerContext]] = queue.Queue()
        self._context: grpc.ServicerContext | None = None
        self._requests: Iterator[bytes] | None = None
        self._closed = False
        # grpc core with BDP probing would widen the window it grants the runner, taking what it sends
        # while nothing reads it: a supervisor that does not read must not be one that buffers
        self._server, port = serve_connect(self._connect, threads=2, options=[("grpc.http2.bdp_probe", 0)])
        self.stderr = project / "runner-stderr.txt"
        with self.stderr.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [*argv, "--connect", f"127.0.0.1:{port}", "--cookie", "test"],
                cwd=project,
                env=runner_env(project),
                stdin=subprocess.DEVNULL,
                stderr=stderr,
            )

    def _connect(self, requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        self._calls.put((requests, context))
        while (payload := self._outgoing.get()) is not None:
            yield payload

    def send(self, message: pb.SupervisorMessage) -> None:
        payload = message.SerializeToString()
        while not self._closed:
            with contextlib.suppress(queue.Full):
                self._outgoing.put(payload, timeout=0.1)
                return
        raise BrokenPipeError("the link is closed")

    def recv(self) -> pb.RunnerMessage:
        if self._requests is None:
            self._requests, self._context = self._calls.get(timeout=30)
        return pb.RunnerMessage.FromString(next(self._requests))

    def end(self, how: str) -> None:
        """End the call from the supervisor's side: cancel it, or stop serving altogether."""
        assert self._context is not None, "no call yet"
        if how == "cancelled":
            self._context.cancel()
        else:
            self._server.stop(0)

    def close(self) -> None:
        self._closed = True
        self.proc.kill()
        self.proc.wait()
        with contextlib.suppress(queue.Empty):
            self._outgoing.get_nowait()
        self._outgoing.put(None)
        self._server.stop(0).wait(5)


def _backpressure_project(tmp_path: Path, lang: RunnerLanguage, result_bytes: int) -> tuple[Path, str, str]:
    """A project with Big (answers ``result_bytes`` of body) and Asks (awaits a state.get reply)."""
    big, asks = lang.step("big"), lang.step("asks")
    project = write_project(
        tmp_path / "project",
        {
            big: lang.pick(
                """
                export const config = { type: 'api', name: 'Big', path: '/big', method: 'GET', emits: [] }
                export const handler = async () => ({ status: 200, body: 'x'.repeat(RESULT_BYTES) })
                """.replace("RESULT_BYTES", str(result_bytes)),
                """
                config = {"type": "api", "name": "Big", "path": "/big", "method": "GET", "emits": []}


                async def handler(req, context):
                    return {"status": 200, "body": "x" * RESULT_BYTES}
                """.replace("RESULT_BYTES", str(result_bytes)),
            ),
            asks: lang.pick(
                """
                export const config = { type: 'api', name: 'Asks', path: '/asks', method: 'GET', emits: [] }
                export const handler = async (_req: unknown, { state }: any) => ({
                  status: 200,
                  body: await state.get('g', 'k'),
                })
                """,
                """
                config = {"type": "api", "name": "Asks", "path": "/asks", "method": "GET", "emits": []}


                async def handler(req, context):
                    return {"status": 200, "body": await context.state.get("g", "k")}
                """,
            ),
        },
    )
    return project, big, asks


def _hello_and_load(link: _PipeLink | _GrpcLink, project: Path, steps: list[str]) -> None:
    link.send(pb.SupervisorMessage(hello=pb.Hello(protocol_version=1, project_root=str(project))))
    while link.recv().WhichOneof("kind") != "hello":
        pass
    link.send(pb.SupervisorMessage(load=pb.LoadFiles(request_id=1, step_files=steps)))
    while (message := link.recv()).WhichOneof("kind") != "loaded":
        pass
    assert not message.loaded.errors


def _invoke(invocation_id: int, step: str) -> pb.SupervisorMessage:
    request = pb.Invoke(invocation_id=invocation_id, file=step, kind=API, payload_json=b'{"body":null}')
    return pb.SupervisorMessage(invoke=request)


def _send_until_stalled(
    link: _PipeLink | _GrpcLink, step: str, count: int
) -> tuple[threading.Thread, Callable[[], int]]:
    """Invoke ``step`` ``count`` times from a thread of its own until the channel to the runner takes
    no more (the runner stopped reading: its output is not read); that thread, and how many it sent."""
    sent = 0

    def write_all() -> None:
        nonlocal sent
        with contextlib.suppress(BrokenPipeError):  # the runner killed at the end of a failed test
            for n in range(1, count + 1):
                link.send(_invoke(n, step))
                sent = n

    writer = threading.Thread(target=write_all, daemon=True)
    writer.start()
    # the writer stalls: a full channel to a runner that stopped reading (or, without backpressure,
    # it sends all or most of them)
    last, still_since = -1, time.monotonic()
    while time.monotonic() - still_since < 2.0:
        assert writer.is_alive(), f"all {count} requests taken while none of the results was read"
        if sent != last:
            last, still_since = sent, time.monotonic()
        time.sleep(0.1)
    return writer, lambda: sent


@each_runner
@pytest.mark.parametrize("result_bytes", [4 * 1024, 16], ids=["4KiB-results", "16B-results"])
def test_a_runner_whose_output_is_not_read_stops_reading_its_input(
    tmp_path: Path, lang: RunnerLanguage, runner_transport: str, result_bytes: int
) -> None:
    """Backpressure: while the supervisor reads nothing of what the runner sends, the runner takes no
    new work (over stdio: the pipe to it fills and the supervisor's writes block; over gRPC: the
    stream takes no more) instead of queueing every result in memory. Once read again, every result
    arrives, and a handler that was awaiting a context call meanwhile gets its reply, sent behind the
    requests the runner had not read yet: the runner reads on rather than deadlock. (What it read
    before what it sent filled the channel, up to a read's worth, it still runs.) Small results are
    bounded as large ones are: by the bytes waiting, not by a count of messages."""
    project, big, asks = _backpressure_project(tmp_path, lang, result_bytes)
    link = (_GrpcLink if runner_transport == "grpc" else _PipeLink)(lang.argv(), project)

    try:
        _hello_and_load(link, project, [big, asks])
        count = 20_000  # 80 MiB of results, if the runner took every request while nobody reads
        asking = count + 1
        link.send(_invoke(asking, asks))
        writer, sent = _send_until_stalled(link, big, count)
        assert sent() < count // 2, f"{sent()} of {count} requests taken while none of the results was read"
        # as the supervisor does, the reply goes out without holding up the reading: from a thread of
        # its own, behind the requests the writer is still sending
        replies: queue.Queue[pb.SupervisorMessage | None] = queue.Queue()
        replier = threading.Thread(target=_send_each, args=(link, replies), daemon=True)
        replier.start()
        results: dict[int, pb.InvokeResult] = {}
        while len(results) < count + 1:
            message = link.recv()
            if message.WhichOneof("kind") == "call":
                reply = pb.ContextReply(call_id=message.call.call_id, ok=True, result_json=b'"answered"')
                replies.put(pb.SupervisorMessage(context_reply=reply))
            elif message.WhichOneof("kind") == "result":
                results[message.result.invocation_id] = message.result
        assert set(results) == set(range(1, count + 2))
        # each one run, or declined (read while a turn of the runner's loop ran long: the supervisor
        # runs those elsewhere)
        assert [
            result.error.message for result in results.values() if not (result.ok or result.declined)
        ] == []
        assert orjson.loads(results[asking].result_json) == {"status": 200, "body": "answered"}
        replies.put(None)
        for thread in (writer, replier):
            thread.join(timeout=10)
            assert not thread.is_alive()
    finally:
        link.close()


@each_runner
@pytest.mark.parametrize("end", ["cancelled", "server stopped"])
def test_a_runner_paused_by_backpressure_exits_when_the_supervisor_ends_its_call(
    tmp_path: Path, lang: RunnerLanguage, end: str
) -> None:
    """Over gRPC, a runner that stopped reading because its output is not read, with a handler awaiting
    a context call's reply meanwhile, exits once the supervisor cancels its call (or stops serving),
    saying so: it neither waits for a drain that cannot come nor keeps the waiting handler alive. (The
    supervisor hands back what the runner had in flight: test_attached_runners.py.)"""
    project, big, asks = _backpressure_project(tmp_path, lang, 4 * 1024)
    link = _GrpcLink(lang.argv(), project)
    try:
        _hello_and_load(link, project, [big, asks])
        count = 20_000
        link.send(_invoke(count + 1, asks))
        _send_until_stalled(link, big, count)
        link.end(end)
        assert link.proc.wait(timeout=60) == 1
        assert "ended the session" in link.stderr.read_text(), link.stderr.read_text()
    finally:
        link.close()


def _send_each(link: _PipeLink | _GrpcLink, messages: queue.Queue[pb.SupervisorMessage | None]) -> None:
    with contextlib.suppress(BrokenPipeError):  # the runner killed at the end of a failed test
        while (message := messages.get()) is not None:
            link.send(message)


# --------------------------------------------------------------------------- loading


@each_language
def test_a_broken_file_is_a_load_error_with_its_line_and_the_others_still_load(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    syntax, throws, no_config, good = (lang.step(s) for s in ("syntax", "throws", "no-config", "good"))
    h = start_runner(
        lang,
        {
            syntax: lang.pick(
                "export const config = {\n  type: 'event',\n  name: 'Broken' subscribes: ['x'],\n}\n",
                'config = {\n    "type": "event",\n    "name": "Broken" "subscribes": ["x"],\n}\n',
            ),
            throws: lang.pick(
                """
                export const config = { type: 'event', name: 'Throws', subscribes: ['x'], emits: [] }

                throw new TypeError('missing API key')
                """,
                """
                config = {"type": "event", "name": "Throws", "subscribes": ["x"], "emits": []}

                raise TypeError("missing API key")
                """,
            ),
            no_config: lang.pick(
                "export const handler = async () => {}\n", "async def handler(data, context):\n    pass\n"
            ),
            good: lang.pick(
                """
                export const config = { type: 'event', name: 'Good', subscribes: ['x'], emits: [] }
                export const handler = async () => {}
                """,
                """
                config = {"type": "event", "name": "Good", "subscribes": ["x"], "emits": []}


                async def handler(data, context):
                    pass
                """,
            ),
        },
    )
    missing = lang.step("missing")
    result = h.load([syntax, throws, good, no_config, missing])
    assert [s.file for s in result.steps] == [good]
    assert orjson.loads(result.steps[0].config_json)["hasHandler"] is True
    errors = {e.file: e for e in result.errors}
    assert set(errors) == {syntax, throws, no_config, missing}
    assert errors[syntax].line == 3 and "SyntaxError" in errors[syntax].message
    assert (errors[throws].line, errors[throws].message) == (3, "TypeError: missing API key")
    assert throws.removeprefix("steps/") in errors[throws].stack
    assert "config" in errors[no_config].message
    assert missing.removeprefix("steps/") in errors[missing].message


@each_language
def test_loading_a_file_again_runs_its_new_code(
    start_runner: StartRunner, lang: RunnerLanguage, tmp_path: Path
) -> None:
    step = lang.step("v")
    source = lang.pick(
        """
        export const config = { type: 'event', name: 'V', subscribes: ['x'], emits: [], version: VERSION }
        export const handler = async (input, { logger }) => { logger.info('version VERSION') }
        """,
        """
        config = {"type": "event", "name": "V", "subscribes": ["x"], "emits": [], "version": VERSION}


        async def handler(data, context):
            context.logger.info("version VERSION")
        """,
    )
    h = start_runner(lang, {step: source.replace("VERSION", "1")})
    assert orjson.loads(h.load([step]).steps[0].config_json)["version"] == 1
    write_project(tmp_path / "project", {step: source.replace("VERSION", "2")})
    assert orjson.loads(h.load([step], request_id=2).steps[0].config_json)["version"] == 2
    h.invoke(1, step, "V", EVENT, {})
    seen: list[pb.RunnerMessage] = []
    assert result_of(h, 1, seen).ok
    assert [log.message for log in logs_in(seen)] == ["version 2"]


# --------------------------------------------------------------------------- invoking


@each_language
def test_api_middleware_runs_in_order_around_the_handler_and_may_answer_itself(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("api")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                const auth = async (req, ctx, next) => {
                  if (!req.headers.authorization) return { status: 401, body: { error: 'no token' } }
                  req.user = { id: 'u1' }
                  return next()
                }
                async function stamp(req, ctx, next) {
                  const res = await next()
                  return { ...res, headers: { ...res.headers, 'x-request-id': ctx.traceId } }
                }
                export const config = {
                  type: 'api', name: 'Get', path: '/items/:id', method: 'POST', emits: [],
                  middleware: [auth, stamp],
                }
                export const handler = async (req, ctx) => ({
                  status: 200,
                  body: { id: req.pathParams.id, page: req.queryParams.page, name: req.body.name, user: req.user },
                  headers: { 'cache-control': 'no-store' },
                })
                """,
                """
                async def auth(req, context, next_fn):
                    if not req.headers.get("authorization"):
                        return {"status": 401, "body": {"error": "no token"}}
                    req.user = {"id": "u1"}
                    return await next_fn()


                async def stamp(req, context, next_fn):
                    res = await next_fn()
                    return {**res, "headers": {**res.get("headers", {}), "x-request-id": context.trace_id}}


                config = {
                    "type": "api", "name": "Get", "path": "/items/:id", "method": "POST", "emits": [],
                    "middleware": [auth, stamp],
                }


                async def handler(req, context):
                    return {
                        "status": 200,
                        "body": {
                            "id": req.pathParams["id"],
                            "page": req.queryParams["page"],
                            "name": req.body["name"],
                            "user": req.user,
                        },
                        "headers": {"cache-control": "no-store"},
                    }
                """,
            )
        },
    )
    loaded = h.load([step])
    assert orjson.loads(loaded.steps[0].config_json)["middleware"] == ["auth", "stamp"]
    request = {
        "body": {"name": "Rex"},
        "headers": {"authorization": "Bearer x"},
        "pathParams": {"id": "42"},
        "queryParams": {"page": "2"},
    }
    h.invoke(1, step, "Get", API, request, trace_id="tr-9")
    assert value_of(result_of(h, 1)) == {
        "status": 200,
        "body": {"id": "42", "page": "2", "name": "Rex", "user": {"id": "u1"}},
        "headers": {"cache-control": "no-store", "x-request-id": "tr-9"},
    }
    h.invoke(2, step, "Get", API, {**request, "headers": {}})
    assert value_of(result_of(h, 2)) == {"status": 401, "body": {"error": "no token"}}


@each_language
def test_a_handler_that_throws_is_a_failed_result_with_its_name_message_and_stack(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("fail")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'event', name: 'Fail', subscribes: ['in'], emits: [] }
                class PaymentError extends Error { name = 'PaymentError' }
                export const handler = async () => {
                  throw new PaymentError('card declined')
                }
                """,
                """
                config = {"type": "event", "name": "Fail", "subscribes": ["in"], "emits": []}
                class PaymentError(Exception): pass
                async def handler(data, context):
                    raise PaymentError("card declined")
                """,
            )
        },
    )
    assert not h.load([step]).errors
    h.invoke(1, step, "Fail", EVENT, {})
    failed = result_of(h, 1)
    assert (failed.ok, failed.error.name, failed.error.message) == (False, "PaymentError", "card declined")
    file = step.removeprefix("steps/")
    assert lang.pick(f"{file}:4", f'{file}", line 4') in failed.error.stack
    h.invoke(2, lang.step("not-loaded"), "Nope", EVENT, {})
    assert not result_of(h, 2).ok


@each_language
def test_an_emit_left_unawaited_is_sent_and_the_result_waits_for_its_reply(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("ev")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'event', name: 'Ev', subscribes: ['in'], emits: ['out'] }
                export const handler = async (input, { emit }) => {
                  emit({ topic: 'out', data: { n: input.n + 1 }, messageGroupId: 'g1' })
                }
                """,
                # a plain def runs in a worker thread; its emit is sent all the same
                """
                config = {"type": "event", "name": "Ev", "subscribes": ["in"], "emits": ["out"]}


                def handler(input_data, context):
                    context["emit"]({"topic": "out", "data": {"n": input_data["n"] + 1}, "messageGroupId": "g1"})
                """,
            )
        },
    )
    assert not h.load([step]).errors
    h.invoke(5, step, "Ev", EVENT, {"n": 1}, trace_id="t-5", topic="in")
    call = h.recv_kind("call").call
    assert (call.method, call.invocation_id, call.trace_id, call.step_name) == ("emit", 5, "t-5", "Ev")
    assert orjson.loads(call.args_json) == [{"topic": "out", "data": {"n": 2}, "messageGroupId": "g1"}]
    nothing_of_kind(h, "result", 0.5)  # not before the call is answered
    h.reply(call.call_id, None)
    assert value_of(result_of(h, 5)) is None


@each_language
def test_a_call_made_after_the_result_keeps_the_invocations_trace_and_step(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("late")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'event', name: 'Late', subscribes: ['in'], emits: ['later'] }
                export const handler = async (input, { emit, logger }) => {
                  setTimeout(async () => {
                    await emit({ topic: 'later', data: input })
                    logger.info('emitted later')
                  }, 300)
                }
                """,
                """
                import asyncio

                config = {"type": "event", "name": "Late", "subscribes": ["in"], "emits": ["later"]}


                async def handler(input_data, context):
                    async def later():
                        await asyncio.sleep(0.3)
                        await context.emit({"topic": "later", "data": input_data})
                        context.logger.info("emitted later")

                    asyncio.create_task(later())
                """,
            )
        },
    )
    assert not h.load([step]).errors
    h.invoke(3, step, "Late", EVENT, {"x": 1}, trace_id="trace-late")
    assert result_of(h, 3).ok
    call = h.recv_kind("call", timeout=5).call
    assert (call.method, call.invocation_id, call.trace_id, call.step_name) == (
        "emit",
        3,
        "trace-late",
        "Late",
    )
    assert orjson.loads(call.args_json) == [{"topic": "later", "data": {"x": 1}}]
    h.reply(call.call_id, None)
    log = h.recv_kind("log", where=lambda m: m.log.message == "emitted later").log
    assert (log.invocation_id, log.trace_id, log.step_name) == (3, "trace-late", "Late")


@each_language
def test_state_and_stream_calls_go_out_in_order_their_replies_come_back_and_a_refused_call_throws(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step, stream = lang.step("calls"), lang.stream("todo")
    h = start_runner(
        lang,
        {
            stream: lang.pick(
                "export const config = { name: 'todo', schema: { type: 'object' } }\n",
                'config = {"name": "todo", "schema": {"type": "object"}}\n',
            ),
            step: lang.pick(
                """
                export const config = { type: 'api', name: 'Calls', path: '/calls', method: 'POST', emits: [] }
                export const handler = async (req, { state, streams, traceId }) => {
                  const stored = await state.set(traceId, 'k', { a: 1 })
                  const got = await state.get(traceId, 'k')
                  const group = await state.getGroup(traceId)
                  await state.delete(traceId, 'k')
                  await state.clear(traceId)
                  const item = await streams.todo.set('inbox', 't1', { title: 'x' })
                  await streams.todo.get('inbox', 't1')
                  const items = await streams.todo.getGroup('inbox')
                  await streams.todo.delete('inbox', 't1')
                  await streams.todo.send({ groupId: 'inbox' }, { type: 'typing', data: {} })
                  await streams.undeclared.get('g', 'i')
                  try {
                    await state.get('g', 'missing')
                  } catch (e) {
                    return { status: 200, body: [stored, got, group, item, items, e.message] }
                  }
                  throw new Error('expected state.get to fail')
                }
                """,
                # Python's idioms name the same calls: get_group, streams["name"], trace_id
                """
                config = {"type": "api", "name": "Calls", "path": "/calls", "method": "POST", "emits": []}


                async def handler(req, context):
                    state, trace_id = context.state, context.trace_id
                    stored = await state.set(trace_id, "k", {"a": 1})
                    got = await state.get(trace_id, "k")
                    group = await state.get_group(trace_id)
                    await state.delete(trace_id, "k")
                    await state.clear(trace_id)
                    item = await context.streams.todo.set("inbox", "t1", {"title": "x"})
                    await context.streams["todo"].get("inbox", "t1")
                    items = await context.streams.todo.getGroup("inbox")
                    await context.streams.todo.delete("inbox", "t1")
                    await context.streams.todo.send({"groupId": "inbox"}, {"type": "typing", "data": {}})
                    await context.streams.undeclared.get("g", "i")
                    try:
                        await state.get("g", "missing")
                    except Exception as exc:
                        return {"status": 200, "body": [stored, got, group, item, items, str(exc)]}
                    raise AssertionError("expected state.get to fail")
                """,
            ),
        },
    )
    assert not h.load([step], [stream]).errors
    h.invoke(1, step, "Calls", API, {"body": None}, trace_id="T")
    expected = [
        ("state.set", ["T", "k", {"a": 1}], {"a": 1}),
        ("state.get", ["T", "k"], {"a": 1}),
        ("state.getGroup", ["T"], [{"a": 1}]),
        ("state.delete", ["T", "k"], None),
        ("state.clear", ["T"], None),
        ("streams.set", ["todo", "inbox", "t1", {"title": "x"}], {"id": "t1", "title": "x"}),
        ("streams.get", ["todo", "inbox", "t1"], None),
        ("streams.getGroup", ["todo", "inbox"], [{"id": "t1", "title": "x"}]),
        ("streams.delete", ["todo", "inbox", "t1"], None),
        ("streams.send", ["todo", {"groupId": "inbox"}, {"type": "typing", "data": {}}], None),
        ("streams.get", ["undeclared", "g", "i"], None),
    ]
    for method, args, reply in expected:
        call = h.recv_kind("call").call
        assert (call.method, orjson.loads(call.args_json)) == (method, args)
        h.reply(call.call_id, reply)
    call = h.recv_kind("call").call
    assert call.method == "state.get"
    h.reply(call.call_id, error="state backend unavailable")
    assert value_of(result_of(h, 1)) == {
        "status": 200,
        "body": [
            {"a": 1},
            {"a": 1},
            [{"a": 1}],
            {"id": "t1", "title": "x"},
            [{"id": "t1", "title": "x"}],
            "state backend unavailable",
        ],
    }


@each_language
def test_invocations_run_concurrently_and_pings_are_answered_meanwhile(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("c")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'api', name: 'C', path: '/c', method: 'POST', emits: [] }
                export const handler = async (req, { state }) => {
                  const v = await state.get('g', String(req.body.i))
                  return { status: 200, body: { i: req.body.i, v } }
                }
                """,
                """
                config = {"type": "api", "name": "C", "path": "/c", "method": "POST", "emits": []}


                async def handler(req, context):
                    v = await context.state.get("g", str(req.body["i"]))
                    return {"status": 200, "body": {"i": req.body["i"], "v": v}}
                """,
            )
        },
    )
    assert not h.load([step]).errors
    n = 50
    for i in range(1, n + 1):
        h.invoke(i, step, "C", API, {"body": {"i": i}}, trace_id=f"t{i}")
    # every handler waits on its call at once, none answered yet: nothing is serialised
    calls = [h.recv_kind("call").call for _ in range(n)]
    assert sorted(c.invocation_id for c in calls) == list(range(1, n + 1))
    h.send(pb.SupervisorMessage(ping=pb.Ping(seq=99)))
    assert h.recv_kind("pong").pong.seq == 99
    for c in calls:
        h.reply(c.call_id, c.invocation_id * 10)
    results: dict[int, object] = {}
    while len(results) < n:
        r = h.recv_kind("result").result
        results[r.invocation_id] = value_of(r)
    assert results == {i: {"status": 200, "body": {"i": i, "v": i * 10}} for i in range(1, n + 1)}


@each_language
def test_cancel_answers_at_once_and_a_late_reply_is_harmless(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("wait")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'event', name: 'Wait', subscribes: ['in'], emits: [] }
                export const handler = async (input, { state }) => { await state.get('g', 'k') }
                """,
                """
                config = {"type": "event", "name": "Wait", "subscribes": ["in"], "emits": []}


                async def handler(input_data, context):
                    await context.state.get("g", "k")
                """,
            )
        },
    )
    assert not h.load([step]).errors
    h.invoke(1, step, "Wait", EVENT, {})
    call = h.recv_kind("call").call
    h.send(pb.SupervisorMessage(cancel=pb.Cancel(invocation_id=1, reason="timeout after 30s")))
    cancelled = result_of(h, 1)
    assert (cancelled.ok, cancelled.error.message) == (False, "cancelled: timeout after 30s")
    h.reply(call.call_id, None)  # late
    nothing_of_kind(h, "result", 0.3)
    h.send(pb.SupervisorMessage(ping=pb.Ping(seq=1)))
    assert h.recv_kind("pong").pong.seq == 1


# --------------------------------------------------------------------------- logs and the channel


@each_language
def test_logger_calls_become_log_records_tagged_with_the_invocation(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("log")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'event', name: 'Log', subscribes: ['in'], emits: [] }
                export const handler = async (input, { logger }) => {
                  console.log('plain')
                  logger.info('structured', { orderId: '123' })
                  logger.warn('number meta', 42)
                  logger.debug('hidden below the info level')
                  logger.error('failed', new RangeError('out of range'))
                }
                """,
                """
                config = {"type": "event", "name": "Log", "subscribes": ["in"], "emits": []}


                async def handler(input_data, context):
                    print("plain")
                    context.logger.info("structured", {"orderId": "123"})
                    context.logger.warn("number meta", 42)
                    context.logger.debug("hidden below the info level")
                    try:
                        raise ValueError("out of range")
                    except ValueError as exc:
                        context.logger.error("failed", exc)
                """,
            )
        },
        log_level="info",
    )
    assert not h.load([step]).errors
    h.invoke(1, step, "Log", EVENT, {}, trace_id="trace-log")
    seen: list[pb.RunnerMessage] = []
    assert result_of(h, 1, seen).ok
    logs = logs_in(seen)
    assert [(log.level, log.message) for log in logs] == [
        ("info", "plain"),
        ("info", "structured"),
        ("warn", "number meta"),
        ("error", "failed"),
    ]
    for log in logs:
        assert (log.invocation_id, log.trace_id, log.step_name) == (1, "trace-log", "Log")
        assert log.time_ms > 1.6e12
    assert logs[0].meta_json == b""
    assert orjson.loads(logs[1].meta_json) == {"orderId": "123"}
    assert orjson.loads(logs[2].meta_json) == {"data": 42}
    error = orjson.loads(logs[3].meta_json)
    assert (error["name"], error["message"]) == (lang.pick("RangeError", "ValueError"), "out of range")
    assert step.removeprefix("steps/") in error["stack"]


@each_language
def test_a_log_argument_that_is_not_an_object_is_the_data_field_as_motias_python_logger_has_it(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    # Motia 0.17's Python logger logs ``{"data": arg}`` (its Node logger spreads a string into one
    # field per character and a number into none); ours do as the Python one, in every language, and
    # keep a falsy one, which Motia drops. A child logger's bound fields stay beside it.
    step = lang.step("logdata")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'event', name: 'LogData', subscribes: ['in'], emits: [] }
                export const handler = async (input, { logger }) => {
                  logger.info('a string', 'text')
                  logger.info('a number', 42)
                  logger.info('a list', ['a'])
                  logger.info('zero', 0)
                  logger.info('fields', { a: 1 })
                  logger.child({ step: 'bound' }).info('bound', 'text')
                }
                """,
                """
                from types import SimpleNamespace

                config = {"type": "event", "name": "LogData", "subscribes": ["in"], "emits": []}


                async def handler(input_data, context):
                    context.logger.info("a string", "text")
                    context.logger.info("a number", 42)
                    context.logger.info("a list", ["a"])
                    context.logger.info("zero", 0)
                    context.logger.info("fields", SimpleNamespace(a=1))
                    context.logger.info("bound", "text", step="bound")
                """,
            )
        },
        log_level="info",
    )
    assert not h.load([step]).errors
    h.invoke(1, step, "LogData", EVENT, {}, trace_id="trace-logdata")
    seen: list[pb.RunnerMessage] = []
    assert result_of(h, 1, seen).ok
    assert [(log.message, orjson.loads(log.meta_json)) for log in logs_in(seen)] == [
        ("a string", {"data": "text"}),
        ("a number", {"data": 42}),
        ("a list", {"data": ["a"]}),
        ("zero", {"data": 0}),
        ("fields", {"a": 1}),
        ("bound", {"step": "bound", "data": "text"}),
    ]


@each_language
def test_critical_records_are_above_error_and_a_critical_threshold_keeps_only_them(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("critical")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                export const config = { type: 'event', name: 'Critical', subscribes: ['in'], emits: [] }
                export const handler = async (input, { logger }) => {
                  logger.error('below the threshold')
                  console.error('below it too')
                  logger.critical('disk full', { free: 0 })
                  logger.log({ level: 'fatal', msg: 'gave up', attempts: 3 })
                }
                """,
                """
                import logging

                config = {"type": "event", "name": "Critical", "subscribes": ["in"], "emits": []}


                async def handler(input_data, context):
                    context.logger.error("below the threshold")
                    logging.error("below it too")
                    context.logger.critical("disk full", {"free": 0})
                    logging.getLogger("retry").critical("gave up", extra={"attempts": 3})
                """,
            )
        },
        log_level="critical",
    )
    assert not h.load([step]).errors
    h.invoke(1, step, "Critical", EVENT, {})
    seen: list[pb.RunnerMessage] = []
    assert result_of(h, 1, seen).ok
    logs = logs_in(seen)
    assert [(log.level, log.message) for log in logs] == [("critical", "disk full"), ("critical", "gave up")]
    assert orjson.loads(logs[0].meta_json) == {"free": 0}
    named = {} if lang.runner == "node" else {"logger": "retry"}  # a logging record's logger, unless root
    assert orjson.loads(logs[1].meta_json) == {"attempts": 3, **named}


@each_language
def test_writes_to_stdout_go_to_stderr_and_never_corrupt_the_channel(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    step = lang.step("noisy")
    h = start_runner(
        lang,
        {
            step: lang.pick(
                """
                process.stdout.write('import-time noise\\n')
                export const config = { type: 'api', name: 'Noisy', path: '/n', method: 'GET', emits: [] }
                export const handler = async () => {
                  process.stdout.write('handler noise\\n')
                  process.stdout.write(Buffer.from([0, 0, 0, 0, 9, 1, 2, 3]))
                  return { status: 200, body: 'ok' }
                }
                """,
                """
                import os

                os.write(1, b"import-time noise\\n")
                config = {"type": "api", "name": "Noisy", "path": "/n", "method": "GET", "emits": []}


                def handler(req, context):
                    os.write(1, b"handler noise\\n")
                    os.write(1, bytes([0, 0, 0, 0, 9, 1, 2, 3]))
                    return {"status": 200, "body": "ok"}
                """,
            )
        },
    )
    assert not h.load([step]).errors
    for i in (1, 2):
        h.invoke(i, step, "Noisy", API, {"body": None})
        assert value_of(result_of(h, i)) == {"status": 200, "body": "ok"}
    h.send(pb.SupervisorMessage(ping=pb.Ping(seq=1)))
    assert h.recv_kind("pong").pong.seq == 1
    assert h.close() == 0
    assert not h.garbage
    assert "import-time noise" in h.stderr_lines
    assert any(line.startswith("handler noise") for line in h.stderr_lines)


# --------------------------------------------------------------------------- stream auth hooks


@each_language
def test_authenticate_and_can_access_hooks_run_with_a_context_and_fail_closed(
    start_runner: StartRunner, lang: RunnerLanguage
) -> None:
    hook = lang.pick(f"motia.auth.{lang.name}", "motia_auth.py")
    empty_hook = f"steps/{hook}"
    secured, exploding, open_ = (lang.stream(s) for s in ("secured", "exploding", "open"))
    h = start_runner(
        lang,
        {
            hook: lang.pick(
                """
                export const authenticate = async (request, { state, logger }) => {
                  logger.info('authenticating', { url: request.url })
                  if (request.token === 'boom') throw new TypeError('bad token shape')
                  return await state.get('sessions', request.headers['x-session'])
                }
                """,
                """
                async def authenticate(request, context):
                    context.logger.info("authenticating", {"url": request.url})
                    if request.token == "boom":
                        raise TypeError("bad token shape")
                    return await context.state.get("sessions", request.headers["x-session"])
                """,
            ),
            empty_hook: lang.pick("export const nothing = 1\n", "nothing = 1\n"),
            secured: lang.pick(
                """
                export const config = {
                  name: 'secured',
                  schema: {},
                  canAccess: (subscription, authContext) => subscription.groupId === authContext?.userId,
                }
                """,
                """
                def can_access(subscription, auth_context):
                    return auth_context is not None and subscription.groupId == auth_context.get("userId")


                config = {"name": "secured", "schema": {}, "canAccess": can_access}
                """,
            ),
            exploding: lang.pick(
                """
                export const config = { name: 'exploding', canAccess: async () => { throw new Error('no access today') } }
                """,
                """
                async def explode(subscription, auth_context):
                    raise RuntimeError("no access today")


                config = {"name": "exploding", "canAccess": explode}
                """,
            ),
            open_: lang.pick("export const config = { name: 'open' }\n", 'config = {"name": "open"}\n'),
        },
    )
    loaded = h.load([], [secured, exploding, open_], hook_files=[hook, empty_hook])
    assert not loaded.errors, [(e.file, e.message) for e in loaded.errors]
    assert {hook.file: orjson.loads(hook.config_json) for hook in loaded.hooks} == {
        hook: {"exports": ["authenticate"]},
        empty_hook: {"exports": []},
    }
    can_access_names = {s.file: orjson.loads(s.config_json).get("canAccess") for s in loaded.streams}
    assert can_access_names == {
        secured: lang.pick("canAccess", "can_access"),
        exploding: lang.pick("canAccess", "explode"),
        open_: None,
    }

    request = {"url": "ws://h/", "headers": {"x-session": "s1"}, "query": {}, "token": "good"}
    seen: list[pb.RunnerMessage] = []
    h.invoke(1, hook, "authenticate", AUTHENTICATE, [request])
    call = h.recv_kind("call", seen=seen).call
    assert (call.method, orjson.loads(call.args_json), call.step_name) == (
        "state.get",
        ["sessions", "s1"],
        "authenticate",
    )
    h.reply(call.call_id, {"userId": "from-state"})
    assert value_of(result_of(h, 1, seen)) == {"userId": "from-state"}
    assert [log.message for log in logs_in(seen)] == ["authenticating"]
    h.invoke(2, hook, "authenticate", AUTHENTICATE, [{**request, "token": "boom"}])
    failed = result_of(h, 2)
    assert (failed.ok, failed.error.name, failed.error.message) == (False, "TypeError", "bad token shape")
    h.invoke(3, empty_hook, "authenticate", AUTHENTICATE, [request])
    assert not result_of(h, 3).ok  # the file exports no authenticate

    def can_access(invocation_id: int, file: str, group: str, context: object) -> pb.InvokeResult:
        subscription = {"streamName": "secured", "groupId": group}
        h.invoke(invocation_id, file, "secured.canAccess", CAN_ACCESS, [subscription, context])
        return result_of(h, invocation_id)

    assert value_of(can_access(10, secured, "u1", {"userId": "u1"})) is True
    assert value_of(can_access(11, secured, "u2", {"userId": "u1"})) is False
    assert value_of(can_access(12, secured, "u1", None)) is False
    thrown = can_access(13, exploding, "g", None)
    assert (thrown.ok, thrown.error.message) == (False, "no access today")
    assert not can_access(14, open_, "g", None).ok  # no canAccess to run
    assert not can_access(15, lang.stream("never-loaded"), "g", None).ok
