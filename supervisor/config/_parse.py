"""Turn a runner's raw config report into a validated model, or a ``ConfigError`` naming every problem."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from supervisor.config._errors import ConfigError, ConfigIssue, issues_from_validation_error
from supervisor.config._steps import STEP_MODELS, StepConfig
from supervisor.config._stream import StreamConfig

_NEEDS_HANDLER = frozenset({"api", "event", "cron"})

# Motia's later releases (and the examples written for them) declare a step by a `triggers` list
# instead of a `type`; without this a project copied from them only hears that `type` is missing.
_TRIGGERS_HINT = (
    "; `triggers` is the step form of Motia releases after 0.17, not supported here: write the"
    " 0.17 form, `type: 'event'` with `subscribes: [topic]`, `type: 'api'` with `path` and `method`,"
    " or `type: 'cron'` with `cron`"
)


def parse_step_config(file: str, raw: object) -> StepConfig:
    """Validate one step file's config. ``file`` is the project-relative path used in messages."""
    config = _as_object(file, raw, "step")
    name = _name_of(config)
    step_type = config.get("type")
    model = STEP_MODELS.get(step_type) if isinstance(step_type, str) else None
    if model is None:
        allowed = ", ".join(STEP_MODELS)
        got = "nothing" if step_type is None else repr(step_type)
        message = f"must be one of {allowed} (got {got})"
        if step_type is None and "triggers" in config:
            message += _TRIGGERS_HINT
        raise ConfigError(file, [ConfigIssue("type", message)], name)

    issues: list[ConfigIssue] = []
    parsed: StepConfig | None = None
    try:
        parsed = model.model_validate(config)
    except ValidationError as error:
        issues.extend(issues_from_validation_error(error))
    # Reported together with field issues so the user fixes everything in one go.
    if step_type in _NEEDS_HANDLER and config.get("hasHandler") is False:
        issues.append(ConfigIssue("", _no_handler_message(file, step_type)))
    if issues or parsed is None:
        raise ConfigError(file, issues, name)
    return parsed


def parse_stream_config(file: str, raw: object) -> StreamConfig:
    """Validate one stream file's config."""
    config = _as_object(file, raw, "stream")
    try:
        return StreamConfig.model_validate(config)
    except ValidationError as error:
        raise ConfigError(file, issues_from_validation_error(error), _name_of(config), "stream") from None


def _as_object(file: str, raw: object, kind: str) -> dict[str, Any]:
    if raw is None:
        # What a runner reports for a module without a `config` export.
        what = "export const config = {...}" if not file.endswith(".py") else "config = {...}"
        raise ConfigError(file, [ConfigIssue("", f"exports no config; a {kind} file must define `{what}`")])
    if not isinstance(raw, dict):
        raise ConfigError(file, [ConfigIssue("", f"config must be an object (got {type(raw).__name__})")])
    return {str(key): value for key, value in raw.items()}


def _name_of(config: dict[str, Any]) -> str | None:
    name = config.get("name")
    return name if isinstance(name, str) and name else None


def _no_handler_message(file: str, step_type: str) -> str:
    python = file.endswith(".py")
    example = "async def handler(...)" if python else "export const handler = async (...) => {...}"
    return (
        f"exports no handler; a{'n' if step_type in ('api', 'event') else ''} {step_type} step needs "
        f"`{example}` (or make it a noop step)"
    )
