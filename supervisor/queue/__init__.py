"""The durable event queue (memory, SQLite, Redis) and the bus that delivers its events to steps."""

from ._attempt import Deliver, DeliveryObserver, Outcome
from ._bus import EventBus, PolicyFor
from ._memory import MemoryEventQueue
from ._queue import EventQueue, UnknownDeliveryError
from ._redis import RedisEventQueue
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
]
