"""Shared key/value state (Motia's ``state.get/set/delete/getGroup/clear``)."""

from typing import TYPE_CHECKING

from supervisor.lazy import lazy_exports

from ._memory import MemoryStateStore
from ._sqlite import SqliteStateStore
from ._store import StateStore

if TYPE_CHECKING:
    from ._redis import RedisStateStore

#: imported on first use, with the Redis client: a supervisor on SQLite never imports it
__getattr__ = lazy_exports(__name__, {"RedisStateStore": "_redis"})

__all__ = ["MemoryStateStore", "RedisStateStore", "SqliteStateStore", "StateStore"]
