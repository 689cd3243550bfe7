"""The queue's vocabulary: deliveries, dead letters, per-subscriber policy, permanent failure."""

from __future__ import annotations

from dataclasses import dataclass

from supervisor.storage import JsonValue


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
    """Deliveries already tried: 0 for a fresh one."""
    available_at: float
    """Unix time before which it must not be delivered (delay or retry backoff)."""
    last_error: str | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A delivery that failed for good, parked until someone inspects or replays it."""

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
    timeout_seconds: float | None = None
    """An attempt still running after this long is cancelled and counts as failed."""

    def retry_delay(self, attempt: int) -> float:
        """Wait after failed attempt number ``attempt`` (1-based): base, 2*base, 4*base..., capped."""
        # Past ~64 doublings the float overflows; the cap has long been reached by then.
        return min(self.backoff_cap, self.backoff_base * 2.0 ** min(attempt - 1, 64))


class PermanentFailure(Exception):
    """Raised by a ``deliver`` callable for failures a retry cannot fix (e.g. input-schema errors).

    The delivery goes to the dead-letter list at once, with ``message`` as its error.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
