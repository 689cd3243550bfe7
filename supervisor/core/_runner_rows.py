"""Every runner serving the project, one row each: ``GET /__motia/runners`` and ``motia runners``."""

from __future__ import annotations

from collections.abc import Mapping

from supervisor.runners import AttachedRunners, RunnerPool, RunnerSnapshot


def runner_rows(pools: Mapping[str, RunnerPool], attached: AttachedRunners) -> list[RunnerSnapshot]:
    """The pools' own runners (stdio), then those attached by hand (gRPC)."""
    rows = [snapshot for pool in pools.values() for snapshot in pool.describe()]
    rows.extend(runner.describe() for runner in attached.connected())
    return rows
