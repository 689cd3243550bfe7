"""Every kind of response carries at most one Content-Type header (Node's fetch merges two into an
invalid value): api steps, the server's own 400/404/405/413 answers, the internal ``/__motia``
endpoints, stream reads and Server-Sent Events, and none at all on a CORS preflight's 204."""

from __future__ import annotations

import httpx
import pytest

from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

# (method, path, request body, expected status, expected content type; None: no body, no type)
ENDPOINTS = [
    ("GET", "/ts/respond/json", None, 200, "application/json"),
    ("GET", "/py/respond/text", None, 200, "text/plain; charset=utf-8"),
    ("GET", "/js/respond/binary", None, 200, "image/png"),
    ("GET", "/ts/respond/no-content", None, 204, None),
    ("POST", "/py/strict", b"{}", 400, "application/json"),  # bodySchema, answered by the core
    ("POST", "/js/echo/1", b'{"name": ', 400, "application/json"),  # malformed JSON
    ("GET", "/ts/throw", None, 500, "application/json"),
    ("GET", "/nowhere", None, 404, "application/json"),
    ("PATCH", "/ts/echo/1", b"{}", 405, "application/json"),
    ("GET", "/__motia/health", None, 200, "application/json"),
    ("GET", "/__motia/dead-letters", None, 200, "application/json"),
    ("POST", "/__motia/emit", b'{"topic": "nobody.listens"}', 200, "application/json"),
    ("POST", "/__motia/emit", b"not json", 400, "application/json"),
    ("POST", "/emit", b'{"topic": "nobody.listens"}', 200, "application/json"),
    ("POST", "/__motia/cron/NoSuchCron/run", None, 404, "application/json"),
    ("GET", "/__motia/streams/tsItems/some-group", None, 200, "application/json"),
    ("GET", "/__motia/streams/tsItems/some-group/missing", None, 404, "application/json"),
    ("OPTIONS", "/ts/echo/1", None, 204, None),  # a CORS preflight
]


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "content_type"),
    ENDPOINTS,
    ids=[f"{method} {path} {status}" for method, path, _, status, _ in ENDPOINTS],
)
def test_one_content_type_per_response(
    conformance_server: MotiaServer,
    method: str,
    path: str,
    content: bytes | None,
    status: int,
    content_type: str | None,
) -> None:
    headers = {"content-type": "application/json"} if content is not None else {}
    response = conformance_server.client.request(method, path, content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers.get_list("content-type") == ([content_type] if content_type else [])


def test_one_content_type_on_server_sent_events(conformance_server: MotiaServer) -> None:
    with httpx.stream(
        "GET", f"{conformance_server.url}/__motia/sse/tsItems/some-group", timeout=10
    ) as response:
        assert response.status_code == 200
        assert response.headers.get_list("content-type") == ["text/event-stream; charset=utf-8"]


def test_one_content_type_on_a_body_over_the_limit(conformance_server: MotiaServer) -> None:
    with httpx.Client(base_url=conformance_server.url, timeout=30) as client:  # its own connection
        response = client.post(
            "/ts/echo/1", content=b"x" * (33 * 1024 * 1024), headers={"content-type": "text/plain"}
        )
    assert response.status_code == 413
    assert response.headers.get_list("content-type") == ["application/json"]
