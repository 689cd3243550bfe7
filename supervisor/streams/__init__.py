"""Real-time streams: item stores, and the ``Streams`` service every mutation goes through."""

from ._change import ChangeKind, StreamChange, StreamListener
from ._memory import MemoryStreamStore
from ._redis import RedisStreamStore
from ._sqlite import SqliteStreamStore
from ._store import SharedStreamStore, StreamStore
from ._streams import Streams

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
