"""The queue's vocabulary: deliveries, dead letters, per-subscriber policy, attempt outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from supervisor.storage import JsonValue


class Target(NamedTuple):
    """One subscriber an event is queued for, and how its queue treats the new delivery.

    ``fifo``: the delivery joins its (subscriber, message group) lane and runs after the
    ones before it. (A tuple: one is built per subscriber of every emit.)
    """

    subscriber: str
    delay_seconds: float = 0.0
    fifo: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event on its way to one subscriber step (each subscriber has its own row)."""

    id: int
    topic: str
    subscriber: str
    data: JsonValue
    trace_id: str
    message_group_id: str | None
    attempts: int
    """Attempts already charged: 0 for a fresh one (attempts lost to others' faults do not count)."""
    available_at: float
    """Unix time before which it must not be delivered (delay or retry backoff)."""
    last_error: str | None
    isolate: bool = False
    """It was in flight when a runner died: its next attempts run alone (README, Guarantees)."""
    claimed: bool = field(default=False, compare=False)
    """Handed to the caller that read it (enqueue(claim=True), claim(), ack(claim_next=True)):
    nobody else reads it until it is acked, dead-lettered, retried or released."""
    held: bool = field(default=False, compare=False)
    """Waiting behind the head of its FIFO lane (as ``enqueue`` returned it): it becomes runnable when
    the deliveries before it are acked or dead-lettered, not before."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A delivery that failed for good, parked until someone inspects, replays or purges it."""

    id: int
    """The id the delivery had in the queue."""
    topic: str
    subscriber: str
    data: JsonValue
    trace_id: str
    message_group_id: str | None
    attempts: int
    last_error: str
    failed_at: float


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """How one subscriber step consumes its queue (from its config's ``infrastructure.queue``)."""

    max_retries: int = 3
    """Retries after the first attempt: a handler runs at most ``1 + max_retries`` times."""
    fifo: bool = False
    """Deliveries of one (subscriber, message group) run one at a time, in order."""
    delay_seconds: float = 0.0
    """Wait before the first attempt."""
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    visibility_timeout: float | None = None
    """Set (``queue.visibilityTimeout`` written in the step's config): a failed delivery becomes
    visible again this many seconds after the failure, as in Motia and SQS, instead of backing off."""

    def retry_delay(self, attempt: int) -> float:
        """Wait after failed attempt number ``attempt`` (1-based)."""
        if self.visibility_timeout is not None:
            return self.visibility_timeout
        # base, 2*base, 4*base..., capped. Past ~64 doublings the float overflows; the cap
        # has long been reached by then.
        return min(self.backoff_cap, self.backoff_base * 2.0 ** min(attempt - 1, 64))

    def resume_delay(self) -> float:
        """Wait before re-running an attempt lost to someone else's fault (not a failure of its own)."""
        return min(self.backoff_base, self.backoff_cap)


class PermanentFailure(Exception):
    """Raised by a ``deliver`` callable for failures a retry cannot fix (e.g. input-schema errors).

    The delivery goes to the dead-letter list at once, with ``message`` as its error.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AttemptLost(Exception):
    """Raised by a ``deliver`` callable when the attempt was cut short by its runner's death.

    ``charged``: the attempt counts against ``max_retries`` (the runner died for this delivery's
    own sake). Otherwise it is re-run without spending the budget. ``isolate``: later attempts
    should run alone, where a death can only be their own.
    """

    def __init__(self, message: str, *, charged: bool, isolate: bool) -> None:
        super().__init__(message)
        self.message = message
        self.charged = charged
        self.isolate = isolate


class MissingMessageGroup(ValueError):
    """An event for a FIFO subscriber was published without a ``messageGroupId``."""
