"""A trace found by its id or any part of one (the 8 characters log lines print): the one rule the API
(``GET /__motia/traces/<id>``) and so every command that names a trace (``motia traces ID``, ``motia
logs --trace ID``) follow."""

from __future__ import annotations

from typing import Protocol

from supervisor.storage import JsonObject

from ._records import TracePage, TraceQuery, is_whole_trace_id

#: how many of the ids holding an ambiguous part are named (the newest)
CANDIDATES = 10


class TraceReader(Protocol):
    """What reads traces: a ``TraceStore``, or the ``Recorder`` in front of one."""

    async def traces(self, query: TraceQuery) -> TracePage: ...

    async def trace(self, trace_id: str) -> JsonObject | None: ...


class AmbiguousTraceId(Exception):
    """A part of more than one trace id: ``candidates`` are the newest of those holding it."""

    def __init__(self, part: str, candidates: list[str]) -> None:
        self.part = part
        self.candidates = candidates
        more = " (the newest of them)" if len(candidates) >= CANDIDATES else ""
        super().__init__(
            f"{part!r} is part of more than one trace id: {', '.join(candidates)}{more}; give more of it"
        )


async def find_trace(reader: TraceReader, part: str) -> JsonObject | None:
    """The trace whose id is ``part``, else the one trace whose id holds it; None when none does.
    Raises ``AmbiguousTraceId`` when several do."""
    trace = await reader.trace(part)
    if trace is not None or is_whole_trace_id(part):  # a whole id is part of no other
        return trace
    holding = [
        t["traceId"] for t in (await reader.traces(TraceQuery(trace_id=part, limit=CANDIDATES))).traces
    ]
    if len(holding) > 1:
        raise AmbiguousTraceId(part, holding)
    return await reader.trace(holding[0]) if holding else None
