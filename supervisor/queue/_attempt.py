"""One attempt of one delivery: running ``deliver`` under the subscriber's deadline, and naming
what went wrong in the queue's logs and dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from ._types import Delivery

Deliver: TypeAlias = Callable[[Delivery], Awaitable[None]]


class DeliveryTimeout(Exception):
    """An attempt outlived its subscriber's ``timeout_seconds`` (it counts as a failed attempt)."""


async def run_with_deadline(deliver: Deliver, delivery: Delivery, limit: float | None) -> None:
    if limit is None:
        await deliver(delivery)
        return
    deadline = asyncio.timeout(limit)
    try:
        async with deadline:
            await deliver(delivery)
    except TimeoutError:
        # Tell our deadline apart from a TimeoutError the handler raised itself.
        if deadline.expired():
            raise DeliveryTimeout(f"handler still running after {limit}s; cancelled") from None
        raise


def being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def log_fields(delivery: Delivery, attempt: int) -> dict[str, object]:
    return {
        "step": delivery.subscriber,
        "topic": delivery.topic,
        "attempt": attempt,
        "trace_id": delivery.trace_id,
        "delivery_id": delivery.id,
    }
