"""How request bodies, query strings and headers become the handler's ``req``."""

from __future__ import annotations

import pytest

from supervisor.http._request import BadRequestBody, node_headers, parse_body, raw_body_text


def test_repeated_headers_are_combined_as_node_combines_them() -> None:
    headers = node_headers(
        [
            ("x-a", "1"),
            ("cookie", "c=1"),
            ("set-cookie", "s=1"),
            ("content-type", "text/plain"),
            ("x-a", "2"),
            ("cookie", "d=2"),
            ("set-cookie", "t=2"),
            ("content-type", "application/json"),
            ("accept", "text/html"),
        ]
    )
    assert headers == {
        "x-a": "1, 2",
        "cookie": "c=1; d=2",
        "set-cookie": ["s=1", "t=2"],
        "content-type": "text/plain",  # Node keeps the first of the headers that cannot repeat
        "accept": "text/html",
    }


def test_a_single_set_cookie_is_still_a_list() -> None:
    assert node_headers([("set-cookie", "s=1")]) == {"set-cookie": ["s=1"]}


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b'{"a": 1}', "application/json", {"a": 1}),
        (b'{"a": 1}', "application/vnd.api+json; charset=utf-8", {"a": 1}),
        (b"[1, 2]", "application/json", [1, 2]),
        (b'{"a": 1}', "application/x-www-form-urlencoded", {"a": 1}),  # curl -d without -H
        (b"a=1&b=x&a=2", "application/x-www-form-urlencoded", {"a": ["1", "2"], "b": "x"}),
        (
            b"a[b]=1&a[c][]=2&a[c][]=3",
            "application/x-www-form-urlencoded",
            {"a": {"b": "1", "c": ["2", "3"]}},
        ),
        (b"name=J%C3%B6rg+M", "application/x-www-form-urlencoded", {"name": "Jörg M"}),
        (b"plain words", "text/plain", "plain words"),
        (b'{"sns": "message"}', "text/plain; charset=UTF-8", '{"sns": "message"}'),  # as bodyParser.text
        (b"<xml/>", "application/xml", "<xml/>"),
        (b"", "application/json", {}),
        (b"", "", {}),
    ],
)
def test_bodies_are_parsed_by_content_type(raw: bytes, content_type: str, expected: object) -> None:
    assert parse_body(raw, content_type) == expected


def test_malformed_json_names_the_parse_error() -> None:
    with pytest.raises(BadRequestBody, match="not valid JSON") as caught:
        parse_body(b'{"a": ', "application/json")
    assert caught.value.status == 400


def test_urlencoded_bodies_over_body_parsers_limits_are_refused_as_it_refuses_them() -> None:
    with pytest.raises(BadRequestBody, match="too many parameters") as too_many:
        parse_body(b"&".join(b"p%d=1" % i for i in range(1001)), "application/x-www-form-urlencoded")
    assert too_many.value.status == 413
    with pytest.raises(BadRequestBody, match="deeper than 32") as too_deep:
        parse_body(b"a" + b"[x]" * 33 + b"=1", "application/x-www-form-urlencoded")
    assert too_deep.value.status == 400
    assert parse_body(b"a" + b"[x]" * 32 + b"=1", "application/x-www-form-urlencoded")


def test_raw_body_is_the_text_in_the_declared_charset() -> None:
    assert raw_body_text(b'{"name": "J\xc3\xb6rg"}', "application/json") == '{"name": "Jörg"}'
    assert raw_body_text(b"J\xf6rg", "text/plain; charset=latin1") == "Jörg"
    assert raw_body_text(b"J\xf6rg", "text/plain; charset=no-such-charset") == "J\ufffdrg"
    assert raw_body_text(b"", "application/json") == ""
