"""JSON encoding of user values: pydantic models, dataclasses, datetimes, exceptions..."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import uuid
from pathlib import PurePath
from typing import Any

from motia_runner.errors import user_traceback


def error_info(exc: BaseException) -> dict[str, str]:
    return {
        "name": type(exc).__name__,
        "message": str(exc),
        "stack": user_traceback(exc),
    }


def is_pydantic_model_class(value: Any) -> bool:
    return isinstance(value, type) and (
        callable(getattr(value, "model_json_schema", None))
        or (callable(getattr(value, "schema", None)) and hasattr(value, "__fields__"))
    )


def is_pydantic_model(value: Any) -> bool:
    return not isinstance(value, type) and is_pydantic_model_class(type(value))


def dump_model(value: Any) -> Any:
    if callable(getattr(value, "model_dump", None)):
        return value.model_dump(mode="json")
    return json.loads(value.json())  # pydantic v1


def _default(value: Any) -> Any:
    if is_pydantic_model(value):
        return dump_model(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, BaseException):
        return error_info(value)
    if isinstance(value, type) and is_pydantic_model_class(value):
        return model_schema(value)
    for method in ("model_dump", "to_dict", "dict", "_asdict"):
        fn = getattr(value, method, None)
        if callable(fn):
            try:
                return fn()
            except Exception:
                pass
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def model_schema(model: type) -> Any:
    fn = getattr(model, "model_json_schema", None)
    if callable(fn):
        return fn()
    return model.schema()  # type: ignore[attr-defined]  # pydantic v1


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """Encode to compact UTF-8 JSON; NaN and infinities become null."""
    try:
        text = json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        if "Out of range float" not in str(exc):
            raise
        round_trip = json.loads(json.dumps(value, default=_default))
        text = json.dumps(_finite(round_trip), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", errors="replace")


def loads(data: bytes) -> Any:
    return json.loads(data) if data else None
