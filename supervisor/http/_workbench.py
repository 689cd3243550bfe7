"""The Workbench: one page for what the ``/__motia`` JSON API serves (flows, endpoints with a request
form, traces with their timeline, logs, state, streams, dead letters, runners).

    GET /__motia/workbench                 the page (also ``/`` when no api step owns it)
    GET /__motia/workbench/assets/<name>   its script and style sheet
    GET /__motia/workbench/health          the server's health for the page's header: what
                                           ``/__motia/health`` answers, always with a 200 (a degraded
                                           server's 503 is for load balancers; in the page the browser
                                           would log it as a failed load every time it is read),
                                           ``traces``: whether traces and logs are recorded, and
                                           ``problems``: the files that did not load, each
                                           ``{"error"`` (its first line), ``"fix"}`` (``load_fix``'s
                                           words, "" when no cure is known)

Everything the page needs ships in the package (``supervisor/http/workbench/``): no CDN, no build
step, no Node at run time. Api steps are served in front of quart, so a step on ``GET /`` wins.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quart import Quart, Response

from supervisor.http._params import error
from supervisor.http._quart import json_response

ASSETS = Path(__file__).parent / "workbench"
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def register_workbench(app: Quart, *, health: Callable[[], dict[str, object]]) -> None:
    """``health``: the server's health report (``status`` ok or degraded, ..., ``traces``)."""
    # read once: the files are part of the installed package, and a fixed set (no path from a request
    # ever reaches the file system)
    files = {
        path.name: (path.read_bytes(), f"{_TYPES[path.suffix]}; charset=utf-8")
        for path in ASSETS.iterdir()
        if path.suffix in _TYPES
    }

    def serve(name: str) -> Response:
        body, content_type = files[name]
        return Response(body, content_type=content_type, headers={"cache-control": "no-cache"})

    @app.route("/", methods=["GET"])
    @app.route("/__motia/workbench", methods=["GET"])
    async def page() -> Response:
        return serve("index.html")

    @app.route("/__motia/workbench/assets/<name>", methods=["GET"])
    async def asset(name: str) -> Response:
        if name not in files or name == "index.html":
            return error(404, f"no Workbench asset {name!r}")
        return serve(name)

    @app.route("/__motia/workbench/health", methods=["GET"])
    async def page_health() -> Response:
        return json_response(200, health())
