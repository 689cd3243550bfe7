"""Cross-file checks: names and routes that must be unique across the whole project.

Motia's docs do not say what happens to two steps with one name or two api steps with one method and
path; silently letting one file win would hide a bug, so each duplicate is an error naming both files.
The first file (in the order given, normally discovery's sorted order) keeps the name; each later one
gets the error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from supervisor.config._errors import ConfigError, ConfigIssue, ConfigKind
from supervisor.config._steps import ApiStepConfig, StepConfig
from supervisor.config._stream import StreamConfig
from supervisor.discovery import language_of
from supervisor.routing import route_shape


def check_unique_names(
    steps: Iterable[tuple[str, StepConfig]],
    streams: Iterable[tuple[str, StreamConfig]] = (),
) -> list[ConfigError]:
    """Duplicate step names, duplicate stream names and clashing routes, from ``(file, config)`` pairs."""
    step_list = list(steps)
    return [
        *_duplicate_names([(file, step.name) for file, step in step_list], "step"),
        # One stream file per language is the norm (the tutorial ships pet-creation.stream.ts,
        # .stream.js and pet_creation.stream.py, one per language folder). Within a language, a
        # second declaration is a mistake.
        *_duplicate_names([(file, stream.name) for file, stream in streams], "stream", scope=language_of),
        *_clashing_routes(step_list),
    ]


def _duplicate_names(
    entries: list[tuple[str, str]], kind: ConfigKind, scope: Callable[[str], str] = lambda _file: ""
) -> list[ConfigError]:
    errors: list[ConfigError] = []
    owner: dict[tuple[str, str], str] = {}
    for file, name in entries:
        key = (scope(file), name)
        if key not in owner:
            owner[key] = file
            continue
        first = owner[key]
        message = f'{kind} name "{name}" is already used by {first}; {kind} names must be unique, rename one'
        errors.append(ConfigError(file, [ConfigIssue("name", message)], name, kind, related_files=[first]))
    return errors


def _clashing_routes(steps: list[tuple[str, StepConfig]]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    owner: dict[tuple[str, str], tuple[str, ApiStepConfig]] = {}
    for file, step in steps:
        if not isinstance(step, ApiStepConfig):
            continue
        first_file, first = owner.setdefault((step.method, route_shape(step.path)), (file, step))
        if first is not step:
            message = (
                f"route {step.method} {step.path} clashes with {first.method} {first.path} of step "
                f'"{first.name}" in {first_file}; change the path or the method'
            )
            errors.append(
                ConfigError(file, [ConfigIssue("path", message)], step.name, related_files=[first_file])
            )
    return errors
