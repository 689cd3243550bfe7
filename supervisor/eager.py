"""Coroutines whose first step runs now, on the caller's stack, rather than one loop turn later in a task:
what Python 3.12's eager tasks do, for the two hot paths that need it (a context call answered without a
task, an event delivery whose Invoke frame goes out in the turn that committed its event)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


class Resumed:
    """The rest of a coroutine whose first step already ran and yielded ``waiting_on`` (what it waits
    for), awaitable from another coroutine as if that one had run it from the start (``yield from``).

    A future that is done by the time the awaiting task first runs (the write of a loop turn committed
    right after the turn, before the call's task starts) is not yielded: the task would only put its
    wake-up on the next loop turn (asyncio and uvloop call a done future's callbacks with ``call_soon``),
    so the coroutine goes on at once, as the task would have resumed it (``Future.__await__`` gives
    the result or raises).

    Such a future keeps the ``_asyncio_future_blocking`` mark its ``__await__`` set when it yielded it:
    only a task reads that mark (and clears it), when a coroutine hands it a pending future, and a done
    future is never pending again nor handed to a task (its ``__await__`` returns at once), so the
    mark left behind is never read and nothing here touches asyncio's internals."""

    __slots__ = ("_coro", "_waiting_on")

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self._coro, self._waiting_on = coro, waiting_on

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, waiting_on = self._coro, self._waiting_on
        while True:
            if isinstance(waiting_on, asyncio.Future) and waiting_on.done():
                try:
                    waiting_on = coro.send(None)
                except StopIteration as done:
                    return done.value
                continue
            try:
                sent = yield waiting_on
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # the task's cancellation, or the failure of what it waited on
                try:
                    waiting_on = coro.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    waiting_on = coro.send(sent)
                except StopIteration as done:
                    return done.value


def start_task(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """A task of the running loop for ``coro``, whose first step (up to its first wait) runs now, in the
    task's own copy of the context as the task's steps run.

    Unlike the task's later steps, the first one runs inside the caller's step: ``asyncio.current_task()``
    there is the caller's task (or None in a callback), so ``coro`` must not hand its first step's work
    to code that keys on the current task (asyncio.timeout, a client that cancels the task awaiting it)."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    try:
        waiting_on = context.run(coro.send, None)
    except StopIteration as done:
        return loop.create_task(_returning(done.value), context=context)
    except (Exception, asyncio.CancelledError) as exc:  # the task fails with it, as one started later would
        return loop.create_task(_raising(exc), context=context)
    return loop.create_task(_awaiting(Resumed(coro, waiting_on)), context=context)


async def _awaiting(rest: Resumed) -> Any:
    return await rest


async def _returning(value: T) -> T:
    return value


async def _raising(exc: BaseException) -> Any:
    raise exc
