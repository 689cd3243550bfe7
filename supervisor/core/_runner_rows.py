"""Every runner serving the project, one row each: ``GET /__motia/runners`` and ``motia runners``;
and the ids its runners can take (``runner_ids_to_come``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from supervisor.discovery import RunnerKind
from supervisor.runners import AttachedRunners, IsolatedRunner, RunnerPool, RunnerSnapshot
from supervisor.settings import RunnerSettings


def runner_rows(
    pools: Mapping[str, RunnerPool], isolated: Mapping[str, IsolatedRunner], attached: AttachedRunners
) -> list[RunnerSnapshot]:
    """The pools' own runners (stdio), the isolated ones re-running deliveries alone, then those
    attached by hand (gRPC)."""
    rows = [snapshot for pool in pools.values() for snapshot in pool.describe()]
    rows.extend(snapshot for runner in isolated.values() for snapshot in runner.describe())
    rows.extend(runner.describe() for runner in attached.connected())
    return rows


def runner_ids_to_come(settings: RunnerSettings) -> list[str]:
    """The ids the project's runners can take, running or not (yet): each kind's pool slots
    (``node-0``), its spares (``node-spare-0``, up to ``spareRunners``: none if 0), the runner that
    re-runs deliveries alone (``node-isolated-0``) and a first attached one (``node-attached-1``; later
    ones are numbered on). Every kind: a step file of another language starts its runner on a reload."""
    ids: list[str] = []
    for kind in get_args(RunnerKind):
        language = getattr(settings, kind)
        ids.extend(f"{kind}-{index}" for index in range(language.pool_size))
        ids.extend(f"{kind}-spare-{index}" for index in range(language.spare_runners))
        ids.extend((f"{kind}-isolated-0", f"{kind}-attached-1"))
    return ids
