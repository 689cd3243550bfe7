"""Every runner serving the project, one row each: ``GET /__motia/runners`` and ``motia runners``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from supervisor.runners import AttachedRunners, RunnerPool

_MB = 1024 * 1024


@dataclass(frozen=True)
class RunnerRow:
    id: str
    language: str
    #: "stdio" (started by the supervisor) or "grpc" (started by hand, attached)
    transport: str
    pid: int | None
    #: the steps it takes; None: every step of its language
    steps: list[str] | None
    in_flight: int
    uptime_s: float
    #: how often its pool restarted a runner (None for an attached runner: nobody restarts it)
    restarts: int | None
    memory_mb: float | None
    #: where an attached runner dialled in from
    peer: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "language": self.language,
            "transport": self.transport,
            "pid": self.pid,
            "steps": self.steps,
            "inFlight": self.in_flight,
            "uptimeSeconds": round(self.uptime_s, 1),
            "restarts": self.restarts,
            "memoryMb": None if self.memory_mb is None else round(self.memory_mb, 1),
            "peer": self.peer,
        }


def runner_rows(pools: Mapping[str, RunnerPool], attached: AttachedRunners) -> list[RunnerRow]:
    now = time.monotonic()
    rows: list[RunnerRow] = []
    for language, pool in pools.items():
        for connection in pool.connections():
            rss = pool.rss(connection)
            rows.append(
                RunnerRow(
                    connection.runner_id,
                    language,
                    connection.transport,
                    connection.pid,
                    None,
                    connection.in_flight,
                    now - connection.started_at,
                    pool.restarts,
                    None if rss is None else rss / _MB,
                )
            )
    for runner in attached.connected():
        connection = runner.connection
        rss = runner.rss()
        rows.append(
            RunnerRow(
                connection.runner_id,
                runner.language,
                connection.transport,
                connection.pid,
                None if runner.steps is None else sorted(runner.steps),
                connection.in_flight,
                now - runner.since,
                None,
                None if rss is None else rss / _MB,
                connection.peer,
            )
        )
    return rows
