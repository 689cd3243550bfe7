"""The durable queue contract (checked by tests/test_queue_contract.py).

It only stores: which deliveries exist, when each may run, how often it failed.
Deciding when to deliver is the ``EventBus``'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from supervisor.storage import JsonValue

from ._types import DeadLetter, Delivery


class UnknownDeliveryError(KeyError):
    """The delivery (or dead letter) id is not in the queue: already acked, moved, or never existed."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown delivery"


class EventQueue(Protocol):
    async def enqueue(
        self,
        topic: str,
        data: JsonValue,
        trace_id: str,
        subscribers: Sequence[tuple[str, float]],
        message_group_id: str | None = None,
    ) -> list[Delivery]:
        """Add one delivery per (subscriber, delay seconds); durable when this returns."""
        ...

    async def ack(self, delivery_id: int) -> None:
        """Remove a delivered row. Unknown ids are ignored: acks may arrive twice."""
        ...

    async def schedule_retry(
        self, delivery_id: int, attempts: int, available_at: float, error: str
    ) -> None: ...

    async def dead_letter(self, delivery_id: int, attempts: int, error: str) -> DeadLetter: ...

    async def pending(self) -> list[Delivery]:
        """Every delivery neither acked nor dead-lettered, oldest first (for crash recovery)."""
        ...

    async def dead_letters(self) -> list[DeadLetter]: ...

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        """Move a dead letter back into the queue as a new delivery with attempts 0, due now."""
        ...

    async def close(self) -> None: ...


def unknown(kind: str, ident: int) -> UnknownDeliveryError:
    return UnknownDeliveryError(
        f"no {kind} with id {ident} in the queue (already acked, dead-lettered or replayed?)"
    )
