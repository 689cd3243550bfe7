"""In-memory queue: the twin of the SQLite queue (nothing survives the process).

Same lanes, claims and order as the SQLite queue: runnable rows sit in two heaps keyed
by (available_at, id), one for rows already due and one for later ones, with stale
entries skipped when they surface.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from supervisor.storage import JsonValue

from ._queue import encode_event_data, unknown
from ._types import DeadLetter, Delivery, Target

_LaneKey = tuple[str, str | None]


@dataclass(slots=True)
class _Row:
    delivery: Delivery
    fifo: bool
    held: bool = False


@dataclass(frozen=True, slots=True)
class _Dead:
    letter: DeadLetter
    fifo: bool


class MemoryEventQueue:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._rows: dict[int, _Row] = {}
        self._lanes: dict[_LaneKey, deque[int]] = {}
        # Per isolate flag: runnable rows already due, and the later ones.
        self._due: dict[bool, list[tuple[float, int]]] = {False: [], True: []}
        self._later: dict[bool, list[tuple[float, int]]] = {False: [], True: []}
        self._dead: dict[int, _Dead] = {}

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
        # Encoded only to refuse what the durable queues refuse; the value itself is shared by
        # the deliveries, which hand it to a runner as JSON anyway.
        encode_event_data(topic, data)
        now = time.time()
        return [
            self._insert(
                topic, target.subscriber, data, trace_id, message_group_id, now + target.delay_seconds,
                target.fifo, claim and target.delay_seconds <= 0,
            )
            for target in targets
        ]  # fmt: skip

    async def claim(self, limit: int, now: float, *, isolated: bool = False) -> list[Delivery]:
        self._move_due(now)
        due = self._due[isolated]
        claimed: list[Delivery] = []
        while due and len(claimed) < limit and due[0][0] <= now:
            available_at, ident = heapq.heappop(due)
            row = self._runnable(ident, available_at, isolated)
            if row is not None:
                claimed.append(self._set(row, claimed=True))
        return claimed

    async def next_due(self, after: float) -> float | None:
        self._move_due(after)
        found = []
        for isolated, later in self._later.items():
            while later and self._runnable(later[0][1], later[0][0], isolated) is None:
                heapq.heappop(later)
            if later:
                found.append(later[0][0])
        return min(found) if found else None

    def watch(self, wake: Callable[[], None]) -> None:
        return None  # one process: nothing becomes runnable behind its back

    async def release_claims(self) -> int:
        released = 0
        for row in self._rows.values():
            if row.delivery.claimed:
                self._set(row, claimed=False)
                self._offer(row.delivery)
                released += 1
        return released

    async def ack(self, delivery_id: int, *, claim_next: bool = False) -> Delivery | None:
        row = self._rows.pop(delivery_id, None)
        if row is None or not row.fifo:
            return None
        return self._leave_lane(row, claim_next)

    async def ack_all(self, delivery_ids: Sequence[int]) -> list[Delivery]:
        promoted = [await self.ack(ident) for ident in delivery_ids]
        return [head for head in promoted if head is not None]

    async def schedule_retry(
        self, delivery_id: int, attempts: int, available_at: float, error: str, *, isolate: bool = False
    ) -> None:
        row = self._take(delivery_id)
        delivery = row.delivery
        self._set(
            row,
            attempts=attempts,
            available_at=available_at,
            last_error=error,
            isolate=delivery.isolate or isolate,
            claimed=False,
        )
        if not row.held:
            self._offer(row.delivery)

    async def dead_letter(self, delivery_id: int, attempts: int, error: str) -> DeadLetter:
        row = self._take(delivery_id)
        del self._rows[delivery_id]
        d = row.delivery
        dead = DeadLetter(
            d.id, d.topic, d.subscriber, d.data, d.trace_id, d.message_group_id, attempts, error, time.time()
        )
        self._dead[delivery_id] = _Dead(dead, row.fifo)
        if row.fifo:
            self._leave_lane(row, claim_next=False)
        return dead

    async def pending(self) -> list[Delivery]:
        return [self._rows[ident].delivery for ident in sorted(self._rows)]

    async def dead_letters(self, subscriber: str | None = None, limit: int | None = None) -> list[DeadLetter]:
        letters = [
            self._dead[ident].letter
            for ident in sorted(self._dead)
            if subscriber is None or self._dead[ident].letter.subscriber == subscriber
        ]
        return letters if limit is None else letters[:limit]

    async def get_dead_letter(self, dead_letter_id: int) -> DeadLetter | None:
        dead = self._dead.get(dead_letter_id)
        return None if dead is None else dead.letter

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        dead = self._dead.pop(dead_letter_id, None)
        if dead is None:
            raise unknown("dead letter", dead_letter_id)
        return self._replay(dead)

    async def replay_dead_letters(self, subscriber: str | None = None) -> list[Delivery]:
        letters = await self.dead_letters(subscriber)
        return [self._replay(self._dead.pop(letter.id)) for letter in letters]

    async def purge_dead_letter(self, dead_letter_id: int) -> None:
        if self._dead.pop(dead_letter_id, None) is None:
            raise unknown("dead letter", dead_letter_id)

    async def purge_dead_letters(self, subscriber: str | None = None) -> int:
        letters = await self.dead_letters(subscriber)
        for letter in letters:
            del self._dead[letter.id]
        return len(letters)

    async def close(self) -> None:
        return None

    # -- lanes and heaps ------------------------------------------------------------------

    def _insert(
        self,
        topic: str,
        subscriber: str,
        data: JsonValue,
        trace_id: str,
        group: str | None,
        available_at: float,
        fifo: bool,
        claim: bool,
    ) -> Delivery:
        ident = next(self._ids)
        lane = self._lanes.setdefault((subscriber, group), deque()) if fifo else None
        held = bool(lane)
        claimed = claim and not held
        delivery = Delivery(
            ident, topic, subscriber, data, trace_id, group, 0, available_at, None, False, claimed
        )
        self._rows[ident] = _Row(delivery, fifo, held)
        if held:
            delivery = dataclasses.replace(delivery, held=True)  # as returned; the row keeps its own flag
        if lane is not None:
            lane.append(ident)
        if not held and not claimed:
            self._offer(delivery)
        return delivery

    def _replay(self, dead: _Dead) -> Delivery:
        d = dead.letter
        return self._insert(
            d.topic, d.subscriber, d.data, d.trace_id, d.message_group_id, time.time(), dead.fifo, claim=False
        )

    def _leave_lane(self, row: _Row, claim_next: bool) -> Delivery | None:
        key = _lane_key(row.delivery)
        lane = self._lanes[key]
        lane.popleft()
        if not lane:
            del self._lanes[key]
            return None
        head = self._rows[lane[0]]
        head.held = False
        if claim_next and head.delivery.available_at <= time.time():
            return self._set(head, claimed=True)
        self._offer(head.delivery)
        return head.delivery

    def _offer(self, delivery: Delivery) -> None:
        heaps = self._due if delivery.available_at <= time.time() else self._later
        heapq.heappush(heaps[delivery.isolate], (delivery.available_at, delivery.id))

    def _move_due(self, now: float) -> None:
        for isolated, later in self._later.items():
            while later and later[0][0] <= now:
                heapq.heappush(self._due[isolated], heapq.heappop(later))

    def _runnable(self, ident: int, available_at: float, isolated: bool) -> _Row | None:
        """The row behind a heap entry, unless the entry is stale."""
        row = self._rows.get(ident)
        if row is None or row.held or row.delivery.claimed:
            return None
        delivery = row.delivery
        return row if (delivery.available_at, delivery.isolate) == (available_at, isolated) else None

    @staticmethod
    def _set(row: _Row, **changes: object) -> Delivery:
        row.delivery = dataclasses.replace(row.delivery, **changes)  # type: ignore[arg-type]
        return row.delivery

    def _take(self, delivery_id: int) -> _Row:
        row = self._rows.get(delivery_id)
        if row is None:
            raise unknown("pending delivery", delivery_id)
        return row


def _lane_key(delivery: Delivery) -> _LaneKey:
    return (delivery.subscriber, delivery.message_group_id)
