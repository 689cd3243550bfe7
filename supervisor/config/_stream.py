"""Stream configs (``*.stream.ts``, ``*_stream.py``), checklist §8."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from supervisor.config._base import ConfigModel, NonEmptyStr


class StreamBaseConfig(ConfigModel):
    # The docs say "always 'default'" with custom storage "coming soon"; any string is kept for that day.
    storage_type: str = "default"


class StreamConfig(ConfigModel):
    """``name`` becomes ``ctx.streams.<name>``. ``schema`` is JSON Schema (converted by the runner)."""

    name: NonEmptyStr
    # 'schema' would shadow a BaseModel attribute, hence the Python name.
    json_schema: dict[str, Any] | None = Field(None, alias="schema")
    base_config: StreamBaseConfig = Field(default_factory=StreamBaseConfig)
