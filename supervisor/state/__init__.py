"""Shared key/value state (Motia's ``state.get/set/delete/getGroup/clear``)."""

from ._memory import MemoryStateStore
from ._sqlite import SqliteStateStore
from ._store import StateStore

__all__ = ["MemoryStateStore", "SqliteStateStore", "StateStore"]
