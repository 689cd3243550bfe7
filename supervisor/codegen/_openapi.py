"""An OpenAPI 3.1 document of a project's api steps.

One operation per api step: ``/pets/:id`` becomes ``/pets/{id}`` with a required path parameter
(``/pets/:id?`` is documented under both ``/pets/{id}`` and ``/pets``: OpenAPI has no optional path
parameters), ``queryParams`` become optional query parameters, ``bodySchema`` the JSON request body
and each ``responseSchema`` entry a JSON response. Step schemas are JSON Schema 2020-12, OpenAPI 3.1's
own dialect, so they are kept as they are, except that their ``$defs`` move to ``components/schemas``
(a ``#/$defs/...`` reference would otherwise point into the OpenAPI document's root).
"""

from __future__ import annotations

import copy
import http
from typing import Any

from supervisor.config import OUTPUT_SHAPE, ApiStepConfig
from supervisor.core import Registry, Step
from supervisor.routing import parse_route, route_shape, route_variants, substitute_params

OPENAPI_VERSION = "3.1.0"
_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
_DEF_KEYS = ("$defs", "definitions")

JsonObject = dict[str, Any]


def openapi_document(registry: Registry, title: str, version: str) -> JsonObject:
    components = _Components()
    paths: dict[str, JsonObject] = {}
    # Paths that differ only in parameter names are one path to OpenAPI: the first spelling names it.
    spelling: dict[str, str] = {}
    api_steps = [step for step in registry.steps.values() if isinstance(step.config, ApiStepConfig)]
    api_steps.sort(key=lambda s: (_config(s).path, _METHOD_ORDER.index(_config(s).method), s.name))
    for step in api_steps:
        config = _config(step)
        # OpenAPI has no optional path parameters: '/pets/:id?' is documented as '/pets/{id}' and '/pets'.
        variants = route_variants(config.path)
        for variant in variants:
            template = spelling.setdefault(route_shape(variant), variant)
            names = parse_route(template).params
            operation_id = config.name + _without(
                parse_route(variants[0]).params, parse_route(variant).params
            )
            path_item = paths.setdefault(substitute_params(template, lambda name: "{" + name + "}"), {})
            path_item[config.method.lower()] = _operation(step, operation_id, names, components)
    document: JsonObject = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": paths,
    }
    if components.schemas:
        document["components"] = {"schemas": components.schemas}
    return document


def _without(all_params: tuple[str, ...], present: tuple[str, ...]) -> str:
    """The suffix naming the operation of a variant that leaves optional parameters out."""
    missing = [name for name in all_params if name not in present]
    return "Without" + "".join(name[:1].upper() + name[1:] for name in missing) if missing else ""


def _config(step: Step) -> ApiStepConfig:
    assert isinstance(step.config, ApiStepConfig)
    return step.config


def _operation(
    step: Step, operation_id: str, path_params: tuple[str, ...], components: _Components
) -> JsonObject:
    config = _config(step)
    operation: JsonObject = {"operationId": operation_id, "summary": config.name}
    if config.description:
        operation["description"] = config.description
    if config.flows:
        operation["tags"] = list(config.flows)
    parameters: list[JsonObject] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in path_params
    ]
    for query in config.query_params:
        parameter: JsonObject = {"name": query.name, "in": "query", "required": False}
        if query.description:
            parameter["description"] = query.description
        parameter["schema"] = {"type": "string"}
        parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    if config.body_schema is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": components.adopt(config.body_schema)}},
        }
    responses: JsonObject = {}
    for status, schema in sorted((config.response_schema or {}).items()):
        responses[str(status)] = {
            "description": _reason(status),
            "content": {"application/json": {"schema": components.adopt(schema)}},
        }
    operation["responses"] = responses or {"default": {"description": "The step declares no responseSchema"}}
    return operation


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


class _Components:
    """``components/schemas``: the definitions of every step schema, renamed where two differ."""

    def __init__(self) -> None:
        self.schemas: JsonObject = {}
        self._originals: JsonObject = {}

    def adopt(self, schema: JsonObject) -> JsonObject:
        schema = copy.deepcopy(schema)
        schema.pop("$schema", None)
        # the input shape is what a client sends and the core validates; the output shape beside it is
        # for the handler's types only
        schema.pop(OUTPUT_SHAPE, None)
        moved: list[tuple[str, Any]] = []
        renamed: dict[str, str] = {}
        for key in _DEF_KEYS:
            definitions = schema.pop(key, None)
            if isinstance(definitions, dict):
                for name, definition in definitions.items():
                    component = self._name_for(name, definition)
                    renamed[f"#/{key}/{_escape(name)}"] = f"#/components/schemas/{_escape(component)}"
                    moved.append((component, definition))
        for component, definition in moved:
            self.schemas[component] = _rewrite(definition, renamed)
        adopted: JsonObject = _rewrite(schema, renamed)
        return adopted

    def _name_for(self, name: str, definition: Any) -> str:
        """The definition's own name, or ``Name2``, ``Name3``... when another schema defines it otherwise."""
        candidate, number = name, 1
        while candidate in self._originals and self._originals[candidate] != definition:
            number += 1
            candidate = f"{name}{number}"
        self._originals[candidate] = definition
        return candidate


def _rewrite(value: Any, renamed: dict[str, str]) -> Any:
    """References to moved definitions follow them; draft-07 tuples become 2020-12 ``prefixItems``."""
    if isinstance(value, list):
        return [_rewrite(item, renamed) for item in value]
    if not isinstance(value, dict):
        return value
    result = {key: _rewrite(item, renamed) for key, item in value.items()}
    ref = result.get("$ref")
    if isinstance(ref, str):
        for old, new in renamed.items():
            if ref == old or ref.startswith(old + "/"):
                result["$ref"] = new + ref[len(old) :]
                break
    if isinstance(result.get("items"), list):
        result["prefixItems"] = result.pop("items")
        if "additionalItems" in result:
            result["items"] = result.pop("additionalItems")
    return result


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
