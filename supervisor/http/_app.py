"""The quart application: internal endpoints under ``/__motia``, 404s and 405s.

Requests that match an api step are served by ``ApiStepFront`` in front of quart.
"""

from __future__ import annotations

from quart import Quart, Response, request

from supervisor.core import new_trace_id
from supervisor.http._asgi import MAX_BODY_BYTES, ApiStepFront
from supervisor.http._backend import Backend
from supervisor.http._dead_letters import register_dead_letters
from supervisor.http._quart import json_response
from supervisor.http._request import BadRequestBody, parse_json_body
from supervisor.queue import MissingMessageGroup
from supervisor.realtime import register_realtime
from supervisor.routing import MethodNotAllowed

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]


def create_app(runtime: Backend) -> Quart:
    app = Quart("motia")
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.route("/__motia/health", methods=["GET"])
    async def health() -> Response:
        runners = {
            runner: {
                "pids": pool.pids(),
                "restarts": pool.restarts,
                "inFlight": pool.in_flight,
                "isolated": _isolated(runtime, runner),
            }
            for runner, pool in runtime.pools.items()
        }
        return json_response(200, {"status": "ok", "steps": len(runtime.registry.steps), "runners": runners})

    @app.route("/__motia/emit", methods=["POST"])
    async def emit() -> Response:
        return await _emit_from_request(runtime)

    @app.route("/__motia/cron/<name>/run", methods=["POST"])
    async def run_cron(name: str) -> Response:
        try:
            task = runtime.trigger_cron(name)
        except KeyError:
            crons = sorted(step.name for step in runtime.registry.crons)
            return json_response(
                404, {"error": "Not Found", "message": f"no cron step named {name!r}", "crons": crons}
            )
        if task is None:
            return json_response(409, {"status": "skipped", "message": f"cron step {name} is still running"})
        if request.args.get("wait") in ("1", "true"):
            await task
        return json_response(202, {"status": "started", "step": name})

    @app.before_request
    async def read_the_body() -> None:
        # hypercorn closes a keep-alive connection whose response ended before the request's body
        # was received, without a `connection: close` to say so: the client's next request on it
        # then gets no answer. So every answer waits for the body, even one that never reads it.
        await request.get_data()

    # Every request that matches an api step is served by the ApiStepFront before quart sees it:
    # what reaches this route is `POST /emit` or matches no api step.
    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    async def not_an_api_step(path: str) -> Response:
        if request.path == "/emit" and request.method == "POST":  # what `npx motia emit` posts to
            return await _emit_from_request(runtime)
        found = runtime.routes.match(request.method, request.path)
        if isinstance(found, MethodNotAllowed):
            return json_response(
                405,
                {
                    "error": "Method Not Allowed",
                    "message": f"{request.method} is not allowed on {request.path}",
                    "allowed": list(found.allowed),
                },
                {"Allow": ", ".join(found.allowed)},
            )
        return json_response(
            404, {"error": "Not Found", "message": f"no api step handles {request.method} {request.path}"}
        )

    register_dead_letters(app, runtime)
    register_realtime(app, runtime.realtime)
    app.asgi_app = ApiStepFront(app.asgi_app, runtime)  # type: ignore[method-assign]
    return app


async def _body() -> bytes:
    data = await request.get_data(as_text=False)
    return data if isinstance(data, bytes) else data.encode()


async def _emit_from_request(runtime: Backend) -> Response:
    try:
        payload = parse_json_body(await _body())
    except BadRequestBody as exc:
        return json_response(400, {"error": "Bad Request", "message": str(exc)})
    if not isinstance(payload, dict) or not isinstance(payload.get("topic"), str):
        return json_response(
            400, {"error": "Bad Request", "message": 'expected {"topic": string, "data": any}'}
        )
    trace_id = new_trace_id()
    group = payload.get("messageGroupId")
    try:
        count = await runtime.emit(
            payload["topic"], payload.get("data"), trace_id, group if isinstance(group, str) else None
        )
    except MissingMessageGroup as exc:
        return json_response(400, {"error": "Bad Request", "message": str(exc)})
    return json_response(
        200, {"success": True, "topic": payload["topic"], "subscribers": count, "traceId": trace_id}
    )


def _isolated(runtime: Backend, runner: str) -> dict[str, object]:
    """The runner that re-runs alone what was in flight when a runner died (started on demand)."""
    isolated = runtime.isolated.get(runner)
    if isolated is None:
        return {"pids": [], "restarts": 0}
    return {"pids": isolated.pids(), "restarts": isolated.restarts}
