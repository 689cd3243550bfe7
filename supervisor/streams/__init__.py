"""Real-time streams: item stores, and the ``Streams`` service every mutation goes through."""

from typing import TYPE_CHECKING

from supervisor.lazy import lazy_exports

from ._change import ChangeKind, StreamChange, StreamListener
from ._memory import MemoryStreamStore
from ._sqlite import SqliteStreamStore
from ._store import SharedStreamStore, StreamStore
from ._streams import Streams

if TYPE_CHECKING:
    from ._redis import RedisStreamStore

#: imported on first use, with the Redis client: a supervisor on SQLite never imports it
__getattr__ = lazy_exports(__name__, {"RedisStreamStore": "_redis"})

__all__ = [
    "ChangeKind",
    "MemoryStreamStore",
    "RedisStreamStore",
    "SharedStreamStore",
    "SqliteStreamStore",
    "StreamChange",
    "StreamListener",
    "StreamStore",
    "Streams",
]
