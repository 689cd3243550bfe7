"""The ``[CREATED]`` / ``[UPDATED]`` / ``[REMOVED]`` lines of a load and of each reload, as Motia prints
them: at start-up every step and stream is created; a reload names only the steps and streams whose
config changed or whose own file changed, and a step that no longer loads is removed with its error."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Literal

from supervisor.config import ApiStepConfig, CronStepConfig, EventStepConfig, StreamConfig
from supervisor.core._registry import LoadProblem, Registry, Step

_logger = logging.getLogger("motia.core")

Verb = Literal["CREATED", "UPDATED", "REMOVED"]

_KIND_LABEL = {ApiStepConfig: "API", EventStepConfig: "Event", CronStepConfig: "Cron"}


def announce_load(registry: Registry) -> None:
    """Start-up: every problem, every step and stream created, the auth hook."""
    for problem in registry.problems:
        _log_problem(problem)
    for step in registry.steps.values():
        _log_step("CREATED", step)
    for name, source in sorted(registry.stream_sources.items()):
        _log_stream("CREATED", name, source.path)
    if registry.auth_hook is not None:
        _logger.info("stream authenticate hook: %s", registry.auth_hook.path)


def announce_reload(old: Registry, new: Registry, changed: Collection[str]) -> None:
    """A reload: what changed between ``old`` and ``new``; ``changed`` are the files that changed
    (paths relative to the project root). Problems are logged when they are new or their file changed."""
    known = {str(problem) for problem in old.problems}
    for problem in new.problems:
        if str(problem) not in known or problem.file in changed:
            _log_problem(problem)
    problems = {problem.file: problem for problem in new.problems}
    before = {step.file: step for step in old.steps.values()}
    after = {step.file: step for step in new.steps.values()}
    for file, step in after.items():
        previous = before.get(file)
        if previous is None:
            _log_step("CREATED", step)
        elif file in changed or previous.config != step.config:
            _log_step("UPDATED", step)
    for file, step in before.items():
        if file not in after:
            _log_step("REMOVED", step, problems.get(file))
    streams_before = _streams_by_file(old)
    streams_after = _streams_by_file(new)
    for file, (name, config) in streams_after.items():
        previous_stream = streams_before.get(file)
        if previous_stream is None:
            _log_stream("CREATED", name, file)
        elif file in changed or previous_stream[1] != config:
            _log_stream("UPDATED", name, file)
    for file, (name, _config) in streams_before.items():
        if file not in streams_after:
            _log_stream("REMOVED", name, file, problems.get(file))
    if new.auth_hook != old.auth_hook or (new.auth_hook is not None and new.auth_hook.path in changed):
        if new.auth_hook is not None:
            _logger.info("stream authenticate hook: %s", new.auth_hook.path)
        else:
            _logger.info("no stream authenticate hook any more: every client is anonymous")


def _streams_by_file(registry: Registry) -> dict[str, tuple[str, StreamConfig]]:
    return {
        source.path: (name, registry.streams[name])
        for name, source in registry.stream_sources.items()
        if name in registry.streams
    }


def _log_problem(problem: LoadProblem) -> None:
    _logger.error("%s", problem, extra={"meta": {"stack": problem.stack}} if problem.stack else None)


def _log_step(verb: Verb, step: Step, problem: LoadProblem | None = None) -> None:
    label = next((v for k, v in _KIND_LABEL.items() if isinstance(step.config, k)), "Noop")
    if problem is None:
        _logger.info("[%s] Step (%s) %s %s", verb, label, step.file, verb.lower(), extra={"step": step.name})
    else:
        _logger.warning(
            "[%s] Step (%s) %s removed: %s",
            verb,
            label,
            step.file,
            problem.message,
            extra={"step": step.name},
        )


def _log_stream(verb: Verb, name: str, file: str, problem: LoadProblem | None = None) -> None:
    if problem is None:
        _logger.info("[%s] Stream %s %s %s", verb, name, file, verb.lower())
    else:
        _logger.warning("[%s] Stream %s %s removed: %s", verb, name, file, problem.message)
