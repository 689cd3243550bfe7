"""Turning a handler's ``{status, body, headers}`` into an HTTP response."""

from __future__ import annotations

from typing import Any

import orjson
from quart import Response

JSON_TYPE = "application/json"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response(orjson.dumps(body), status=status, content_type=JSON_TYPE)
    if headers:
        response.headers.update(headers)
    return response


def handler_response(result: Any) -> Response:
    if not isinstance(result, dict):
        return json_response(
            500, {"error": "Internal Server Error", "message": "handler returned no {status, body}"}
        )
    status = result.get("status", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return json_response(
            500,
            {"error": "Internal Server Error", "message": f"handler returned an invalid status {status!r}"},
        )
    headers = result.get("headers") or {}
    body = result.get("body")
    content_type = None
    if body is None:
        data = b""
    elif isinstance(body, str):
        data, content_type = body.encode(), "text/plain; charset=utf-8"
    else:
        data, content_type = orjson.dumps(body), JSON_TYPE
    response = Response(data, status=status)
    if content_type:
        response.headers["content-type"] = content_type
    if isinstance(headers, dict):
        for name, value in headers.items():
            if isinstance(value, list):
                for item in value:
                    response.headers.add(str(name), str(item))
            else:
                response.headers[str(name)] = str(value)
    return response
