"""One harness for the contract suites every storage adapter passes (memory, SQLite and Redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import pytest

from supervisor.storage import RedisConnection, SqliteDatabase

ADAPTER_KINDS = ["memory", "sqlite", "redis"]
#: the kinds whose data outlives the process (the reopen tests)
DURABLE_KINDS = ["sqlite", "redis"]


class Closable(Protocol):
    async def close(self) -> None: ...


A = TypeVar("A", bound=Closable)


class AdapterHarness(Generic[A]):
    """Opens one adapter of ``kind``; ``reopen`` simulates a restart (only durable adapters keep data).

    Redis adapters use the session's redis-server under a key prefix of the test's own.
    """

    def __init__(
        self,
        kind: str,
        path: Path,
        memory: Callable[[], A],
        sqlite: Callable[[SqliteDatabase], A],
        redis: Callable[[RedisConnection], A],
        redis_location: tuple[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.path = path
        self._memory = memory
        self._sqlite = sqlite
        self._redis = redis
        self._redis_location = redis_location
        self.db: SqliteDatabase | None = None
        self.connection: RedisConnection | None = None
        self.adapter: A

    @classmethod
    async def open(
        cls,
        kind: str,
        path: Path,
        memory: Callable[[], A],
        sqlite: Callable[[SqliteDatabase], A],
        redis: Callable[[RedisConnection], A],
        request: pytest.FixtureRequest | None = None,
    ) -> AdapterHarness[A]:
        location = None
        if kind == "redis":
            assert request is not None, "a redis harness needs the test's request (for redis_server)"
            server = request.getfixturevalue("redis_server")
            location = (server.url, request.getfixturevalue("redis_prefix"))
        harness = cls(kind, path, memory, sqlite, redis, location)
        harness.adapter = await harness._open()
        return harness

    async def _open(self) -> A:
        if self.kind == "memory":
            return self._memory()
        if self.kind == "redis":
            assert self._redis_location is not None
            self.connection = await RedisConnection.open(*self._redis_location)
            return self._redis(self.connection)
        self.db = SqliteDatabase(self.path)
        return self._sqlite(self.db)

    async def close(self) -> None:
        await self.adapter.close()
        if self.db is not None:
            await self.db.close()
            self.db = None
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    async def reopen(self) -> A:
        await self.close()
        self.adapter = await self._open()
        return self.adapter


@dataclass(frozen=True)
class Adapters(Generic[A]):
    """The three adapters of one store (a queue, a state store...): what its contract suite runs over."""

    memory: Callable[[], A]
    sqlite: Callable[[SqliteDatabase], A]
    redis: Callable[[RedisConnection], A]

    async def open(
        self, kind: str, path: Path, request: pytest.FixtureRequest | None = None
    ) -> AdapterHarness[A]:
        return await AdapterHarness.open(kind, path, self.memory, self.sqlite, self.redis, request)

    def harness_fixture(self) -> Callable[..., AsyncIterator[AdapterHarness[A]]]:
        """A ``harness`` fixture: each test that uses it runs once per kind of ``ADAPTER_KINDS``, on a
        harness opened on the test's own database (``tmp_path/.motia/motia.db``) and closed after it."""

        @pytest.fixture(params=ADAPTER_KINDS)
        async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AdapterHarness[A]]:
            opened = await self.open(request.param, tmp_path / ".motia" / "motia.db", request)
            yield opened
            await opened.close()

        return harness
