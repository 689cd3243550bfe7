"""Quart responses for the endpoints quart serves (internal /__motia routes, 404s, 405s)."""

from __future__ import annotations

from typing import Any

from quart import Response

from supervisor.http._response import HttpResponse, json_answer


def to_quart(answer: HttpResponse) -> Response:
    response = Response(answer.body, status=answer.status)
    for name, value in answer.headers:
        response.headers.add(name, value)
    return response


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return to_quart(json_answer(status, body, list((headers or {}).items())))
