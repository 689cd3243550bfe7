"""HTTP responses as plain data (status, headers, body bytes), whichever server sends them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def json(cls, status: int, body: Any, headers: Sequence[tuple[str, str]] = ()) -> HttpResponse:
        return cls(status, [("content-type", JSON_TYPE), *headers], orjson.dumps(body))


def handler_response(result: Any) -> HttpResponse:
    """A handler's ``{status, body, headers}``: a string body is text, anything else JSON."""
    if not isinstance(result, dict):
        return HttpResponse.json(
            500, {"error": "Internal Server Error", "message": "handler returned no {status, body}"}
        )
    status = result.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        message = f"handler returned an invalid status {status!r}"
        return HttpResponse.json(500, {"error": "Internal Server Error", "message": message})
    body = result.get("body")
    headers: list[tuple[str, str]] = []
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode()
        headers.append(("content-type", TEXT_TYPE))
    else:
        data = orjson.dumps(body)
        headers.append(("content-type", JSON_TYPE))
    custom = result.get("headers")
    if isinstance(custom, dict):
        for name, value in custom.items():
            lowered = str(name).lower()
            if lowered == "content-type":  # the handler's own content type wins
                headers = [header for header in headers if header[0] != "content-type"]
            for item in value if isinstance(value, list) else [value]:
                headers.append((lowered, str(item)))
    return HttpResponse(status, headers, data)
