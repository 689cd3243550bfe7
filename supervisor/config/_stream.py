"""Stream configs (``*.stream.ts``, ``*_stream.py``).

Motia's stream config: ``name`` (unique; steps reach the stream as ``ctx.streams.<name>``),
``schema`` (zod or JSON Schema) and ``baseConfig.storageType``, which the docs say is always
``'default'``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from supervisor.config._base import ConfigModel, InputSchema, NonEmptyStr


class StreamBaseConfig(ConfigModel):
    # The docs say "always 'default'" with custom storage "coming soon"; any string is kept for that day.
    storage_type: str = "default"


def _function_name(value: Any) -> Any:
    # The runners send a function as its name; anything else is not a function the runner can call.
    if value is None or isinstance(value, str):
        return value
    raise PydanticCustomError(
        "can_access_type",
        "must be a function (subscription, authContext) => boolean (got {got})",
        {"got": type(value).__name__},
    )


class StreamConfig(ConfigModel):
    """``name`` becomes ``ctx.streams.<name>``. ``schema`` is JSON Schema (converted by the runner).

    ``can_access`` is the name of the ``canAccess(subscription, authContext)`` function, which stays in
    the runner; None means the stream is open to every client.
    """

    name: NonEmptyStr
    # 'schema' would shadow a BaseModel attribute, hence the Python name.
    json_schema: InputSchema | None = Field(None, alias="schema")
    base_config: StreamBaseConfig = Field(default_factory=StreamBaseConfig)
    can_access: Annotated[str | None, BeforeValidator(_function_name)] = None
