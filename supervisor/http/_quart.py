"""Quart responses for the endpoints quart serves (internal /__motia routes, 404s, 405s)."""

from __future__ import annotations

from typing import Any

from quart import Response

from supervisor.http._response import HttpResponse


def to_quart(response: HttpResponse) -> Response:
    """One ``Content-Type``, ours: quart gives every Response its own default (``text/html``)
    unless told, and adding ours beside it sent both."""
    content_type = next((value for name, value in response.headers if name.lower() == "content-type"), None)
    quart_response = Response(response.body, status=response.status, content_type=content_type)
    if content_type is None:
        del quart_response.headers["content-type"]
    for name, value in response.headers:
        if name.lower() != "content-type":
            quart_response.headers.add(name, value)
    return quart_response


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return to_quart(HttpResponse.json(status, body, list((headers or {}).items())))
