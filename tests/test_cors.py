"""CORS as Motia's server answers it (every OPTIONS a 204 preflight, the allow-origin header on every
response), configurable in motia.config.json; checked header by header, and end to end from a page
on another origin in headless Chromium, which sends real preflights and enforces the answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LANGUAGES
from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.server import MotiaServer, free_port

pytestmark = pytest.mark.e2e

HELLO_STEP = """
exports.config = { type: 'api', name: 'Hello', path: '/hello', method: 'POST', emits: [] }
exports.handler = async (req) => ({
  status: 200,
  body: { got: req.body, authorization: req.headers.authorization ?? null },
})
"""

PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "content-type, x-custom",
}


def _project(root: Path, config: dict[str, Any]) -> Path:
    return write_project(root, {"steps/hello.step.js": HELLO_STEP}, config)


@pytest.fixture(scope="module")
def page_ports() -> dict[str, int]:
    """Ports of the test pages (origins) in the browser test; the listed one is in a server's config."""
    return {"listed": free_port(), "other": free_port()}


@pytest.fixture(scope="module")
def listed_server(
    tmp_path_factory: pytest.TempPathFactory, page_ports: dict[str, int]
) -> Iterator[MotiaServer]:
    """Only the listed origin, with credentials."""
    cors = {"origins": [f"http://127.0.0.1:{page_ports['listed']}"], "credentials": True, "maxAge": 60}
    with MotiaServer(
        _project(tmp_path_factory.mktemp("cors-listed"), {"cors": cors}), mode="start"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    with MotiaServer(_project(tmp_path_factory.mktemp("cors-off"), {"cors": False}), mode="start") as server:
        yield server


# ---------------------------------------------------------------- the default: Motia's answers


def test_a_preflight_is_answered_204_as_motia_answers_it(conformance_server: MotiaServer) -> None:
    origin = {"origin": "http://app.example:5173"}
    response = conformance_server.client.options("/ts/echo/1", headers={**origin, **PREFLIGHT})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "*"
    assert response.headers["access-control-allow-headers"] == "content-type, x-custom"
    assert response.headers["access-control-max-age"] == "600"
    assert "content-type" not in response.headers and "content-length" not in response.headers


def test_every_options_request_is_a_preflight_even_where_no_step_is(conformance_server: MotiaServer) -> None:
    response = conformance_server.client.options(
        "/no/step/here", headers={"access-control-request-private-network": "true"}
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-private-network"] == "true"


@pytest.mark.parametrize("path", ["/ts/respond/json", "/py/respond/binary", "/nowhere", "/__motia/health"])
def test_every_response_allows_any_origin(conformance_server: MotiaServer, path: str) -> None:
    response = conformance_server.client.get(path, headers={"origin": "http://app.example"})
    assert response.headers.get_list("access-control-allow-origin") == ["*"]
    assert response.headers["access-control-expose-headers"] == "x-trace-id"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_options_step_answers_for_its_own_path(conformance_server: MotiaServer, lang: str) -> None:
    response = conformance_server.client.options(f"/{lang}/own-options", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.json() == {"owner": f"{lang.capitalize()}Options"}
    assert response.headers.get_list("access-control-allow-origin") == ["https://owner.example"]
    assert "access-control-allow-methods" not in response.headers


# ---------------------------------------------------------------- configured


def test_a_listed_origin_is_named_back_with_credentials(
    listed_server: MotiaServer, page_ports: dict[str, int]
) -> None:
    origin = f"http://127.0.0.1:{page_ports['listed']}"
    response = listed_server.client.post("/hello", json={}, headers={"origin": origin})
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "origin"
    preflight = listed_server.client.options("/hello", headers={"origin": origin, **PREFLIGHT})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-methods"] == "POST"  # "*" means nothing with credentials
    assert preflight.headers["access-control-max-age"] == "60"


def test_an_origin_not_listed_gets_no_allow_headers(listed_server: MotiaServer) -> None:
    other = {"origin": "http://elsewhere.example"}
    response = listed_server.client.post("/hello", json={}, headers=other)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = listed_server.client.options("/hello", headers={**other, **PREFLIGHT})
    assert preflight.status_code == 204
    assert not [name for name in preflight.headers if name.startswith("access-control-")]


def test_cors_false_sends_no_cors_headers_and_answers_no_preflight(closed_server: MotiaServer) -> None:
    preflight = closed_server.client.options("/hello", headers={"origin": "http://a.example", **PREFLIGHT})
    assert preflight.status_code == 405
    response = closed_server.client.post("/hello", json={}, headers={"origin": "http://a.example"})
    assert response.status_code == 200
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_a_bad_origin_in_the_config_is_refused_at_start(tmp_path: Path) -> None:
    project = _project(tmp_path, {"cors": {"origins": ["http://localhost:5173/"]}})
    server = MotiaServer(project, mode="start")
    try:
        assert server.proc.wait(timeout=60) == 2
    finally:
        server.stop()
    assert "cors.origins" in server.output
    assert "'http://localhost:5173/' is not an origin" in server.output


# ---------------------------------------------------------------- in a browser


def test_a_page_on_another_origin_can_call_the_api_as_its_cors_settings_say(
    client_packages: Path,
    chromium: str,
    conformance_server: MotiaServer,
    listed_server: MotiaServer,
    closed_server: MotiaServer,
    page_ports: dict[str, int],
) -> None:
    # JSON plus custom and Authorization headers: not a "simple" request, so the browser preflights.
    post = {
        "method": "POST",
        "headers": {"content-type": "application/json", "x-custom": "1", "authorization": "Bearer t0ken"},
        "body": json.dumps({"name": "Rex", "count": 1}),
    }
    checks = [
        {"page": "other", "url": f"{conformance_server.url}/ts/echo/7", **post},
        {"page": "listed", "url": f"{listed_server.url}/hello", "credentials": "include", **post},
        {"page": "other", "url": f"{listed_server.url}/hello", **post},
        {"page": "other", "url": f"{closed_server.url}/hello", **post},
        {"page": "other", "url": f"{closed_server.url}/hello"},  # GET: no preflight, still refused
    ]
    spec = {"pages": page_ports, "checks": checks}
    default, listed, not_listed, closed_post, closed_get = run_driver(
        client_packages, "cors-driver.mjs", chromium, json.dumps(spec), timeout=180
    )

    assert default["ok"], default
    assert default["status"] == 201
    assert json.loads(default["body"])["id"] == "7"
    assert default["traceId"]  # exposed to the page's script

    assert listed["ok"], listed
    assert json.loads(listed["body"]) == {"got": {"name": "Rex", "count": 1}, "authorization": "Bearer t0ken"}

    for refused in (not_listed, closed_post, closed_get):
        assert not refused["ok"] and "Failed to fetch" in refused["error"], refused
