"""Turn an exported ``config`` into the JSON the supervisor expects.

Pydantic model classes (wherever they appear: ``bodySchema``, ``input``,
``responseSchema`` values, stream ``schema``) become JSON Schema, callables
(middleware) become their names, non-string keys (``{201: ...}``) become
strings, and ``hasHandler`` is added for steps.
"""

from __future__ import annotations

import functools
from typing import Any

from motia_runner import jsonutil


def callable_name(value: Any) -> str:
    if isinstance(value, functools.partial):
        return callable_name(value.func)
    name = getattr(value, "__name__", None) or getattr(value, "__qualname__", None)
    return str(name) if name else type(value).__name__


def to_jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if jsonutil.is_pydantic_model_class(value):
        return jsonutil.model_schema(value)
    if jsonutil.is_pydantic_model(value):
        return jsonutil.dump_model(value)
    if type(value).__name__ == "TypeAdapter" and callable(getattr(value, "json_schema", None)):
        return value.json_schema()
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    if callable(value):
        return callable_name(value)
    return value  # left to jsonutil's encoder (enums, datetimes, ...)


def encode_config(config: Any, has_handler: bool | None) -> bytes:
    if not isinstance(config, dict):
        raise TypeError(f"`config` must be a dict, not {type(config).__name__}")
    encoded = to_jsonable(config)
    if has_handler is not None:
        encoded["hasHandler"] = has_handler
    return jsonutil.dumps(encoded)
