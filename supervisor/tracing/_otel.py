"""Export of step executions to OpenTelemetry, when ``OTEL_EXPORTER_OTLP_ENDPOINT`` says where to.

The SDK is an optional dependency (``pip install 'motia-supervisor[otel]'``), imported only when the
variable is set. Each ended span becomes an OTel span with the ids the recorder gave it (an
``IdGenerator`` that hands them over), so the parent of an event step's span is the span that emitted
the event, whatever language either ran in, and every attempt of a retried delivery hangs under it.
Operations and log lines become span events. The SDK's own variables apply (``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_BSP_*``, ...).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from supervisor.storage import JsonObject

from ._records import Span
from ._traceparent import w3c_trace_id

EXTRA_HINT = "pip install 'motia-supervisor[otel]'"
_SCALARS = (str, bool, int, float)


class OtelUnavailable(Exception):
    """The environment asks for OpenTelemetry export and it cannot be done (the message says why and
    what to do)."""


def otlp_endpoint(environ: Mapping[str, str]) -> str | None:
    """Where spans should go, or None when the environment does not ask for OTLP export."""
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not endpoint or environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporters = [name.strip() for name in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")]
    return endpoint if "otlp" in exporters else None


#: an api step's method and route template (``POST``, ``/pets/:id``) by the step's name; None when
#: it is not (or no longer) an api step
RouteOf = Callable[[str], tuple[str, str] | None]


def otel_exporter(
    environ: Mapping[str, str], route_of: RouteOf = lambda step: None
) -> OtelSpanExporter | None:
    """The exporter the environment asks for, or None. Raises ``OtelUnavailable`` with the fix."""
    endpoint = otlp_endpoint(environ)
    if endpoint is None:
        return None
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or ""
    ).strip() or "http/protobuf"
    if protocol not in ("http/protobuf", "grpc"):
        raise OtelUnavailable(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported: use http/protobuf (the default) "
            "or grpc; no spans are exported"
        )
    try:
        from opentelemetry.sdk.trace import TracerProvider  # noqa: F401

        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        package = "opentelemetry-exporter-otlp-proto-grpc" if protocol == "grpc" else EXTRA_HINT
        raise OtelUnavailable(
            f"OTEL_EXPORTER_OTLP_ENDPOINT is set ({endpoint}) but the OpenTelemetry SDK is not installed "
            f"({exc}); install it with {package} to export spans. Until then none are exported."
        ) from None
    return OtelSpanExporter(OTLPSpanExporter(), environ, route_of)


class OtelSpanExporter:
    """Feeds ended spans to an OpenTelemetry ``TracerProvider`` whose batch processor sends them."""

    def __init__(
        self, exporter: Any, environ: Mapping[str, str], route_of: RouteOf = lambda step: None
    ) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.id_generator import IdGenerator

        class GivenIds(IdGenerator):
            """Hands the SDK the ids our spans already have (set just before each span starts)."""

            trace_id = 0
            span_id = 0

            def generate_trace_id(self) -> int:
                return self.trace_id

            def generate_span_id(self) -> int:
                return self.span_id

        named = "OTEL_SERVICE_NAME" in environ or "service.name=" in environ.get(
            "OTEL_RESOURCE_ATTRIBUTES", ""
        )
        resource = Resource.create({} if named else {"service.name": "motia"})
        self._ids = GivenIds()
        self._route_of = route_of
        self._provider = TracerProvider(resource=resource, id_generator=self._ids)
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self._provider.get_tracer("motia-supervisor", _version())

    def export(self, spans: Sequence[tuple[Span, list[JsonObject]]]) -> None:
        for span, events in spans:
            self._export(span, events)

    def shutdown(self) -> None:
        self._provider.shutdown()

    def _export(self, span: Span, events: list[JsonObject]) -> None:
        from opentelemetry import context, trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        trace_id = int(w3c_trace_id(span.trace_id), 16)
        self._ids.trace_id = trace_id
        self._ids.span_id = int(span.span_id, 16)
        parent = context.Context()
        if span.parent_span_id is not None:
            parent_context = trace.SpanContext(
                trace_id,
                int(span.parent_span_id, 16),
                is_remote=span.remote_parent,
                trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
            )
            parent = trace.set_span_in_context(trace.NonRecordingSpan(parent_context))
        kind = {"api": SpanKind.SERVER, "event": SpanKind.CONSUMER}.get(span.kind, SpanKind.INTERNAL)
        otel_span = self._tracer.start_span(
            span.step,
            context=parent,
            kind=kind,
            attributes=_span_attributes(span, self._route_of(span.step) if span.kind == "api" else None),
            start_time=int(span.started_at * 1e9),
        )
        for event in events:
            otel_span.add_event(
                "log" if event["type"] == "log" else event["name"],
                _event_attributes(event),
                timestamp=int(event["time"] * 1e6),
            )
        if span.status in ("error", "lost"):
            error = span.error or {}
            description = f"{error.get('name', 'Error')}: {error.get('message', '')}"
            otel_span.set_status(Status(StatusCode.ERROR, description))
            otel_span.add_event(
                "exception",
                {
                    "exception.type": str(error.get("name", "Error")),
                    "exception.message": str(error.get("message", "")),
                    "exception.stacktrace": str(error.get("stack", "")),
                },
                timestamp=int((span.ended_at or span.started_at) * 1e9),
            )
        otel_span.end(end_time=int((span.ended_at or span.started_at) * 1e9))


def _span_attributes(span: Span, route: tuple[str, str] | None) -> dict[str, Any]:
    """``route``: an api step's method and route template, the HTTP semantic conventions' attributes a
    collector groups server spans by (its UI lists ``POST /pets``, not only the step's name)."""
    attributes: dict[str, Any] = {
        "motia.trace_id": span.trace_id,
        "motia.step.name": span.step,
        "motia.step.type": span.kind,
        "motia.step.language": span.language,
        "motia.step.file": span.file,
        "motia.attempt": span.attempt,
    }
    optional = {
        "motia.runner.id": span.runner,
        "process.pid": span.pid,
        "messaging.destination.name": span.topic,
        "motia.delivery.id": span.delivery_id,
        "http.response.status_code": span.status_code,
        "http.request.method": route and route[0],
        "http.route": route and route[1],
    }
    attributes.update({key: value for key, value in optional.items() if value is not None})
    return attributes


def _event_attributes(event: JsonObject) -> dict[str, Any]:
    """Scalars as they are, anything else as JSON (truncated): OTel attributes are flat."""
    attributes: dict[str, Any] = {}
    for key, value in event.items():
        if key in ("traceId", "spanId", "time", "type") or value is None:
            continue
        if isinstance(value, _SCALARS):
            attributes[f"motia.{key}"] = value
        else:
            attributes[f"motia.{key}"] = orjson.dumps(value, default=str)[:4096].decode(errors="replace")
    return attributes


def _version() -> str:
    try:
        return importlib.metadata.version("motia-supervisor")
    except importlib.metadata.PackageNotFoundError:
        return "0"
