"""The durable event queue (memory, SQLite, Redis) and the bus that delivers its events to steps."""

from typing import TYPE_CHECKING

from supervisor.lazy import lazy_exports

from ._attempt import Deliver, DeliveryObserver, Outcome, attempt_runner, repeats_last_error
from ._bus import EventBus, PolicyFor
from ._memory import MemoryEventQueue
from ._queue import EventQueue, UnknownDeliveryError
from ._sqlite import SqliteEventQueue
from ._types import (
    AttemptLost,
    DeadLetter,
    Delivery,
    MissingMessageGroup,
    PermanentFailure,
    QueuePolicy,
    Target,
)

if TYPE_CHECKING:
    from ._redis import RedisEventQueue

#: imported on first use, with the Redis client: a supervisor on SQLite never imports it
__getattr__ = lazy_exports(__name__, {"RedisEventQueue": "_redis"})

__all__ = [
    "AttemptLost",
    "DeadLetter",
    "Deliver",
    "Delivery",
    "DeliveryObserver",
    "EventBus",
    "EventQueue",
    "MemoryEventQueue",
    "MissingMessageGroup",
    "Outcome",
    "PermanentFailure",
    "PolicyFor",
    "QueuePolicy",
    "RedisEventQueue",
    "SqliteEventQueue",
    "Target",
    "UnknownDeliveryError",
    "attempt_runner",
    "repeats_last_error",
]
