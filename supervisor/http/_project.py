"""What the running project is made of: steps, flows, streams (its runners: ``/__motia/runners``).

    GET /__motia/steps                 {"steps": [...]}: every step, its config as written, language, file
    GET /__motia/flows                 {"flows": [{"id", "name", "steps": [...], "edges": [...]}],
                                        "loadProblems": [{"file", "error", "fix"}]}
    GET /__motia/flows/<id>            one flow

A step whose file no longer loads in `motia dev` stays in its flows as it last loaded, with its file's
``loadError`` and ``loadFix`` (the fix the start-up summary prints under it, "" when no cure is known);
the files that did not load and are drawn in no flow are ``loadProblems``, each with
the ``fix`` the start-up summary prints under it ("" when no cure is known).
    GET /__motia/streams               {"streams": [{"name", "file", "groups": n}]}
    GET /__motia/streams/<name>        {"name", "file", "groups": [{"groupId", "items": n}]}

A stream's items are read with the realtime JSON reads (``/__motia/streams/<name>/<groupId>``).
"""

from __future__ import annotations

from quart import Quart, Response

from supervisor.core import flows, load_problems, step_nodes
from supervisor.http._backend import Backend
from supervisor.http._params import endpoint, error
from supervisor.http._quart import json_response


def register_project(app: Quart, runtime: Backend) -> None:
    @app.route("/__motia/steps", methods=["GET"])
    @endpoint
    async def list_steps() -> Response:
        return json_response(200, {"steps": step_nodes(runtime.registry)})

    @app.route("/__motia/flows", methods=["GET"])
    @endpoint
    async def list_flows() -> Response:
        registry = runtime.registry
        return json_response(
            200,
            {
                "flows": flows(registry, unloaded=True, fix=runtime.load_fix),
                "loadProblems": load_problems(registry, runtime.load_fix),
            },
        )

    @app.route("/__motia/flows/<flow_id>", methods=["GET"])
    @endpoint
    async def one_flow(flow_id: str) -> Response:
        found = next(
            (
                flow
                for flow in flows(runtime.registry, unloaded=True, fix=runtime.load_fix)
                if flow["id"] == flow_id
            ),
            None,
        )
        if found is None:
            return error(404, f"no flow {flow_id!r}: no loaded step names it in its flows")
        return json_response(200, found)

    @app.route("/__motia/streams", methods=["GET"])
    @endpoint
    async def list_streams() -> Response:
        registry = runtime.registry
        listed = []
        for name in sorted(registry.streams):
            groups = await runtime.realtime.streams.groups(name)
            listed.append({"name": name, "file": registry.stream_sources[name].path, "groups": len(groups)})
        return json_response(200, {"streams": listed})

    @app.route("/__motia/streams/<name>", methods=["GET"])
    @endpoint
    async def one_stream(name: str) -> Response:
        return await stream_summary(runtime, name)


async def stream_summary(runtime: Backend, name: str) -> Response:
    """``GET /__motia/streams/<name>``; also answered by the realtime reads' route when the name holds
    a '/' (sent as %2F, which the routing sees decoded: two parts)."""
    registry = runtime.registry
    if name not in registry.streams:
        known = ", ".join(sorted(registry.streams)) or "none"
        return error(404, f"no stream {name!r} (streams: {known})")
    groups = await runtime.realtime.streams.groups(name)
    listed = [{"groupId": group, "items": size} for group, size in groups.items()]
    return json_response(200, {"name": name, "file": registry.stream_sources[name].path, "groups": listed})
