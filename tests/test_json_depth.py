"""One depth limit for JSON, wherever it enters: a request body nested past ``MAX_JSON_DEPTH`` is a
400 naming the limit at every door (api steps, with or without body validation, ``curl -d`` JSON,
``POST /__motia/emit`` and ``/emit``), never the 500 that orjson's and jsonschema-rs's own limits
gave; a body at the limit goes through. What handlers emit, store or answer is held to the same
limit (tests/test_conformance.py, in every language)."""

from __future__ import annotations

from typing import Any

import pytest

from supervisor.storage import MAX_JSON_DEPTH, NestedTooDeeply, check_depth, decode_checked_json
from tests.support.server import MotiaServer

TOO_DEEP = {"error": "Bad Request", "message": f"body nested too deeply (limit {MAX_JSON_DEPTH})"}


def nested(depth: int, leaf: Any = 1) -> Any:
    """``depth`` levels: arrays inside an object, so an emit body is ``{"topic", "data": [[...]]}``."""
    value = leaf
    for _ in range(depth - 1):
        value = [value]
    return {"name": "deep", "data": value}


def encoded(depth: int) -> bytes:
    """The JSON of ``nested(depth)``, written out (orjson cannot write past 254 levels)."""
    inner = depth - 1
    return b'{"name": "deep", "data": ' + b"[" * inner + b"1" + b"]" * inner + b"}"


# ---------------------------------------------------------------- the check itself


@pytest.mark.parametrize("depth", [1, 2, MAX_JSON_DEPTH])
def test_values_up_to_the_limit_pass(depth: int) -> None:
    check_depth(nested(depth), "body")
    assert decode_checked_json(encoded(depth), "body") == nested(depth)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 1023, 1025, 5000])
def test_values_past_the_limit_are_refused_naming_it(depth: int) -> None:
    with pytest.raises(NestedTooDeeply, match=rf"^body nested too deeply \(limit {MAX_JSON_DEPTH}\)$"):
        decode_checked_json(encoded(depth), "body")


def test_only_the_deepest_branch_counts_and_brackets_in_strings_do_not() -> None:
    wide = {"items": [{"tags": ["[{" * 500]} for _ in range(1000)], "deep": nested(MAX_JSON_DEPTH - 1)}
    check_depth(wide, "body")  # a bracket count past the limit makes it walk, and it passes
    wide["deep"] = nested(MAX_JSON_DEPTH)
    with pytest.raises(NestedTooDeeply):
        check_depth(wide, "body")


def test_scalars_and_empty_containers_pass_the_depth_check() -> None:
    values: list[object] = [None, 1, "[[[[", [], {}]
    for value in values:
        check_depth(value, "value")


# ---------------------------------------------------------------- every door a body enters by

# (method, path, content type, status of a body at the limit)
DOORS = [
    ("POST", "/ts/echo/1", "application/json", 201),  # an api step
    ("POST", "/py/echo/1", "application/vnd.api+json", 201),  # any +json type
    ("POST", "/js/echo/1", "application/x-www-form-urlencoded", 201),  # curl -d '{...}'
    ("POST", "/py/strict", "application/json", 400),  # bodySchema checked in the core
    ("POST", "/ts/guarded", "application/json", 401),  # checked after middleware, in the runner
    ("POST", "/__motia/emit", "application/json", 200),
    ("POST", "/emit", "application/json", 200),  # what `npx motia emit` posts to
]


@pytest.mark.e2e
@pytest.mark.parametrize(("method", "path", "content_type", "accepted"), DOORS, ids=[d[1] for d in DOORS])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 2000])
def test_a_request_body_nested_past_the_limit_is_a_400_naming_it(
    conformance_server: MotiaServer, method: str, path: str, content_type: str, accepted: int, depth: int
) -> None:
    body = encoded(depth).replace(b'"name"', b'"topic"', 1) if "emit" in path else encoded(depth)
    response = conformance_server.client.request(
        method, path, content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 400, response.text
    assert response.json() == TOO_DEEP


@pytest.mark.e2e
@pytest.mark.parametrize(("method", "path", "content_type", "accepted"), DOORS, ids=[d[1] for d in DOORS])
def test_a_request_body_at_the_limit_goes_through(
    conformance_server: MotiaServer, method: str, path: str, content_type: str, accepted: int
) -> None:
    body = encoded(MAX_JSON_DEPTH)
    if "emit" in path:
        body = body.replace(b'"name"', b'"topic"', 1)
    response = conformance_server.client.request(
        method, path, content=body, headers={"content-type": content_type}
    )
    assert response.status_code == accepted, response.text
    if path.endswith("/echo/1"):
        assert response.json()["body"] == nested(MAX_JSON_DEPTH)
