"""What the core makes of a handler's answer as its runner sent it (supervisor/http/_response.py
``handler_response``), where no runner is needed to tell: the JSON a runner sends that the core cannot
read is refused naming why. How answers look on the wire, in every language, is
test_response_body_types.py's."""

from __future__ import annotations

import pytest

from supervisor.http._response import InvalidHandlerResponse, handler_response


@pytest.mark.parametrize(
    ("sent", "named"),
    [
        # a Python int past a double's range (10**400): JSON the runner may send, no double reads it
        (b'{"status": 200, "body": {"n": 1e400}}', "a number too large to send as JSON"),
        (b'{"status": 200, "body": {"n": -1e400}}', "a number too large to send as JSON"),
        (b'{"status": 200, "body": ' + b"[" * 1100 + b"]" * 1100 + b"}", "nested too deeply to send"),
    ],
    ids=["huge", "huge and negative", "deep"],
)
def test_an_answer_the_core_cannot_read_is_refused_naming_why(sent: bytes, named: str) -> None:
    with pytest.raises(InvalidHandlerResponse, match=named):
        handler_response(sent)


def test_a_whole_float_status_is_that_status_as_in_motia() -> None:
    """Python's ``201.0`` reaches Node as ``201`` in Motia (JSON has one number type)."""
    assert handler_response(b'{"status": 201.0, "body": {}}').status == 201


@pytest.mark.parametrize("status", [b"200.5", b'"201"', b"true", b"199", b"600", b"null"])
def test_a_status_that_is_not_a_whole_number_from_200_to_599_is_refused_naming_it(status: bytes) -> None:
    with pytest.raises(
        InvalidHandlerResponse, match=r"^handler returned an invalid status .* \(expected 200-599\)$"
    ):
        handler_response(b'{"status": ' + status + b', "body": {}}')


def test_a_header_named_twice_in_two_cases_is_the_last_one_as_nodes_set_header_makes_it() -> None:
    sent = b'{"status": 200, "headers": {"X-Tag": "a", "x-tag": ["b", "c"], "Content-Type": "text/csv"}}'
    assert handler_response(sent).headers == [("x-tag", "b"), ("x-tag", "c"), ("content-type", "text/csv")]
