"""Traces and logs recorded by the core: what every HTTP request, event delivery and cron tick did.

The ``Recorder`` (one per runtime) is told about each step execution (a *span*), each emit, state and
stream call (*operations*), each delivery outcome and each log line, buffers them and writes them in
batches to a ``TraceStore`` (SQLite, in the trace writer process: ``TraceWriter``; memory or Redis),
with retention by count and age; with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set it also exports the spans
to OpenTelemetry.
"""

from supervisor.tracing._earlier import Moved, move_earlier_traces
from supervisor.tracing._follow import LogFollower
from supervisor.tracing._memory import MemoryTraceStore
from supervisor.tracing._otel import OtelUnavailable, otel_exporter, otlp_endpoint
from supervisor.tracing._recorder import Recorder, SpanExporter, TracingOff
from supervisor.tracing._records import (
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
)
from supervisor.tracing._redis import RedisTraceStore
from supervisor.tracing._sqlite import SqliteTraceStore
from supervisor.tracing._stack import locate
from supervisor.tracing._store import TraceStore
from supervisor.tracing._traceparent import TraceParent, parse_traceparent, w3c_trace_id
from supervisor.tracing._writer import TraceWriter, TraceWriterUnavailable

__all__ = [
    "LOG_LEVELS",
    "TRACE_STATUSES",
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
    "locate",
    "move_earlier_traces",
    "otel_exporter",
    "otlp_endpoint",
    "parse_traceparent",
    "w3c_trace_id",
]
