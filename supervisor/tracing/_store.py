"""The trace store contract every adapter fulfils (checked by tests/test_trace_store_contract.py)."""

from __future__ import annotations

from typing import Protocol

from supervisor.storage import JsonObject

from ._records import Batch, LogPage, LogQuery, Pruned, Retention, TracePage, TraceQuery


class TraceStore(Protocol):
    """Traces (summary, spans, operations) and log lines, written in batches by the ``Recorder``.

    ``write`` applies a batch as one unit: a trace's counters add up the deltas of every batch, a span
    written again replaces the earlier version of itself, operations and log lines are appended under
    the ids the recorder gave them (increasing; a log line's id is its cursor). Reads return the JSON
    the API serves (``supervisor.tracing`` describes its fields).
    """

    async def write(self, batch: Batch) -> None: ...

    async def recover(self) -> int:
        """After a restart: spans left ``running`` by the previous process become ``lost`` (the api and
        cron ones close their trace's open work; event deliveries run again and close theirs).
        Returns the highest operation or log id stored, so new ids keep increasing."""
        ...

    async def traces(self, query: TraceQuery) -> TracePage:
        """A listing. One by a whole trace id (``_query.whole_id``) reads that trace's row by its key,
        not a walk over every trace kept."""
        ...

    async def trace(self, trace_id: str) -> JsonObject | None:
        """The trace's summary with ``spans`` (by start) and ``events`` (operations and log lines by
        time, those of the same time by id, each with a ``type``: ``emit``, ``state``, ``stream``,
        ``delivery`` or ``log``): ``_query.one_trace``."""
        ...

    async def logs(self, query: LogQuery) -> LogPage: ...

    async def prune(self, retention: Retention, now: float) -> Pruned:
        """Drop the traces (with their spans and operations) and log lines beyond the newest
        ``max_traces`` / ``max_log_lines``, and any older than ``max_age_s``."""
        ...

    async def close(self) -> None: ...
