"""Tasks that handlers spawn (``asyncio.create_task(delayed_emit())``).

They are kept alive by a strong reference until done, remember which
invocation spawned them, and an exception nobody retrieved is logged as an
error LogRecord of that invocation instead of vanishing on stderr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from motia_runner.calls import RefusedCallError
from motia_runner.current import RUNNER, InvocationInfo, current
from motia_runner.errors import describe
from motia_runner.logs import LogSink, meta_json


class _TrackedTask(asyncio.Task):  # type: ignore[type-arg]
    motia_info: InvocationInfo = RUNNER


def tag(task: asyncio.Task[Any], info: InvocationInfo) -> None:
    """Record which invocation ``task`` works for (its own task: the LoopWatch names it)."""
    if isinstance(task, _TrackedTask):
        task.motia_info = info


class TaskTracker:
    def __init__(self, sink: LogSink) -> None:
        self._sink = sink
        self.spawned: set[asyncio.Task[Any]] = set()

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.set_task_factory(self._factory)  # type: ignore[arg-type]
        loop.set_exception_handler(self._on_exception)

    def _factory(
        self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any
    ) -> asyncio.Task[Any]:
        task = _TrackedTask(coro, loop=loop, **kwargs)
        info = current()
        if info is not RUNNER:
            task.motia_info = info
            self.spawned.add(task)
            task.add_done_callback(self.spawned.discard)
        return task

    def _on_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, RefusedCallError):
            return  # its invocation said it once (CallClient._tell_refusal)
        source = context.get("future") or context.get("task")
        info = getattr(source, "motia_info", RUNNER)
        message = str(context.get("message") or "unhandled exception in event loop")
        if isinstance(exc, BaseException):
            message = f"{message}: {describe(exc)}"
        self._sink.log("error", message, meta_json(exc), info)
