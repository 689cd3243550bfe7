"""Traces and logs recorded by the core, read through ``/__motia`` and the ``motia logs|traces|state``
commands: one request followed through TypeScript, JavaScript and Python steps with every state write,
stream write, emit, retry and log line, on the real CLI and real runners."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from supervisor.cli._traces import describe
from supervisor.tracing import Batch
from tests.support.counting_proxy import CountingProxy
from tests.support.orders_project import FILES, LANGUAGES
from tests.support.project import write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv, run_motia_reader_gone
from tests.test_trace_store_contract import log_line
from tests.test_workbench import _write_trace_store

HELLO_STEP = """
    exports.config = { type: 'api', name: 'Hello', path: '/hello', method: 'GET', emits: [] }
    exports.handler = async () => ({ status: 200, body: {} })
"""

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = write_project(tmp_path_factory.mktemp("traces"), FILES)
    with MotiaServer(project) as running:
        yield running


def create_order(server: MotiaServer, n: int, headers: dict[str, str] | None = None) -> str:
    response = server.client.post("/orders", json={"n": n}, headers=headers)
    assert response.status_code == 201, response.text
    trace_id: str = response.json()["traceId"]
    assert response.headers["x-trace-id"] == trace_id
    return trace_id


def finished_trace(server: MotiaServer, trace_id: str, spans: int = 4) -> dict[str, Any]:
    """The trace once its retried Python step has succeeded (all its spans ended)."""

    def read() -> dict[str, Any] | None:
        response = server.client.get(f"/__motia/traces/{trace_id}")
        if response.status_code != 200:
            return None
        trace: dict[str, Any] = response.json()
        done = trace["status"] != "running" and len(trace["spans"]) >= spans
        return trace if done and all(s["status"] != "running" for s in trace["spans"]) else None

    found: dict[str, Any] = eventually(read, timeout=30)
    return found


def motia(server: MotiaServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        motia_argv(*args, "-p", str(server.port)), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


def test_one_request_is_followed_through_ts_js_and_python_steps(server: MotiaServer) -> None:
    trace_id = create_order(server, 7)
    trace = finished_trace(server, trace_id)

    assert trace["status"] == "ok"  # the retry succeeded
    assert trace["entry"] == {
        "type": "api",
        "step": "CreateOrder",
        "method": "POST",
        "path": "/orders",
        "statusCode": 201,
    }
    assert [(s["name"], s["language"]) for s in trace["steps"]] == list(LANGUAGES.items())
    create, route, ship_1, ship_2 = trace["spans"]
    assert [s["step"] for s in trace["spans"]] == ["CreateOrder", "RouteOrder", "ShipOrder", "ShipOrder"]
    for span in trace["spans"]:
        assert span["language"] == LANGUAGES[span["step"]]
        assert span["runner"] and isinstance(span["pid"], int)
        assert span["durationMs"] >= 0
    # parents: the span that emitted the event; both attempts of a retried delivery hang under it
    assert create["parentSpanId"] is None and create["statusCode"] == 201
    assert route["parentSpanId"] == create["spanId"] and route["topic"] == "order.created"
    assert ship_1["parentSpanId"] == ship_2["parentSpanId"] == route["spanId"]
    assert (ship_1["attempt"], ship_1["status"], ship_2["attempt"], ship_2["status"]) == (1, "error", 2, "ok")
    assert ship_1["deliveryId"] == ship_2["deliveryId"]
    assert ship_1["error"]["message"] == "carrier not ready"
    assert ship_1["error"]["location"]["file"] == "steps/ship_step.py"
    assert ship_1["error"]["location"]["line"] == 10  # the raise

    events = trace["events"]
    # as they happened, those of the same time as they were recorded
    assert [(e["time"], e["id"]) for e in events] == sorted((e["time"], e["id"]) for e in events)

    def of(span: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        return [e for e in events if e["spanId"] == span["spanId"] and e["type"] == kind]

    [state_set] = of(create, "state")
    assert (state_set["name"], state_set["group"], state_set["key"]) == ("state.set", "orders", "o1")
    assert state_set["size"] == len('{"n":7}')
    [stream_set] = of(create, "stream")
    assert (stream_set["name"], stream_set["stream"]) == ("streams.set", "orderUpdates")
    assert (stream_set["group"], stream_set["itemId"]) == (trace_id, "created")
    [emitted] = of(create, "emit")
    assert emitted["topic"] == "order.created" and emitted["data"] == {"n": 7}
    assert [d["step"] for d in emitted["deliveries"]] == ["RouteOrder"]
    assert [(e["level"], e["message"]) for e in of(create, "log")] == [("info", "order received")]
    assert of(route, "state")[0]["name"] == "state.get"
    assert ("warn", "routing slowly") in [(e["level"], e["message"]) for e in of(route, "log")]
    [retry] = of(ship_1, "delivery")
    assert (retry["name"], retry["attempt"], retry["retryAt"] is not None) == ("retry", 1, True)
    assert ("info", "shipped") in [(e["level"], e["message"]) for e in of(ship_2, "log")]


def test_a_typescript_failure_points_at_the_users_ts_line(server: MotiaServer) -> None:
    response = server.client.post("/boom", json={"why": "no reason"})
    assert response.status_code == 500
    trace = finished_trace(server, response.headers["x-trace-id"], spans=1)
    assert trace["status"] == "error"
    [span] = trace["spans"]
    assert span["status"] == "error" and span["statusCode"] == 500
    assert span["error"]["message"] == "boom: no reason"
    assert span["error"]["location"] == {
        "file": "steps/boom.step.ts",
        "line": 5,
        "column": span["error"]["location"]["column"],
    }
    assert "boom.step.ts:5" in span["error"]["stack"]


def test_an_incoming_traceparent_makes_the_request_part_of_the_callers_trace(server: MotiaServer) -> None:
    caller_trace, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    trace_id = create_order(server, 1, {"traceparent": f"00-{caller_trace}-{caller_span}-01"})
    assert trace_id == caller_trace
    trace = finished_trace(server, trace_id)
    assert trace["spans"][0]["parentSpanId"] == caller_span
    # an invalid header starts a new trace, as the W3C specification says
    other = create_order(server, 2, {"traceparent": f"00-{'0' * 32}-{caller_span}-01"})
    assert other != caller_trace


def test_traces_list_newest_first_filtered_and_paginated(server: MotiaServer) -> None:
    ids = [create_order(server, n) for n in range(3)]
    for trace_id in ids:
        finished_trace(server, trace_id)
    listed = server.client.get("/__motia/traces", params={"step": "ShipOrder", "limit": 2}).json()
    assert [t["traceId"] for t in listed["traces"]] == ids[:0:-1]
    assert listed["nextCursor"]
    older = server.client.get(
        "/__motia/traces", params={"step": "ShipOrder", "limit": 2, "cursor": listed["nextCursor"]}
    )
    assert older.json()["traces"][0]["traceId"] == ids[0]
    # log lines print a trace id's last 8 characters: enough to find it
    found = server.client.get("/__motia/traces", params={"traceId": ids[1][-8:]}).json()["traces"]
    assert [t["traceId"] for t in found] == [ids[1]]
    # a whole id: that trace's row, as listed, with the batches written of it (a workflow: several)
    [row] = server.client.get("/__motia/traces", params={"traceId": ids[1]}).json()["traces"]
    assert row == found[0] and row["changes"] >= 2
    assert server.client.get("/__motia/traces/" + ids[1]).json()["changes"] == row["changes"]
    # a failed trace of its own, so that the filter is checked whatever ran before
    boom = server.client.post("/boom", json={"why": "a status filter"})
    finished_trace(server, boom.headers["x-trace-id"], spans=1)
    failed = server.client.get("/__motia/traces", params={"status": "error"}).json()["traces"]
    assert boom.headers["x-trace-id"] in {t["traceId"] for t in failed}
    assert all(t["status"] == "error" for t in failed)
    assert ids[0] not in {t["traceId"] for t in failed}


def test_traces_filter_by_text_in_their_name_id_steps_and_errors_in_any_case(server: MotiaServer) -> None:
    order = create_order(server, 21)
    finished_trace(server, order)
    boom = server.client.post("/boom", json={"why": "a text filter"})
    assert boom.status_code == 500
    failed = boom.headers["x-trace-id"]
    finished_trace(server, failed, spans=1)

    def found(**params: str) -> list[dict[str, Any]]:
        response = server.client.get("/__motia/traces", params={**params, "limit": "500"})
        assert response.status_code == 200, response.text
        traces: list[dict[str, Any]] = response.json()["traces"]
        return traces

    # the api's name, as the Workbench shows it, in any case
    by_name = found(text="post /ORDERS")
    assert order in {t["traceId"] for t in by_name} and failed not in {t["traceId"] for t in by_name}
    assert all((t["entry"]["method"], t["entry"]["path"]) == ("POST", "/orders") for t in by_name)
    # a step that ran in it (a Python one, after the TS and JS ones)
    by_step = found(text="shiporder")
    assert order in {t["traceId"] for t in by_step}
    assert all("ShipOrder" in {s["name"] for s in t["steps"]} for t in by_step)
    # the whole id, or a part of it, in any case
    assert [t["traceId"] for t in found(text=order.upper())] == [order]
    assert [t["traceId"] for t in found(text=failed[-8:])] == [failed]
    # with the other filters
    assert [t["traceId"] for t in found(text="BOOM", status="error")][:1] == [failed]
    assert found(text="boom", status="ok") == []
    # a failed step's error message (TS, thrown: "boom: a text filter")
    assert [t["traceId"] for t in found(text="A TEXT filter")] == [failed]
    # with its name, as the Workbench and `motia traces` show it ("Error: boom: a text filter")
    assert [t["traceId"] for t in found(text="error: BOOM: a text")] == [failed]

    listing = motia(server, "traces", "--grep", "post /ORDERS", "--limit", "500")
    assert listing.returncode == 0, listing.stderr
    assert order in listing.stdout and failed not in listing.stdout
    listing = motia(server, "traces", "--grep", "Error: boom: a text", "--limit", "500")
    assert listing.returncode == 0, listing.stderr
    assert failed in listing.stdout and order not in listing.stdout


def test_the_requests_that_failed_are_found_by_the_status_they_were_answered_with(
    server: MotiaServer,
) -> None:
    """A body refused before its step ran is answered 400 and its trace is ``ok`` (no step failed):
    neither ``status=error`` nor a text found it. ``answered=`` does, by code, class or range, in the
    API and in ``motia traces --answered``."""
    order = create_order(server, 31)
    refused = server.client.post("/orders", content=b'{"n": ', headers={"content-type": "application/json"})
    assert refused.status_code == 400
    boom = server.client.post("/boom", json={"why": "an answer filter"})
    assert boom.status_code == 500
    ids = {"201": order, "400": refused.headers["x-trace-id"], "500": boom.headers["x-trace-id"]}
    finished_trace(server, order)
    finished_trace(server, ids["500"], spans=1)

    def found(answered: str) -> set[str]:
        response = server.client.get("/__motia/traces", params={"answered": answered, "limit": "500"})
        assert response.status_code == 200, response.text
        return {t["traceId"] for t in response.json()["traces"]} & set(ids.values())

    assert server.client.get(f"/__motia/traces/{ids['400']}").json()["status"] == "ok"
    assert found("4xx") == found("400") == found("400-499") == {ids["400"]}
    assert found("4xx,5xx") == {ids["400"], ids["500"]}
    assert found("2xx") == {order}
    assert found("404") == set()

    listing = motia(server, "traces", "--answered", "4xx,5xx", "--limit", "500")
    assert listing.returncode == 0, listing.stderr
    assert ids["400"] in listing.stdout and ids["500"] in listing.stdout and order not in listing.stdout
    assert "POST /orders -> 400" in listing.stdout
    one = motia(server, "traces", ids["400"])  # its span: what it answered, and that no runner ran it
    assert one.returncode == 0, one.stderr
    assert "CreateOrder [api -> 400] typescript, no runner  " in one.stdout, one.stdout
    wrong = motia(server, "traces", "--answered", "4yy")
    assert wrong.returncode == 2 and "'4yy' is not a status code (404), a class (4xx)" in wrong.stderr


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/__motia/traces", {"status": "fine"}, "status"),
        ("/__motia/traces", {"answered": "4yy"}, "answered"),
        ("/__motia/traces", {"limit": "0"}, "limit"),
        ("/__motia/traces", {"cursor": "nonsense"}, "cursor"),
        ("/__motia/traces", {"since": "yesterday"}, "since"),
        ("/__motia/logs", {"level": "loud"}, "level"),
        ("/__motia/logs", {"before": str(2**70)}, "before"),
        ("/__motia/logs", {"before": "2", "after": "1"}, "before and after cannot be given together"),
        ("/__motia/traces", {"stauts": "error"}, "unknown parameter 'stauts'"),  # not ignored: refused
        ("/__motia/logs", {"trace": "01a2"}, "unknown parameter 'trace'"),
        ("/__motia/logs/stream", {"levle": "warn"}, "unknown parameter 'levle'"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(
    server: MotiaServer, path: str, params: dict[str, str], named: str
) -> None:
    with server.client.stream("GET", path, params=params) as response:  # a stream's 200 would not end
        assert response.status_code == 400
        body = json.loads(response.read())
    assert body["error"] == "Bad Request" and named in body["message"]


def test_an_unknown_trace_is_a_404(server: MotiaServer) -> None:
    response = server.client.get("/__motia/traces/no-such-trace")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"


def test_one_trace_is_found_by_any_part_of_its_id_and_a_part_of_several_is_a_409_naming_them(
    server: MotiaServer,
) -> None:
    """``GET /__motia/traces/<id>`` takes a part of an id, as ``motia traces ID`` does (one rule, the
    server's): the 8 characters log lines print find the trace; a part of several ids is refused,
    naming them, in the API and in the commands alike."""
    trace_id = create_order(server, 5)
    finished_trace(server, trace_id)
    create_order(server, 6)
    by_part = server.client.get(f"/__motia/traces/{trace_id[-8:]}")
    assert by_part.status_code == 200, by_part.text
    assert by_part.json() == server.client.get(f"/__motia/traces/{trace_id}").json()
    ambiguous = server.client.get("/__motia/traces/-7")  # every UUID v7 holds it
    assert ambiguous.status_code == 409, ambiguous.text
    body = ambiguous.json()
    assert body["error"] == "Conflict" and len(body["candidates"]) > 1
    assert body["message"].startswith("'-7' is part of more than one trace id: ")
    for command in (("traces", "-7"), ("logs", "--trace", "-7")):
        refused = motia(server, *command)
        assert refused.returncode == 1 and refused.stdout == "", refused.stdout
        said = f"motia {command[0]}: '-7' is part of more than one trace id: "
        assert refused.stderr.startswith(said), refused.stderr
        assert refused.stderr.strip().endswith("; give more of it"), refused.stderr


def first_streamed(server: MotiaServer, filters: dict[str, str]) -> dict[str, Any]:
    """The first line the live log stream with ``filters`` sends, caught up from the store."""
    with httpx.stream(
        "GET", f"{server.url}/__motia/logs/stream", params={**filters, "after": 0}, timeout=30
    ) as response:
        assert response.status_code == 200
        first: dict[str, Any] = next(
            json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")
        )
    return first


def test_logs_filter_by_level_step_trace_and_text(server: MotiaServer) -> None:
    trace_id = create_order(server, 3)
    finished_trace(server, trace_id)
    logs = server.client.get("/__motia/logs", params={"traceId": trace_id}).json()["logs"]
    assert {"order received", "routing slowly", "shipped"} <= {line["message"] for line in logs}
    warned = server.client.get("/__motia/logs", params={"traceId": trace_id, "level": "warn"}).json()["logs"]
    assert warned and all(line["level"] in ("warn", "error") for line in warned)
    by_step = server.client.get("/__motia/logs", params={"step": "RouteOrder", "q": "ROUTING"}).json()["logs"]
    assert by_step and all(
        line["step"] == "RouteOrder" and line["message"] == "routing slowly" for line in by_step
    )
    page = server.client.get("/__motia/logs", params={"limit": 1}).json()
    assert len(page["logs"]) == 1 and page["nextCursor"] == page["logs"][0]["id"]


def test_warning_is_the_warn_level_in_the_logs_api_its_live_stream_and_motia_logs(
    server: MotiaServer,
) -> None:
    """``warning`` (Python's name, which ``LOG_LEVEL`` takes) filters as ``warn`` wherever a level is
    taken."""
    trace_id = create_order(server, 5)
    finished_trace(server, trace_id)
    warned = server.client.get("/__motia/logs", params={"traceId": trace_id, "level": "warn"}).json()["logs"]
    as_warning = server.client.get("/__motia/logs", params={"traceId": trace_id, "level": "warning"})
    assert as_warning.status_code == 200, as_warning.text
    assert warned and as_warning.json()["logs"] == warned

    first = first_streamed(server, {"traceId": trace_id, "level": "warning"})
    assert first["message"] == "routing slowly"

    cli = motia(server, "logs", "--trace", trace_id, "--level", "warning")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == motia(server, "logs", "--trace", trace_id, "--level", "warn").stdout
    assert "routing slowly" in cli.stdout and "order received" not in cli.stdout


def test_logs_filter_by_the_runner_they_came_from_in_the_api_its_live_stream_and_motia_logs(
    server: MotiaServer,
) -> None:
    """``runner=`` keeps the lines of one runner (its id, as ``motia dev`` prints it: ``(node-0)``) or
    of every runner of a kind (``node``), in a listing, a live stream and ``motia logs --runner``: an
    order's TypeScript and JavaScript steps log on a node runner, its Python step on a python one."""
    trace_id = create_order(server, 6)
    finished_trace(server, trace_id)

    def messages(**params: str) -> set[str]:
        response = server.client.get("/__motia/logs", params={"traceId": trace_id, **params})
        assert response.status_code == 200, response.text
        return {line["message"] for line in response.json()["logs"]}

    assert {"order received", "routing slowly", "shipped"} <= messages()
    on_node = messages(runner="node")
    assert {"order received", "routing slowly"} <= on_node and "shipped" not in on_node
    on_python = messages(runner="python")  # with the lines of its failed first attempt
    assert "shipped" in on_python and not on_python & on_node
    assert messages(runner="node-0") == on_node  # one node runner (the default pool)
    assert messages(runner="node-0", level="critical") == set()  # a runner of the project: nothing yet
    # a runner named by no kind, no runner running and no line recorded: said, not "nothing yet"
    # (nor one to come, a spare: tests/test_follow_a_runner_to_come.py)
    misspelt = (
        "no runner named 'nodes': no kind of runner, none running now or to come, none recorded; "
        "did you mean 'node'?"
    )
    for path in ("/__motia/logs", "/__motia/logs/stream"):
        refused = server.client.get(path, params={"runner": "nodes"})
        assert (refused.status_code, refused.json()["message"]) == (404, misspelt), path
    assert server.client.get("/__motia/logs", params={"runner": "nod"}).status_code == 404  # not a part
    lines = server.client.get("/__motia/logs", params={"traceId": trace_id, "runner": "python"})
    assert {line["runner"] for line in lines.json()["logs"]} == {"python-0"}
    first_python = lines.json()["logs"][-1]  # newest first

    assert first_streamed(server, {"traceId": trace_id, "runner": "python"}) == first_python

    cli = motia(server, "logs", "--trace", trace_id, "--runner", "node")
    assert cli.returncode == 0, cli.stderr
    assert "order received" in cli.stdout and "routing slowly" in cli.stdout
    assert "shipped" not in cli.stdout and "(node-0)" in cli.stdout
    python = motia(server, "logs", "--trace", trace_id, "--runner", "python-0")
    assert python.returncode == 0, python.stderr
    assert "shipped" in python.stdout and "order received" not in python.stdout
    for follow in ((), ("-n", "0", "--follow")):  # past lines, or live only
        wrong = motia(server, "logs", "--runner", "nodes", *follow)
        assert wrong.returncode != 0 and misspelt in wrong.stderr, (follow, wrong.stderr)


def test_logs_arrive_live_over_server_sent_events_and_resume_after_the_last_id(server: MotiaServer) -> None:
    received: list[dict[str, Any]] = []
    ids: list[str] = []
    ready = threading.Event()

    def follow() -> None:
        with httpx.stream(
            "GET", f"{server.url}/__motia/logs/stream", params={"step": "ShipOrder"}, timeout=30
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            ready.set()
            for line in response.iter_lines():
                if line.startswith("id: "):
                    ids.append(line[4:])
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    if any(entry["message"] == "shipped" for entry in received):
                        return

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    assert ready.wait(15)
    trace_id = create_order(server, 11)
    follower.join(30)
    assert not follower.is_alive()
    assert all(entry["step"] == "ShipOrder" for entry in received)
    assert any(entry["traceId"] == trace_id and entry["message"] == "shipped" for entry in received)
    # each under the span its stored copy names
    stored = server.client.get("/__motia/logs", params={"step": "ShipOrder", "limit": 1000}).json()["logs"]
    span_ids = {line["id"]: line["spanId"] for line in stored}
    assert [entry["spanId"] for entry in received] == [span_ids[entry["id"]] for entry in received]
    assert all(entry["spanId"] for entry in received if entry["traceId"] == trace_id)

    # a client that reconnects with Last-Event-ID first gets what it missed, from the store
    first_id = ids[0]
    with httpx.stream(
        "GET",
        f"{server.url}/__motia/logs/stream",
        params={"step": "ShipOrder"},
        headers={"last-event-id": first_id},
        timeout=30,
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                caught_up = json.loads(line[6:])
                assert caught_up["id"] > int(first_id)
                assert caught_up["id"] == received[1]["id"]
                break


def test_state_can_be_browsed_edited_and_deleted(server: MotiaServer) -> None:
    create_order(server, 5)
    groups = server.client.get("/__motia/state").json()["groups"]
    assert "orders" in groups
    items = server.client.get("/__motia/state/items", params={"groupId": "orders"}).json()["items"]
    assert {"key": "o1", "value": {"n": 5}} in items
    put = server.client.put(
        "/__motia/state/item", params={"groupId": "a/b", "key": "k?1"}, json={"x": [1, 2]}
    )
    assert put.status_code == 200
    got = server.client.get("/__motia/state/item", params={"groupId": "a/b", "key": "k?1"}).json()
    assert got == {"groupId": "a/b", "key": "k?1", "value": {"x": [1, 2]}}
    bad = server.client.put("/__motia/state/item", params={"groupId": "g", "key": "k"}, content=b"{nope")
    assert bad.status_code == 400 and "JSON" in bad.json()["message"]
    assert server.client.delete("/__motia/state/item", params={"groupId": "a/b", "key": "k?1"}).json()[
        "value"
    ] == {"x": [1, 2]}
    assert (
        server.client.get("/__motia/state/item", params={"groupId": "a/b", "key": "k?1"}).status_code == 404
    )
    missing = server.client.get("/__motia/state/items")
    assert missing.status_code == 400 and "groupId" in missing.json()["message"]


def test_flows_show_steps_and_topic_edges_with_virtual_ones_marked(server: MotiaServer) -> None:
    flows = server.client.get("/__motia/flows").json()["flows"]
    [orders] = [flow for flow in flows if flow["id"] == "orders"]
    nodes = {step["name"]: step for step in orders["steps"]}
    assert {name: step["language"] for name, step in nodes.items()} == {**LANGUAGES, "Audit": "typescript"}
    assert nodes["CreateOrder"]["type"] == "api" and nodes["CreateOrder"]["path"] == "/orders"
    assert nodes["Audit"]["type"] == "noop" and nodes["ShipOrder"]["file"] == "steps/ship_step.py"
    edges = {(e["source"], e["target"], e["topic"]): e for e in orders["edges"]}
    assert set(edges) == {
        ("CreateOrder", "RouteOrder", "order.created"),
        ("RouteOrder", "ShipOrder", "order.routed"),
        ("RouteOrder", "Audit", "order.audited"),
    }
    assert not edges[("CreateOrder", "RouteOrder", "order.created")]["virtual"]
    audited = edges[("RouteOrder", "Audit", "order.audited")]
    assert audited["virtual"] and audited["label"] == "audit"
    assert server.client.get("/__motia/flows/orders").json()["id"] == "orders"
    assert server.client.get("/__motia/flows/nope").status_code == 404


def test_runners_and_streams_are_listed(server: MotiaServer) -> None:
    runners = server.client.get("/__motia/runners").json()["runners"]
    assert {runner["kind"] for runner in runners} >= {"node", "python"}
    for runner in runners:
        assert isinstance(runner["pid"], int) and runner["memoryMb"] > 0 and runner["inFlight"] >= 0
    trace_id = create_order(server, 9)
    streams = server.client.get("/__motia/streams").json()["streams"]
    assert [s["name"] for s in streams] == ["orderUpdates"] and streams[0]["groups"] >= 1
    groups = server.client.get("/__motia/streams/orderUpdates").json()["groups"]
    assert {"groupId": trace_id, "items": 1} in groups


def test_motia_traces_logs_and_state_commands(server: MotiaServer) -> None:
    trace_id = create_order(server, 4)
    finished_trace(server, trace_id)

    listing = motia(server, "traces", "--step", "ShipOrder")
    assert listing.returncode == 0, listing.stderr
    assert trace_id in listing.stdout
    one = motia(server, "traces", trace_id[-8:])  # as a log line prints it
    assert one.returncode == 0, one.stderr
    for expected in (
        "CreateOrder",
        "RouteOrder",
        "ShipOrder",
        "state.set",
        "order.created",
        "carrier not ready",
    ):
        assert expected in one.stdout
    as_json = motia(server, "traces", trace_id, "--json")
    assert json.loads(as_json.stdout)["traceId"] == trace_id
    unknown = motia(server, "traces", "zzzzzzzz")
    assert unknown.returncode != 0 and "zzzzzzzz" in unknown.stderr

    logs = motia(server, "logs", "--trace", trace_id, "--level", "warn")
    assert logs.returncode == 0, logs.stderr
    assert "routing slowly" in logs.stdout and "order received" not in logs.stdout
    by_part = motia(server, "logs", "--trace", trace_id[-8:], "--level", "warn")  # as a log line prints it
    assert by_part.returncode == 0, by_part.stderr
    assert by_part.stdout == logs.stdout

    assert motia(server, "state", "set", "cli", "key", '{"a": 1}').returncode == 0
    got = motia(server, "state", "get", "cli", "key")
    assert got.returncode == 0 and json.loads(got.stdout) == {"a": 1}
    listed = motia(server, "state", "ls")
    assert "cli" in listed.stdout.split()
    keys = motia(server, "state", "ls", "cli")
    assert "key" in keys.stdout
    missing = motia(server, "state", "get", "cli", "nope")
    assert missing.returncode != 0 and "nope" in missing.stderr


@pytest.mark.parametrize(
    "command",
    [("traces",), ("logs", "-n", "500"), ("logs", "--follow"), ("state", "ls")],
    ids=["traces", "logs", "logs-follow", "state"],
)
def test_a_listing_piped_to_a_reader_that_stops_ends_quietly(
    server: MotiaServer, command: tuple[str, ...]
) -> None:
    """``motia traces | head``: the reader has what it wanted and closed the pipe. The command ends as
    other programs in a pipe do (the status of SIGPIPE), without a BrokenPipeError's traceback."""
    finished_trace(server, create_order(server, 5))
    done = run_motia_reader_gone(*command, "-p", str(server.port), cwd=REPO_ROOT)
    assert done.stderr == ""
    assert done.returncode == 141


def test_motia_state_list_prints_the_whole_state_as_json(server: MotiaServer) -> None:
    """``npx motia state list`` ("List the current file state") prints every group, its keys and values."""
    for key, value in (("a", {"n": 1}), ("b", "text")):
        assert motia(server, "state", "set", "listed", key, json.dumps(value)).returncode == 0
    listed = motia(server, "state", "list")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["listed"] == {"a": {"n": 1}, "b": "text"}


@pytest.mark.parametrize(("encoding", "printed"), [("ascii", '"caf? ?"'), ("latin-1", '"café ?"')])
def test_motia_state_get_prints_what_the_terminal_cannot_write_as_question_marks(
    server: MotiaServer, encoding: str, printed: str
) -> None:
    """A terminal whose encoding lacks a character of the user's data (no UTF-8 locale) gets ``?``
    for it, not a UnicodeEncodeError's traceback."""
    where = {"groupId": "cli", "key": "accents"}
    assert server.client.put("/__motia/state/item", params=where, json="café ✓").status_code == 200
    argv = motia_argv("state", "get", "cli", "accents", "-p", str(server.port))
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    got = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, timeout=60)
    assert got.returncode == 0, got.stderr.decode(errors="replace")
    assert got.stdout.decode(encoding) == printed + "\n"


def test_motia_traces_indents_each_line_of_a_multi_line_message_under_its_own() -> None:
    message = '[\n  {"code": "invalid_type"}\n]'  # as a ZodError's message is
    stack = f"ZodError: {message}\n    at handler (/app/steps/board.step.js:27:38)"
    span = {
        "step": "Board",
        "type": "event",
        "topic": "t",
        "language": "javascript",
        "runner": "node-0",
        "pid": 7,
        "attempt": 1,
        "startedAt": 1000.0,
        "durationMs": 2.0,
        "status": "error",
        "error": {
            "name": "ZodError",
            "message": message,
            "stack": stack,
            "location": {"file": "steps/board.step.js", "line": 27},
        },
    }
    log = {"type": "log", "time": 1001.0, "step": "Board", "level": "error", "message": f"failed: {message}"}
    trace = {
        "traceId": "t1",
        "status": "error",
        "entry": None,
        "durationMs": 2.0,
        "startedAt": 1000.0,
        "steps": [{"name": "Board", "language": "javascript"}],
        "spans": [span],
        "events": [log],
    }

    assert describe(trace)[3:] == [
        "     +0.0 ms  Board [event <- t] javascript, node-0 pid 7  attempt 1  2.0 ms  ERROR",
        "                ZodError: [",
        '                    {"code": "invalid_type"}',
        "                  ] at steps/board.step.js:27",
        "                      at handler (/app/steps/board.step.js:27:38)",  # the message not twice
        "     +1.0 ms      [Board] ERROR failed: [",
        '                      {"code": "invalid_type"}',
        "                    ]",
    ]


def test_motia_logs_follow_prints_new_lines_as_they_come(server: MotiaServer) -> None:
    create_order(server, 12)  # a past line: the follow resumes after the last one printed, losing none
    finished = eventually(
        lambda: server.client.get("/__motia/logs", params={"step": "ShipOrder"}).json()["logs"]
    )
    assert finished
    follower = subprocess.Popen(
        motia_argv("logs", "-f", "-n", "1", "--step", "ShipOrder", "-p", str(server.port)),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []

    def read() -> None:
        assert follower.stdout is not None
        printed.extend(follower.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        trace_id = create_order(server, 13)
        line = eventually(
            lambda: next((line for line in printed if trace_id[-8:] in line and "shipped" in line), None),
            timeout=30,
        )
        assert "[ShipOrder]" in line and "INFO" in line
    finally:
        follower.terminate()
        follower.wait(10)
        reader.join(5)
        assert follower.stdout is not None
        follower.stdout.close()


def test_motia_logs_follow_waits_out_a_stopping_server_and_resumes_after_its_restart(tmp_path: Path) -> None:
    """A stopping server ends the live log stream at once and its health says it is stopping while a
    slow request finishes: the follower says so in one line, asks its health again each ``retry:``
    delay the server gave (2 s) rather than its own 0.5 s, however long the server is away (longer
    than the 10 s it gives a server lost unannounced), and then shows the lines of the server
    started again on the same port: the slow request's, logged while stopping, and the new ones,
    none lost or twice."""
    project = write_project(
        tmp_path / "project",  # the gates beside it: a file made in it is a change to reload
        {
            "steps/say_step.py": """
                import asyncio
                from pathlib import Path

                config = {"type": "api", "name": "Say", "path": "/say", "method": "POST", "emits": []}

                async def handler(req, ctx):
                    if req.body.get("slow"):  # held until the test makes the file named ``gate``
                        ctx.logger.info("begun " + req.body["what"])
                        while not Path(req.body["gate"]).exists():
                            await asyncio.sleep(0.05)
                    ctx.logger.info("said " + req.body["what"])
                    return {"status": 200, "body": {}}
            """
        },
    )
    server = MotiaServer(project).wait_ready()
    proxy = CountingProxy(server.port)
    follower = subprocess.Popen(
        motia_argv("logs", "-f", "-n", "0", "--json", "--grep", "said ", "-p", str(proxy.port)),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[dict[str, Any]] = []
    told: list[str] = []

    def read() -> None:
        assert follower.stdout is not None
        printed.extend(json.loads(line) for line in follower.stdout)

    def read_errors() -> None:
        assert follower.stderr is not None
        told.extend(follower.stderr)

    def said() -> list[str]:
        return [line["message"] for line in list(printed) if line["message"].startswith("said ")]

    def slow(what: str, gate: Path) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert (
                client.post("/say", json={"what": what, "slow": True, "gate": str(gate)}).status_code == 200
            )

    readers = [threading.Thread(target=target, daemon=True) for target in (read, read_errors)]
    for reader in readers:
        reader.start()
    try:
        eventually(lambda: len(proxy.reached) == 1)  # the follower's stream is open
        for stop, away_s in ((1, 0.0), (2, 11.0)):
            assert server.client.post("/say", json={"what": f"before stop {stop}"}).status_code == 200
            eventually(lambda: f"said before stop {stop}" in said(), timeout=30)  # noqa: B023
            gate = tmp_path / f"gate-{stop}"
            late = threading.Thread(target=slow, args=(f"late {stop}", gate))
            late.start()
            eventually(
                lambda: server.client.get("/__motia/logs", params={"q": f"begun late {stop}"}).json()["logs"]  # noqa: B023
            )
            before = len(proxy.attempts)
            server.proc.send_signal(signal.SIGTERM)
            # The server stays stopping, held by the slow request, until the follower has been told
            # and has asked again (a retry: delay later), however long that takes on a busy machine.
            stopping = (
                f"motia logs: the server on 127.0.0.1:{proxy.port} is stopping; "
                "following again once it is back (Ctrl-C to quit)\n"
            )
            eventually(lambda: told.count(stopping) == stop and len(proxy.attempts) > before, timeout=30)  # noqa: B023
            gate.touch()
            server.stop()  # waits for the slow request, which logs as it ends
            late.join(30)
            time.sleep(away_s)
            # The follower's tries while the server stopped and was away: its health, once each
            # retry: delay (the stream the stop ended was not asked for again)
            reconnects = proxy.attempts[before:]
            gaps = [later - earlier for earlier, later in itertools.pairwise(reconnects)]
            assert reconnects and all(gap >= 1.9 for gap in gaps), gaps
            assert [line for line in told if "stopping" in line] == [stopping] * stop, "".join(told)

            server = MotiaServer(project, port=server.port).wait_ready()
            assert server.client.post("/say", json={"what": f"after restart {stop}"}).status_code == 200
            eventually(lambda: f"said after restart {stop}" in said(), timeout=30)  # noqa: B023
        assert said() == [
            "said before stop 1",
            "said late 1",
            "said after restart 1",
            "said before stop 2",
            "said late 2",
            "said after restart 2",
        ]
        assert follower.poll() is None
    finally:
        server.stop()
        follower.terminate()
        follower.wait(10)
        for reader in readers:
            reader.join(5)
        assert follower.stdout is not None and follower.stderr is not None
        follower.stdout.close()
        follower.stderr.close()
        proxy.close()


def test_a_runner_gone_since_its_lines_were_recorded_still_filters_them(tmp_path: Path) -> None:
    """A runner filter naming a runner no longer running (a spare stopped, a larger pool of a former
    run) finds the lines it recorded; one that names no runner, running, to come or recorded, is a
    404."""
    project = write_project(tmp_path, {"steps/hello.step.js": HELLO_STEP})
    at = time.time() - 60
    recorded = [log_line(at, "from a spare") | {"runner": "node-spare-0"}, log_line(at + 1, "the core's")]
    _write_trace_store(project / ".motia" / "traces.db", Batch(logs=recorded))
    with MotiaServer(project) as server:
        for runner in ("node-spare-0", "node-spare"):
            found = server.client.get("/__motia/logs", params={"runner": runner})
            assert found.status_code == 200, found.text
            assert [line["message"] for line in found.json()["logs"]] == ["from a spare"]
        # node-spare-1 can still start (two spares by default): a spare no project of two can have
        gone = server.client.get("/__motia/logs", params={"runner": "node-spare-2"})
        assert gone.status_code == 404 and "no runner named 'node-spare-2'" in gone.text, gone.text


def test_logs_of_a_trace_never_recorded_are_refused_as_motia_traces_refuses_it(tmp_path: Path) -> None:
    """``motia logs --trace PART`` naming no recorded trace says so on stderr and exits 1, the words
    and status of ``motia traces PART`` (it printed nothing and exited 0); lines kept of a trace
    pruned before them are still printed."""
    project = write_project(tmp_path, {"steps/hello.step.js": HELLO_STEP})
    pruned = "01900000-0000-7000-8000-000000000001"  # its trace gone, a line of it kept
    recorded = [log_line(time.time() - 60, "outlived its trace", trace=pruned)]
    _write_trace_store(project / ".motia" / "traces.db", Batch(logs=recorded))
    with MotiaServer(project) as server:
        for part in ("zzzzzzzz", "01900000-0000-7000-8000-00000000000f"):
            traces, logs = motia(server, "traces", part), motia(server, "logs", "--trace", part)
            assert traces.returncode == logs.returncode == 1 and logs.stdout == ""
            assert (
                traces.stderr
                == f"motia traces: no trace {part!r} (never recorded, or older than the retention)\n"
            )
            assert logs.stderr == traces.stderr.replace("motia traces", "motia logs", 1)
        kept = motia(server, "logs", "--trace", pruned)
        assert kept.returncode == 0, kept.stderr
        assert "outlived its trace" in kept.stdout and kept.stderr == ""


def test_tracing_off_records_nothing_and_says_how_to_turn_it_on(tmp_path: Path) -> None:
    project = write_project(
        tmp_path, {name: FILES[name] for name in ("steps/create.step.ts", "steps/orders.stream.ts")}
    )
    with MotiaServer(project, env={"MOTIA_TRACING": "false"}) as server:
        server.client.post("/orders", json={"n": 1})
        response = server.client.get("/__motia/traces")
        assert response.status_code == 404
        assert "tracing" in response.json()["message"]
        assert server.client.get("/__motia/state").status_code == 200  # the rest still answers
        for command in (("traces",), ("logs", "-n", "0", "--follow")):  # the list, the live stream
            done = motia(server, *command)
            # said at once, as the server's refusal (not retried for 10 s as a server out of reach)
            assert done.returncode == 1 and "cannot reach" not in done.stderr, done.stderr
            assert "tracing" in done.stderr, done.stderr


# A handler that stores, then logs, over and over: in its trace each line must come after the store
# before it and before the next, as the handler ran them, and after the start of the step's span.
ORDERED_STEPS = {
    "steps/ordered.step.ts": """
        export const config = { type: 'api', name: 'TsOrdered', path: '/ts/ordered', method: 'POST', emits: [] }
        export const handler = async (_req: unknown, { state, logger }: any) => {
          logger.info('started')
          for (let i = 0; i < 30; i++) {
            await state.set('ordered', `k${i}`, i)
            logger.info(`stored ${i}`)
          }
          return { status: 200, body: {} }
        }
    """,
    "steps/ordered.step.js": """
        exports.config = { type: 'api', name: 'JsOrdered', path: '/js/ordered', method: 'POST', emits: [] }
        exports.handler = async (_req, { state, logger }) => {
          logger.info('started')
          for (let i = 0; i < 30; i++) {
            await state.set('ordered', `k${i}`, i)
            logger.info(`stored ${i}`)
          }
          return { status: 200, body: {} }
        }
    """,
    "steps/ordered_step.py": """
        config = {"type": "api", "name": "PyOrdered", "path": "/py/ordered", "method": "POST", "emits": []}

        async def handler(req, ctx):
            ctx.logger.info("started")
            for i in range(30):
                await ctx.state.set("ordered", f"k{i}", i)
                ctx.logger.info(f"stored {i}")
            return {"status": 200, "body": {}}
    """,
}


@pytest.fixture(scope="module")
def ordered_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    with MotiaServer(write_project(tmp_path_factory.mktemp("ordered"), ORDERED_STEPS)) as running:
        yield running


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_steps_log_lines_and_state_calls_are_in_its_trace_in_the_order_it_made_them(
    ordered_server: MotiaServer, lang: str
) -> None:
    response = ordered_server.client.post(f"/{lang}/ordered", json={})
    assert response.status_code == 200, response.text
    trace = finished_trace(ordered_server, response.headers["x-trace-id"], spans=1)
    (span,) = trace["spans"]
    mine = [e for e in trace["events"] if e["type"] in ("state", "log") and e.get("spanId") == span["spanId"]]
    assert [e["time"] for e in mine] == sorted(e["time"] for e in mine)  # listed as they happened
    made = ["log started"] + [made for i in range(30) for made in (f"state k{i}", f"log stored {i}")]
    seen = [f"log {e['message']}" if e["type"] == "log" else f"state {e['key']}" for e in mine]
    assert seen == made
    assert mine[0]["time"] >= span["startedAt"]  # the first line once the step started, not before


def test_motia_traces_shows_offsets_from_one_second_on_in_seconds() -> None:
    span = {
        "step": "Retry",
        "type": "event",
        "topic": "t",
        "language": "typescript",
        "runner": "node-0",
        "pid": 7,
        "attempt": 4,
        "startedAt": 1000.0 + 432674.3,  # a dead letter replayed seven minutes after the trace began
        "durationMs": 3.5,
        "status": "ok",
        "error": None,
    }
    logs = [
        {"type": "log", "time": 1000.0 + at, "step": "Retry", "level": "info", "message": f"at {at}"}
        for at in (999.94, 1000.0, 432675.0)
    ]
    trace = {
        "traceId": "t1",
        "status": "ok",
        "entry": None,
        "durationMs": 432678.5,
        "startedAt": 1000.0,
        "steps": [{"name": "Retry", "language": "typescript"}],
        "spans": [span],
        "events": logs,
    }

    assert describe(trace)[3:] == [
        "   +999.9 ms      [Retry] INFO at 999.94",
        "    +1.000 s      [Retry] INFO at 1000.0",
        "  +432.674 s  Retry [event <- t] typescript, node-0 pid 7  attempt 4  3.5 ms  ok",
        "  +432.675 s      [Retry] INFO at 432675.0",
    ]
