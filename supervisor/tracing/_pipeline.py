"""Where the recorder's events go: a ``TracePipeline`` assembles them (``_assembler``) into batches for
the store, with retention, and into spans for the exporter (OpenTelemetry).

It runs in the trace writer process (``_writer_process``) when the store is SQLite and nothing is
exported from the supervisor, else beside the recorder (``LocalSink``). Either way the recorder talks
to an ``EventSink``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

from supervisor.storage import JsonObject

from ._assembler import Assembler, LatestSpan
from ._handler import OWN_LOGGER
from ._records import LogPage, LogQuery, Retention, Span, TracePage, TraceQuery
from ._store import TraceStore

_logger = logging.getLogger(OWN_LOGGER)

PRUNE_EVERY_S = 10.0
#: a prune comes sooner once this share of max_traces (at least PRUNE_AFTER_MIN) new traces came since
#: the last: what a busy server keeps beyond max_traces at most. Two fifths, not one: the writer
#: commits ~2,048 traces at a time at full speed, and with a fifth of the default 10,000 every commit
#: pruned (bench/RESULTS.md, session 23: the trace writer's CPU per request)
PRUNE_AFTER_SHARE = 0.4
PRUNE_AFTER_MIN = 100


class SpanExporter(Protocol):
    """Where ended spans go besides the store (OpenTelemetry), each with the operations and log lines
    recorded under it; ``export`` must not block."""

    def export(self, spans: Sequence[tuple[Span, list[JsonObject]]]) -> None: ...

    def shutdown(self) -> None: ...


class EventSink(Protocol):
    """What the recorder sends its events to, and reads back from."""

    async def start(self) -> int:
        """After a restart: the store's ``recover`` (and a first prune). Returns the highest operation
        or log id stored."""
        ...

    async def record(self, events: list[tuple[Any, ...]]) -> None:
        """Returns once the events are written (raises if they could not be: they are lost)."""
        ...

    async def traces(self, query: TraceQuery) -> TracePage: ...

    async def trace(self, trace_id: str) -> JsonObject | None: ...

    async def logs(self, query: LogQuery) -> LogPage: ...

    def latest_spans(self) -> asyncio.Future[Sequence[LatestSpan]]:
        """The latest span of each step in each trace, as assembled from the events sent before this
        call (``Assembler.latest_spans``): asked at once, answered when the assembler has looked."""
        ...

    async def stop(self) -> None:
        """No more events (the store is closed by its owner)."""
        ...


class TracePipeline:
    """Events in; one batch per ``take`` to ``store`` (None: not stored), ended spans to ``exporter``
    (None: not exported); traces beyond ``retention`` pruned as new ones come in."""

    def __init__(self, store: TraceStore | None, exporter: SpanExporter | None, retention: Retention) -> None:
        self.store = store
        self._exporter = exporter
        self._retention = retention
        # a store that keeps whole traces its own way (the SQLite store's segments) is given them so
        self._assembler = Assembler(
            exporting=exporter is not None, whole=getattr(store, "takes_whole_traces", False)
        )
        self._last_prune = time.monotonic()
        self._roots_since_prune = 0

    async def recover(self) -> int:
        if self.store is None:
            return 0
        highest = await self.store.recover()
        await self._prune()
        return highest

    async def take(self, events: Sequence[Sequence[Any]], encoded: Sequence[bytes] | None = None) -> None:
        """``apply`` and ``commit``."""
        self.apply(events, encoded)
        await self.commit()

    def apply(self, events: Sequence[Sequence[Any]], encoded: Sequence[bytes] | None = None) -> None:
        """Events in, assembled (``latest_spans`` sees them), not stored until ``commit``. ``encoded``:
        each event's JSON as it came (``Assembler.apply``)."""
        self._assembler.apply(events, encoded)

    async def commit(self) -> None:
        """What the events applied since the last commit changed, to the store and the exporter.
        Raises what the store raised for the batch (its records are lost)."""
        batch, ended, roots = self._assembler.cut()
        self._roots_since_prune += roots
        if ended and self._exporter is not None:
            _export(self._exporter, ended)
        if self.store is not None and (
            batch.spans or batch.operations or batch.logs or batch.traces or batch.whole
        ):
            await self.store.write(batch)
            if self._prune_due():
                await self._prune()

    def latest_spans(self) -> list[LatestSpan]:
        return self._assembler.latest_spans()

    async def stop(self) -> None:
        if self._exporter is not None:
            held = self._assembler.held()  # no answer comes any more
            if held:
                _export(self._exporter, held)
            await asyncio.to_thread(self._exporter.shutdown)

    def _prune_due(self) -> bool:
        """Every PRUNE_EVERY_S, or sooner when PRUNE_AFTER_SHARE of max_traces came meanwhile (so that
        a busy server overshoots its limit by that much at most)."""
        if time.monotonic() - self._last_prune > PRUNE_EVERY_S:
            return True
        return self._roots_since_prune > max(
            PRUNE_AFTER_MIN, int(self._retention.max_traces * PRUNE_AFTER_SHARE)
        )

    async def _prune(self) -> None:
        self._last_prune = time.monotonic()
        self._roots_since_prune = 0
        if self.store is None:
            return
        try:
            pruned = await self.store.prune(self._retention, time.time())
        except Exception:
            _logger.exception("could not prune old traces and logs")
            return
        if pruned.traces or pruned.logs:
            _logger.debug("pruned %d trace(s) and %d log line(s)", pruned.traces, pruned.logs)


def _export(exporter: SpanExporter, ended: Sequence[tuple[Span, list[JsonObject]]]) -> None:
    try:
        exporter.export(ended)
    except Exception:
        _logger.exception("could not export %d span(s) to OpenTelemetry", len(ended))


class LocalSink:
    """The pipeline beside the recorder, in the supervisor: for stores that live there (memory, Redis)
    and whenever spans are exported."""

    def __init__(self, store: TraceStore | None, exporter: SpanExporter | None, retention: Retention) -> None:
        self._pipeline = TracePipeline(store, exporter, retention)

    async def start(self) -> int:
        return await self._pipeline.recover()

    async def record(self, events: list[tuple[Any, ...]]) -> None:
        await self._pipeline.take(events)

    async def traces(self, query: TraceQuery) -> TracePage:
        return await self._store().traces(query)

    async def trace(self, trace_id: str) -> JsonObject | None:
        return await self._store().trace(trace_id)

    async def logs(self, query: LogQuery) -> LogPage:
        return await self._store().logs(query)

    def latest_spans(self) -> asyncio.Future[Sequence[LatestSpan]]:
        answer: asyncio.Future[Sequence[LatestSpan]] = asyncio.get_running_loop().create_future()
        answer.set_result(self._pipeline.latest_spans())  # the events recorded are all applied
        return answer

    async def stop(self) -> None:
        await self._pipeline.stop()

    def _store(self) -> TraceStore:
        store = self._pipeline.store
        assert store is not None, "the recorder reads only when there is a store"
        return store
