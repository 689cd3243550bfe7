"""JSON Schema validation of request bodies and event inputs (jsonschema-rs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema_rs


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class SchemaValidator:
    """A compiled schema; ``errors`` lists every failing field, not just the first."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._validator = jsonschema_rs.validator_for(schema)

    def errors(self, instance: Any) -> list[FieldError]:
        if self._validator.is_valid(instance):
            return []
        found: list[FieldError] = []
        for error in self._validator.iter_errors(instance):
            path = [str(part) for part in error.instance_path]
            missing = getattr(error.kind, "property", None)
            if type(error.kind).__name__ == "Required" and missing is not None:
                path.append(str(missing))
            found.append(FieldError(".".join(path) or "(root)", error.message))
        return found


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
