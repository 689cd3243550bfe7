"""What the server answers when something goes wrong on its side or a request fits no endpoint:
always JSON, ``{"error": <reason>, "message": <what went wrong>, ...}`` (``HttpResponse.error``),
never quart's or hypercorn's HTML or empty pages.

``server_failed`` is the 500 for an exception of the server's own, logged once with its stack under
the ``errorId`` the answer carries; ``register_error_answers`` gives the quart app the same answers for
its own errors (routing, size limits, exceptions) and answers the paths no endpoint serves.
"""

from __future__ import annotations

import logging
import uuid

from quart import Quart, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from supervisor.http._backend import StepInvoker
from supervisor.http._quart import to_quart
from supervisor.http._response import HttpResponse
from supervisor.routing import MethodNotAllowed as ApiMethodNotAllowed

_logger = logging.getLogger("motia.http")


def new_error_id() -> str:
    """The id a 500 answer and its log record share."""
    return uuid.uuid4().hex[:16]


def server_failed(exc: BaseException, request_line: str, expose: bool) -> HttpResponse:
    """The 500 for an exception of the server's own (not a handler's): logged once, with its stack
    and the errorId the answer carries; ``expose`` (``motia dev``) puts the exception in the answer."""
    error_id = new_error_id()
    _logger.error(
        "%s failed [errorId %s]: %s",
        request_line,
        error_id,
        exc,
        exc_info=exc,
        extra={"meta": {"errorId": error_id}},
    )
    message = f"{type(exc).__name__}: {exc}" if expose else "the server failed to answer this request"
    return HttpResponse.error(500, message, errorId=error_id)


def register_error_answers(app: Quart, invoker: StepInvoker, max_body: int) -> None:
    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        if error.code in (404, 405):
            return to_quart(_no_endpoint(invoker, error))
        if isinstance(error, RequestEntityTooLarge):
            # the body was not read, so the connection cannot carry another request: say so
            limit = f"request body over the {max_body // (1024 * 1024)} MiB limit"
            return to_quart(HttpResponse.error(413, limit, [("connection", "close")]))
        status = error.code or 500
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return to_quart(HttpResponse.error(status, error.description or "", headers))

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> Response:
        return to_quart(server_failed(error, f"{request.method} {request.path}", invoker.expose_errors))


def _no_endpoint(invoker: StepInvoker, error: HTTPException) -> HttpResponse:
    """A request no route of quart's took: a 405 naming the methods an api step's path (or one of our
    own endpoints) takes, else a 404. Any method: one outside the usual set is no different."""
    method, path = request.method, request.path
    found = invoker.routes.match(method, path)
    allowed: list[str] | None = None
    if isinstance(found, ApiMethodNotAllowed):
        allowed = list(found.allowed)
    elif isinstance(error, MethodNotAllowed) and error.valid_methods:  # /__motia/health, POST /emit
        allowed = sorted(error.valid_methods)
    if allowed is None:
        return HttpResponse.error(404, f"no api step handles {method} {path}")
    return HttpResponse.error(
        405, f"{method} is not allowed on {path}", [("allow", ", ".join(allowed))], allowed=allowed
    )
