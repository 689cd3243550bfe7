"""Every runner serving the project, one row each: ``GET /__motia/runners`` and ``motia runners``."""

from __future__ import annotations

from collections.abc import Mapping

from supervisor.runners import AttachedRunners, IsolatedRunner, RunnerPool, RunnerSnapshot


def runner_rows(
    pools: Mapping[str, RunnerPool], isolated: Mapping[str, IsolatedRunner], attached: AttachedRunners
) -> list[RunnerSnapshot]:
    """The pools' own runners (stdio), the isolated ones re-running deliveries alone, then those
    attached by hand (gRPC)."""
    rows = [snapshot for pool in pools.values() for snapshot in pool.describe()]
    rows.extend(snapshot for runner in isolated.values() for snapshot in runner.describe())
    rows.extend(runner.describe() for runner in attached.connected())
    return rows
