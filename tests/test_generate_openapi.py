"""The OpenAPI document of a registry's api steps, checked by real validators: openapi-spec-validator for
the document, JSON Schema 2020-12 for every schema in it, and sample requests against those schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import referencing
import referencing.jsonschema
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from supervisor.codegen import openapi_document
from tests.support.registries import registry_of

LINE = {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]}
ORDER_BODY = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "customer": {"$ref": "#/$defs/Customer"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1},
    },
    "required": ["customer", "lines"],
    "$defs": {
        "Customer": {"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]},
        "Line": LINE,
    },
}
STEPS: dict[str, dict[str, Any]] = {
    "steps/create-order.step.ts": {
        "type": "api",
        "name": "CreateOrder",
        "description": "Place an order",
        "path": "/orders",
        "method": "POST",
        "flows": ["Orders"],
        "bodySchema": ORDER_BODY,
        "responseSchema": {
            "201": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            "400": {"type": "object", "properties": {"error": {"type": "string"}}},
        },
        "emits": [],
    },
    "steps/get_order_step.py": {
        "type": "api",
        "name": "GetOrder",
        "path": "/orders/:id",
        "method": "GET",
        "queryParams": [{"name": "expand", "description": "lines or customer"}, {"name": "debug"}],
        "emits": [],
    },
    # Same route shape, another parameter name: one OpenAPI path, named by the first spelling.
    "steps/update-order.step.js": {
        "type": "api",
        "name": "UpdateOrder",
        "path": "/orders/:orderId/",
        "method": "PUT",
        # zod 3 (zod-to-json-schema): draft-07 definitions and tuples; a Line unlike CreateOrder's.
        "bodySchema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "line": {"$ref": "#/definitions/Line"},
                "range": {"type": "array", "items": [{"type": "number"}, {"type": "number"}]},
            },
            "definitions": {"Line": {"type": "object", "properties": {"quantity": {"type": "integer"}}}},
        },
        "emits": [],
    },
    "steps/list-invoices.step.ts": {
        "type": "api",
        "name": "ListInvoices",
        "path": "/invoices/:year?",
        "method": "GET",
        "emits": [],
    },
    "steps/fares.step.ts": {
        "type": "api",
        "name": "Fares",
        "path": "/fares/:from-:to",
        "method": "GET",
        "emits": [],
    },
    "steps/reindex.step.ts": {"type": "cron", "name": "Reindex", "cron": "0 * * * *", "emits": []},
    "steps/on-order.step.ts": {"type": "event", "name": "OnOrder", "subscribes": ["order"], "emits": []},
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document(registry_of(STEPS), "Orders API", "2.1.0")


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Orders API", "version": "2.1.0"}


def test_every_api_step_is_one_operation_and_nothing_else_is(document: dict[str, Any]) -> None:
    operations = {
        (path, method): operation["operationId"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert operations == {
        ("/orders", "post"): "CreateOrder",
        ("/orders/{id}", "get"): "GetOrder",
        ("/orders/{id}", "put"): "UpdateOrder",
        # OpenAPI has no optional path parameter: one path with it, one without.
        ("/invoices/{year}", "get"): "ListInvoices",
        ("/invoices", "get"): "ListInvoicesWithoutYear",
        ("/fares/{from}-{to}", "get"): "Fares",
    }


def test_operations_carry_parameters_bodies_responses_and_descriptions(document: dict[str, Any]) -> None:
    create = document["paths"]["/orders"]["post"]
    assert create["description"] == "Place an order" and create["tags"] == ["Orders"]
    assert create["requestBody"]["required"] is True
    assert set(create["responses"]) == {"201", "400"}
    assert create["responses"]["201"]["description"] == "Created"

    get = document["paths"]["/orders/{id}"]["get"]
    assert get["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        {
            "name": "expand",
            "in": "query",
            "required": False,
            "description": "lines or customer",
            "schema": {"type": "string"},
        },
        {"name": "debug", "in": "query", "required": False, "schema": {"type": "string"}},
    ]
    assert get["responses"] == {"default": {"description": "The step declares no responseSchema"}}
    assert document["paths"]["/orders/{id}"]["put"]["parameters"][0]["name"] == "id"


def test_schema_definitions_move_to_components_and_clashing_names_are_renamed(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas) == {"Customer", "Line", "Line2"}
    assert schemas["Line"] == LINE
    body = document["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "$defs" not in body and "$schema" not in body
    assert body["properties"]["customer"] == {"$ref": "#/components/schemas/Customer"}
    update = document["paths"]["/orders/{id}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert update["properties"]["line"] == {"$ref": "#/components/schemas/Line2"}
    assert update["properties"]["range"]["prefixItems"] == [{"type": "number"}, {"type": "number"}]


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def test_every_reference_resolves_and_every_schema_is_valid_json_schema_2020_12(
    document: dict[str, Any],
) -> None:
    resource = referencing.Resource.from_contents(document, referencing.jsonschema.DRAFT202012)
    resolver = referencing.Registry().with_resource("urn:api", resource).resolver("urn:api")
    refs = set(_refs(document))
    assert refs
    for ref in refs:
        resolver.lookup(ref)  # raises when the reference points nowhere
    for item in document["paths"].values():
        for operation in item.values():
            media = [operation.get("requestBody", {}).get("content", {})]
            media += [response.get("content", {}) for response in operation["responses"].values()]
            for content in media:
                for entry in content.values():
                    Draft202012Validator.check_schema(entry["schema"])


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"customer": {"email": "a@b.c"}, "lines": [{"sku": "x"}]}, True),
        ({"customer": {}, "lines": [{"sku": "x"}]}, False),
        ({"customer": {"email": "a@b.c"}, "lines": [{"quantity": 1}]}, False),
        ({"customer": {"email": "a@b.c"}, "lines": []}, False),
    ],
)
def test_documented_request_bodies_accept_and_refuse_what_the_step_schema_does(
    document: dict[str, Any], body: Any, valid: bool
) -> None:
    resource = referencing.Resource.from_contents(document, referencing.jsonschema.DRAFT202012)
    registry = referencing.Registry().with_resource("urn:api", resource)
    pointer = "urn:api#/paths/~1orders/post/requestBody/content/application~1json/schema"
    validator = Draft202012Validator({"$ref": pointer}, registry=registry)
    assert validator.is_valid(body) is valid


def test_a_project_without_api_steps_gives_an_empty_valid_document() -> None:
    document = openapi_document(registry_of({}), "Empty", "1.0.0")
    validate(document)
    assert document["paths"] == {} and "components" not in document
