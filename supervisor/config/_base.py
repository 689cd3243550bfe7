"""Shared model settings and the emit descriptor used by ``emits`` and ``virtualEmits``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
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

#: beside a zod schema's input shape (what the core validates), its output shape when they differ (the
#: node runner's config_encoding.ts): a ``.default()`` field, optional in the input, is required in the
#: output, which the generated types are of, as Motia 0.17's (z.toJSONSchema's output by default)
OUTPUT_SHAPE = "x-motia-output"


def _as_written(schema: dict[str, Any]) -> dict[str, Any]:
    if OUTPUT_SHAPE not in schema:
        return schema
    return {key: value for key, value in schema.items() if key != OUTPUT_SHAPE}


#: a schema as the runner reports it: its ``OUTPUT_SHAPE`` kept on the model for the type generation
#: (``supervisor.codegen``), left out of every dump (``/__motia/steps``, ``/__motia/flows``, ``motia
#: get-config``, the Workbench's panels): the user never wrote it
InputSchema = Annotated[dict[str, Any], PlainSerializer(_as_written)]


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
