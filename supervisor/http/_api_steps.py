"""Running an api step for one HTTP request, independent of any web framework.

Takes the request's parts (method-matched step, path params, headers, query
string, raw body) and returns status, headers and body bytes. The ASGI front
(``supervisor.http.asgi``) serves matched routes through it directly, which
keeps per-request work in the core small (see bench/RESULTS.md).

A request runs under a new trace, or under the caller's when it sends a valid W3C ``traceparent``
(its trace id, with the caller's span as the parent of the step's).
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import orjson

from supervisor.core import Step, body_rejection, describe_errors, log_timed_out, new_trace_id
from supervisor.http._backend import StepInvoker
from supervisor.http._errors import new_error_id
from supervisor.http._qs import parse_query
from supervisor.http._request import BadRequestBody, node_headers, parse_body, raw_body_text
from supervisor.http._response import HttpResponse, InvalidHandlerResponse, handler_response
from supervisor.protocol import ErrorInfo, TriggerKind
from supervisor.runners import InvocationTimeout, RunnerUnavailable
from supervisor.tracing import parse_traceparent

_logger = logging.getLogger("motia.http")


async def run_api_step(
    invoker: StepInvoker,
    step: Step,
    method: str,
    path: str,
    path_params: dict[str, str],
    headers: list[tuple[str, str]],
    query_string: str,
    raw_body: bytes,
) -> HttpResponse:
    """``headers`` are (lower-case name, value) pairs as received; ``path`` is the request's, without
    its query string."""
    request_headers = node_headers(headers)
    content_type = request_headers.get("content-type")
    if not isinstance(content_type, str):  # absent (only set-cookie is ever a list)
        content_type = ""
    try:
        body = parse_body(raw_body, content_type)
    except BadRequestBody as exc:
        return _rejected(
            invoker, step, method, path, request_headers, HttpResponse.error(exc.status, str(exc)), str(exc)
        )
    payload: dict[str, Any] = {
        "body": body,
        "rawBody": raw_body_text(raw_body, content_type),
        "headers": request_headers,
        "pathParams": path_params,
        "queryParams": parse_query(query_string) if query_string else {},
    }
    validator = step.body_validator
    if validator is not None:
        if step.has_middleware:
            # after the middleware chain: the runner asks (context call api.validateBody)
            payload["validateBody"] = True
        else:  # nothing can change the body before the handler: answer a 400 here, without a runner hop
            errors = validator.errors(body)
            if errors:
                rejection = body_rejection(errors)
                reason = f"{rejection['message']}: {describe_errors(errors)}"
                return _rejected(
                    invoker, step, method, path, request_headers, HttpResponse.json(400, rejection), reason
                )
    trace = _trace_of(request_headers)
    response = await _invoke(invoker, step, orjson.dumps(payload), trace)
    invoker.record_response(trace.trace_id, step, method, path, response.status)
    return response


class _RequestTrace(NamedTuple):
    """The trace a request's span belongs to, and its parent: the caller's span (``remote_parent``)
    when the request sent a valid ``traceparent``, else none in a new trace."""

    trace_id: str
    parent_span_id: str | None
    remote_parent: bool


def _trace_of(request_headers: dict[str, str | list[str]]) -> _RequestTrace:
    traceparent = request_headers.get("traceparent")
    caller = parse_traceparent(traceparent) if isinstance(traceparent, str) else None
    if caller is None:
        return _RequestTrace(new_trace_id(), None, False)
    return _RequestTrace(caller.trace_id, caller.parent_span_id, True)


def _rejected(
    invoker: StepInvoker,
    step: Step,
    method: str,
    path: str,
    request_headers: dict[str, str | list[str]],
    response: HttpResponse,
    reason: str,
) -> HttpResponse:
    """A request answered a 4xx before its step ran (a body that does not parse or does not match the
    step's ``bodySchema``) still has its trace, so that its sender finds why in the traces and logs."""
    trace = _trace_of(request_headers)
    invoker.record_rejection(
        step,
        trace.trace_id,
        method,
        path,
        response.status,
        reason,
        parent_span_id=trace.parent_span_id,
        remote_parent=trace.remote_parent,
    )
    response.headers.append(("x-trace-id", trace.trace_id))
    return response


async def _invoke(invoker: StepInvoker, step: Step, payload: bytes, trace: _RequestTrace) -> HttpResponse:
    trace_id = trace.trace_id
    try:
        result = await invoker.invoke(
            step,
            TriggerKind.API,
            payload,
            trace_id,
            timeout=invoker.api_timeout_s,
            parent_span_id=trace.parent_span_id,
            remote_parent=trace.remote_parent,
        )
    except RunnerUnavailable as exc:
        _logger.error(
            "step %s could not run: %s", step.name, exc, extra={"step": step.name, "trace_id": trace_id}
        )
        return _unavailable(trace_id, f"the {step.runner} runner for step {step.name} is unavailable: {exc}")
    except InvocationTimeout as exc:
        log_timed_out(_logger, "api handler", step.name, trace_id, invoker.api_timeout_s, exc)
        return HttpResponse.error(504, str(exc), [("x-trace-id", trace_id)], traceId=trace_id)
    if not result.ok:
        unavailable = invoker.unavailable
        if unavailable is not None:  # most likely why it failed: answer "try again", not a bug
            return _unavailable(trace_id, unavailable)
        return _handler_failed(invoker.expose_errors, step, trace_id, result.error, result.runner)
    try:
        response = handler_response(result.result_json, result.body)
    except InvalidHandlerResponse as exc:
        return _handler_failed(
            invoker.expose_errors, step, trace_id, ErrorInfo(type(exc).__name__, str(exc), ""), None
        )
    # The trace id goes on every answer (Motia 0.17 sends none), once: a handler or middleware that
    # sets its own (as Motia's examples do, `'X-Trace-ID': traceId`) keeps it, and a client reading
    # the header gets one id, not "id, id".
    if not any(name.lower() == "x-trace-id" for name, _ in response.headers):
        response.headers.append(("x-trace-id", trace_id))
    return response


def _unavailable(trace_id: str, message: str) -> HttpResponse:
    return HttpResponse.error(
        503, message, [("retry-after", "1"), ("x-trace-id", trace_id)], traceId=trace_id
    )


def _handler_failed(
    expose_errors: bool, step: Step, trace_id: str, error: ErrorInfo | None, runner: str | None
) -> HttpResponse:
    error_id = new_error_id()
    summary = str(error) if error else "handler failed"
    _logger.error(
        "api handler failed [errorId %s]: %s",
        error_id,
        summary,
        extra={
            "step": step.name,
            "trace_id": trace_id,
            "runner": runner,
            "meta": {"errorId": error_id, "stack": error.stack if error else ""},
        },
    )
    # Motia answers {"error": "Internal server error"}; the ids say where to look in the log
    if expose_errors and error is not None:
        return HttpResponse.error(
            500, summary, [("x-trace-id", trace_id)], errorId=error_id, traceId=trace_id, stack=error.stack
        )
    return HttpResponse.error(
        500, "the handler failed", [("x-trace-id", trace_id)], errorId=error_id, traceId=trace_id
    )
