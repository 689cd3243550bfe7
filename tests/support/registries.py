"""Registries built from configs as the runners report them, without starting any runner."""

from __future__ import annotations

from typing import Any

import orjson

from supervisor.core import Registry, build_registry
from supervisor.discovery import RunnerKind
from supervisor.protocol import LoadedFile, LoadResult


def registry_of(
    steps: dict[str, dict[str, Any]], streams: dict[str, dict[str, Any]] | None = None
) -> Registry:
    """``steps``/``streams``: file -> config JSON; ``.py`` files go to the python runner, others to node."""
    by_runner: dict[RunnerKind, tuple[list[LoadedFile], list[LoadedFile]]] = {}
    for index, entries in enumerate((steps, streams or {})):
        for file, config in entries.items():
            runner: RunnerKind = "python" if file.endswith(".py") else "node"
            by_runner.setdefault(runner, ([], []))[index].append(LoadedFile(file, orjson.dumps(config)))
    results = {
        runner: LoadResult(1, tuple(loaded_steps), tuple(loaded_streams), ())
        for runner, (loaded_steps, loaded_streams) in by_runner.items()
    }
    registry = build_registry(results)
    assert registry.problems == [], registry.problems
    return registry
