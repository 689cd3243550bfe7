"""The durable queue contract (checked by tests/test_queue_contract.py).

It stores which deliveries exist, when each may run, how often it failed, and which
ones a consumer has *claimed* (read into memory to run). Deciding when to deliver is
the ``EventBus``'s job; the queue answers "what may run now" in order:

- a delivery is *runnable* when it is due (``available_at`` passed), not claimed, and,
  for a FIFO target, first in its (subscriber, message group) lane: the rest of a lane
  waits in storage until the head is acked or dead-lettered, however long the lane is;
- ``claim`` hands out runnable deliveries oldest-due first, so a consumer can keep a
  small window in memory whatever the backlog;
- claims belong to the consumer that made them: they do not outlive its process, and
  ``release_claims`` voids them in a living one. SQLite and memory queues have one consumer;
  a Redis queue is shared by every supervisor of the project (each a consumer), which take over
  a dead one's claims after a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from supervisor.storage import JsonValue, encode_json

from ._types import DeadLetter, Delivery, Target


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
        targets: Sequence[Target],
        message_group_id: str | None = None,
        *,
        claim: bool = False,
    ) -> list[Delivery]:
        """Add one delivery per target; durable when this returns.

        ``claim``: the new deliveries that are runnable at once come back claimed
        (``Delivery.claimed``), so the caller can run them without reading them back.
        """
        ...

    async def claim(self, limit: int, now: float, *, isolated: bool = False) -> list[Delivery]:
        """Claim up to ``limit`` runnable deliveries due at ``now``, by (available_at, id): those
        marked ``isolate`` if ``isolated``, the others if not (they run under separate limits)."""
        ...

    async def next_due(self, after: float) -> float | None:
        """The earliest ``available_at`` later than ``after`` among unclaimed runnable rows, if any."""
        ...

    async def release_claims(self) -> int:
        """Void every claim made through this queue; returns how many there were."""
        ...

    def watch(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` whenever deliveries may have become runnable through someone else: another
        supervisor sharing the queue (its emits, retries, acks), or claims of a dead one to take
        over. A queue only one process uses never calls it."""
        ...

    async def ack(self, delivery_id: int, *, claim_next: bool = False) -> Delivery | None:
        """Remove a delivered row; the next delivery of its FIFO lane, if any, becomes its head
        and is returned (None for a non-FIFO row or an emptied lane).

        ``claim_next``: that next delivery comes back claimed if it is due. Unknown ids are
        ignored (acks may arrive twice) and give None.
        """
        ...

    async def ack_all(self, delivery_ids: Sequence[int]) -> list[Delivery]:
        """``ack`` for many rows in one write; returns the FIFO lane heads that became runnable
        (unclaimed)."""
        ...

    async def schedule_retry(
        self, delivery_id: int, attempts: int, available_at: float, error: str, *, isolate: bool = False
    ) -> None:
        """Record a failed (or lost) attempt and release the claim; it runs again at ``available_at``.

        A FIFO head stays its lane's head. ``isolate`` is sticky: once set it stays set.
        """
        ...

    async def dead_letter(self, delivery_id: int, attempts: int, error: str) -> DeadLetter:
        """Move a delivery to the dead letters; the next delivery of its FIFO lane becomes runnable."""
        ...

    async def pending(self) -> list[Delivery]:
        """Every delivery neither acked nor dead-lettered, oldest first (inspection and tests only:
        it reads the whole backlog)."""
        ...

    async def dead_letters(self, subscriber: str | None = None, limit: int | None = None) -> list[DeadLetter]:
        """Dead letters oldest first, of one subscriber if given."""
        ...

    async def get_dead_letter(self, dead_letter_id: int) -> DeadLetter | None:
        """One dead letter, or None when there is no such id (never was, replayed, purged)."""
        ...

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        """Move a dead letter back into the queue as a new, unclaimed delivery with attempts 0, due now.

        A FIFO one goes to the end of its lane.
        """
        ...

    async def replay_dead_letters(self, subscriber: str | None = None) -> list[Delivery]:
        """``replay_dead_letter`` for every dead letter (of one subscriber if given), oldest first;
        returns the new deliveries."""
        ...

    async def purge_dead_letter(self, dead_letter_id: int) -> None:
        """Delete one dead letter for good."""
        ...

    async def purge_dead_letters(self, subscriber: str | None = None) -> int:
        """Delete every dead letter (of one subscriber if given); returns how many."""
        ...

    async def close(self) -> None: ...


def unknown(kind: str, ident: int) -> UnknownDeliveryError:
    return UnknownDeliveryError(
        f"no {kind} with id {ident} in the queue (already acked, dead-lettered, replayed or purged?)"
    )


def encode_event_data(topic: str, data: JsonValue) -> bytes:
    """An event's data as queues store it: every queue refuses what is not JSON alike, naming its topic."""
    return encode_json(data, f"event data for topic {topic!r}")
