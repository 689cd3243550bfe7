"""The quart application: api step routes plus a few internal endpoints under ``/__motia``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from quart import Quart, Response, request

from supervisor.config import ApiStepConfig
from supervisor.core.registry import Step
from supervisor.core.runtime import Runtime
from supervisor.core.trace import new_trace_id
from supervisor.http._requests import BadRequestBody, collapse, parse_body
from supervisor.http._responses import handler_response, json_response
from supervisor.http.router import Match, MethodNotAllowed
from supervisor.protocol import TriggerKind
from supervisor.realtime import register_realtime
from supervisor.runners import InvocationTimeout, RunnerUnavailable

_logger = logging.getLogger("motia.http")

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]


def create_app(runtime: Runtime) -> Quart:
    app = Quart("motia")
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    dev = runtime.settings.mode == "dev"

    @app.route("/__motia/health", methods=["GET"])
    async def health() -> Response:
        runners = {
            language: {"pids": pool.pids(), "restarts": pool.restarts, "inFlight": pool.in_flight}
            for language, pool in runtime.pools.items()
        }
        return json_response(200, {"status": "ok", "steps": len(runtime.registry.steps), "runners": runners})

    @app.route("/__motia/emit", methods=["POST"])
    async def emit() -> Response:
        return await _emit_from_request(runtime)

    @app.route("/__motia/dead-letters", methods=["GET"])
    async def dead_letters() -> Response:
        entries = await runtime.dead_letters()
        return json_response(
            200,
            {
                "deadLetters": [
                    {
                        "id": entry.id,
                        "topic": entry.topic,
                        "subscriber": entry.subscriber,
                        "data": entry.data,
                        "traceId": entry.trace_id,
                        "messageGroupId": entry.message_group_id,
                        "attempts": entry.attempts,
                        "error": entry.last_error,
                        "failedAt": entry.failed_at,
                    }
                    for entry in entries
                ]
            },
        )

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

    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    async def api(path: str) -> Response:
        found = runtime.registry.routes.match(request.method, request.path)
        if isinstance(found, Match):
            return await _run_api_step(runtime, found.target, found.path_params, dev)
        if request.path == "/emit" and request.method == "POST":  # what `npx motia emit` posts to
            return await _emit_from_request(runtime)
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

    register_realtime(app, runtime)
    return app


async def _body() -> bytes:
    data = await request.get_data(as_text=False)
    return data if isinstance(data, bytes) else data.encode()


async def _emit_from_request(runtime: Runtime) -> Response:
    try:
        payload = orjson.loads(await _body())
    except orjson.JSONDecodeError as exc:
        return json_response(400, {"error": "Bad Request", "message": f"body is not valid JSON: {exc}"})
    if not isinstance(payload, dict) or not isinstance(payload.get("topic"), str):
        return json_response(
            400, {"error": "Bad Request", "message": 'expected {"topic": string, "data": any}'}
        )
    trace_id = new_trace_id()
    group = payload.get("messageGroupId")
    count = await runtime.emit(
        payload["topic"], payload.get("data"), trace_id, group if isinstance(group, str) else None
    )
    return json_response(
        200, {"success": True, "topic": payload["topic"], "subscribers": count, "traceId": trace_id}
    )


async def _run_api_step(runtime: Runtime, step: Step, path_params: dict[str, str], dev: bool) -> Response:
    config = step.config
    assert isinstance(config, ApiStepConfig)
    raw = await _body()
    try:
        body = parse_body(raw, request.headers.get("content-type", ""))
    except BadRequestBody as exc:
        return json_response(400, {"error": "Bad Request", "message": str(exc)})
    if step.body_validator is not None:
        errors = step.body_validator.errors(body)
        if errors:
            return json_response(
                400,
                {
                    "error": "Validation failed",
                    "message": "request body does not match the step's bodySchema",
                    "errors": [error.as_json() for error in errors],
                },
            )
    trace_id = new_trace_id()
    payload: dict[str, Any] = {
        "body": body,
        "headers": collapse([(name.lower(), value) for name, value in request.headers.items()]),
        "pathParams": path_params,
        "queryParams": collapse(list(request.args.items(multi=True))),
    }
    timeout = runtime.settings.config.api_timeout_s
    try:
        result = await runtime.invoke(step, TriggerKind.API, orjson.dumps(payload), trace_id, timeout=timeout)
    except RunnerUnavailable as exc:
        _logger.error(
            "step %s could not run: %s", step.name, exc, extra={"step": step.name, "trace_id": trace_id}
        )
        return json_response(
            503,
            {
                "error": "Service Unavailable",
                "message": f"the {step.language} runner for step {step.name} is unavailable: {exc}",
                "traceId": trace_id,
            },
            {"Retry-After": "1"},
        )
    except InvocationTimeout as exc:
        return json_response(504, {"error": "Gateway Timeout", "message": str(exc), "traceId": trace_id})
    if not result.ok:
        error_id = uuid.uuid4().hex[:16]
        error = result.error
        summary = f"{error.name}: {error.message}" if error else "handler failed"
        _logger.error(
            "api handler failed [errorId %s]: %s",
            error_id,
            summary,
            extra={
                "step": step.name,
                "trace_id": trace_id,
                "meta": {"errorId": error_id, "stack": error.stack if error else ""},
            },
        )
        body_out: dict[str, Any] = {
            "error": "Internal Server Error",
            "errorId": error_id,
            "traceId": trace_id,
        }
        if dev and error is not None:
            body_out["message"] = summary
            body_out["stack"] = error.stack
        return json_response(500, body_out)
    response = handler_response(orjson.loads(result.result_json) if result.result_json else None)
    response.headers["x-trace-id"] = trace_id
    return response
