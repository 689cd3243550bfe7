"""A request runs only with its whole body. A client that hangs up mid-upload (fewer bytes than its
Content-Length, a chunked body without its last chunk) gets no handler run on the part that arrived,
even when that part parses: a JSON prefix, form fields up to an ``&``. Raw sockets, real bytes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import orjson
import pytest

from tests.support.raw_http import hang_up_mid_request, request_once
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def head(method: str, path: str, content_type: str, framing: str) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-type: {content_type}\r\n{framing}\r\n\r\n".encode()
    )


def cut_off(method: str, path: str, content_type: str, body: bytes) -> bytes:
    """The head announces 100 bytes more than the ``body`` that follows it, which parses alone."""
    return head(method, path, content_type, f"content-length: {len(body) + 100}") + body


def without_last_chunk(method: str, path: str, content_type: str, body: bytes) -> bytes:
    """A chunked body whose chunks so far parse, without the zero-length chunk that ends it."""
    return head(method, path, content_type, "transfer-encoding: chunked") + b"%x\r\n%s\r\n" % (
        len(body),
        body,
    )


def state_value(server: MotiaServer, key: str) -> object:
    return server.client.get(f"/py/state/uploads/{key}").json()["value"]


def recorded(server: MotiaServer, marker: str) -> bool:
    values = server.client.get("/py/state/records").json()["values"]
    return any(isinstance(v, dict) and v.get("data", {}).get("marker") == marker for v in values)


def never(check: Callable[[], bool], seconds: float = 0.5) -> None:
    """``check`` stays false for ``seconds`` (an aborted request that ran would have run by then:
    a complete request sent after it has been answered already)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert not check(), "the request ran on the part of its body that arrived"
        time.sleep(0.05)


Framing = Callable[[str, str, str, bytes], bytes]
SHAPES: dict[str, tuple[Framing, str, Callable[[str], bytes]]] = {
    "JSON prefix that parses": (cut_off, JSON, lambda value: b'{"value": "%s"}   ' % value.encode()),
    "form fields up to an &": (cut_off, FORM, lambda value: b"value=%s&more=" % value.encode()),
    "chunked without its last chunk": (
        without_last_chunk,
        JSON,
        lambda value: b'{"value": "%s"}' % value.encode(),
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_api_step_does_not_run_on_a_body_cut_off_by_the_client(
    conformance_server: MotiaServer, shape: str
) -> None:
    frame, content_type, body = SHAPES[shape]
    key = uuid.uuid4().hex
    hang_up_mid_request(
        conformance_server.port, frame("PUT", f"/py/state/uploads/{key}", content_type, body(key))
    )

    complete = f"complete-{key}"
    answer, _ = request_once(
        conformance_server.port,
        head("PUT", f"/py/state/uploads/{complete}", content_type, f"content-length: {len(body(complete))}")
        + body(complete),
    )
    assert answer.status_code == 200  # the same request, whole, runs
    assert state_value(conformance_server, complete) == complete
    never(lambda: state_value(conformance_server, key) is not None)


@pytest.mark.parametrize("path", ["/__motia/emit", "/emit"])
def test_an_emit_cut_off_by_the_client_is_not_emitted(conformance_server: MotiaServer, path: str) -> None:
    marker = uuid.uuid4().hex
    event = orjson.dumps({"topic": "py.record", "data": {"marker": marker}}) + b"  "
    hang_up_mid_request(conformance_server.port, cut_off("POST", path, JSON, event))

    whole = orjson.dumps({"topic": "py.record", "data": {"marker": f"complete-{marker}"}})
    answer, _ = request_once(
        conformance_server.port, head("POST", path, JSON, f"content-length: {len(whole)}") + whole
    )
    assert answer.status_code == 200
    eventually(lambda: recorded(conformance_server, f"complete-{marker}"))
    never(lambda: recorded(conformance_server, marker))
