"""The session: one asyncio loop dispatching supervisor messages and keeping the invocations in flight."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import platform
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motia_runner import PROTOCOL_VERSION, jsonutil
from motia_runner.bundled_protobuf import describe as describe_protobuf
from motia_runner.calls import CallClient
from motia_runner.context import Context
from motia_runner.current import InvocationInfo, current_invocation
from motia_runner.debugger import start_debugger
from motia_runner.errors import user_traceback
from motia_runner.invoke import Encoded, Invoker, settle
from motia_runner.liveness import Admission, LoopWatch
from motia_runner.loader import Loader
from motia_runner.logs import LoggingBridge, LogSink, StderrCapture, StdoutCapture, print_tracebacks_whole
from motia_runner.messages import pb
from motia_runner.tasks import TaskTracker, tag
from motia_runner.transport import PIPE_CLOSED, Channel, Reader, Writer

if TYPE_CHECKING:
    from motia_runner.transport_grpc import GrpcLink

WORKER_THREADS = int(os.environ.get("MOTIA_PYTHON_WORKERS", "64") or 64)
# Invocations of a hook (authenticate) or a stream's canAccess rather than of a step handler.
HOOK_KINDS = frozenset({pb.TRIGGER_KIND_AUTHENTICATE, pb.TRIGGER_KIND_CAN_ACCESS})


@dataclass
class Inflight:
    task: asyncio.Task[None]
    answered: bool = False
    #: taken from the admission (see liveness.Admission): this runner runs and answers it
    claimed: bool = False
    started: float = field(default_factory=time.monotonic)


def error_info(name: str, message: str, stack: str = "") -> Any:
    return pb.ErrorInfo(name=name, message=message, stack=stack)


class Session:
    def __init__(self, channel: Channel | GrpcLink) -> None:
        self._loop = asyncio.get_running_loop()
        loop = self._loop
        self._loop_thread = threading.get_ident()
        root = Path(os.environ.get("MOTIA_PROJECT_ROOT") or os.getcwd()).resolve()
        self.watch = LoopWatch(loop, root)
        self.writer: Writer
        self._reader: Reader
        self.writer, self._reader = channel.open(
            on_message=self._receive,
            on_end=lambda error: self._to_loop(self._on_end, error),
            on_broken=lambda: self._threadsafe(self._on_pipe_closed),
            loop_stalled_for=self.watch.stalled_for,
        )
        self.sink = LogSink(self.writer.send_later)
        self.logging_bridge = LoggingBridge(self.sink)
        self.debugger = start_debugger(self.sink.runner, self.sink.log)
        self.client = CallClient(self.writer.send, self.sink, loop)
        self.tracker = TaskTracker(self.sink)
        self.executor = concurrent.futures.ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="motia-run")
        # Imports run off the loop so that Pings are answered during slow imports; module-level
        # asyncio.get_event_loop() there returns the runner's loop, the one handlers run on.
        self.load_executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="motia-load", initializer=asyncio.set_event_loop, initargs=(loop,)
        )
        self.invoker = Invoker(loop, self.executor)
        self.loader = Loader(root)
        self.admission = Admission(
            self.watch,
            call_on_loop=self._to_loop,
            start=self._on_invoke,
            decline=self._decline,
        )
        self.inflight: dict[int, Inflight] = {}
        self._internal: set[asyncio.Task[None]] = set()
        self.accepting = True
        self.shutting_down = False
        self.exit_code = 0
        self._done = asyncio.Event()

    def _threadsafe(self, fn: Callable[..., object], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # loop already closed
            self._loop.call_soon_threadsafe(fn, *args)

    def _to_loop(self, fn: Callable[..., object], *args: Any) -> None:
        """Run ``fn`` on the loop: now when called there (the reader lets what its standby thread
        handed over run first), else as soon as the loop takes it."""
        if threading.get_ident() == self._loop_thread:
            fn(*args)
        else:
            self._threadsafe(fn, *args)

    async def run(self) -> int:
        self.tracker.install(self._loop)
        sys.stdout = StdoutCapture(self.sink)
        sys.stderr = StderrCapture(self.sink, sys.stderr)
        print_tracebacks_whole()
        self.logging_bridge.install("info")
        self.watch.start()
        self.admission.start_watching()
        self._reader.start()
        await self._done.wait()
        return self.exit_code

    def close(self) -> None:
        """Flush captured output and every queued frame."""
        self.admission.stop()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        self.writer.close()

    # ------------------------------------------------------------------ dispatch

    def _receive(self, message: Any) -> None:
        """A message from the supervisor, read on the loop or, while a handler holds the loop, on the
        reader's standby thread (see transport.FrameReader): Pings are answered and Invokes offered
        here, the rest go to the loop in the order they came."""
        kind = message.WhichOneof("kind")
        if threading.get_ident() == self._loop_thread:
            self.watch.ran()  # the loop runs: nothing holds it, whatever the last tick says
        if kind == "ping":
            pong = pb.Pong(seq=message.ping.seq)
            stall = self.watch.report()
            if stall is not None:
                pong.stall.CopyFrom(stall)
            self.writer.send(pb.RunnerMessage(pong=pong))
        elif kind == "invoke":
            self.admission.offer(message.invoke)
        else:
            self._to_loop(self.dispatch, message)

    def dispatch(self, message: Any) -> None:
        kind = message.WhichOneof("kind")
        if kind == "context_reply":
            self.client.resolve(message.context_reply)
        elif kind == "hello":
            self._on_hello(message.hello)
        elif kind == "load":
            task = self._loop.create_task(self._on_load(message.load))
            self._internal.add(task)
            task.add_done_callback(self._internal.discard)
        elif kind == "cancel":
            self._on_cancel(message.cancel)
        elif kind == "shutdown":
            self._start_shutdown(message.shutdown.grace_ms)
        else:
            self.sink.runner("warn", f"ignoring unknown supervisor message {kind!r}")

    def _on_hello(self, hello: Any) -> None:
        if hello.project_root:
            root = Path(hello.project_root).resolve()
            if root != self.loader.project_root:  # a runner started by hand, elsewhere (--connect)
                self.loader = Loader(root)
                self.watch.project_root = root
                os.chdir(root)
                os.environ["MOTIA_PROJECT_ROOT"] = str(root)
        if hello.runner_id:
            os.environ["MOTIA_RUNNER_ID"] = hello.runner_id
        self.sink.set_level(hello.log_level or "info")
        self.logging_bridge.set_level(hello.log_level or "info")
        runtime = f"{platform.python_implementation()} {platform.python_version()}, {describe_protobuf()}"
        self.writer.send(
            pb.RunnerMessage(
                hello=pb.HelloReply(
                    protocol_version=PROTOCOL_VERSION,
                    language="python",
                    runtime=runtime,
                    pid=os.getpid(),
                    watches_loop=True,
                )
            )
        )
        if hello.protocol_version != PROTOCOL_VERSION:
            sys.stderr.write(
                f"motia_runner: supervisor speaks protocol {hello.protocol_version}, "
                f"this runner speaks {PROTOCOL_VERSION}\n"
            )
        self.sink.open()

    async def _on_load(self, request: Any) -> None:
        started = time.monotonic()
        try:
            if self.debugger is not None:
                await self._loop.run_in_executor(self.load_executor, self.debugger.wait_for_client)
            result = await self._loop.run_in_executor(self.load_executor, self.loader.load, request)
        except Exception as exc:  # a runner bug: still answer, or the supervisor waits forever
            result = pb.LoadResult(request_id=request.request_id)
            for file in [*request.stream_files, *request.step_files]:
                error = pb.LoadError(file=file, message=f"runner error: {exc}", stack=user_traceback(exc))
                result.errors.append(error)
        self.writer.send(pb.RunnerMessage(loaded=result))
        self.sink.runner(
            "debug",
            f"loaded {len(result.steps)} steps, {len(result.streams)} streams, {len(result.errors)} errors "
            f"in {(time.monotonic() - started) * 1000:.0f} ms",
        )

    # ------------------------------------------------------------------ invocations

    def _on_invoke(self, invoke: Any) -> None:
        if not self.accepting:
            if self.admission.claim(invoke.invocation_id):
                self._send_result(
                    invoke.invocation_id, error=error_info("ShutdownError", "runner is shutting down")
                )
            return
        if invoke.invocation_id in self.inflight:
            self.sink.runner("error", f"duplicate invocation_id {invoke.invocation_id}")
            return
        info = InvocationInfo(invoke.invocation_id, invoke.trace_id, invoke.step_name)
        task = self._loop.create_task(self._invoke(invoke, info))
        tag(task, info)
        self.inflight[invoke.invocation_id] = Inflight(task)

    def _owns(self, invocation_id: int, entry: Inflight) -> bool:
        """Whether this runner answers the invocation: claimed by its task, or now, before the task
        ran; not once the loop watch declined it (the supervisor runs it elsewhere)."""
        if not entry.claimed:
            entry.claimed = self.admission.claim(invocation_id)
        return entry.claimed

    async def _invoke(self, invoke: Any, info: InvocationInfo) -> None:
        entry = self.inflight.get(invoke.invocation_id)
        if entry is None or not self._owns(invoke.invocation_id, entry):
            self.inflight.pop(invoke.invocation_id, None)  # declined while its task waited to run
            return
        current_invocation.set(info)  # this task's own context: inherited by everything it spawns
        step = None if invoke.kind in HOOK_KINDS else self.loader.steps.get(invoke.file)
        flows = step.config.get("flows") if step is not None else None
        ctx = Context(
            self.client, self.sink, info, self.loader.stream_names, flows if isinstance(flows, list) else None
        )
        result = Encoded(b"")
        error = None
        try:
            if invoke.kind in HOOK_KINDS:
                hook = self.loader.hook_function(invoke.file, invoke.kind)
                result = Encoded(
                    await self.invoker.run_hook(
                        hook,
                        jsonutil.loads(invoke.payload_json),
                        ctx,
                        as_bool=invoke.kind == pb.TRIGGER_KIND_CAN_ACCESS,
                    )
                )
            else:
                if step is None:
                    raise LookupError(f"{invoke.file} is not loaded in this runner")
                payload = jsonutil.loads(invoke.payload_json)
                result = await self.invoker.run(step, invoke.kind, payload, ctx)
        except asyncio.CancelledError:
            if self._answered(invoke.invocation_id):
                return
            error = error_info("CancelledError", "cancelled")
        except BaseException as exc:
            error = error_info(type(exc).__name__, str(exc), user_traceback(exc))
        try:
            await settle(ctx)
        except asyncio.CancelledError:
            if self._answered(invoke.invocation_id):
                return
        self._send_result(invoke.invocation_id, result=result, error=error)

    def _decline(self, invoke: Any, why: str) -> None:
        """Answer an invocation that was never started (any thread): the supervisor runs it elsewhere."""
        error = error_info("RunnerBusy", f"not started: {why}")
        result = pb.InvokeResult(invocation_id=invoke.invocation_id, ok=False, declined=True, error=error)
        self.writer.send(pb.RunnerMessage(result=result))

    def _answered(self, invocation_id: int) -> bool:
        entry = self.inflight.get(invocation_id)
        return entry is None or entry.answered

    def _send_result(self, invocation_id: int, result: Encoded | None = None, error: Any = None) -> None:
        self.watch.ran()
        entry = self.inflight.pop(invocation_id, None)
        if entry is not None:
            if entry.answered:
                return
            entry.answered = True
        if error is None:
            content = result or Encoded(b"")
            message = pb.InvokeResult(
                invocation_id=invocation_id, ok=True, result_json=content.result_json or b"null"
            )
            if content.body is not None:
                message.body = content.body
        else:
            message = pb.InvokeResult(invocation_id=invocation_id, ok=False, error=error)
        self.writer.send(pb.RunnerMessage(result=message))

    def _on_cancel(self, cancel: Any) -> None:
        entry = self.inflight.get(cancel.invocation_id)
        if entry is None or entry.answered:
            return
        if not self._owns(cancel.invocation_id, entry):
            self.inflight.pop(cancel.invocation_id, None)
            entry.task.cancel()
            return
        reason = cancel.reason or "cancelled by the supervisor"
        self.client.cancelled(cancel.invocation_id, reason)
        self._send_result(cancel.invocation_id, error=error_info("CancelledError", f"cancelled: {reason}"))
        entry.task.cancel()  # async handlers stop at their next await; threads keep running

    # ------------------------------------------------------------------ shutdown

    def _on_end(self, error: str | None) -> None:
        if error is not None:
            sys.stderr.write(f"motia_runner: {error}; exiting\n")
            self._finish(2 if getattr(self._reader, "refused", False) else 1)
        elif not self.shutting_down:
            self._start_shutdown(0)

    def _on_pipe_closed(self) -> None:
        """Writing to the supervisor failed: it died or closed its end, a session end no Shutdown asked
        for (exit 1, as the node runner)."""
        if not self._done.is_set():
            with contextlib.suppress(OSError):  # a dead supervisor took stderr's reader too
                sys.stderr.write(f"motia_runner: {PIPE_CLOSED}; exiting\n")
        self._finish(1)

    def _start_shutdown(self, grace_ms: int) -> None:
        self.accepting = False
        if not self.shutting_down:
            self.shutting_down = True
            self._loop.create_task(self._shutdown(grace_ms / 1000.0))

    async def _shutdown(self, grace: float) -> None:
        deadline = self._loop.time() + grace
        tasks = [entry.task for entry in self.inflight.values()]
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        spawned = list(self.tracker.spawned)
        remaining = deadline - self._loop.time()
        if spawned and remaining > 0:
            await asyncio.wait(spawned, timeout=remaining)
        for invocation_id, entry in list(self.inflight.items()):
            if not self._owns(invocation_id, entry):
                self.inflight.pop(invocation_id, None)
                continue
            self._send_result(
                invocation_id,
                error=error_info("ShutdownError", "runner shut down before the handler finished"),
            )
        self._finish(0)

    def _finish(self, code: int) -> None:
        if not self._done.is_set():
            self.exit_code = code
            self._done.set()
