"""``EventBus``: turns queued deliveries into calls of ``deliver``, with retries and FIFO lanes.

It knows nothing of runners or HTTP: whoever builds it passes the ``deliver``
coroutine (run one step on one event) and ``policy_for`` (a step's queue config).

Every event is committed to the queue before anyone is told it was published,
then dispatched straight away in this process: there is no polling, so the time
from publish to handler start is one queue write plus one loop iteration. The
queue is read back only by ``start()``, to resume what a previous run left.

Outcomes of one attempt:
- success: ack (in the background; the next delivery does not wait for it);
- ``PermanentFailure``: dead letter at once;
- any other exception (or ``timeout_seconds`` passed): retry after
  ``policy.retry_delay(attempt)`` until ``max_retries`` retries are used, then dead letter.

A FIFO subscriber has one lane per message group: the lane's head (including its
retries) runs to its end before the next delivery of that group starts. Other
lanes and non-FIFO deliveries run in parallel, ``concurrency`` at most in total.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from supervisor.storage import JsonValue

from ._queue import EventQueue
from ._types import Delivery, PermanentFailure, QueuePolicy

logger = logging.getLogger("motia.queue")

Deliver: TypeAlias = Callable[[Delivery], Awaitable[None]]
PolicyFor: TypeAlias = Callable[[str], QueuePolicy]
_LaneKey: TypeAlias = tuple[str, str | None]
_State: TypeAlias = Literal["new", "starting", "running", "stopping", "stopped"]

DEFAULT_CONCURRENCY = 256


class DeliveryTimeout(Exception):
    """An attempt outlived its subscriber's ``timeout_seconds`` (it counts as a failed attempt)."""


@dataclass(slots=True, eq=False)
class _Lane:
    """The deliveries of one (FIFO subscriber, message group), in order; ``busy`` while its head runs."""

    key: _LaneKey
    waiting: deque[Delivery] = field(default_factory=deque)
    busy: bool = False


class EventBus:
    def __init__(
        self,
        queue: EventQueue,
        deliver: Deliver,
        policy_for: PolicyFor,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"EventBus concurrency must be at least 1, got {concurrency}")
        self._queue = queue
        self._deliver = deliver
        self._policy_for = policy_for
        self._limit = concurrency
        self._state: _State = "new"
        # Ids this bus has taken charge of (waiting, timed, running): a delivery seen both
        # by start()'s recovery and by a concurrent publish is dispatched once.
        self._tracked: set[int] = set()
        self._early: list[Delivery] = []
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._ready: deque[tuple[Delivery, _Lane | None]] = deque()
        self._lanes: dict[_LaneKey, _Lane] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._acks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Deliveries whose handler is running now."""
        return len(self._tasks)

    async def start(self) -> None:
        """Resume the deliveries a previous run left in the queue, then dispatch new ones."""
        if self._state != "new":
            raise RuntimeError(f"EventBus.start() called on a bus that is {self._state}")
        self._state = "starting"
        recovered = await self._queue.pending()
        if self._state != "starting":  # stop() was called meanwhile
            return
        self._state = "running"
        if recovered:
            logger.info("resuming %d queued deliveries from the previous run", len(recovered))
        # Recovered first: they are older than anything published while we were reading.
        for delivery in [*recovered, *self._early]:
            self._accept(delivery)
        self._early.clear()

    async def publish(
        self,
        topic: str,
        data: JsonValue,
        trace_id: str,
        subscribers: Sequence[str],
        message_group_id: str | None = None,
    ) -> list[Delivery]:
        """Queue one delivery per subscriber (durable on return) and dispatch them.

        Before ``start()`` or after ``stop()`` the deliveries are only queued; the next
        ``start()`` picks them up, so events emitted during shutdown are not lost.
        """
        targets = [(name, self._policy(name).delay_seconds) for name in subscribers]
        deliveries = await self._queue.enqueue(topic, data, trace_id, targets, message_group_id)
        self._take_new(deliveries)
        return deliveries

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        """Put a dead letter back in the queue (attempts 0) and dispatch it."""
        delivery = await self._queue.replay_dead_letter(dead_letter_id)
        self._take_new([delivery])
        return delivery

    async def stop(self, timeout: float = 10.0) -> None:
        """Dispatch nothing new; wait up to ``timeout`` for running handlers, then cancel them.

        Whatever did not finish stays in the queue and is delivered again by the next start().
        """
        if self._state in ("stopping", "stopped"):
            return
        self._state = "stopping"
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._ready.clear()
        self._lanes.clear()
        self._early.clear()
        if self._tasks:
            _, unfinished = await asyncio.wait(set(self._tasks), timeout=timeout)
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
        if self._acks:
            await asyncio.gather(*self._acks, return_exceptions=True)
        self._tracked.clear()
        self._state = "stopped"

    # -- scheduling (all synchronous, on the event loop) --------------------------------

    def _take_new(self, deliveries: list[Delivery]) -> None:
        if self._state == "running":
            for delivery in deliveries:
                self._accept(delivery)
        elif self._state == "starting":
            self._early.extend(deliveries)

    def _accept(self, delivery: Delivery) -> None:
        if delivery.id in self._tracked:
            return
        self._tracked.add(delivery.id)
        if not self._policy(delivery.subscriber).fifo:
            self._when_due(delivery, None)
            return
        key = (delivery.subscriber, delivery.message_group_id)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key)
        lane.waiting.append(delivery)
        self._advance(lane)

    def _advance(self, lane: _Lane) -> None:
        if lane.busy or self._state != "running":
            return
        if not lane.waiting:
            self._lanes.pop(lane.key, None)
            return
        lane.busy = True
        self._when_due(lane.waiting.popleft(), lane)

    def _when_due(self, delivery: Delivery, lane: _Lane | None) -> None:
        delay = delivery.available_at - time.time()
        if delay <= 0:
            self._submit(delivery, lane)
        else:
            loop = asyncio.get_running_loop()
            self._timers[delivery.id] = loop.call_later(delay, self._on_due, delivery, lane)

    def _on_due(self, delivery: Delivery, lane: _Lane | None) -> None:
        self._timers.pop(delivery.id, None)
        self._submit(delivery, lane)

    def _submit(self, delivery: Delivery, lane: _Lane | None) -> None:
        if self._state != "running":
            return
        if len(self._tasks) < self._limit:
            self._start(delivery, lane)
        else:
            self._ready.append((delivery, lane))

    def _start(self, delivery: Delivery, lane: _Lane | None) -> None:
        task = asyncio.get_running_loop().create_task(self._attempt(delivery, lane))
        self._tasks.add(task)
        task.add_done_callback(self._on_attempt_done)

    def _on_attempt_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        while self._ready and len(self._tasks) < self._limit and self._state == "running":
            self._start(*self._ready.popleft())

    # -- one attempt -------------------------------------------------------------------

    async def _attempt(self, delivery: Delivery, lane: _Lane | None) -> None:
        attempt = delivery.attempts + 1
        policy = self._policy(delivery.subscriber)
        retrying = False
        try:
            try:
                await self._run_handler(delivery, policy.timeout_seconds)
            except PermanentFailure as exc:
                await self._dead_letter(delivery, attempt, exc.message)
            except asyncio.CancelledError:
                if _being_cancelled():
                    raise  # stop() gave up on us: the delivery stays pending for the next run
                # Cancelled from inside (e.g. the runner holding the invocation died): a failure.
                error = "CancelledError: the handler's invocation was cancelled"
                retrying = await self._failed(delivery, lane, attempt, policy, error)
            except Exception as exc:
                retrying = await self._failed(delivery, lane, attempt, policy, _describe(exc))
            else:
                self._ack(delivery)
        finally:
            # Also on cancellation (stop): the lane is released, but _advance starts
            # nothing once the bus is stopping.
            if not retrying:
                self._tracked.discard(delivery.id)
                if lane is not None:
                    lane.busy = False
                    self._advance(lane)

    async def _run_handler(self, delivery: Delivery, limit: float | None) -> None:
        if limit is None:
            await self._deliver(delivery)
            return
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                await self._deliver(delivery)
        except TimeoutError:
            # Tell our deadline apart from a TimeoutError the handler raised itself.
            if deadline.expired():
                raise DeliveryTimeout(f"handler still running after {limit}s; cancelled") from None
            raise

    async def _failed(
        self, delivery: Delivery, lane: _Lane | None, attempt: int, policy: QueuePolicy, error: str
    ) -> bool:
        """Record a failed attempt; returns True if a retry was scheduled."""
        if attempt > policy.max_retries:
            await self._dead_letter(delivery, attempt, error)
            return False
        delay = policy.retry_delay(attempt)
        logger.warning(
            "step %s failed on topic %s (attempt %d of %d), retrying in %.2fs: %s",
            delivery.subscriber,
            delivery.topic,
            attempt,
            policy.max_retries + 1,
            delay,
            error,
            extra=_log_fields(delivery, attempt),
        )
        retry = dataclasses.replace(
            delivery, attempts=attempt, available_at=time.time() + delay, last_error=error
        )
        try:
            await self._queue.schedule_retry(delivery.id, attempt, retry.available_at, error)
        except Exception:
            # The row is still pending; retrying in memory anyway only risks one extra
            # attempt after a restart, while giving up here would strand the event.
            logger.exception("could not record the retry of delivery %d in the queue", delivery.id)
        if self._state != "running":
            return False
        # A FIFO lane stays busy: its head's retry must run before the rest of the group.
        self._when_due(retry, lane)
        return True

    async def _dead_letter(self, delivery: Delivery, attempt: int, error: str) -> None:
        logger.error(
            "step %s on topic %s moved to the dead-letter queue after %d attempt(s): %s",
            delivery.subscriber,
            delivery.topic,
            attempt,
            error,
            extra=_log_fields(delivery, attempt),
        )
        try:
            await self._queue.dead_letter(delivery.id, attempt, error)
        except Exception:
            logger.exception("could not move delivery %d to the dead-letter queue", delivery.id)

    def _ack(self, delivery: Delivery) -> None:
        task = asyncio.get_running_loop().create_task(self._ack_now(delivery))
        self._acks.add(task)
        task.add_done_callback(self._acks.discard)

    async def _ack_now(self, delivery: Delivery) -> None:
        try:
            await self._queue.ack(delivery.id)
        except Exception:
            # At-least-once: an ack that is lost only means one more delivery after a restart.
            logger.exception("could not ack delivery %d (step %s)", delivery.id, delivery.subscriber)

    def _policy(self, subscriber: str) -> QueuePolicy:
        try:
            return self._policy_for(subscriber)
        except Exception:
            # A step removed since its events were queued: deliver() decides what happens
            # to them; the defaults keep them moving meanwhile.
            logger.warning("no queue policy for step %s; using the defaults", subscriber, exc_info=True)
            return QueuePolicy()


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _log_fields(delivery: Delivery, attempt: int) -> dict[str, object]:
    return {
        "step": delivery.subscriber,
        "topic": delivery.topic,
        "attempt": attempt,
        "trace_id": delivery.trace_id,
        "delivery_id": delivery.id,
    }
