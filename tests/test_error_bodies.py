"""Every error the server answers is JSON of one shape, ``{"error": <reason>, "message": <what went
wrong>, ...}``, whoever answers it (the api-step front, quart's endpoints, their limits and failures):
never quart's HTML pages or hypercorn's empty ones, whatever the method, the path or the fault."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

HUGE = b"x" * (33 * 1024 * 1024)
# (method, path, body, status, Allow header)
ERRORS: list[tuple[str, str, bytes | None, int, str | None]] = [
    ("GET", "/nowhere", None, 404, None),
    ("PROPFIND", "/nowhere", None, 404, None),  # a method outside the usual set, on an unknown path
    ("PROPFIND", "/ts/echo/1", None, 405, "POST"),  # ... on an api step's path
    ("BREW", "/py/echo/1", b"{}", 405, "POST"),  # any token is a method
    ("PATCH", "/js/echo/1", b"{}", 405, "POST"),
    ("POST", "/__motia/health", None, 405, "GET, HEAD"),  # our own endpoints name their methods
    ("GET", "/__motia/nothing-here", None, 404, None),
    ("GET", "/emit", None, 405, "POST"),
    ("POST", "/__motia/emit", HUGE, 413, None),  # quart's own size limit
    ("POST", "/ts/echo/1", HUGE, 413, None),  # the front's
    ("POST", "/__motia/emit", b"[1, 2", 400, None),
    ("GET", "/__motia/dead-letters?limit=99999999999999999999", None, 400, None),  # past SQLite's integers
    ("POST", "/__motia/dead-letters/99999999999999999999/replay", None, 404, None),
    ("GET", "/__motia/dead-letters?limit=%C2%B2", None, 400, None),  # "²": a digit int() cannot read
    ("GET", "/__motia/dead-letters/%C2%B2", None, 404, None),
    ("GET", "/__motia/traces?limit=%C2%B2", None, 400, None),
    ("POST", "/__motia/cron/NoSuchCron/run", None, 404, None),
    ("GET", "/ts/throw", None, 500, None),  # a handler's failure
]


def assert_error_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    reason = {500: "Internal server error", 413: "Payload Too Large"}.get(status, HTTPStatus(status).phrase)
    assert body["error"] == reason
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "allow"),
    ERRORS,
    ids=[f"{method} {path[:40]} {status}" for method, path, _, status, _ in ERRORS],
)
def test_every_error_is_json_of_one_shape(
    conformance_server: MotiaServer,
    method: str,
    path: str,
    content: bytes | None,
    status: int,
    allow: str | None,
) -> None:
    headers = {"content-type": "application/json"} if content is not None else {}
    response = conformance_server.client.request(method, path, content=content, headers=headers)
    assert_error_shape(response, status)
    assert response.headers.get("allow") == allow


def test_a_failure_of_an_internal_endpoint_is_a_json_500_with_its_error_id_in_the_log(
    tmp_path: Path,
) -> None:
    write_project(tmp_path, {"steps/idle_step.py": 'config = {"type": "noop", "name": "Idle"}\n'})
    with MotiaServer(tmp_path, mode="start"):
        pass  # a database that a stop has checkpointed: its pages are in the file, not in the WAL
    with MotiaServer(tmp_path, mode="start") as server:
        assert server.client.get("/__motia/dead-letters").status_code == 200
        (tmp_path / ".motia" / "motia.db").write_bytes(b"")  # the database file is destroyed under it
        response = server.client.get("/__motia/dead-letters")
        body = assert_error_shape(response, 500)

        def logged() -> dict[str, Any]:
            found = [r for r in server.json_logs() if (r.get("meta") or {}).get("errorId") == body["errorId"]]
            assert found
            return found[0]

        record = eventually(logged)
    assert record["level"] == "error"
    assert "GET /__motia/dead-letters failed" in record["msg"]
    assert "malformed" in record["stack"]  # sqlite3's own words, in the record, not on a line of its own
