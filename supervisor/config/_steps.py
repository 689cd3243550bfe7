"""Step configs as a runner reports them (one JSON object per step file), one model per ``type``.

The runner has already turned zod/pydantic schemas into JSON Schema, middleware functions into their names,
and added ``hasHandler``. Lists are stored as tuples because configs are immutable.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from supervisor.config._base import ConfigModel, EmitEntry, InputSchema, NonEmptyStr
from supervisor.config._infrastructure import Infrastructure
from supervisor.cron import CronExpression
from supervisor.routing import RouteSyntaxError, parse_route

HttpMethod = Literal["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
HTTP_METHODS: tuple[HttpMethod, ...] = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")

JsonSchema = dict[str, Any]
StatusCode = Annotated[int, Field(ge=100, le=599)]


class _StepBase(ConfigModel):
    name: NonEmptyStr
    description: str | None = None
    flows: tuple[str, ...] = ()
    # Drawn in Workbench, never emitted or subscribed for real.
    virtual_emits: tuple[EmitEntry, ...] = ()
    virtual_subscribes: tuple[str, ...] = ()
    include_files: tuple[str, ...] = ()
    # Added by the runner. Defaults to True so that a config given without it (tests, older runners) is taken
    # at its word; parse_step_config reports a missing handler when the runner says False.
    has_handler: bool = True

    @property
    def emit_topics(self) -> frozenset[str]:
        """Topics the step may really emit (empty for noop steps)."""
        return frozenset()


class _EmittingStep(_StepBase):
    # The docs call `emits` required ("list all, even if empty []"), yet many of their own examples omit it.
    # Empty or absent means "any topic" (Motia's isAllowedToEmit); only a non-empty list restricts.
    emits: tuple[EmitEntry, ...] = ()

    @property
    def emit_topics(self) -> frozenset[str]:
        return frozenset(e.topic for e in self.emits)


class QueryParam(ConfigModel):
    """Documentation only: shown in the Workbench endpoint tester, never enforced."""

    name: NonEmptyStr
    description: str | None = None


class ApiStepConfig(_EmittingStep):
    type: Literal["api"]
    path: str
    method: HttpMethod
    body_schema: InputSchema | None = None
    # Status code -> schema. JSON object keys arrive as strings ("201") and are read as integers.
    response_schema: dict[StatusCode, JsonSchema] | None = None
    middleware: tuple[str, ...] = ()
    #: validate request bodies against ``bodySchema`` in the core, after the middleware chain;
    #: None: the project's ``api.validateBody`` decides (off by default, as in Motia)
    validate_body: bool | None = None
    query_params: tuple[QueryParam, ...] = ()
    # Not documented for api steps, but upstream accepts it; kept as given, None when absent.
    infrastructure: Infrastructure | None = None

    @field_validator("method", mode="before")
    @classmethod
    def _upper_method(cls, value: Any) -> Any:
        # Users write 'get' as often as 'GET'.
        method = value.upper() if isinstance(value, str) else value
        if method not in HTTP_METHODS:
            raise PydanticCustomError(
                "http_method",
                "must be one of {allowed} (got {got})",
                {"allowed": ", ".join(HTTP_METHODS), "got": repr(value)},
            )
        return method

    @field_validator("validate_body")
    @classmethod
    def _something_to_validate(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value is True and not info.data.get("body_schema"):
            raise PydanticCustomError(
                "validate_body", "is true, but the step has no bodySchema to validate against"
            )
        return value

    @field_validator("path")
    @classmethod
    def _routable_path(cls, value: str) -> str:
        try:
            parse_route(value)
        except RouteSyntaxError as exc:
            raise PydanticCustomError("api_path", "{reason}", {"reason": str(exc)}) from None
        return value


class EventStepConfig(_EmittingStep):
    type: Literal["event"]
    # May be empty, as in Motia: examples keep a placeholder step that nothing triggers yet.
    subscribes: tuple[NonEmptyStr, ...]
    # Documented as required but omitted by many examples.
    input: InputSchema | None = None
    #: an event failing ``input``: ``warn`` (log, then run the handler, as Motia) or ``strict`` (dead
    #: letter); None: the project's ``events.validateInput`` decides
    validate_input: Literal["warn", "strict"] | None = None
    infrastructure: Infrastructure = Field(default_factory=Infrastructure)


class CronStepConfig(_EmittingStep):
    type: Literal["cron"]
    cron: str
    infrastructure: Infrastructure | None = None

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        CronExpression.parse(value)  # raises ValueError with the reason
        return value

    @property
    def schedule(self) -> CronExpression:
        return CronExpression.parse(self.cron)


class NoopStepConfig(_StepBase):
    """A placeholder node: never runs, needs no handler. ``virtualEmits``/``virtualSubscribes`` default to
    empty because the docs advise including them "even if empty", i.e. users do leave them out."""

    type: Literal["noop"]


StepConfig = ApiStepConfig | EventStepConfig | CronStepConfig | NoopStepConfig

STEP_MODELS: dict[str, type[ApiStepConfig | EventStepConfig | CronStepConfig | NoopStepConfig]] = {
    "api": ApiStepConfig,
    "event": EventStepConfig,
    "cron": CronStepConfig,
    "noop": NoopStepConfig,
}
