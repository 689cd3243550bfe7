"""``POST /__motia/emit`` (and ``POST /emit``, what ``npx motia emit`` posts to): an event from outside,
stored durably for every subscriber before the 200. Served by the ASGI front (``ApiStepFront``), as api
steps are: quart's request machinery cost ~0.2 ms of an emit's ~1 ms way to its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from supervisor.core import new_trace_id
from supervisor.http._request import BadRequestBody, parse_json_body
from supervisor.http._response import HttpResponse
from supervisor.queue import MissingMessageGroup
from supervisor.storage import RedisUnavailable

#: ``Backend.emit``: (topic, data, trace id, message group id) -> how many subscribers it went to
Emit = Callable[[str, Any, str, str | None], Awaitable[int]]

EMIT_PATHS = frozenset({"/__motia/emit", "/emit"})


async def answer_emit(emit: Emit, raw: bytes) -> HttpResponse:
    """The answer to an emit request whose body is ``raw``."""
    try:
        payload = parse_json_body(raw)
    except BadRequestBody as exc:
        return HttpResponse.error(exc.status, str(exc))
    if not isinstance(payload, dict) or not isinstance(payload.get("topic"), str):
        return HttpResponse.error(400, 'expected {"topic": string, "data": any}')
    trace_id = new_trace_id()
    group = payload.get("messageGroupId")
    try:
        count = await emit(
            payload["topic"], payload.get("data"), trace_id, group if isinstance(group, str) else None
        )
    except MissingMessageGroup as exc:
        return HttpResponse.error(400, str(exc))
    except RedisUnavailable as exc:  # try again later
        return HttpResponse.error(503, str(exc), [("retry-after", "1")])
    return HttpResponse.json(
        200, {"success": True, "topic": payload["topic"], "subscribers": count, "traceId": trace_id}
    )
