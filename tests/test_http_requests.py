"""How request bodies, query strings and headers become the handler's ``req``."""

from __future__ import annotations

import pytest

from supervisor.http._request import BadRequestBody, collapse, parse_body


def test_repeated_names_become_lists() -> None:
    assert collapse([("a", "1"), ("b", "2"), ("a", "3"), ("a", "4")]) == {"a": ["1", "3", "4"], "b": "2"}


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b'{"a": 1}', "application/json", {"a": 1}),
        (b'{"a": 1}', "application/vnd.api+json; charset=utf-8", {"a": 1}),
        (b"[1, 2]", "application/json", [1, 2]),
        (b'{"a": 1}', "application/x-www-form-urlencoded", {"a": 1}),  # curl -d without -H
        (b"a=1&b=x&a=2", "application/x-www-form-urlencoded", {"a": ["1", "2"], "b": "x"}),
        (b"plain words", "text/plain", "plain words"),
        (b"<xml/>", "application/xml", "<xml/>"),
        (b"", "application/json", {}),
    ],
)
def test_bodies_are_parsed_by_content_type(raw: bytes, content_type: str, expected: object) -> None:
    assert parse_body(raw, content_type) == expected


def test_malformed_json_names_the_parse_error() -> None:
    with pytest.raises(BadRequestBody, match="not valid JSON"):
        parse_body(b'{"a": ', "application/json")
