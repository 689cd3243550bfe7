"""Running an api step for one HTTP request, independent of any web framework.

Takes the request's parts (method-matched step, path params, headers, query
string, raw body) and returns status, headers and body bytes. The ASGI front
(``supervisor.http.asgi``) serves matched routes through it directly, which
keeps per-request work in the core small (see bench/RESULTS.md).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import parse_qsl

import orjson

from supervisor.core import Step, new_trace_id
from supervisor.http._backend import StepInvoker
from supervisor.http._request import BadRequestBody, collapse, parse_body
from supervisor.http._response import HttpResponse, handler_response
from supervisor.protocol import TriggerKind
from supervisor.runners import InvocationTimeout, RunnerUnavailable

_logger = logging.getLogger("motia.http")


async def run_api_step(
    invoker: StepInvoker,
    step: Step,
    path_params: dict[str, str],
    headers: list[tuple[str, str]],
    query_string: str,
    raw_body: bytes,
) -> HttpResponse:
    """``headers`` are (lower-case name, value) pairs as received."""
    request_headers = collapse(headers)
    content_type = request_headers.get("content-type", "")
    try:
        body = parse_body(raw_body, content_type if isinstance(content_type, str) else content_type[0])
    except BadRequestBody as exc:
        return HttpResponse.json(400, {"error": "Bad Request", "message": str(exc)})
    if step.body_validator is not None:
        errors = step.body_validator.errors(body)
        if errors:
            return HttpResponse.json(
                400,
                {
                    "error": "Validation failed",
                    "message": "request body does not match the step's bodySchema",
                    "errors": [error.as_json() for error in errors],
                },
            )
    trace_id = new_trace_id()
    payload = {
        "body": body,
        "headers": request_headers,
        "pathParams": path_params,
        "queryParams": collapse(parse_qsl(query_string, keep_blank_values=True)) if query_string else {},
    }
    try:
        result = await invoker.invoke(
            step,
            TriggerKind.API,
            orjson.dumps(payload),
            trace_id,
            timeout=invoker.api_timeout_s,
        )
    except RunnerUnavailable as exc:
        _logger.error(
            "step %s could not run: %s", step.name, exc, extra={"step": step.name, "trace_id": trace_id}
        )
        message = f"the {step.runner} runner for step {step.name} is unavailable: {exc}"
        return HttpResponse.json(
            503,
            {"error": "Service Unavailable", "message": message, "traceId": trace_id},
            [("retry-after", "1")],
        )
    except InvocationTimeout as exc:
        return HttpResponse.json(504, {"error": "Gateway Timeout", "message": str(exc), "traceId": trace_id})
    if not result.ok:
        return _handler_failed(invoker.expose_errors, step, trace_id, result.error)
    response = handler_response(orjson.loads(result.result_json) if result.result_json else None)
    response.headers.append(("x-trace-id", trace_id))
    return response


def _handler_failed(expose_errors: bool, step: Step, trace_id: str, error: Any) -> HttpResponse:
    error_id = uuid.uuid4().hex[:16]
    summary = str(error) if error else "handler failed"
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
    body: dict[str, Any] = {"error": "Internal Server Error", "errorId": error_id, "traceId": trace_id}
    if expose_errors and error is not None:
        body["message"] = summary
        body["stack"] = error.stack
    return HttpResponse.json(500, body)
