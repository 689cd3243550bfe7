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
