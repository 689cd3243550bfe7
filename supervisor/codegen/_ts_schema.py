"""JSON Schema (as the runners report it: zod's, pydantic's or hand-written) -> a TypeScript type.

Covers what step schemas use: objects (required and optional properties, index signatures from
``additionalProperties``), arrays and tuples, enums and consts, unions (``anyOf``/``oneOf``/type lists),
intersections (``allOf``), local ``$ref``s (``#/$defs/...``, ``#/definitions/...``) and nullability.
Anything it cannot express is ``unknown``, never a wrong type.
"""

from __future__ import annotations

import json
import re
from typing import Any

from supervisor.config import OUTPUT_SHAPE

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_INDENT = "  "


def ts_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    return "unknown"


def ts_key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else ts_literal(name)


def _union(members: list[str]) -> str:
    unique = list(dict.fromkeys(members))
    if "unknown" in unique:
        return "unknown"
    unique = [member for member in unique if member != "never"] or ["never"]
    return " | ".join(unique)


def _parenthesized(member: str) -> str:
    return f"({member})" if " | " in member or " & " in member else member


class SchemaTypes:
    """Renders the schemas of one document; ``$ref``s resolve against ``root``."""

    def __init__(self, root: Any) -> None:
        self._root = root
        self._resolving: list[str] = []

    def render(self, schema: Any, indent: str = "") -> str:
        if schema is True:
            return "unknown"
        if schema is False:
            return "never"
        if not isinstance(schema, dict):
            return "unknown"
        rendered = self._render_object(schema, indent)
        if schema.get("nullable") is True and rendered not in ("unknown", "null"):
            rendered = _union([rendered, "null"])
        return rendered

    def _render_object(self, schema: dict[str, Any], indent: str) -> str:
        if "$ref" in schema:
            return self._reference(schema["$ref"], indent)
        if "const" in schema:
            return ts_literal(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return _union([ts_literal(value) for value in schema["enum"]])
        for keyword in ("anyOf", "oneOf"):
            if isinstance(schema.get(keyword), list) and schema[keyword]:
                base = {key: value for key, value in schema.items() if key != keyword}
                members = [self.render(base | member, indent) for member in schema[keyword]]
                return _union(members)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            own = {key: value for key, value in schema.items() if key != "allOf"}
            parts = [self.render(part, indent) for part in schema["allOf"]]
            if _has_type_keywords(own):
                parts.insert(0, self.render(own, indent))
            parts = [part for part in dict.fromkeys(parts) if part != "unknown"] or ["unknown"]
            return " & ".join(_parenthesized(part) for part in parts)
        if isinstance(schema.get("not"), dict) and not schema["not"]:
            return "never"  # {not: {}} matches nothing (zod's z.never())
        kind = schema.get("type")
        if isinstance(kind, list):
            return _union([self.render({**schema, "type": one}, indent) for one in kind])
        if kind is None:
            if any(key in schema for key in ("properties", "additionalProperties", "required")):
                kind = "object"
            elif any(key in schema for key in ("items", "prefixItems")):
                kind = "array"
        return self._render_type(kind, schema, indent)

    def _render_type(self, kind: Any, schema: dict[str, Any], indent: str) -> str:
        if kind == "string":
            return "Buffer" if schema.get("format") == "binary" else "string"
        if kind in ("number", "integer"):
            return "number"
        if kind == "boolean":
            return "boolean"
        if kind == "null":
            return "null"
        if kind == "array":
            return self._array(schema, indent)
        if kind == "object":
            return self._object(schema, indent)
        return "unknown"

    def _array(self, schema: dict[str, Any], indent: str) -> str:
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if not isinstance(prefix, list) and isinstance(items, list):  # draft-07 tuples
            prefix, items = items, schema.get("additionalItems", True)
        if isinstance(prefix, list):
            elements = [self.render(item, indent) for item in prefix]
            if items is not False:
                elements.append(f"...Array<{self.render(items if items is not None else True, indent)}>")
            return "[" + ", ".join(elements) + "]"
        return f"Array<{self.render(items if items is not None else True, indent)}>"

    def _object(self, schema: dict[str, Any], indent: str) -> str:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = set(schema.get("required") or ())
        extra = schema.get("additionalProperties")
        if not properties:
            if extra is False:
                return "Record<string, never>"
            return f"Record<string, {self.render(extra if extra is not None else True, indent)}>"
        inner = indent + _INDENT
        lines = ["{"]
        for name, property_schema in properties.items():
            description = property_schema.get("description") if isinstance(property_schema, dict) else None
            if isinstance(description, str) and description.strip():
                lines.append(f"{inner}/** {_comment(description)} */")
            optional = "" if name in required else "?"
            lines.append(f"{inner}{ts_key(name)}{optional}: {self.render(property_schema, inner)}")
        if (extra is not None and extra is not False) or schema.get("patternProperties"):
            # Declared properties must fit the index signature, so it stays `unknown`.
            lines.append(f"{inner}[key: string]: unknown")
        lines.append(indent + "}")
        return "\n".join(lines)

    def _reference(self, ref: Any, indent: str) -> str:
        if not isinstance(ref, str) or not ref.startswith("#") or ref in self._resolving:
            return "unknown"  # remote, malformed, or recursive: not expressible inline
        target: Any = self._root
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return "unknown"
            target = target[part]
        self._resolving.append(ref)
        try:
            return self.render(target, indent)
        finally:
            self._resolving.pop()


def _has_type_keywords(schema: dict[str, Any]) -> bool:
    keywords = ("type", "properties", "items", "enum", "const", "anyOf", "oneOf", "$ref")
    return any(key in schema for key in keywords)


def _comment(text: str) -> str:
    return " ".join(text.split()).replace("*/", "*\\/")


def schema_type(schema: Any, indent: str = "") -> str:
    """The TypeScript type of ``schema`` (its output shape, if it has one); nested object members are
    indented below ``indent``."""
    if isinstance(schema, dict) and isinstance(schema.get(OUTPUT_SHAPE), dict):
        schema = schema[OUTPUT_SHAPE]
    return SchemaTypes(schema).render(schema, indent)
