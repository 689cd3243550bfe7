"""One harness for the contract suites every storage adapter passes (memory and SQLite twins)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from supervisor.storage import SqliteDatabase


class Closable(Protocol):
    async def close(self) -> None: ...


A = TypeVar("A", bound=Closable)

ADAPTER_KINDS = ["memory", "sqlite"]


class AdapterHarness(Generic[A]):
    """Opens one adapter of ``kind``; ``reopen`` simulates a restart (only durable adapters keep data)."""

    def __init__(
        self, kind: str, path: Path, memory: Callable[[], A], sqlite: Callable[[SqliteDatabase], A]
    ) -> None:
        self.kind = kind
        self.path = path
        self._memory = memory
        self._sqlite = sqlite
        self.db: SqliteDatabase | None = None
        self.adapter: A = self._open()

    def _open(self) -> A:
        if self.kind == "memory":
            return self._memory()
        self.db = SqliteDatabase(self.path)
        return self._sqlite(self.db)

    async def close(self) -> None:
        await self.adapter.close()
        if self.db is not None:
            await self.db.close()

    async def reopen(self) -> A:
        await self.close()
        self.adapter = self._open()
        return self.adapter
