"""One live runner process: spawn, handshake, load, invoke, context calls, stop.

The conversation itself (framing, messages, which request an answer belongs to) is
``supervisor.protocol.RunnerSession``, which does no I/O; this module is the thin asyncio
transport around it: a pipe each way, a future per request, and a task per context call that has to
wait (one whose handler returns its result is answered at once).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson

from supervisor.logs import log_event
from supervisor.protocol import (
    PROTOCOL_VERSION,
    Answer,
    Answered,
    ContextCall,
    FramingError,
    HelloReply,
    InvokeResult,
    LoadResult,
    LogRecord,
    Pong,
    ProtocolError,
    RunnerSession,
    SessionEvent,
    TriggerKind,
    encode_context_reply,
    encode_shutdown,
)
from supervisor.runners._debug_adapter import ADAPTER_OWNER_ENV, end_adapters
from supervisor.runners._errors import (
    ContextCallError,
    InvocationDeclined,
    InvocationTimeout,
    RunnerDied,
    RunnerUnavailable,
)
from supervisor.runners._spec import RUNNER_COOKIE, RunnerSpec

#: answers a context call: its result (a JSON value), or an awaitable of it when the call must wait; a
#: failed call raises (ContextCallError: the runner gets its message)
ContextCallHandler = Callable[[ContextCall], object]

#: the runner process (``node-0``) whose context call is being answered, set while its handler runs
#: (and in the task it starts, a copy of the context): a line the core writes about the call carries
#: it as the runner's own lines do, so that it shows when the logs are read by runner
calling_runner: ContextVar[str | None] = ContextVar("calling_runner", default=None)


@dataclass(frozen=True, slots=True)
class InFlight:
    """An invocation sent to the runner and not answered yet: what a stalled loop's report names."""

    invocation_id: int
    step_name: str
    trace_id: str
    #: when it was sent (event loop time)
    sent_at: float
    timeout: float | None


class _RunnerProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """asyncio's subprocess protocol, except that what the runner writes to stdout goes straight to
    ``on_stdout``, in the pipe's own callback: frames are decoded as they arrive rather than by a task
    that a StreamReader wakes, one task step and one loop turn fewer for every answer and context
    call. ``stdout_closed`` resolves once the runner's stdout is closed (all of it has been handed over).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_stdout: Callable[[bytes], None],
        stdout_closed: asyncio.Future[None],
    ) -> None:
        super().__init__(limit=1 << 20, loop=loop)
        self._on_stdout = on_stdout
        self._stdout_closed = stdout_closed

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        if fd == 1:
            self._on_stdout(data if isinstance(data, bytes) else data.encode())
        else:
            super().pipe_data_received(fd, data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        super().pipe_connection_lost(fd, exc)
        if fd == 1 and not self._stdout_closed.done():
            self._stdout_closed.set_result(None)


class _Expired(Exception):
    """An invocation's timer ran out (internal: turned into InvocationTimeout)."""


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(_Expired())


T = TypeVar("T")

#: how long the frames still in the pipe are read once a runner has exited on its own, or been killed
_DRAIN_EXITED = 2.0
_DRAIN_KILLED = 0.25

_logger = logging.getLogger("motia.runner")
#: the lines Node's inspector writes to stderr by itself
_DEBUGGER_CHATTER = re.compile(
    r"^(Debugger listening on |For help, see: https://nodejs\.org/|Debugger attached\.|"
    r"Debugger ending on |Waiting for the debugger to disconnect)",
    re.MULTILINE,
)
_user_logger = logging.getLogger("motia.step")
#: terminal escape sequences (colours, cursor moves; OSC titles and links): a library that colours
#: its output whatever it writes to (envalid's report of missing variables, in trello-flow) left them
#: in the record, shown as '[33m' in the Workbench's Logs and in `motia start`'s JSON lines
_TERMINAL_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-~])")


def _plain(text: str) -> str:
    """``text`` without terminal escape sequences: a log record is text, read in any viewer."""
    return _TERMINAL_ESCAPES.sub("", text) if "\x1b" in text else text


class RunnerConnection:
    #: how the supervisor talks to it: "stdio" (a child process it started) or "grpc" (attached)
    transport = "stdio"

    def __init__(
        self,
        spec: RunnerSpec,
        runner_id: str,
        project_root: Path,
        log_level: str,
        on_context_call: ContextCallHandler,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        #: what this one runner gets on top of its spec's environment (its debugger's address)
        self._env = dict(env or {})
        self.runner_id = runner_id
        #: when it was started or attached (monotonic clock), for its uptime
        self.started_at = time.monotonic()
        self._root = project_root
        self._log_level = log_level
        self._on_context_call = on_context_call
        self._proc: asyncio.subprocess.Process | None = None
        # Every request waits on a future of the answer's type; the session only sees Answer.
        self._session: RunnerSession[asyncio.Future[Any]] = RunnerSession()
        self._in_flight: dict[int, InFlight] = {}
        #: the invocation a kill blames (a loop it blocked), for RunnerDied.seen_by
        self._culprit: int | None = None
        self._call_tasks: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()
        self.close_reason = ""
        # False once the supervisor itself ends the runner: its death is then nobody's fault.
        self._fault = True
        # True once the supervisor has killed it: nothing it still writes is worth waiting for.
        self._killed = False
        self.hello: HelloReply | None = None
        #: the loop it was started on: ``asyncio.get_running_loop()`` is a ``getpid`` system call
        #: in CPython 3.11, one per request saved here (bench/RESULTS.md, session 12)
        self._loop: asyncio.AbstractEventLoop | None = None
        #: resolves once the runner's stdout is closed and everything it wrote there was taken
        self._stdout_closed: asyncio.Future[None] | None = None
        #: stdout is no stream of frames any more (the runner is being killed for it)
        self._garbled = False
        self._stderr_reader: asyncio.Task[None] | None = None
        #: held, never read: the event loop keeps only a weak reference to a running task
        self._waiter: asyncio.Task[None] | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        #: while a chunk of the runner's output is being taken, the replies to its calls, written at
        #: its end together (one write and one wake-up of the runner, not one per call)
        self._replies: list[bytes] | None = None

    # -------------------------------------------------------------- lifecycle

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def in_flight(self) -> int:
        return self._session.in_flight

    @property
    def alive(self) -> bool:
        return self._proc is not None and not self._closed.is_set()

    @property
    def watches_loop(self) -> bool:
        """Its Pongs come from outside its event loop and report a stalled loop."""
        return self.hello is not None and self.hello.watches_loop

    def invocations(self) -> list[InFlight]:
        """The invocations in flight, oldest first."""
        return list(self._in_flight.values())

    def invocation(self, invocation_id: int) -> InFlight | None:
        return self._in_flight.get(invocation_id)

    async def start(self, timeout: float = 30.0) -> HelloReply:
        self._loop = asyncio.get_running_loop()
        await self._open()
        return await self._handshake(timeout)

    async def _open(self) -> None:
        """Start the runner process and read what it writes."""
        env = dict(os.environ)
        env.update(self.spec.env)
        env.update(self._env)
        env["MOTIA_RUNNER_COOKIE"] = RUNNER_COOKIE
        env["MOTIA_PROJECT_ROOT"] = str(self._root)
        env["MOTIA_RUNNER_ID"] = self.runner_id
        loop = asyncio.get_running_loop()
        stdout_closed: asyncio.Future[None] = loop.create_future()
        self._stdout_closed = stdout_closed
        transport, protocol = await loop.subprocess_exec(
            lambda: _RunnerProtocol(loop, self._read_frames, stdout_closed),
            *self.spec.argv,
            cwd=self._root,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Ctrl-C in a terminal signals the whole foreground process group; the
            # supervisor shuts runners down itself, in order, so keep them out of it.
            # A runner whose supervisor vanishes sees EOF on stdin and exits.
            start_new_session=True,
        )
        self._proc = asyncio.subprocess.Process(transport, protocol, loop)
        self.started_at = time.monotonic()  # from its process's start
        self._stderr_reader = asyncio.create_task(self._read_stderr(), name=f"{self.runner_id}-stderr")
        self._waiter = asyncio.create_task(self._wait_exit(), name=f"{self.runner_id}-wait")

    async def _handshake(self, timeout: float) -> HelloReply:
        hello_reply: asyncio.Future[HelloReply] = asyncio.get_running_loop().create_future()
        # A runner that exits at once (a broken interpreter) is reported below, with its last words.
        with contextlib.suppress(RunnerDied):
            self._send(self._session.hello(hello_reply, str(self._root), self.runner_id, self._log_level))
        try:
            hello = await self._await_or_closed(hello_reply, timeout, "handshake")
        except BaseException:
            await self.kill("no handshake")
            raise
        if hello.protocol_version != PROTOCOL_VERSION:
            await self.kill("protocol version mismatch")
            raise RunnerUnavailable(
                f"{self.runner_id} speaks protocol version {hello.protocol_version}; "
                f"this supervisor speaks {PROTOCOL_VERSION}"
            )
        self.hello = hello
        return hello

    async def load(
        self,
        step_files: Sequence[str],
        stream_files: Sequence[str],
        timeout: float | None = 120.0,
        hook_files: Sequence[str] = (),
    ) -> LoadResult:
        future: asyncio.Future[LoadResult] = asyncio.get_running_loop().create_future()
        request_id, frame = self._session.load(future, step_files, stream_files, hook_files)
        try:
            self._send(frame)
            result = await self._await_or_closed(future, timeout, "loading step files")
        finally:
            self._session.forget_load(request_id)
        _step_of_file.update(
            (str(self._root / loaded.file), _step_name(loaded.config_json)) for loaded in result.steps
        )
        return result

    def ping(self) -> tuple[int, asyncio.Future[Pong]]:
        """Send a Ping; its Pong resolves the future (``forget_ping`` once done with it)."""
        future: asyncio.Future[Pong] = asyncio.get_running_loop().create_future()
        seq, frame = self._session.ping(future)
        try:
            self._send(frame)
        except RunnerUnavailable:
            self._session.forget_ping(seq)
            raise
        return seq, future

    def forget_ping(self, seq: int) -> None:
        self._session.forget_ping(seq)

    async def wait_closed(self) -> str:
        await self._closed.wait()
        return self.close_reason

    async def stop(self, grace: float, reason: str = "") -> None:
        """Ask the runner to finish in-flight work and exit; kill it after the grace period."""
        if self._proc is None or self._closed.is_set():
            return
        self._fault = False
        self.close_reason = self.close_reason or reason
        with contextlib.suppress(RunnerUnavailable):
            self._send(encode_shutdown(int(grace * 1000)))
        if self._proc.stdin is not None:
            with contextlib.suppress(Exception):
                self._proc.stdin.close()
        try:
            await asyncio.wait_for(self._closed.wait(), grace + 2.0)
        except TimeoutError:
            await self.kill("did not exit after shutdown")

    async def kill(self, reason: str, *, fault: bool = True, culprit: int | None = None) -> None:
        """``culprit``: the invocation known to cause the kill; the others in flight are bystanders."""
        self._terminate(reason, fault=fault, culprit=culprit)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._closed.wait(), 5.0)

    def _terminate(self, reason: str, *, fault: bool = True, culprit: int | None = None) -> None:
        """SIGKILL the runner; ``_wait_exit`` answers what was in flight as soon as it is gone."""
        if self._proc is None:
            return
        if not self.close_reason:
            self.close_reason = reason
            self._fault = self._fault and fault
            self._culprit = culprit
        self._killed = True
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()

    # -------------------------------------------------------------- invocations

    async def invoke(
        self,
        file: str,
        step_name: str,
        kind: TriggerKind,
        payload_json: bytes,
        trace_id: str,
        topic: str = "",
        timeout: float | None = None,
    ) -> InvokeResult:
        if self._closed.is_set():
            raise RunnerDied(f"{self.runner_id} is not running")
        loop = self._loop or asyncio.get_running_loop()
        future: asyncio.Future[InvokeResult] = loop.create_future()
        invocation_id, frame = self._session.invoke(
            future, file, step_name, kind, payload_json, trace_id, topic
        )
        self._in_flight[invocation_id] = InFlight(invocation_id, step_name, trace_id, loop.time(), timeout)
        # A plain timer rather than wait_for(shield(...)): this is the hot path of every
        # request and event, and wait_for costs a task and two extra callbacks per call.
        timer = loop.call_later(timeout, _expire, future) if timeout is not None else None
        try:
            self._send(frame)
            try:
                result = await future
            except _Expired:
                with contextlib.suppress(RunnerUnavailable):
                    self._send(self._session.cancel(invocation_id, f"timed out after {timeout:g}s"))
                raise InvocationTimeout(
                    f"step {step_name} did not finish within {timeout:g}s", runner=self.runner_id
                ) from None
            except RunnerDied as died:
                raise died.seen_by(invocation_id) from None
        finally:
            if timer is not None:
                timer.cancel()
            self._session.forget_invocation(invocation_id)
            del self._in_flight[invocation_id]
        if result.declined:
            raise InvocationDeclined(f"{self.runner_id} did not start step {step_name}: {result.error}")
        return result

    # -------------------------------------------------------------- I/O

    def _send(self, frame: bytes) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or self._closed.is_set() or proc.stdin.is_closing():
            raise RunnerDied(f"{self.runner_id} is not running")
        # Written at once: deferring frames to batch them per loop turn saved ~25 µs of CPU
        # per request under load but added ~0.3 ms to an idle emit's latency (bench/RESULTS.md).
        proc.stdin.write(frame)

    async def _await_or_closed(self, future: asyncio.Future[T], timeout: float | None, what: str) -> T:
        closed: asyncio.Future[bool] = asyncio.ensure_future(self._closed.wait())
        waiting: set[asyncio.Future[object]] = {future, closed}  # type: ignore[arg-type]
        try:
            done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if future in done and (future.exception() is None or not self._closed.is_set()):
            return future.result()
        if self._closed.is_set():  # the future, if done, holds the same RunnerDied, less precise
            raise RunnerDied(f"{self.runner_id} exited during {what}: {self.close_reason}")
        raise RunnerUnavailable(f"{self.runner_id} did not answer within {timeout or 0:g}s ({what})")

    def _read_frames(self, chunk: bytes) -> None:
        """What the runner wrote to stdout, as it arrives (``_RunnerProtocol``).

        The replies to the chunk's context calls answered at once go out together when it is taken,
        in one write (one syscall, one wake-up of the runner, instead of one each), and before its
        log lines: a line costs ~50 µs to log, which the runner would otherwise wait for, and it
        carries the time the runner logged it (``LogRecord.time_ms``), not the time it is handled."""
        if self._garbled or self._closed.is_set():
            return
        replies: list[bytes] = []
        self._replies = replies
        lines: list[LogRecord] = []
        try:
            for event in self._session.receive(chunk):
                if isinstance(event, LogRecord):
                    lines.append(event)
                else:
                    self._take(event)
        except FramingError as exc:
            self._garbled = True
            _logger.error(
                "runner %s wrote something other than protocol frames to stdout; restarting it. It wrote: %r",
                self.runner_id,
                exc.garbage,
            )
            self._terminate(f"wrote non-protocol output to stdout: {exc.garbage[:80]!r}")
        except ProtocolError as exc:
            self._garbled = True
            _logger.error("runner %s sent an invalid message (%s); restarting it", self.runner_id, exc)
            self._terminate(f"protocol error: {exc}")
        finally:
            self._replies = None
            if replies:
                with contextlib.suppress(RunnerUnavailable):
                    self._send(replies[0] if len(replies) == 1 else b"".join(replies))
            for line in lines:
                self._log(line)

    def _take(self, event: SessionEvent[asyncio.Future[Any]]) -> None:
        """What a runner message completes: an answer, a context call to answer, a log line."""
        if isinstance(event, Answered):
            _resolve(event.waiter, event.message)
        elif isinstance(event, ContextCall):
            self._answer(event)
        else:
            self._log(event)

    def _answer(self, call: ContextCall) -> None:
        calling = calling_runner.set(self.runner_id)
        try:
            self._answer_call(call)
        finally:
            calling_runner.reset(calling)

    def _answer_call(self, call: ContextCall) -> None:
        """Answers ``call`` at once when its handler returns the result; in a task of its own, once the
        result is there, when it returns an awaitable."""
        try:
            result = self._on_context_call(call)
            if inspect.isawaitable(result):
                task = asyncio.create_task(self._answer_when_done(call, result))
                self._call_tasks.add(task)
                task.add_done_callback(self._call_tasks.discard)
                return
            frame = encode_context_reply(call.call_id, orjson.dumps(result), None)
        except Exception as exc:
            frame = self._failure(call, exc)
        if self._replies is not None:
            self._replies.append(frame)
            return
        with contextlib.suppress(RunnerUnavailable):
            self._send(frame)

    async def _answer_when_done(self, call: ContextCall, pending: Awaitable[object]) -> None:
        try:
            frame = encode_context_reply(call.call_id, orjson.dumps(await pending), None)
        except Exception as exc:
            frame = self._failure(call, exc)
        with contextlib.suppress(RunnerUnavailable):
            self._send(frame)

    def _failure(self, call: ContextCall, exc: Exception) -> bytes:
        """The reply to a call that failed: a ContextCallError's message as it is, anything else logged
        with the call's step and answered as the method's failure."""
        if isinstance(exc, ContextCallError):
            return encode_context_reply(call.call_id, None, str(exc))
        _logger.error("context call %s from step %s failed", call.method, call.step_name, exc_info=exc)
        return encode_context_reply(call.call_id, None, f"{call.method} failed: {exc}")

    def _log(self, record: LogRecord) -> None:
        meta = orjson.loads(record.meta_json) if record.meta_json else None
        log_event(
            _user_logger,
            record.level,
            _plain(record.message),
            step=record.step_name or self._loading(record, meta),
            trace_id=record.trace_id or None,
            meta=meta,
            created=record.time_ms / 1000 if record.time_ms else None,
            runner=self.runner_id,
        )

    def _loading(self, record: LogRecord, meta: object) -> str | None:
        """What a line logged while a file loads (``meta.file``, the runners' mark of it) names as its
        step: the step the file loaded as before, else the file (relative to the project)."""
        file = meta.get("file") if record.invocation_id == 0 and isinstance(meta, dict) else None
        if not isinstance(file, str) or not file:
            return None
        return _step_of_file.get(str(self._root / file)) or file

    async def _read_stderr(self) -> None:
        # What reaches the runner's stderr is what bypassed its log capture: crash tracebacks, fatal
        # errors, native code; an error, as Motia logs it.
        # The lines of one read stay one record, so a traceback is one entry, not one per line.
        assert self._proc is not None and self._proc.stderr is not None
        stderr = self._proc.stderr
        pending = b""
        while chunk := await stderr.read(1 << 16):
            pending += chunk
            complete, newline, pending = pending.rpartition(b"\n")
            if not newline and len(pending) >= 1 << 16:  # no line end in sight: log what we have
                complete, pending = pending, b""
            self._log_stderr(complete)
        self._log_stderr(pending)

    def _log_stderr(self, data: bytes) -> None:
        text = _plain(data.decode(errors="replace")).rstrip()
        if self._env and _DEBUGGER_CHATTER.search(text):
            # What Node's inspector prints as debuggers come and go: news, not errors.
            chatter = [line for line in text.splitlines() if _DEBUGGER_CHATTER.match(line)]
            text = "\n".join(line for line in text.splitlines() if not _DEBUGGER_CHATTER.match(line))
            log_event(_logger, "debug", "\n".join(chatter), runner=self.runner_id)
        if text.strip():
            self._stderr_tail.extend(line for line in text.splitlines() if line.strip())
            log_event(_logger, "error", text, runner=self.runner_id)

    async def _wait_exit(self) -> None:
        assert self._proc is not None
        code = await self._proc.wait()
        if self._stdout_closed is not None:
            # The frames it wrote last (results, logs) may still be in the pipe. A runner we killed
            # gets a short bound: its in-flight work is answered now, not whenever a child process
            # of user code that inherited the pipe closes it.
            with contextlib.suppress(Exception):
                drain = _DRAIN_KILLED if self._killed else _DRAIN_EXITED
                await asyncio.wait_for(asyncio.shield(self._stdout_closed), drain)
        if self._stderr_reader is not None and not self._killed:  # its last words say why it exited
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._stderr_reader), 1.0)
        if not self.close_reason:
            # The last thing it wrote says why a runner that never answered died (an ImportError...).
            last_words = f": {self._stderr_tail[-1]}" if self._stderr_tail and self.hello is None else ""
            self.close_reason = f"exited with status {code}{last_words}"
        self._close()
        owner = self._env.get(ADAPTER_OWNER_ENV)
        if owner is not None and self.spec.runner == "python":  # only debugpy serves from a process apart
            await self._end_debug_adapter(owner)

    async def _end_debug_adapter(self, owner: str) -> None:
        """End the debugpy adapter this runner could not stop (it was killed), which would hold the
        port its replacement waits for."""
        try:
            ended = await asyncio.to_thread(end_adapters, owner)
        except Exception as exc:  # the process table could not be read: the replacement waits longer
            _logger.warning("runner %s: its debugpy adapter may still run: %s", self.runner_id, exc)
            return
        for pid in ended:
            _logger.info(
                "runner %s ended (%s): ended its debugpy adapter (pid %d) too",
                self.runner_id,
                self.close_reason,
                pid,
            )

    def _close(self) -> None:
        """The runner is gone: every request still waiting fails with why (``close_reason``)."""
        if self._closed.is_set():
            return
        self._closed.set()
        died = RunnerDied(
            f"{self.runner_id} {self.close_reason}",
            in_flight=self._session.in_flight,
            fault=self._fault,
            culprit=self._culprit,
        )
        for future in self._session.close():
            if not future.done():
                future.set_exception(died)
                future.exception()  # mark retrieved: a waiter may already be gone


def _resolve(waiter: asyncio.Future[Any], answer: Answer) -> None:
    if not waiter.done():
        waiter.set_result(answer)


#: the step each step file (its absolute path) last loaded as, in any runner of this process: what a
#: file logs while it loads again (a hot reload starts new runners) names that step
_step_of_file: dict[str, str] = {}


def _step_name(config_json: bytes) -> str:
    """The name a loaded step file's config gives, "" when it has none."""
    try:
        config = orjson.loads(config_json)
    except orjson.JSONDecodeError:
        return ""
    name = config.get("name") if isinstance(config, dict) else None
    return name if isinstance(name, str) else ""
