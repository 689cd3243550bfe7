"""One attempt of one delivery: what ``deliver`` is, whether the attempt is being cancelled, and
naming what went wrong in the queue's logs and dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Literal, TypeAlias

from ._types import Delivery

Deliver: TypeAlias = Callable[[Delivery], Awaitable[None]]
Outcome: TypeAlias = Literal["ok", "retry", "lost", "dead"]
DeliveryObserver: TypeAlias = Callable[[Delivery, Outcome, int, "str | None", "float | None"], None]
"""Told what became of each attempt: (delivery, outcome, attempt number, error, when it runs again).
``ok``: done; ``retry``: failed, runs again; ``lost``: its runner died under it and it runs again without
spending a retry; ``dead``: moved to the dead letters."""


#: the runner process that ran the current attempt (``node-0``), set by ``deliver`` once it knows (the
#: attempt's task is its own context): the queue's lines about the attempt (retrying, dead-lettered)
#: carry it as the step's own lines do, so that they show beside them when the logs are read by runner
attempt_runner: ContextVar[str | None] = ContextVar("attempt_runner", default=None)


def being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def repeats_last_error(delivery: Delivery, exc: BaseException) -> bool:
    """Whether ``exc`` ends this attempt as the delivery's previous attempt ended (as the queue keeps
    it, ``describe``d): the same failure again, whose stack was told already."""
    return delivery.attempts > 0 and delivery.last_error == describe(exc)


def log_fields(delivery: Delivery, attempt: int) -> dict[str, object]:
    return {
        "step": delivery.subscriber,
        "topic": delivery.topic,
        "attempt": attempt,
        "trace_id": delivery.trace_id,
        "delivery_id": delivery.id,
        "runner": attempt_runner.get(),
    }
