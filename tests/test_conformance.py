"""Every behaviour of a step, defined once and run against TS, JS and Python fixtures.

The fixtures in ``tests/fixtures/conformance/steps/{ts,js,py}`` are the same steps
written in each language; every test here is parametrized over the language and
asserts the same thing for each.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from functools import partial
from typing import Any

import h11
import httpx
import psutil
import pytest

from supervisor.storage import MAX_JSON_DEPTH, MAX_WRITABLE_JSON_DEPTH
from tests.conftest import LANGUAGES, TRANSPORTS, serving_conformance
from tests.support.raw_http import read_response
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=TRANSPORTS)
def conformance_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MotiaServer]:
    """The conformance server, once per transport: every behaviour here holds whether the steps run in
    the supervisor's own runners (stdio) or in runners started by hand that attached over gRPC."""
    with serving_conformance(tmp_path_factory.mktemp("conformance"), request.param) as server:
        yield server


lang_param = pytest.mark.parametrize("lang", LANGUAGES)


def state_get(server: MotiaServer, lang: str, group: str, key: str) -> Any:
    response = server.client.get(f"/{lang}/state/{group}/{key}")
    assert response.status_code == 200, response.text
    return response.json()["value"]


def emit(server: MotiaServer, lang: str, topic: str, data: Any) -> str:
    response = server.client.post(f"/{lang}/emit", json={"topic": topic, "data": data})
    assert response.status_code == 200, response.text
    trace_id: str = response.json()["traceId"]
    return trace_id


def logs_for(server: MotiaServer, trace_id: str) -> list[dict[str, Any]]:
    return [record for record in server.json_logs() if record.get("traceId") == trace_id]


def logged_error(server: MotiaServer, error_id: str) -> dict[str, Any]:
    """The log record of the 500 whose body carried ``error_id`` (it may be written just after)."""

    def logged() -> dict[str, Any]:
        matches = [r for r in server.json_logs() if (r.get("meta") or {}).get("errorId") == error_id]
        assert matches
        return matches[0]

    record: dict[str, Any] = eventually(logged)
    return record


# ---------------------------------------------------------------- api steps


@lang_param
def test_api_step_receives_params_query_body_headers_and_sets_status(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.post(
        f"/{lang}/echo/abc-1?page=2&tag=a&tag=b",
        json={"name": "Rex", "count": 3},
        headers={"x-test": "yes"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-step"] == f"{lang.capitalize()}Echo"
    body = response.json()
    assert body["id"] == "abc-1"
    assert body["query"] == {"page": "2", "tag": ["a", "b"]}
    assert body["body"] == {"name": "Rex", "count": 3}
    assert body["header"] == "yes"
    assert body["traceId"] == response.headers["x-trace-id"]


@lang_param
def test_body_schema_is_not_enforced_by_default_the_handler_gets_the_body(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.post(f"/{lang}/echo/1", json={"count": -1})
    assert response.status_code == 201, response.text  # as in Motia: bodySchema documents, it does not check
    assert response.json()["body"] == {"count": -1}


@lang_param
def test_a_handlers_own_validation_answer_reaches_the_client(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.post(f"/{lang}/signup", json={"email": "not an email", "age": 7})
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "Invalid signup", "details": ["email", "age"]}
    accepted = conformance_server.client.post(f"/{lang}/signup", json={"email": "a@b.io", "age": 30})
    assert accepted.status_code == 201, accepted.text


@lang_param
def test_a_step_that_turns_validation_on_gets_a_400_with_every_failing_field(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.post(f"/{lang}/strict", json={"count": -1})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Validation failed"
    assert {error["field"] for error in body["errors"]} == {"name", "count"}
    accepted = conformance_server.client.post(f"/{lang}/strict", json={"name": "Rex", "count": 1})
    assert accepted.status_code == 201, accepted.text


@lang_param
def test_middleware_answers_before_body_validation(conformance_server: MotiaServer, lang: str) -> None:
    response = conformance_server.client.post(f"/{lang}/guarded", json={"name": 5})
    assert response.status_code == 401, response.text  # the middleware's answer, not our 400
    assert response.json() == {"error": "Unauthorized"}


@lang_param
def test_body_validation_runs_after_the_middleware_chain_on_the_body_it_left(
    conformance_server: MotiaServer, lang: str
) -> None:
    auth = {"authorization": "Bearer letmein"}
    rejected = conformance_server.client.post(f"/{lang}/guarded", json={"name": 5}, headers=auth)
    assert rejected.status_code == 400, rejected.text
    assert {error["field"] for error in rejected.json()["errors"]} == {"name"}  # count was filled in
    assert rejected.headers["x-after-validation"] == "seen"  # the 400 went back up through the middleware
    accepted = conformance_server.client.post(f"/{lang}/guarded", json={"name": "Rex"}, headers=auth)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json() == {"received": {"name": "Rex", "count": 0}}


@lang_param
def test_malformed_json_is_a_400_naming_the_parse_error(conformance_server: MotiaServer, lang: str) -> None:
    response = conformance_server.client.post(
        f"/{lang}/echo/1", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


@lang_param
def test_paths_match_whatever_their_case_as_in_express(conformance_server: MotiaServer, lang: str) -> None:
    response = conformance_server.client.post(f"/{lang.upper()}/Request/AbC", json={})
    assert response.status_code == 200, response.text
    assert response.json()["pathParams"] == {"id": "AbC"}


@lang_param
def test_ctx_flows_is_the_steps_flows(conformance_server: MotiaServer, lang: str) -> None:
    response = conformance_server.client.get(f"/{lang}/flows")
    assert response.status_code == 200, response.text
    assert response.json()["flows"] == ["pets", "onboarding"]


def test_unknown_path_is_a_json_404(conformance_server: MotiaServer) -> None:
    response = conformance_server.client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"


@lang_param
def test_known_path_with_wrong_method_is_a_405_with_allow(conformance_server: MotiaServer, lang: str) -> None:
    response = conformance_server.client.patch(f"/{lang}/echo/1", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@lang_param
def test_handler_exception_is_a_500_with_an_error_id_that_is_in_the_log(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.get(f"/{lang}/throw")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "Internal server error"  # Motia's wording
    assert body["traceId"] == response.headers["x-trace-id"]
    assert "stack" not in body  # production mode keeps stacks in the log only
    record = logged_error(conformance_server, body["errorId"])
    assert record["step"] == f"{lang.capitalize()}Throw"
    assert f"boom from {lang}" in record["msg"]
    assert f"boom from {lang}" in record["meta"]["stack"]


# ---------------------------------------------------------------- the request and response objects

PIXEL = bytes([0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0xFE, 0x0A])


@lang_param
def test_request_fields_are_the_ones_motia_passes(conformance_server: MotiaServer, lang: str) -> None:
    form = "pet%5Bname%5D=Rex&pet[tags][]=a&pet[tags][]=b&note=caf%C3%A9+au+lait"
    response = conformance_server.client.post(
        f"/{lang}/request/a%2Fb%20c?f[x]=1&t=a&t=b&check=%E2%9C%93",
        content=form.encode(),
        headers=[
            ("content-type", "application/x-www-form-urlencoded"),
            ("X-Multi", "1"),
            ("X-Multi", "2"),
            ("Cookie", "a=1"),
            ("Cookie", "b=2"),
            ("Authorization", "Bearer first"),
            ("Authorization", "Bearer second"),
        ],
    )
    assert response.status_code == 200, response.text
    req = response.json()
    assert req["body"] == {"pet": {"name": "Rex", "tags": ["a", "b"]}, "note": "café au lait"}
    assert req["rawBody"] == form  # the bytes as sent, before parsing
    headers = req["headers"]
    assert all(name == name.lower() for name in headers)
    assert headers["x-multi"] == "1, 2"  # as Node's req.headers joins them
    assert headers["cookie"] == "a=1; b=2"
    assert headers["authorization"] == "Bearer first"  # a header that cannot repeat keeps its first value
    assert req["pathParams"] == {"id": "a/b c"}  # matched on the path as sent, then decoded once
    assert req["queryParams"] == {"f": {"x": "1"}, "t": ["a", "b"], "check": "\u2713"}
    if lang == "py":
        assert req["aliases"] == {
            "raw_body": req["rawBody"],
            "path_params": req["pathParams"],
            "query_params": req["queryParams"],
        }


@lang_param
def test_raw_body_is_the_exact_json_text_beside_the_parsed_body(
    conformance_server: MotiaServer, lang: str
) -> None:
    text = '{"b": 1,   "a" : [1, 2.50],\n "s": "\\u00e9"}'
    response = conformance_server.client.post(
        f"/{lang}/request/1", content=text.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["rawBody"] == text
    assert response.json()["body"] == {"b": 1, "a": [1, 2.5], "s": "\u00e9"}


@lang_param
@pytest.mark.parametrize(
    ("kind", "content_type", "content"),
    [
        ("text", "text/plain; charset=utf-8", b"plain text"),
        ("html", "text/html; charset=utf-8", b"<p>hi</p>"),
        ("json", "application/json", b'{"a":[1,"two"]}'),
        ("binary", "image/png", PIXEL),  # a Buffer / bytes body, sent as the bytes it is
        ("octets", "application/octet-stream", PIXEL),
    ],
)
def test_response_bodies_go_out_in_the_form_the_handler_returned(
    conformance_server: MotiaServer, lang: str, kind: str, content_type: str, content: bytes
) -> None:
    response = conformance_server.client.get(f"/{lang}/respond/{kind}")
    assert response.status_code == 200, response.text
    assert response.headers.get_list("content-type") == [content_type]
    assert response.content == content
    assert response.headers["content-length"] == str(len(content))


@lang_param
def test_a_header_with_several_values_is_sent_once_per_value(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.get(f"/{lang}/respond/multi-header")
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["x-count"] == "3"


@lang_param
def test_a_trace_id_header_the_handler_sets_is_sent_once(conformance_server: MotiaServer, lang: str) -> None:
    """Motia's examples set ``'X-Trace-ID': traceId`` in their middleware (ai-app-generator); the
    server adds its own only when the answer has none, or a client reads "id, id"."""
    response = conformance_server.client.get(f"/{lang}/respond/own-trace-id")
    assert response.status_code == 200, response.text
    assert response.headers.get_list("x-trace-id") == [response.json()["traceId"]]


@lang_param
@pytest.mark.parametrize(("kind", "status"), [("no-content", 204), ("not-modified", 304)])
def test_204_and_304_carry_no_body_and_no_length(
    conformance_server: MotiaServer, lang: str, kind: str, status: int
) -> None:
    # h11 checks the framing byte for byte; the second request on the same connection would
    # fail to parse if the bodyless response had sent any body.
    connection = h11.Connection(h11.CLIENT)
    with socket.create_connection(("127.0.0.1", conformance_server.port), timeout=10) as sock:
        responses = []
        for target in (f"/{lang}/respond/{kind}", f"/{lang}/respond/json"):
            request = h11.Request(method="GET", target=target, headers=[("host", "127.0.0.1")])
            sock.sendall(connection.send(request) + connection.send(h11.EndOfMessage()))
            head, body = read_response(connection, sock)
            responses.append((head, body))
            connection.start_next_cycle()
    (head, body), (after, after_body) = responses
    assert head.status_code == status
    names = {name.decode() for name, _ in head.headers}
    assert "content-length" not in names and "transfer-encoding" not in names and "content-type" not in names
    assert body == b""
    assert after.status_code == 200 and after_body == b'{"a":[1,"two"]}'


# ---------------------------------------------------------------- events


@lang_param
def test_emit_reaches_the_subscriber_under_the_same_trace(conformance_server: MotiaServer, lang: str) -> None:
    trace_id = emit(conformance_server, lang, f"{lang}.record", {"n": 1})
    record = eventually(lambda: state_get(conformance_server, lang, "records", f"{trace_id}:{lang}"))
    assert record == {"data": {"n": 1}, "traceId": trace_id, "lang": lang}


@lang_param
def test_emit_fans_out_to_subscribers_in_every_language(conformance_server: MotiaServer, lang: str) -> None:
    trace_id = emit(conformance_server, lang, "shared.record", {"from": lang})
    for reader in LANGUAGES:
        record = eventually(partial(state_get, conformance_server, lang, "records", f"{trace_id}:{reader}"))
        assert record == {"data": {"from": lang}, "traceId": trace_id, "lang": reader}


@lang_param
def test_emit_of_an_undeclared_topic_is_not_delivered_and_warns(
    conformance_server: MotiaServer, lang: str
) -> None:
    trace_id = emit(conformance_server, lang, "undeclared.topic", {})

    def warned() -> dict[str, Any]:
        matches = [r for r in logs_for(conformance_server, trace_id) if r["level"] == "warn"]
        assert matches
        return matches[0]

    record = eventually(warned)
    assert "undeclared.topic" in record["msg"]
    assert record["step"] == f"{lang.capitalize()}Emit"
    assert f"{lang}.record" in record["msg"]


@lang_param
def test_a_step_with_an_empty_emits_list_may_emit_any_topic(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.post(
        f"/{lang}/open-emit", json={"topic": f"{lang}.record", "data": {"open": True}}
    )
    assert response.status_code == 200, response.text
    trace_id = response.json()["traceId"]
    record = eventually(lambda: state_get(conformance_server, lang, "records", f"{trace_id}:{lang}"))
    assert record == {"data": {"open": True}, "traceId": trace_id, "lang": lang}
    assert not [r for r in logs_for(conformance_server, trace_id) if r["level"] == "warn"]


@lang_param
def test_work_a_handler_leaves_running_still_emits_under_its_trace(
    conformance_server: MotiaServer, lang: str
) -> None:
    response = conformance_server.client.post(f"/{lang}/delayed")
    assert response.status_code == 202
    trace_id = response.json()["traceId"]
    record = eventually(
        lambda: state_get(conformance_server, lang, "records", f"{trace_id}:{lang}"), timeout=20
    )
    assert record == {"data": {"delayed": True}, "traceId": trace_id, "lang": lang}


@lang_param
def test_failing_handler_is_retried_until_it_succeeds(conformance_server: MotiaServer, lang: str) -> None:
    trace_id = emit(conformance_server, lang, f"{lang}.flaky", {})
    record = eventually(lambda: state_get(conformance_server, lang, "records", f"{trace_id}:{lang}:flaky"))
    assert record == {"attempts": 3}


def dead_letters(server: MotiaServer, trace_id: str) -> list[dict[str, Any]]:
    response = server.client.get("/__motia/dead-letters")
    assert response.status_code == 200
    return [entry for entry in response.json()["deadLetters"] if entry["traceId"] == trace_id]


@lang_param
def test_handler_failing_every_retry_is_dead_lettered_with_its_last_error(
    conformance_server: MotiaServer, lang: str
) -> None:
    trace_id = emit(conformance_server, lang, f"{lang}.fail", {"x": 1})
    entry = eventually(lambda: dead_letters(conformance_server, trace_id))[0]
    assert entry["subscriber"] == f"{lang.capitalize()}AlwaysFails"
    assert entry["topic"] == f"{lang}.fail"
    assert "always fails (attempt 3)" in entry["error"]
    assert state_get(conformance_server, lang, "fails", trace_id) == 3  # 1 try + maxRetries 2


@lang_param
def test_event_failing_the_input_schema_warns_with_the_failing_fields_and_still_runs(
    conformance_server: MotiaServer, lang: str
) -> None:
    trace_id = emit(conformance_server, lang, f"{lang}.validated", {"amount": "not a number"})
    ran = eventually(lambda: state_get(conformance_server, lang, "validated", trace_id))
    assert ran == {"amount": "not a number"}  # as in Motia: the handler runs

    def warned() -> dict[str, Any]:
        matches = [r for r in logs_for(conformance_server, trace_id) if r["level"] == "warn"]
        assert matches
        return matches[0]

    warning = eventually(warned)
    assert warning["step"] == f"{lang.capitalize()}Validated"
    assert f"{lang}.validated" in warning["msg"] and "amount" in warning["msg"]
    assert [error["field"] for error in warning["meta"]["errors"]] == ["amount"]
    assert dead_letters(conformance_server, trace_id) == []


@lang_param
def test_a_step_in_strict_input_mode_dead_letters_an_event_failing_its_schema(
    conformance_server: MotiaServer, lang: str
) -> None:
    trace_id = emit(conformance_server, lang, f"{lang}.strict-input", {"amount": "not a number"})
    entry = eventually(lambda: dead_letters(conformance_server, trace_id))[0]
    assert entry["subscriber"] == f"{lang.capitalize()}StrictInput"
    assert "amount" in entry["error"]
    assert state_get(conformance_server, lang, "strict-input", trace_id) is None

    good = emit(conformance_server, lang, f"{lang}.strict-input", {"amount": 5})
    assert eventually(lambda: state_get(conformance_server, lang, "strict-input", good)) == {"amount": 5}


@lang_param
def test_emit_to_a_fifo_subscriber_without_a_message_group_is_refused(
    conformance_server: MotiaServer, lang: str
) -> None:
    client = conformance_server.client
    step = f"{lang.capitalize()}Ordered"
    for body in ({"data": {"n": 0}}, {"data": {"n": 0}, "group": ""}, {"data": {"n": 0}, "group": 7}):
        response = client.post(f"/{lang}/fifo-emit", json=body)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert f"topic '{lang}.ordered' has FIFO subscriber(s) {step}" in error
        assert "emit it with a messageGroupId" in error
    refused = client.post("/__motia/emit", json={"topic": f"{lang}.ordered", "data": {}})
    assert refused.status_code == 400
    assert refused.json() == {"error": "Bad Request", "message": refused.json()["message"]}
    assert step in refused.json()["message"]

    accepted = client.post(f"/{lang}/fifo-emit", json={"data": {"n": 1}, "group": "pets"})
    assert accepted.status_code == 200, accepted.text
    trace_id = accepted.json()["traceId"]
    assert eventually(lambda: state_get(conformance_server, lang, "ordered", trace_id)) == {"n": 1}


def test_motia_emit_gives_a_fifo_topic_its_message_group_with_message_group_id(
    conformance_server: MotiaServer,
) -> None:
    """``motia emit`` to a topic with a FIFO subscriber: refused without a group, naming the flag that
    gives one; delivered with ``--message-group-id``."""

    def motia_emit(*extra: str) -> subprocess.CompletedProcess[str]:
        argv = motia_argv("emit", "--topic", "py.ordered", "--message", '{"n": 2}', *extra)
        return subprocess.run(
            [*argv, "-p", str(conformance_server.port)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = motia_emit()
    assert refused.returncode == 1
    assert refused.stderr.startswith("motia emit: topic 'py.ordered' has FIFO subscriber(s) PyOrdered"), (
        refused.stderr
    )
    assert refused.stderr.rstrip().endswith("; give it with --message-group-id ID"), refused.stderr
    sent = motia_emit("--message-group-id", "pets")
    assert sent.returncode == 0, sent.stderr
    trace_id = json.loads(sent.stdout)["traceId"]
    assert eventually(lambda: state_get(conformance_server, "py", "ordered", trace_id)) == {"n": 2}


# ---------------------------------------------------------------- state


@pytest.mark.parametrize("writer", LANGUAGES)
def test_state_written_in_one_language_is_read_in_every_other(
    conformance_server: MotiaServer, writer: str
) -> None:
    client = conformance_server.client
    group = f"shared-{writer}"
    value = {"from": writer, "list": [1, 2.5, "x", None, True], "nested": {"a": {"b": []}}}
    assert client.put(f"/{writer}/state/{group}/k1", json={"value": value}).json() == {"value": value}
    assert client.put(f"/{writer}/state/{group}/k2", json={"value": 42}).json() == {"value": 42}
    for reader in LANGUAGES:
        assert state_get(conformance_server, reader, group, "k1") == value
        assert client.get(f"/{reader}/state/{group}").json() == {"values": [value, 42]}
    assert client.delete(f"/{writer}/state/{group}/k2").json() == {"old": 42}
    assert client.delete(f"/{writer}/state/{group}/k2").json() == {"old": None}
    assert state_get(conformance_server, writer, group, "missing") is None
    response = client.delete(f"/{writer}/state/{group}")
    assert response.status_code == 204
    assert response.content == b""
    for reader in LANGUAGES:
        assert client.get(f"/{reader}/state/{group}").json() == {"values": []}


# ---------------------------------------------------------------- JSON depth


@lang_param
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300])
def test_a_handler_cannot_emit_or_store_json_nested_past_the_limit(
    conformance_server: MotiaServer, lang: str, depth: int
) -> None:
    refused = conformance_server.client.post(f"/{lang}/deep", json={"depth": depth})
    assert refused.status_code == 200, refused.text
    limit = f"nested too deeply (limit {MAX_JSON_DEPTH})"
    assert refused.json() == {
        "emit": f"emit: data {limit}",
        "state": f"state.set: value {limit}",
        "stream": f"streams.set: data {limit}",
    }
    accepted = conformance_server.client.post(f"/{lang}/deep", json={"depth": MAX_JSON_DEPTH})
    assert accepted.json() == {"emit": None, "state": None, "stream": None}


@lang_param
def test_a_response_body_too_deep_to_write_is_a_500_naming_the_cause(
    conformance_server: MotiaServer, lang: str
) -> None:
    deepest = conformance_server.client.post(
        f"/{lang}/deep", json={"depth": MAX_WRITABLE_JSON_DEPTH, "respond": True}
    )
    assert deepest.status_code == 200, deepest.text  # answered, never kept: only orjson's writer limits it
    response = conformance_server.client.post(
        f"/{lang}/deep", json={"depth": MAX_WRITABLE_JSON_DEPTH + 1, "respond": True}
    )
    assert response.status_code == 500
    error_id = response.json()["errorId"]
    record = logged_error(conformance_server, error_id)
    assert f"nested too deeply to send (limit {MAX_WRITABLE_JSON_DEPTH})" in record["msg"]


# ---------------------------------------------------------------- cron


@lang_param
def test_cron_step_fires_on_its_schedule(conformance_server: MotiaServer, lang: str) -> None:
    first = eventually(lambda: state_get(conformance_server, lang, "cron", lang), timeout=30)
    later = eventually(
        lambda: (
            (value := state_get(conformance_server, lang, "cron", lang))
            and value["count"] > first["count"]
            and value
        ),
        timeout=30,
    )
    assert later["traceId"] != first["traceId"]  # every tick starts its own trace


@lang_param
def test_cron_step_can_be_run_on_demand_from_the_cli(conformance_server: MotiaServer, lang: str) -> None:
    import subprocess

    from tests.support.server import motia_argv

    name = f"{lang.capitalize()}ManualCron"
    done = subprocess.run(
        motia_argv("cron", "run", name, "--wait", "-p", str(conformance_server.port)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert state_get(conformance_server, lang, "manual-cron", lang)["ran"] is True


# ---------------------------------------------------------------- streams


def marked(lang: str, group: str, item: dict[str, Any]) -> dict[str, Any]:
    """An item as a handler gets it: with Motia's ``__motia`` marker naming where it lives."""
    where = {"type": "state-stream", "streamName": f"{lang}Items", "groupId": group, "id": item["id"]}
    return {**item, "__motia": where}


@lang_param
def test_stream_set_returns_the_item_and_get_reads_it_back(
    conformance_server: MotiaServer, lang: str
) -> None:
    client = conformance_server.client
    group = f"room-{lang}"
    created = client.post(f"/{lang}/items/{group}/a", json={"title": "first"})
    assert created.status_code == 200
    assert created.json() == marked(lang, group, {"title": "first", "id": "a"})
    # an item read back (marker and all) and written again is stored without the marker
    client.post(f"/{lang}/items/{group}/b", json=marked(lang, group, {"title": "second", "id": "b"}))
    read = client.get(f"/{lang}/items/{group}/a").json()
    assert read["item"] == marked(lang, group, {"title": "first", "id": "a"})
    assert read["group"] == [
        marked(lang, group, {"title": "first", "id": "a"}),
        marked(lang, group, {"title": "second", "id": "b"}),
    ]
    assert client.get(f"/{lang}/items/{group}/zzz").json()["item"] is None
    # stream clients get the items as stored, without the marker (as Motia's socket strips it)
    stored = client.get(f"/__motia/streams/{lang}Items/{group}").json()
    assert stored == [{"title": "first", "id": "a"}, {"title": "second", "id": "b"}]


# ---------------------------------------------------------------- logs


@lang_param
def test_logger_and_console_output_become_tagged_log_lines(
    conformance_server: MotiaServer, lang: str
) -> None:
    trace_id = conformance_server.client.get(f"/{lang}/log").json()["traceId"]

    def lines() -> list[dict[str, Any]]:
        found = logs_for(conformance_server, trace_id)
        assert {"hello from " + lang, "careful from " + lang, "printed from " + lang} <= {
            r["msg"] for r in found
        }
        return found

    by_message = {record["msg"]: record for record in eventually(lines)}
    info = by_message[f"hello from {lang}"]
    assert info["level"] == "info"
    assert info["step"] == f"{lang.capitalize()}Log"
    assert info["meta"] == {"lang": lang}
    assert by_message[f"careful from {lang}"]["level"] == "warn"
    assert by_message[f"printed from {lang}"]["step"] == f"{lang.capitalize()}Log"


def test_cli_emit_posts_an_event_to_the_running_server(conformance_server: MotiaServer) -> None:
    import subprocess

    from tests.support.server import motia_argv

    done = subprocess.run(
        motia_argv(
            "emit",
            "--topic",
            "shared.record",
            "--message",
            '{"cli": true}',
            "-p",
            str(conformance_server.port),
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    import json

    trace_id = json.loads(done.stdout)["traceId"]
    for reader in LANGUAGES:
        record = eventually(partial(state_get, conformance_server, reader, "records", f"{trace_id}:{reader}"))
        assert record["data"] == {"cli": True}


def test_health_endpoint_counts_loaded_steps(conformance_server: MotiaServer) -> None:
    assert httpx.get(f"{conformance_server.url}/__motia/health").json()["status"] == "ok"


def test_health_shows_each_runner_with_its_pid_uptime_memory_and_work(
    conformance_server: MotiaServer,
) -> None:
    runners = conformance_server.client.get("/__motia/health").json()["runners"]
    for kind in ("node", "python"):
        (process,) = runners[kind]["processes"]
        assert process["id"] == f"{kind}-0" and process["kind"] == kind
        assert process["pid"] == runners[kind]["pids"][0] and psutil.pid_exists(process["pid"])
        assert process["uptimeSeconds"] > 0 and process["memoryMb"] > 1
        # the one runner of its pool: the pool's counts are its own (events of earlier tests may run)
        assert process["restarts"] == runners[kind]["restarts"]
        assert isinstance(process["inFlight"], int) and isinstance(process["stalled"], bool)
        assert process["transport"] == "stdio" and process["inspector"] is None


@lang_param
def test_head_answers_like_get_without_a_body(conformance_server: MotiaServer, lang: str) -> None:
    get = conformance_server.client.get(f"/{lang}/state/head/k")
    head = conformance_server.client.head(f"/{lang}/state/head/k")
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))


def test_body_over_the_limit_is_a_413(conformance_server: MotiaServer) -> None:
    response = conformance_server.client.post(
        "/ts/echo/1", content=b"x" * (33 * 1024 * 1024), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "Payload Too Large"


def test_post_emit_is_what_npx_motia_emit_sends(conformance_server: MotiaServer) -> None:
    response = conformance_server.client.post("/emit", json={"topic": "shared.record", "data": {"npx": True}})
    assert response.status_code == 200
    body = response.json()
    assert body["subscribers"] == len(LANGUAGES)
    for reader in LANGUAGES:
        record = eventually(
            partial(state_get, conformance_server, reader, "records", f"{body['traceId']}:{reader}")
        )
        assert record["data"] == {"npx": True}
