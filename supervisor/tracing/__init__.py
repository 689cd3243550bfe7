"""Traces and logs recorded by the core: what every HTTP request, event delivery and cron tick did.

The ``Recorder`` (one per runtime) is told about each step execution (a *span*), each emit, state and
stream call (*operations*), each delivery outcome and each log line, as events it buffers. In batches
they go to where spans are assembled (``_assembler``) and written to a ``TraceStore`` (SQLite, memory
or Redis), with retention by count and age: the trace writer process for SQLite (``TraceWriter``),
else the supervisor itself. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set the spans are also exported to
OpenTelemetry.
"""

from typing import TYPE_CHECKING

from supervisor.lazy import lazy_exports
from supervisor.tracing._records import (
    LEVEL_NAMES,
    LOG_LEVELS,
    TRACE_STATUSES,
    Batch,
    LogPage,
    LogQuery,
    Pruned,
    Retention,
    Span,
    TraceDelta,
    TracePage,
    TraceQuery,
    TraceStatus,
    decode_cursor,
    encode_cursor,
    parse_answered,
    runner_holds,
)
from supervisor.tracing._store import TraceStore

if TYPE_CHECKING:
    from supervisor.tracing._earlier import Moved, move_earlier_traces
    from supervisor.tracing._follow import LogFollower
    from supervisor.tracing._lookup import AmbiguousTraceId, find_trace
    from supervisor.tracing._memory import MemoryTraceStore
    from supervisor.tracing._otel import OtelUnavailable, otel_exporter, otlp_endpoint
    from supervisor.tracing._pipeline import SpanExporter
    from supervisor.tracing._recorder import Recorder, SpanHandle, TracingOff
    from supervisor.tracing._redis import RedisTraceStore
    from supervisor.tracing._sqlite import SqliteTraceStore
    from supervisor.tracing._traceparent import TraceParent, parse_traceparent, w3c_trace_id
    from supervisor.tracing._writer import TraceWriter, TraceWriterUnavailable

#: imported when first used: the trace writer process (``_writer_process``) imports this package
#: before the few modules it needs, and starts faster without the rest (the recorder and the runner
#: protocol, the Redis and OpenTelemetry adapters)
__getattr__ = lazy_exports(
    __name__,
    {
        "Moved": "_earlier",
        "move_earlier_traces": "_earlier",
        "LogFollower": "_follow",
        "AmbiguousTraceId": "_lookup",
        "find_trace": "_lookup",
        "MemoryTraceStore": "_memory",
        "OtelUnavailable": "_otel",
        "otel_exporter": "_otel",
        "otlp_endpoint": "_otel",
        "SpanExporter": "_pipeline",
        "Recorder": "_recorder",
        "SpanHandle": "_recorder",
        "TracingOff": "_recorder",
        "RedisTraceStore": "_redis",
        "SqliteTraceStore": "_sqlite",
        "TraceParent": "_traceparent",
        "parse_traceparent": "_traceparent",
        "w3c_trace_id": "_traceparent",
        "TraceWriter": "_writer",
        "TraceWriterUnavailable": "_writer",
    },
)


__all__ = [
    "LEVEL_NAMES",
    "LOG_LEVELS",
    "TRACE_STATUSES",
    "AmbiguousTraceId",
    "Batch",
    "LogFollower",
    "LogPage",
    "LogQuery",
    "MemoryTraceStore",
    "Moved",
    "OtelUnavailable",
    "Pruned",
    "Recorder",
    "RedisTraceStore",
    "Retention",
    "Span",
    "SpanExporter",
    "SpanHandle",
    "SqliteTraceStore",
    "TraceDelta",
    "TracePage",
    "TraceParent",
    "TraceQuery",
    "TraceStatus",
    "TraceStore",
    "TraceWriter",
    "TraceWriterUnavailable",
    "TracingOff",
    "decode_cursor",
    "encode_cursor",
    "find_trace",
    "move_earlier_traces",
    "otel_exporter",
    "otlp_endpoint",
    "parse_answered",
    "parse_traceparent",
    "runner_holds",
    "w3c_trace_id",
]
