"""In-memory traces and logs: the twin of the SQLite store, for tests and ephemeral projects."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from supervisor.storage import JsonObject

from ._query import (
    all_hold,
    answered_code,
    error_messages,
    log_line_facts,
    log_page,
    log_predicates,
    one_trace,
    row_page,
    trace_page,
    trace_predicates,
    trace_text,
    whole_id,
)
from ._records import (
    Batch,
    LogPage,
    LogQuery,
    Pruned,
    Retention,
    TracePage,
    TraceQuery,
    entry_of,
    status_of,
    trace_summary,
)


@dataclass
class _Trace:
    trace_id: str
    started_at: float
    updated_at: float
    kind: str | None = None
    name: str | None = None
    method: str | None = None
    path: str | None = None
    status_code: int | None = None
    open: int = 0
    failures: int = 0
    span_count: int = 0
    changes: int = 0
    spans: dict[str, JsonObject] = field(default_factory=dict)
    operations: list[JsonObject] = field(default_factory=list)

    @property
    def key(self) -> tuple[float, str]:
        return self.started_at, self.trace_id

    def fact(self, field: str) -> Any:
        """Its value of a field listings filter by (``_query``)."""
        if field == "key":
            return self.key
        if field == "traceId":
            return self.trace_id
        if field == "startedAt":
            return self.started_at
        if field == "status":
            return status_of(self.open, self.failures)
        if field == "steps":
            return {span["step"] for span in self.spans.values()}
        if field == "text":
            entry = entry_of(self.kind, self.name, self.method, self.path, self.status_code)
            spans = self.spans.values()
            errors = error_messages((span["status"], span["error"]) for span in spans)
            return trace_text(self.trace_id, entry, {span["step"] for span in spans}, errors)
        if field == "answered":
            return answered_code(entry_of(self.kind, self.name, self.method, self.path, self.status_code))
        raise KeyError(field)

    def summary(self) -> JsonObject:
        entry = entry_of(self.kind, self.name, self.method, self.path, self.status_code)
        return trace_summary(
            self.trace_id,
            self.started_at,
            self.updated_at,
            entry,
            self.open,
            self.failures,
            self.span_count,
            _steps(self.spans.values()),
            self.changes,
        )


class MemoryTraceStore:
    def __init__(self) -> None:
        self._traces: dict[str, _Trace] = {}
        self._logs: dict[int, JsonObject] = {}
        self._logs_by_trace: dict[str, list[JsonObject]] = {}

    async def write(self, batch: Batch) -> None:
        # Copies, like the SQLite store's encoding: later changes by the caller change nothing stored.
        for trace_id, delta in batch.traces.items():
            trace = self._trace(trace_id, delta.started_at)
            trace.started_at = min(trace.started_at, delta.started_at)
            trace.updated_at = max(trace.updated_at, delta.updated_at)
            if trace.kind is None and delta.kind is not None:
                trace.kind, trace.name = delta.kind, delta.name
            trace.method = delta.method or trace.method
            trace.path = delta.path or trace.path
            trace.status_code = delta.status_code or trace.status_code
            trace.open += delta.open
            trace.failures += delta.failures
            trace.span_count += delta.spans
            trace.changes += delta.changes
        for recorded in batch.spans:
            span = copy.deepcopy(recorded.to_json())
            trace = self._trace(span["traceId"], span["startedAt"] / 1000)
            trace.spans[span["spanId"]] = span
        for operation in batch.operations:
            trace = self._trace(operation["traceId"], operation["time"] / 1000)
            trace.operations.append(copy.deepcopy(operation))
        for line in batch.logs:
            stored = copy.deepcopy(line)
            self._logs[line["id"]] = stored
            if line["traceId"] is not None:
                self._logs_by_trace.setdefault(line["traceId"], []).append(stored)

    async def recover(self) -> int:
        for trace in self._traces.values():
            lost = False
            for span in trace.spans.values():
                if span["status"] == "running":
                    span["status"] = "lost"
                    lost = True
                    if span["type"] != "event":
                        trace.open -= 1
            if lost:  # one change of the trace, however many of its spans it lost (as the SQLite store)
                trace.changes += 1
        ids = [line["id"] for line in self._logs.values()]
        ids += [op["id"] for trace in self._traces.values() for op in trace.operations]
        return max(ids, default=0)

    async def traces(self, query: TraceQuery) -> TracePage:
        exact = whole_id(query)
        if exact is not None:
            trace = self._traces.get(exact)
            return row_page(query, None if trace is None else trace.summary())
        predicates = trace_predicates(query)
        found: list[_Trace] = []
        for trace in sorted(self._traces.values(), key=lambda t: t.key, reverse=True):
            if all_hold(predicates, trace.fact):
                found.append(trace)
                if len(found) > query.limit:
                    break
        return trace_page(query, [trace.summary() for trace in found], [trace.key for trace in found])

    async def trace(self, trace_id: str) -> JsonObject | None:
        trace = self._traces.get(trace_id)
        if trace is None:
            return None
        events = [*trace.operations, *self._logs_by_trace.get(trace_id, [])]
        return one_trace(trace.summary(), copy.deepcopy(list(trace.spans.values())), copy.deepcopy(events))

    async def logs(self, query: LogQuery) -> LogPage:
        ids = sorted(self._logs) if query.after is not None else sorted(self._logs, reverse=True)
        predicates = log_predicates(query)
        page: list[JsonObject] = []
        for ident in ids:
            line = self._logs[ident]
            if all_hold(predicates, log_line_facts(line)):
                page.append(copy.deepcopy(line))
                if len(page) == query.limit:
                    break
        return log_page(query, page)

    async def prune(self, retention: Retention, now: float) -> Pruned:
        # The same cutoffs as the SQLite store: traces that started before the newest max_traces-th
        # (or before max_age), log lines recorded before the newest max_log_lines-th (or max_age).
        oldest = now - retention.max_age_s
        starts = sorted((trace.started_at for trace in self._traces.values()), reverse=True)
        cutoff = (
            max(oldest, starts[retention.max_traces - 1]) if len(starts) >= retention.max_traces else oldest
        )
        gone = [trace_id for trace_id, trace in self._traces.items() if trace.started_at < cutoff]
        for trace_id in gone:
            del self._traces[trace_id]
        ids = sorted(self._logs, reverse=True)
        log_cutoff = int(oldest * 1_000_000)
        if len(ids) >= retention.max_log_lines:
            log_cutoff = max(log_cutoff, ids[retention.max_log_lines - 1])
        dropped = [ident for ident in self._logs if ident < log_cutoff]
        for ident in dropped:
            del self._logs[ident]
        if dropped:
            self._logs_by_trace = {}
            for line in self._logs.values():
                if line["traceId"] is not None:
                    self._logs_by_trace.setdefault(line["traceId"], []).append(line)
        return Pruned(len(gone), len(dropped))

    async def close(self) -> None:
        return None

    def _trace(self, trace_id: str, started_at: float) -> _Trace:
        trace = self._traces.get(trace_id)
        if trace is None:
            trace = self._traces[trace_id] = _Trace(trace_id, started_at, started_at)
        return trace


def _steps(spans: Iterable[JsonObject]) -> list[JsonObject]:
    """Each step of the spans once, in order of its first run, with its language."""
    seen: dict[str, JsonObject] = {}
    for span in sorted(spans, key=lambda s: s["startedAt"]):
        seen.setdefault(span["step"], {"name": span["step"], "language": span["language"]})
    return list(seen.values())
