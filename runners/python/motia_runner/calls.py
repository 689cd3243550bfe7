"""ContextCalls: requests from handlers to the supervisor (emit, state, streams).

A call is sent the moment the user calls the context method, from whatever
thread, and is answered by a ContextReply. The user gets a :class:`PendingCall`:
awaitable from any event loop, usable with ``asyncio.create_task``/``gather``,
and, from a worker thread, ignorable or blockable with ``.result()``.
"""

from __future__ import annotations

import asyncio
import collections.abc
import concurrent.futures
import itertools
import threading
from collections.abc import Callable, Generator
from typing import Any

from motia_runner import jsonutil
from motia_runner.current import InvocationInfo
from motia_runner.logs import LogSink
from motia_runner.messages import pb


class ContextCallError(RuntimeError):
    """The supervisor refused or failed a context call (``ContextReply.error``)."""


class RefusedCallError(RuntimeError):
    """A context call made after its invocation was cancelled (its timeout): the invocation says so
    once, so that one made in a task or callback nobody awaits is no error line each
    (``tasks.TaskTracker``)."""


class PendingCall(collections.abc.Coroutine[Any, Any, Any]):
    """The result of one context call; already sent, whether or not it is awaited."""

    def __init__(
        self,
        future: concurrent.futures.Future[Any],
        method: str,
        loop: asyncio.AbstractEventLoop,
        loop_thread: int,
    ) -> None:
        self._future = future
        self._iter: Generator[Any, None, Any] | None = None
        self._loop = loop
        self._loop_thread = loop_thread
        # The answer as a future of the runner's loop, for awaits on it: set by the reply itself,
        # where asyncio.wrap_future would cost a call_soon_threadsafe (a self-pipe write) per call.
        self._on_loop: asyncio.Future[Any] | None = None
        self.method = method
        self.observed = False

    def __repr__(self) -> str:
        state = "done" if self._future.done() else "pending"
        return f"<PendingCall {self.method} {state}>"

    def __await__(self) -> Generator[Any, None, Any]:
        self.observed = True
        if threading.get_ident() == self._loop_thread:
            return self.on_loop().__await__()
        return asyncio.wrap_future(self._future).__await__()

    def on_loop(self) -> asyncio.Future[Any]:
        """The answer as a future of the runner's loop (call on the loop's thread); does not count as
        observing the call."""
        if self._on_loop is None:
            self._on_loop = self._loop.create_future()
            if self._future.done():
                _copy_outcome(self._future, self._on_loop)
        return self._on_loop

    def _answered(self) -> None:
        """The reply has settled ``future`` (on the loop's thread)."""
        if self._on_loop is not None and not self._on_loop.done():
            _copy_outcome(self._future, self._on_loop)

    # Coroutine protocol, so asyncio.create_task()/ensure_future() accept the call.
    def send(self, value: Any) -> Any:
        if self._iter is None:
            self._iter = self.__await__()
        return self._iter.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        if self._iter is None:
            self._iter = self.__await__()
        if val is None and tb is None:
            return self._iter.throw(typ)
        return self._iter.throw(typ, val, tb)  # pragma: no cover - legacy signature

    def close(self) -> None:
        if self._iter is not None:
            self._iter.close()

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = None) -> Any:
        """Block until answered (from a worker thread; on the event loop, await instead)."""
        self.observed = True
        if threading.get_ident() == self._loop_thread and not self._future.done():
            raise RuntimeError(f"{self.method}: use `await` on the event loop instead of .result()")
        return self._future.result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self.observed = True
        return self._future.exception(timeout)

    def add_done_callback(self, fn: Callable[[concurrent.futures.Future[Any]], object]) -> None:
        self._future.add_done_callback(fn)

    @property
    def future(self) -> concurrent.futures.Future[Any]:
        return self._future


def _copy_outcome(source: concurrent.futures.Future[Any], target: asyncio.Future[Any]) -> None:
    error = source.exception()
    if error is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())


class CallClient:
    """Sends ContextCalls and routes ContextReplies back to their PendingCall."""

    def __init__(self, send: Callable[[Any], None], sink: LogSink, loop: asyncio.AbstractEventLoop) -> None:
        self._send = send
        self._sink = sink
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[concurrent.futures.Future[Any], PendingCall, InvocationInfo]] = {}
        # invocation id -> why the supervisor cancelled it. Kept for good: a sync handler's thread, or
        # an async one that swallows its CancelledError, may call on any time later (one entry per
        # timeout, a few bytes).
        self._cancelled: dict[int, str] = {}
        # the cancelled invocations that have said their calls are refused (once each)
        self._refusal_told: set[int] = set()

    def cancelled(self, invocation_id: int, reason: str) -> None:
        """Refuse the context calls the invocation makes from now on: its handler may run on after
        the cancel (a promise or a thread cannot be stopped), but what it writes or emits then must not
        land while its retry runs, as in Motia, whose timed-out handler's process is killed."""
        self._cancelled[invocation_id] = reason

    def _tell_refusal(self, info: InvocationInfo, reason: str, method: str) -> None:
        if info.invocation_id in self._refusal_told:
            return
        self._refusal_told.add(info.invocation_id)
        self._sink.log(
            "warn",
            f"step {info.step_name} ran on after it was cancelled ({reason}): its context calls since are "
            f"refused, nothing it writes or emits now lands (first refused: {method}; said once per "
            "invocation)",
            b"",
            info,
        )

    def start(self, info: InvocationInfo, method: str, args: list[Any]) -> PendingCall:
        reason = self._cancelled.get(info.invocation_id)
        if reason is not None:
            self._tell_refusal(info, reason, method)
            raise RefusedCallError(
                f"{method} refused: this invocation of step {info.step_name} was cancelled ({reason})"
            )
        args_json = jsonutil.dumps(args)  # a TypeError here reaches the caller, nothing is sent
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        call = PendingCall(future, method, self._loop, self._loop_thread)
        call_id = next(self._ids)
        self._pending[call_id] = (future, call, info)
        self._send(
            pb.RunnerMessage(
                call=pb.ContextCall(
                    call_id=call_id,
                    invocation_id=info.invocation_id,
                    trace_id=info.trace_id,
                    step_name=info.step_name,
                    method=method,
                    args_json=args_json,
                )
            )
        )
        return call

    def resolve(self, reply: Any) -> None:
        """Handle a ContextReply (on the loop thread)."""
        entry = self._pending.pop(reply.call_id, None)
        if entry is None:
            self._sink.runner("warn", f"ContextReply for unknown call_id {reply.call_id}")
            return
        future, call, info = entry
        if reply.ok:
            try:
                future.set_result(jsonutil.loads(reply.result_json))
            except ValueError as exc:
                future.set_exception(ContextCallError(f"{call.method}: undecodable result: {exc}"))
        else:
            future.set_exception(ContextCallError(reply.error or f"{call.method} failed"))
            self._loop.call_later(0.05, self._report_unobserved, call, info, reply.error)
        call._answered()

    def _report_unobserved(self, call: PendingCall, info: InvocationInfo, error: str) -> None:
        if not call.observed:
            call.observed = True
            self._sink.log("error", f"{call.method} failed (the call was not awaited): {error}", b"", info)
