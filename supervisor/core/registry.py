"""What the runners loaded, validated and indexed: steps by name, routes, topics, crons, streams."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from supervisor.config import (
    ApiStepConfig,
    ConfigError,
    CronStepConfig,
    EventStepConfig,
    StepConfig,
    StreamConfig,
    check_unique_names,
    parse_step_config,
    parse_stream_config,
)
from supervisor.core.schemas import SchemaValidator, compile_schema
from supervisor.http.router import Router
from supervisor.protocol import LoadResult


@dataclass(frozen=True)
class LoadProblem:
    """A file that could not be loaded or a config that did not validate."""

    file: str
    message: str
    line: int = 0
    column: int = 0
    stack: str = ""

    def __str__(self) -> str:
        where = (
            self.file + (f":{self.line}" if self.line else "") + (f":{self.column}" if self.column else "")
        )
        return f"{where}: {self.message}"


@dataclass
class Step:
    config: StepConfig
    file: str
    language: str
    body_validator: SchemaValidator | None = None
    input_validator: SchemaValidator | None = None

    @property
    def name(self) -> str:
        return self.config.name


@dataclass
class Registry:
    steps: dict[str, Step] = field(default_factory=dict)
    routes: Router[Step] = field(default_factory=Router)
    subscribers: dict[str, list[Step]] = field(default_factory=lambda: defaultdict(list))
    crons: list[Step] = field(default_factory=list)
    streams: dict[str, StreamConfig] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    def add(self, step: Step) -> None:
        self.steps[step.name] = step
        config = step.config
        if isinstance(config, ApiStepConfig):
            self.routes.add(config.method, config.path, step)
        elif isinstance(config, EventStepConfig):
            for topic in config.subscribes:
                self.subscribers[topic].append(step)
        elif isinstance(config, CronStepConfig):
            self.crons.append(step)


def _decode(file: str, config_json: bytes) -> Any:
    return orjson.loads(config_json)


def build_registry(results: dict[str, LoadResult]) -> Registry:
    """Validate every loaded config; collect every problem instead of stopping at the first."""
    registry = Registry()
    candidates: list[Step] = []
    stream_configs: list[tuple[str, StreamConfig]] = []
    for language, result in sorted(results.items()):
        for error in result.errors:
            registry.problems.append(
                LoadProblem(error.file, error.message, error.line, error.column, error.stack)
            )
        for loaded in result.steps:
            try:
                config = parse_step_config(loaded.file, _decode(loaded.file, loaded.config_json))
            except ConfigError as exc:
                registry.problems.append(LoadProblem(loaded.file, str(exc)))
                continue
            step = Step(config, loaded.file, language)
            try:
                if isinstance(config, ApiStepConfig):
                    step.body_validator = compile_schema(config.body_schema)
                elif isinstance(config, EventStepConfig):
                    step.input_validator = compile_schema(config.input)
            except ValueError as exc:
                registry.problems.append(
                    LoadProblem(loaded.file, f"step {config.name!r}: invalid schema: {exc}")
                )
                continue
            candidates.append(step)
        for loaded in result.streams:
            try:
                stream_configs.append(
                    (loaded.file, parse_stream_config(loaded.file, _decode(loaded.file, loaded.config_json)))
                )
            except ConfigError as exc:
                registry.problems.append(LoadProblem(loaded.file, str(exc)))
    duplicates = check_unique_names([(step.file, step.config) for step in candidates], stream_configs)
    rejected: set[str] = set()
    for duplicate in duplicates:
        registry.problems.append(LoadProblem(duplicate.file, str(duplicate)))
        rejected.add(duplicate.file)
    for step in candidates:
        if step.file not in rejected:
            registry.add(step)
    for file, stream in stream_configs:
        if file not in rejected:
            registry.streams[stream.name] = stream
    return registry
