"""In-memory queue: the twin of the SQLite queue (nothing survives the process)."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence

from supervisor.storage import JsonValue, encode_json

from ._queue import unknown
from ._types import DeadLetter, Delivery


class MemoryEventQueue:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._pending: dict[int, Delivery] = {}
        self._dead: dict[int, DeadLetter] = {}

    async def enqueue(
        self,
        topic: str,
        data: JsonValue,
        trace_id: str,
        subscribers: Sequence[tuple[str, float]],
        message_group_id: str | None = None,
    ) -> list[Delivery]:
        # Encoded only to refuse what SQLite would refuse; the value itself is shared by
        # the deliveries, which hand it to a runner as JSON anyway.
        encode_json(data, f"event data for topic {topic!r}")
        now = time.time()
        deliveries = [
            Delivery(next(self._ids), topic, name, data, trace_id, message_group_id, 0, now + delay, None)
            for name, delay in subscribers
        ]
        for delivery in deliveries:
            self._pending[delivery.id] = delivery
        return deliveries

    async def ack(self, delivery_id: int) -> None:
        self._pending.pop(delivery_id, None)

    async def schedule_retry(self, delivery_id: int, attempts: int, available_at: float, error: str) -> None:
        delivery = self._take(delivery_id)
        self._pending[delivery_id] = dataclasses.replace(
            delivery, attempts=attempts, available_at=available_at, last_error=error
        )

    async def dead_letter(self, delivery_id: int, attempts: int, error: str) -> DeadLetter:
        d = self._take(delivery_id)
        del self._pending[delivery_id]
        dead = DeadLetter(
            d.id, d.topic, d.subscriber, d.data, d.trace_id, d.message_group_id, attempts, error, time.time()
        )
        self._dead[delivery_id] = dead
        return dead

    async def pending(self) -> list[Delivery]:
        return sorted(self._pending.values(), key=lambda d: d.id)

    async def dead_letters(self) -> list[DeadLetter]:
        return sorted(self._dead.values(), key=lambda d: d.id)

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        dead = self._dead.pop(dead_letter_id, None)
        if dead is None:
            raise unknown("dead letter", dead_letter_id)
        delivery = Delivery(
            next(self._ids), dead.topic, dead.subscriber, dead.data, dead.trace_id,
            dead.message_group_id, 0, time.time(), None,
        )  # fmt: skip
        self._pending[delivery.id] = delivery
        return delivery

    async def close(self) -> None:
        return None

    def _take(self, delivery_id: int) -> Delivery:
        delivery = self._pending.get(delivery_id)
        if delivery is None:
            raise unknown("pending delivery", delivery_id)
        return delivery
