"""OpenTelemetry: with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, every step execution reaches an OTLP
collector as a span (operations and log lines as its events), one trace across TS, JS and Python with
emits as parent links, each retry its own span, and an incoming ``traceparent`` honoured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.tracing import Recorder, Retention
from supervisor.tracing._otel import otel_exporter
from tests.support.orders_project import FILES, LANGUAGES
from tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan, otlp_receiver
from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

SPAN_KIND_SERVER, SPAN_KIND_CONSUMER = 2, 5
STATUS_ERROR = 2


@pytest.fixture(scope="module")
def collector() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, collector: OtlpReceiver) -> Iterator[MotiaServer]:
    project = write_project(tmp_path_factory.mktemp("otel"), FILES)
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_SERVICE_NAME": "orders-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    with MotiaServer(project, env=env) as running:
        yield running


def spans_of(collector: OtlpReceiver, w3c_trace_id: str, count: int) -> list[ReceivedSpan]:
    def arrived() -> list[ReceivedSpan] | None:
        spans = [span for span in collector.received() if span.trace_id == w3c_trace_id]
        return spans if len(spans) >= count else None

    found: list[ReceivedSpan] = eventually(arrived, timeout=30)
    return sorted(found, key=lambda span: span.start_ns)


def test_each_step_execution_is_a_span_of_one_trace_across_languages(
    server: MotiaServer, collector: OtlpReceiver
) -> None:
    response = server.client.post("/orders", json={"n": 3})
    assert response.status_code == 201
    trace_id = response.json()["traceId"]
    create, route, ship_1, ship_2 = spans_of(collector, trace_id.replace("-", ""), 4)

    assert collector.requests[0] == "/v1/traces"
    assert [span.name for span in (create, route, ship_1, ship_2)] == [
        "CreateOrder",
        "RouteOrder",
        "ShipOrder",
        "ShipOrder",
    ]
    for span in (create, route, ship_1, ship_2):
        assert span.resource["service.name"] == "orders-under-test"
        assert span.attributes["motia.trace_id"] == trace_id
        assert span.attributes["motia.step.language"] == LANGUAGES[span.name]
        assert isinstance(span.attributes["process.pid"], int)
        assert span.end_ns >= span.start_ns
    # the same span ids the trace API shows
    recorded = server.client.get(f"/__motia/traces/{trace_id}").json()["spans"]
    assert {span.span_id for span in (create, route, ship_1, ship_2)} == {s["spanId"] for s in recorded}

    assert create.kind == SPAN_KIND_SERVER and create.parent_span_id == ""
    assert create.attributes["http.response.status_code"] == 201
    # the HTTP semantic conventions' server attributes, which a collector's UI groups requests by
    assert (create.attributes["http.request.method"], create.attributes["http.route"]) == ("POST", "/orders")
    assert "http.route" not in route.attributes and "http.request.method" not in route.attributes
    assert route.kind == SPAN_KIND_CONSUMER and route.parent_span_id == create.span_id
    assert route.attributes["messaging.destination.name"] == "order.created"
    assert ship_1.parent_span_id == ship_2.parent_span_id == route.span_id
    assert (ship_1.attributes["motia.attempt"], ship_2.attributes["motia.attempt"]) == (1, 2)
    assert ship_1.status_code == STATUS_ERROR and "carrier not ready" in ship_1.status_message
    [exception] = [attrs for name, attrs in ship_1.events if name == "exception"]
    assert exception["exception.type"] == "ValueError"
    assert "ship_step.py" in exception["exception.stacktrace"]
    assert ship_2.status_code != STATUS_ERROR

    names = [name for name, _ in create.events]
    assert {"state.set", "streams.set", "emit", "log"} <= set(names)
    [emit] = [attrs for name, attrs in create.events if name == "emit"]
    assert emit["motia.topic"] == "order.created"
    [log] = [attrs for name, attrs in create.events if name == "log"]
    assert (log["motia.level"], log["motia.message"]) == ("info", "order received")


def test_an_incoming_traceparent_continues_the_callers_trace(
    server: MotiaServer, collector: OtlpReceiver
) -> None:
    caller_trace, caller_span = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    response = server.client.post(
        "/orders", json={"n": 1}, headers={"traceparent": f"00-{caller_trace}-{caller_span}-01"}
    )
    assert response.status_code == 201
    create, route, *_ = spans_of(collector, caller_trace, 4)
    assert create.parent_span_id == caller_span
    assert route.parent_span_id == create.span_id


def test_an_unsupported_protocol_is_named_and_the_server_still_runs(tmp_path: Path) -> None:
    project = write_project(
        tmp_path, {name: FILES[name] for name in ("steps/create.step.ts", "steps/orders.stream.ts")}
    )
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
    with MotiaServer(project, env=env) as server:
        assert server.client.post("/orders", json={"n": 1}).status_code == 201
        assert "OTEL_EXPORTER_OTLP_PROTOCOL=http/json is not supported" in server.output


async def test_an_api_span_answered_two_flushes_after_its_end_is_exported_once_with_its_answer(
    collector: OtlpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder driven as the runtime drives it, its spans exported through the OpenTelemetry SDK
    to the receiver: an api span whose answer (a 503) comes two flushes after its end reaches the
    collector once, with its status code, failed by it."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    exporter = otel_exporter(os.environ)
    assert exporter is not None
    recorder = Recorder(None, Retention(100, 100, 3600), tmp_path, exporter=exporter)
    trace_id, other = str(uuid.uuid4()), str(uuid.uuid4())
    await recorder.start()
    try:
        late = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, trace_id)
        recorder.end_span(late, InvokeResult(1, True, b"{}", None))
        await recorder.flush()
        for _ in range(2):  # two flushes with something else in them
            answered = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, other)
            recorder.end_span(answered, InvokeResult(1, True, b"{}", None))
            recorder.http_response(other, "Hello", "GET", "/hello", 200)
            await recorder.flush()
        recorder.http_response(trace_id, "Hello", "GET", "/hello", 503)
        await recorder.flush()
        spans_of(collector, other.replace("-", ""), 2)
    finally:
        await recorder.stop()  # the SDK's processor sends what it has
    [span] = [span for span in collector.received() if span.trace_id == trace_id.replace("-", "")]
    assert span.attributes["http.response.status_code"] == 503
    assert span.status_code == STATUS_ERROR
