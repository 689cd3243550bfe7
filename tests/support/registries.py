"""Registries built from configs as the runners report them, without starting any runner."""

from __future__ import annotations

from typing import Any

import orjson

from supervisor.core import Registry, build_registry
from supervisor.protocol import LoadedFile, LoadResult


def registry_of(
    steps: dict[str, dict[str, Any]], streams: dict[str, dict[str, Any]] | None = None
) -> Registry:
    """``steps``/``streams``: file -> config JSON; ``.py`` files go to the python runner, others to node."""
    by_language: dict[str, tuple[list[LoadedFile], list[LoadedFile]]] = {}
    for index, entries in enumerate((steps, streams or {})):
        for file, config in entries.items():
            language = "python" if file.endswith(".py") else "node"
            by_language.setdefault(language, ([], []))[index].append(LoadedFile(file, orjson.dumps(config)))
    results = {
        language: LoadResult(1, tuple(loaded_steps), tuple(loaded_streams), ())
        for language, (loaded_steps, loaded_streams) in by_language.items()
    }
    registry = build_registry(results)
    assert registry.problems == [], registry.problems
    return registry
