"""Shared model settings and the emit descriptor used by ``emits`` and ``virtualEmits``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


class ConfigModel(BaseModel):
    """Base of every config model.

    Fields are snake_case in Python and camelCase on the wire (``hasHandler``, ``bodySchema``), as users write
    them. Unknown keys are ignored: Motia users put their own metadata in configs and Motia accepts it.
    Configs are immutable once loaded.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


NonEmptyStr = Annotated[str, Field(min_length=1)]


class Emit(ConfigModel):
    """One emitted topic. ``label`` and ``conditional`` only decorate Workbench edges; they change nothing."""

    topic: NonEmptyStr
    label: str | None = None
    conditional: bool = False


def _coerce_emit(value: Any) -> Any:
    # 'user.created' is shorthand for {topic: 'user.created'}; both forms appear in the docs.
    if isinstance(value, str):
        return {"topic": value}
    if isinstance(value, dict | Emit):
        return value
    raise PydanticCustomError(
        "emit_type",
        "must be a topic string or an object with a 'topic' key (got {got})",
        {"got": type(value).__name__},
    )


EmitEntry = Annotated[Emit, BeforeValidator(_coerce_emit)]
