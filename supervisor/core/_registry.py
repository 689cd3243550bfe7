"""What the runners loaded, validated and indexed: steps by name, routes, topics, crons, streams, hooks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

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
from supervisor.core._schemas import SchemaValidator, compile_schema
from supervisor.discovery import RunnerKind, SourceFile, is_motia_config
from supervisor.protocol import LoadResult
from supervisor.routing import Router


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
        # A config error names its file at the start of each of its lines already.
        return f"{where}: {self.message.removeprefix(f'{self.file}: ')}"


@dataclass
class Step:
    config: StepConfig
    file: str
    #: the runner that loaded it and runs it: ``node`` or ``python``
    runner: str
    #: set when requests to this api step have their body validated in the core (the project's
    #: ``api.validateBody``, or the step's own ``validateBody``) and it has a ``bodySchema``
    body_validator: SchemaValidator | None = None
    input_validator: SchemaValidator | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def has_middleware(self) -> bool:
        return isinstance(self.config, ApiStepConfig) and bool(self.config.middleware)


@dataclass
class Registry:
    steps: dict[str, Step] = field(default_factory=dict)
    routes: Router[Step] = field(default_factory=Router)
    subscribers: dict[str, list[Step]] = field(default_factory=lambda: defaultdict(list))
    crons: list[Step] = field(default_factory=list)
    streams: dict[str, StreamConfig] = field(default_factory=dict)
    #: stream name -> the file that defines it (where its ``canAccess`` runs)
    stream_sources: dict[str, SourceFile] = field(default_factory=dict)
    #: the project's ``authenticate`` hook; None: every client is anonymous
    auth_hook: SourceFile | None = None
    problems: list[LoadProblem] = field(default_factory=list)
    #: step name -> the step as it last loaded, whose file no longer loads (``keep_unloaded``): the
    #: Workbench draws it in its flows marked with its file's error; nothing routes to it or runs it
    unloaded: dict[str, Step] = field(default_factory=dict)

    def failed_to_load(self, most: int = 3) -> str | None:
        """What an emit no step subscribes to says when files failed to load (a subscriber of its
        topic may be among them): the first ``most``, each with the first line of its error, and how
        many more; None when every file loaded."""
        if not self.problems:
            return None
        named = "; ".join(str(problem).split("\n", 1)[0] for problem in self.problems[:most])
        more = len(self.problems) - most
        count = f"{len(self.problems)} files" if len(self.problems) > 1 else "a file"
        return f"{count} failed to load: {named}" + (f"; and {more} more" if more > 0 else "")

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


def build_registry(
    results: dict[RunnerKind, LoadResult],
    hook_files: Sequence[SourceFile] = (),
    validate_body: bool = False,
) -> Registry:
    """Validate every loaded config; collect every problem instead of stopping at the first.

    ``results`` are what each runner loaded; ``hook_files`` are the discovered hook files, in
    precedence order (see ``supervisor.discovery``); ``validate_body`` is the project's
    ``api.validateBody``, which a step's own ``validateBody`` overrides.
    """
    registry = Registry()
    candidates: list[Step] = []
    stream_configs: list[tuple[str, StreamConfig]] = []
    stream_runners: dict[str, RunnerKind] = {}
    for runner, result in sorted(results.items()):
        for loaded in result.streams:
            stream_runners[loaded.file] = runner
        for error in result.errors:
            registry.problems.append(
                LoadProblem(error.file, error.message, error.line, error.column, error.stack)
            )
        for loaded in result.steps:
            try:
                config = parse_step_config(loaded.file, orjson.loads(loaded.config_json))
            except ConfigError as exc:
                registry.problems.append(LoadProblem(loaded.file, str(exc)))
                continue
            step = Step(config, loaded.file, runner)
            try:
                if isinstance(config, ApiStepConfig):
                    validates = validate_body if config.validate_body is None else config.validate_body
                    step.body_validator = compile_schema(config.body_schema) if validates else None
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
                    (loaded.file, parse_stream_config(loaded.file, orjson.loads(loaded.config_json)))
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
            registry.stream_sources[stream.name] = SourceFile(file, stream_runners[file])
    registry.auth_hook = _auth_hook(results, hook_files, registry.problems)
    return registry


def _auth_hook(
    results: dict[RunnerKind, LoadResult], hook_files: Sequence[SourceFile], problems: list[LoadProblem]
) -> SourceFile | None:
    """The hook file whose ``authenticate`` runs; a hook file that failed to load still counts, so that
    authentication fails (and every join is refused) instead of silently letting everyone in."""
    exports: dict[str, list[str] | None] = {}
    for result in results.values():
        for loaded in result.hooks:
            try:
                names = orjson.loads(loaded.config_json).get("exports", [])
            except (orjson.JSONDecodeError, AttributeError):
                names = []
            exports[loaded.file] = [str(name) for name in names] if isinstance(names, list) else []
        for error in result.errors:
            exports.setdefault(error.file, None)
    hooks: list[SourceFile] = []
    for source in hook_files:
        names = exports.get(source.path)
        if source.path not in exports:
            continue  # its runner did not start: already a problem
        if names is None or "authenticate" in names:
            hooks.append(source)
        elif not is_motia_config(source.path):
            problems.append(LoadProblem(source.path, "does not export an `authenticate(request)` function"))
    if len(hooks) > 1:
        files = ", ".join(hook.path for hook in hooks)
        message = f"more than one stream authenticate hook ({files}); using {hooks[0].path}"
        problems.append(LoadProblem(hooks[1].path, message))
    return hooks[0] if hooks else None


def keep_unloaded(old: Registry, new: Registry) -> None:
    """A reload: the steps of ``old`` (loaded, or kept unloaded there) whose file has a problem in
    ``new`` and that ``new`` does not define, kept in ``new.unloaded`` as they last loaded, so that a
    file broken while `motia dev` runs leaves its steps drawn in their flows, marked, not gone."""
    failing = {problem.file for problem in new.problems}
    for step in (*old.steps.values(), *old.unloaded.values()):
        if step.file in failing and step.name not in new.steps:
            new.unloaded[step.name] = step
