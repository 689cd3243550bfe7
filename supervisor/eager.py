"""Coroutines whose first step runs now, on the caller's stack, rather than one loop turn later in a task
(what Python 3.12's eager tasks do): a context call answered without a task when it needs no waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


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
