"""``EventBus``: turns queued deliveries into calls of ``deliver``, with retries, FIFO lanes and a
bounded window.

It knows nothing of runners or HTTP: whoever builds it passes the ``deliver``
coroutine (run one step on one event) and ``policy_for`` (a step's queue config).

**The window.** The backlog lives in the queue (on disk for SQLite); the bus holds at
most ``window`` deliveries in memory (running, or claimed and waiting for a slot), so
the supervisor's memory does not depend on how many events are queued. An event
published while the bus has room is claimed in the same write that stores it and
dispatched at once: no polling, so publish-to-handler is one queue write plus one
loop iteration. Past the window, events stay in the queue and are claimed in batches
as room frees up, oldest due first. Delays and retries wait in the queue too, with
one timer for the earliest due time. FIFO order is the queue's: only the head of a
(subscriber, message group) lane can be claimed, and acking it claims the next.

Outcomes of one attempt:
- success: ack (in the background; the next delivery does not wait for it);
- ``PermanentFailure``: dead letter at once;
- ``AttemptLost``: the runner died under it. Charged, it is a failed attempt like any
  other; otherwise it runs again without spending its budget. Either way it may be
  marked to run alone (``Delivery.isolate``); such deliveries have their own small
  number of slots, so that waiting for isolation never starves the rest;
- any other exception: retry after ``policy.retry_delay(attempt)`` until
  ``max_retries`` retries are used, then dead letter.

How long an attempt may run is ``deliver``'s business: the runtime's invocation
cancels a handler past its step's ``infrastructure.handler.timeout``, which fails the attempt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Literal, TypeAlias

from supervisor.storage import JsonValue, RedisUnavailable

from ._attempt import (
    Deliver,
    DeliveryObserver,
    Outcome,
    attempt_runner,
    being_cancelled,
    describe,
    log_fields,
)
from ._queue import EventQueue
from ._types import (
    AttemptLost,
    Delivery,
    MissingMessageGroup,
    PermanentFailure,
    QueuePolicy,
    Target,
)

logger = logging.getLogger("motia.queue")

PolicyFor: TypeAlias = Callable[[str], QueuePolicy]
_State: TypeAlias = Literal["new", "starting", "running", "stopping", "stopped"]

DEFAULT_CONCURRENCY = 256
WINDOW_PER_SLOT = 2
"""The window is this many times ``concurrency``: a batch of claimed deliveries waits for
each running one, so a finished handler is replaced without waiting for a read."""
ISOLATED_SLOTS = 4


class _Slots:
    """Deliveries running under one limit, and the claimed ones waiting for a free slot."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running: set[asyncio.Task[None]] = set()
        self.waiting: deque[Delivery] = deque()

    def __len__(self) -> int:
        return len(self.running) + len(self.waiting)


class EventBus:
    def __init__(
        self,
        queue: EventQueue,
        deliver: Deliver,
        policy_for: PolicyFor,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        window: int | None = None,
        observer: DeliveryObserver | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"EventBus concurrency must be at least 1, got {concurrency}")
        self._queue = queue
        self._deliver = deliver
        self._policy_for = policy_for
        self._observer = observer
        self._window = max(window or WINDOW_PER_SLOT * concurrency, 1)
        self._state: _State = "new"
        self._slots = _Slots(concurrency)
        self._isolated = _Slots(ISOLATED_SLOTS)
        # Room promised to writes in progress (a publish that claims, a FIFO ack that claims
        # the next one), so that concurrent ones cannot overfill the window between them.
        self._reserved = 0
        # Runnable deliveries may be waiting in the queue (they did not fit in their slots'
        # room), per kind: isolated or not.
        self._backlog = {False: False, True: False}
        self._refill_wanted = False
        self._refill_task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.TimerHandle | None = None
        self._wakeup_at = 0.0
        self._writes: set[asyncio.Task[None]] = set()
        self._acks_due: list[int] = []

    @property
    def in_flight(self) -> int:
        """Deliveries whose handler is running now."""
        return len(self._slots.running) + len(self._isolated.running)

    @property
    def in_memory(self) -> int:
        """Deliveries held in memory: running, or claimed and waiting for a slot.

        At most the window, plus the few isolated ones (``ISOLATED_SLOTS``).
        """
        return len(self._slots) + len(self._isolated) + self._reserved

    @property
    def window(self) -> int:
        return self._window

    @property
    def isolated_slots(self) -> int:
        """How many isolated deliveries may run at once, apart from ``concurrency``."""
        return self._isolated.limit

    async def start(self) -> None:
        """Void what a previous run had claimed, then deliver the backlog and new events."""
        if self._state != "new":
            raise RuntimeError(f"EventBus.start() called on a bus that is {self._state}")
        self._state = "starting"
        released = await self._queue.release_claims()
        if self._state != "starting":  # stop() was called meanwhile
            return
        self._state = "running"
        if released:
            logger.info("resuming %d deliveries that were running when the previous run stopped", released)
        self._backlog = {False: True, True: True}
        self._queue.watch(self._on_queue_wake)
        self._request_refill()

    async def publish(
        self,
        topic: str,
        data: JsonValue,
        trace_id: str,
        subscribers: Sequence[str],
        message_group_id: str | None = None,
    ) -> list[Delivery]:
        """Queue one delivery per subscriber (durable on return) and dispatch them.

        Raises ``MissingMessageGroup`` if a subscriber is FIFO and no group is given: which
        order to keep would be a guess. Before ``start()`` or after ``stop()`` the deliveries
        are only queued; the next ``start()`` picks them up, so events emitted during
        shutdown are not lost.
        """
        targets = [self._target(name) for name in subscribers]
        fifo = [target.subscriber for target in targets if target.fifo]
        if fifo and not message_group_id:
            raise MissingMessageGroup(
                f"topic {topic!r} has FIFO subscriber(s) {', '.join(fifo)}: emit it with a "
                "messageGroupId (a non-empty string; events of one group run in order)"
            )
        claim = self._state == "running" and not self._backlog[False] and self._room() >= len(targets)
        reserved = len(targets) if claim else 0
        self._reserved += reserved
        try:
            deliveries = await self._queue.enqueue(
                topic, data, trace_id, targets, message_group_id, claim=claim
            )
        finally:
            self._reserved -= reserved
        now = time.time()
        for delivery in deliveries:
            if delivery.claimed:
                self._dispatch(delivery)
            elif delivery.available_at > now:
                self._wake_at(delivery.available_at)
            elif not delivery.held:
                # Left for a batch read (no room, or a shared queue left it for older ones first);
                # one held behind its FIFO lane comes when the lane moves.
                self._backlog[False] = True
                self._request_refill()
        return deliveries

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        """Put a dead letter back in the queue (attempts 0) and dispatch it."""
        delivery = await self._queue.replay_dead_letter(dead_letter_id)
        self._backlog[False] = True
        self._request_refill()
        return delivery

    async def replay_dead_letters(self, subscriber: str | None = None) -> list[Delivery]:
        """Put every dead letter (of one subscriber if given) back in the queue; returns the new
        deliveries."""
        replayed = await self._queue.replay_dead_letters(subscriber)
        if replayed:
            self._backlog[False] = True
            self._request_refill()
        return replayed

    async def stop(self, timeout: float = 10.0) -> None:
        """Dispatch nothing new; wait up to ``timeout`` for running handlers, then cancel them.

        Whatever did not finish stays in the queue and is delivered again by the next start().
        """
        if self._state in ("stopping", "stopped"):
            return
        self._state = "stopping"
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        refill = self._refill_task
        if refill is not None:
            # Waited for, not only cancelled: a claim cut off mid-command must let go of its
            # connection before the caller closes the store (or its event loop) under it.
            refill.cancel()
            await asyncio.wait([refill])
        # Claimed but never started: their claims are void at the next start().
        self._slots.waiting.clear()
        self._isolated.waiting.clear()
        running = self._slots.running | self._isolated.running
        if running:
            _, unfinished = await asyncio.wait(running, timeout=timeout)
            if unfinished:
                logger.warning(
                    "%d event handler(s) still running after %.1fs; cancelling them (they will be "
                    "delivered again on the next start)",
                    len(unfinished),
                    timeout,
                )
                for task in unfinished:
                    task.cancel()
                await asyncio.wait(unfinished)
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        self._state = "stopped"

    # -- the window (all synchronous, on the event loop, except the reads themselves) ---------

    def _room(self, slots: _Slots | None = None) -> int:
        if slots is self._isolated:
            return slots.limit - len(slots)
        return self._window - len(self._slots) - self._reserved

    def _request_refill(self) -> None:
        self._refill_wanted = True
        if self._refill_task is None and self._state == "running":
            self._refill_task = asyncio.get_running_loop().create_task(self._refill())

    async def _refill(self) -> None:
        try:
            while self._refill_wanted and self._state == "running":
                self._refill_wanted = False
                now = time.time()
                for slots in (self._slots, self._isolated):
                    isolated = slots is self._isolated
                    room = self._room(slots)
                    if not self._backlog[isolated] or room <= 0:
                        continue
                    # Cleared before the read, not after it: a delivery queued while the claim is on
                    # its way (which the claim may not see) sets it again, and the next turn of this
                    # loop reads it; cleared after, that mark was lost and the delivery waited for
                    # the next timer.
                    self._backlog[isolated] = False
                    batch = await self._queue.claim(room, now, isolated=isolated)
                    if self._state != "running":
                        return  # stopping: the claims are void at the next start
                    for delivery in batch:
                        self._dispatch(delivery)
                    if len(batch) == room:
                        self._backlog[isolated] = True
                due = await self._queue.next_due(now)
                if due is not None:
                    self._wake_at(due)
        except RedisUnavailable:
            # Reported (once, then while it lasts) by the connection; nothing is lost.
            self._wake_at(time.time() + 1.0)
        except Exception:
            # Storage trouble: nothing is lost (the rows are in the queue); look again soon.
            logger.exception("could not read the event queue; trying again in 1s")
            self._wake_at(time.time() + 1.0)
        finally:
            self._refill_task = None

    def _wake_at(self, when: float) -> None:
        if self._state != "running" or (self._wakeup is not None and self._wakeup_at <= when):
            return
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup_at = when
        self._wakeup = asyncio.get_running_loop().call_later(max(0.0, when - time.time()), self._on_wakeup)

    def _on_queue_wake(self) -> None:
        """The queue says something may be runnable that this bus did not put there."""
        if self._state == "running":
            self._backlog = {False: True, True: True}
            self._request_refill()

    def _on_wakeup(self) -> None:
        self._wakeup = None
        # Something came due: a delay, a retry, isolated or not.
        self._backlog = {False: True, True: True}
        self._request_refill()

    def _dispatch(self, delivery: Delivery) -> None:
        if self._state != "running":
            return
        slots = self._isolated if delivery.isolate else self._slots
        if len(slots.running) < slots.limit:
            self._start(delivery, slots)
        else:
            slots.waiting.append(delivery)

    def _start(self, delivery: Delivery, slots: _Slots) -> None:
        task = asyncio.get_running_loop().create_task(self._attempt(delivery))
        slots.running.add(task)
        task.add_done_callback(self._on_attempt_done)

    def _on_attempt_done(self, task: asyncio.Task[None]) -> None:
        slots = self._slots if task in self._slots.running else self._isolated
        slots.running.discard(task)
        if self._state != "running":
            return
        while slots.waiting and len(slots.running) < slots.limit:
            self._start(slots.waiting.popleft(), slots)
        isolated = slots is self._isolated
        # Read in batches of at least a quarter of the window, not one row per finished handler.
        if self._backlog[isolated] and (isolated or self._room() * 4 >= self._window):
            self._request_refill()

    # -- one attempt ---------------------------------------------------------------------

    async def _attempt(self, delivery: Delivery) -> None:
        attempt = delivery.attempts + 1
        attempt_runner.set(None)  # until ``deliver`` says which runner took it
        policy = self._policy(delivery.subscriber)
        try:
            await self._deliver(delivery)
        except PermanentFailure as exc:
            await self._dead_letter(delivery, attempt, exc.message, policy)
        except AttemptLost as lost:
            if lost.charged:
                await self._failed(delivery, attempt, policy, lost.message, isolate=lost.isolate)
            else:
                await self._resume_later(delivery, policy, lost.message, isolate=lost.isolate)
        except asyncio.CancelledError:
            if being_cancelled():
                raise  # stop() gave up on us: the delivery stays pending for the next run
            # Cancelled from inside (e.g. an invocation future cancelled): a failure.
            error = "CancelledError: the handler's invocation was cancelled"
            await self._failed(delivery, attempt, policy, error)
        except Exception as exc:
            await self._failed(delivery, attempt, policy, describe(exc))
        else:
            self._observe(delivery, "ok", attempt)
            self._ack(delivery, policy)

    def _observe(
        self,
        delivery: Delivery,
        outcome: Outcome,
        attempt: int,
        error: str | None = None,
        at: float | None = None,
    ) -> None:
        if self._observer is None:
            return
        try:
            self._observer(delivery, outcome, attempt, error, at)
        except Exception:
            logger.exception("the delivery observer failed on delivery %d", delivery.id)

    async def _failed(
        self, delivery: Delivery, attempt: int, policy: QueuePolicy, error: str, *, isolate: bool = False
    ) -> None:
        if attempt > policy.max_retries:
            await self._dead_letter(delivery, attempt, error, policy)
            return
        delay = policy.retry_delay(attempt)
        logger.warning(
            "step %s failed on topic %s (attempt %d of %d), retrying in %.2fs: %s",
            delivery.subscriber,
            delivery.topic,
            attempt,
            policy.max_retries + 1,
            delay,
            error,
            extra=log_fields(delivery, attempt),
        )
        self._observe(delivery, "retry", attempt, error, time.time() + delay)
        await self._retry(delivery, attempt, delay, error, isolate)

    async def _resume_later(
        self, delivery: Delivery, policy: QueuePolicy, error: str, *, isolate: bool
    ) -> None:
        delay = policy.resume_delay()
        logger.warning(
            "step %s on topic %s lost its attempt to a runner death it did not cause; running it again%s "
            "in %.2fs without spending a retry: %s",
            delivery.subscriber,
            delivery.topic,
            " alone" if isolate or delivery.isolate else "",
            delay,
            error,
            extra=log_fields(delivery, delivery.attempts + 1),
        )
        self._observe(delivery, "lost", delivery.attempts + 1, error, time.time() + delay)
        await self._retry(delivery, delivery.attempts, delay, error, isolate)

    async def _retry(
        self, delivery: Delivery, attempts: int, delay: float, error: str, isolate: bool
    ) -> None:
        available_at = time.time() + delay
        try:
            await self._queue.schedule_retry(delivery.id, attempts, available_at, error, isolate=isolate)
        except Exception:
            # The row is still ours (claimed): retry from memory rather than strand it until
            # a restart. At worst the failure is not counted if the process dies meanwhile.
            logger.exception("could not record the retry of delivery %d in the queue", delivery.id)
            retry = dataclasses.replace(
                delivery,
                attempts=attempts,
                available_at=available_at,
                last_error=error,
                isolate=delivery.isolate or isolate,
            )
            asyncio.get_running_loop().call_later(delay, self._dispatch, retry)
            return
        self._wake_at(available_at)

    async def _dead_letter(self, delivery: Delivery, attempt: int, error: str, policy: QueuePolicy) -> None:
        logger.error(
            "step %s on topic %s moved to the dead-letter queue after %d attempt(s): %s",
            delivery.subscriber,
            delivery.topic,
            attempt,
            error,
            extra=log_fields(delivery, attempt),
        )
        try:
            await self._queue.dead_letter(delivery.id, attempt, error)
        except Exception:
            logger.exception("could not move delivery %d to the dead-letter queue", delivery.id)
            return
        self._observe(delivery, "dead", attempt, error)
        if policy.fifo:
            self._request_refill()  # the next of its lane is runnable now

    def _ack(self, delivery: Delivery, policy: QueuePolicy) -> None:
        if not policy.fifo:
            # Acks are written together: those of every handler that finishes while the
            # previous batch is being written share one statement.
            self._acks_due.append(delivery.id)
            if len(self._acks_due) == 1:
                self._write_in_background(self._ack_due())
            return
        claim_next = self._room() > 0
        if claim_next:
            self._reserved += 1
        self._write_in_background(self._ack_fifo(delivery, claim_next))

    def _write_in_background(self, write: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(write)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _ack_due(self) -> None:
        await asyncio.sleep(0)  # let the handlers finishing in this loop turn join
        ids, self._acks_due = self._acks_due, []
        try:
            promoted = await self._queue.ack_all(ids)
        except Exception:
            # At-least-once: an ack that is lost only means one more delivery after a restart.
            logger.exception("could not ack %d deliveries (ids %d..%d)", len(ids), min(ids), max(ids))
            return
        for head in promoted:  # FIFO rows queued before their step became FIFO-less
            self._after_lane_moved(head)

    async def _ack_fifo(self, delivery: Delivery, claim_next: bool) -> None:
        try:
            after = await self._queue.ack(delivery.id, claim_next=claim_next)
        except Exception:
            logger.exception("could not ack delivery %d (step %s)", delivery.id, delivery.subscriber)
            return
        finally:
            if claim_next:
                self._reserved -= 1
        if after is not None:
            self._after_lane_moved(after)

    def _after_lane_moved(self, head: Delivery) -> None:
        """The next delivery of a FIFO lane is its head now: run it, or wait for it."""
        if head.claimed:
            self._dispatch(head)
        elif head.available_at > time.time():
            self._wake_at(head.available_at)
        else:
            self._backlog[head.isolate] = True
            self._request_refill()

    def _target(self, subscriber: str) -> Target:
        policy = self._policy(subscriber)
        return Target(subscriber, policy.delay_seconds, policy.fifo)

    def _policy(self, subscriber: str) -> QueuePolicy:
        try:
            return self._policy_for(subscriber)
        except Exception:
            # A step removed since its events were queued: deliver() decides what happens
            # to them; the defaults keep them moving meanwhile.
            logger.warning("no queue policy for step %s; using the defaults", subscriber, exc_info=True)
            return QueuePolicy()
