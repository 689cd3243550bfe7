"""JSON Schema validation of request bodies and event inputs (jsonschema-rs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import orjson


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def _any_string(_: str) -> bool:
    return True


# Formats are checked, as zod checks them. Drafts 4 to 7 (zod 3's zod-to-json-schema) assert formats
# already; 2019-09, 2020-12 (zod 4's toJSONSchema) and a schema naming no draft (pydantic) only
# annotate them, so there a z.url() field, a `format: uri` without a pattern, took any string. In
# those, date, time, uuid and duration formats are left to their patterns: pydantic writes them for
# values it takes in more forms than the RFC's (a datetime with a space, a uuid without hyphens),
# which must not become 400s.
_LENIENT_FORMATS = {name: _any_string for name in ("date-time", "date", "time", "uuid", "duration")}
_ASSERTING_DRAFTS = ("draft-04", "draft-06", "draft-07")


def _validator(schema: dict[str, Any]) -> Any:
    declared = schema.get("$schema")
    if isinstance(declared, str) and any(draft in declared for draft in _ASSERTING_DRAFTS):
        return jsonschema_rs.validator_for(schema)
    return jsonschema_rs.validator_for(schema, validate_formats=True, formats=_LENIENT_FORMATS)


class SchemaValidator:
    """A compiled schema; ``errors`` lists every failing field, not just the first."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema
        self._validator = _validator(schema)

    def errors(self, instance: Any) -> list[FieldError]:
        if self._validator.is_valid(instance):
            return []
        found: list[FieldError] = []
        for error in self._validator.iter_errors(instance):
            path = [str(part) for part in error.instance_path]
            missing = getattr(error.kind, "property", None)
            if type(error.kind).__name__ == "Required" and missing is not None:
                path.append(str(missing))
            message = error.message
            if type(error.kind).__name__ in ("Pattern", "Format"):
                message = _format_message(self._schema, list(error.schema_path), error.instance) or message
            field = FieldError(".".join(path) or "(root)", message)
            if field not in found:  # a zod email() failing both its pattern and its format: once
                found.append(field)
        return found


def _format_message(schema: dict[str, Any], schema_path: list[str | int], instance: Any) -> str | None:
    """``"nope" is not a valid email`` for a string failing the ``format``, or the ``pattern``, of a
    subschema that names its ``format``, as zod writes ``z.string().email()`` (uuid, date-time, ...):
    the format says what was expected, where the generated regex, hundreds of characters, says
    nothing to the client. None when the subschema has no format, or the path cannot be followed (a
    ``$ref`` on the way)."""
    node: Any = schema
    for part in schema_path[:-1]:
        in_object = isinstance(node, dict) and isinstance(part, str) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_object or in_array):
            return None
        node = node[part]
    expected = node.get("format") if isinstance(node, dict) else None
    if not isinstance(expected, str):
        return None
    return f"{orjson.dumps(instance).decode()} is not a valid {expected}"


def describe_errors(errors: list[FieldError]) -> str:
    """The failing fields as a log line or an exception says them: ``field: message; ...``."""
    return "; ".join(f"{error.field}: {error.message}" for error in errors)


def body_rejection(errors: list[FieldError]) -> dict[str, Any]:
    """The body of the 400 for a request body that fails its step's ``bodySchema``."""
    return {
        "error": "Validation failed",
        "message": "request body does not match the step's bodySchema",
        "errors": [error.as_json() for error in errors],
    }


def compile_schema(schema: object) -> SchemaValidator | None:
    """A validator for a JSON Schema object, or None when there is nothing to validate."""
    if not isinstance(schema, dict) or not schema:
        return None
    return SchemaValidator(schema)
