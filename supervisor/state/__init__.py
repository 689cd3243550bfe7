"""Shared key/value state (Motia's ``state.get/set/delete/getGroup/clear``)."""

from ._memory import MemoryStateStore
from ._redis import RedisStateStore
from ._sqlite import SqliteStateStore
from ._store import StateStore

__all__ = ["MemoryStateStore", "RedisStateStore", "SqliteStateStore", "StateStore"]
