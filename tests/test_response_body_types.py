"""What an api step's answer looks like on the wire for each kind of body it returns (string, number,
boolean, null, object), with and without its own ``content-type``, in TypeScript, JavaScript and Python
alike; as Motia 0.17 answers (Express 4: ``res.send`` for a string, ``res.json`` for the rest, after
the handler's headers, packages/core/src/server.ts), except where the README's compatibility table
says why not: a string without a type is ``text/plain`` (Motia: ``text/html``), and JSON's own type
carries no charset, a handler's ``null`` header is not sent and its ``content-length`` is not kept. A
handler that returns no ``body`` at all is answered as ``res.json(undefined)`` answers: the JSON type over
no bytes (Content-Length 0), none of it on a 204; a 205 sends no body, and an answer without a status
is a 500, as in Motia."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

BODIES = {"string": "h\u00e9 {}", "number": 42, "boolean": False, "null": None, "object": {"a": [1, "two"]}}

FILES = {
    "steps/answer.step.ts": """
        export const config = { type: 'api', name: 'AnswerTs', path: '/ts/answer', method: 'GET', emits: [] }
        const BODIES: Record<string, unknown> = {
          string: 'h\\u00e9 {}', number: 42, boolean: false, null: null, object: { a: [1, 'two'] },
        }
        export const handler = async (req: any) => {
          const type = req.queryParams.type
          return { status: 200, headers: type ? { 'content-type': type } : {}, body: BODIES[req.queryParams.kind] }
        }
    """,
    "steps/answer.step.js": """
        exports.config = { type: 'api', name: 'AnswerJs', path: '/js/answer', method: 'GET', emits: [] }
        const BODIES = { string: 'h\\u00e9 {}', number: 42, boolean: false, null: null, object: { a: [1, 'two'] } }
        exports.handler = async (req) => {
          const type = req.queryParams.type
          return { status: 200, headers: type ? { 'content-type': type } : {}, body: BODIES[req.queryParams.kind] }
        }
    """,
    "steps/answer_step.py": """
        config = {"type": "api", "name": "AnswerPy", "path": "/py/answer", "method": "GET", "emits": []}
        BODIES = {"string": "h\\u00e9 {}", "number": 42, "boolean": False, "null": None, "object": {"a": [1, "two"]}}
        async def handler(req, context):
            kind, type = req["queryParams"]["kind"], req["queryParams"].get("type")
            return {"status": 200, "headers": {"content-type": type} if type else {}, "body": BODIES[kind]}
    """,
    "steps/silent.step.ts": """
        export const config = { type: 'api', name: 'SilentTs', path: '/ts/silent', method: 'GET', emits: [] }
        export const handler = async (req: any) => {
          const type = req.queryParams.type
          return { status: Number(req.queryParams.status), headers: type ? { 'content-type': type } : {} }
        }
    """,
    "steps/silent.step.js": """
        exports.config = { type: 'api', name: 'SilentJs', path: '/js/silent', method: 'GET', emits: [] }
        exports.handler = async (req) => {
          const type = req.queryParams.type
          return { status: Number(req.queryParams.status), headers: type ? { 'content-type': type } : {} }
        }
    """,
    "steps/silent_step.py": """
        config = {"type": "api", "name": "SilentPy", "path": "/py/silent", "method": "GET", "emits": []}
        async def handler(req, context):
            status, type = int(req["queryParams"]["status"]), req["queryParams"].get("type")
            return {"status": status, "headers": {"content-type": type} if type else {}}
    """,
    "steps/shaped.step.ts": """
        export const config = { type: 'api', name: 'ShapedTs', path: '/ts/shaped/:shape', method: 'GET', emits: [] }
        const SHAPES: Record<string, unknown> = {
          reset: { status: 205, body: { a: 1 } }, statusless: { body: { a: 1 } }, beyond: { status: 600, body: {} },
          framed: { status: 200, headers: { 'Content-Length': '99', 'x-nothing': null } },
        }
        export const handler = async (req: any) => SHAPES[req.pathParams.shape]
    """,
    "steps/shaped.step.js": """
        exports.config = { type: 'api', name: 'ShapedJs', path: '/js/shaped/:shape', method: 'GET', emits: [] }
        const SHAPES = {
          reset: { status: 205, body: { a: 1 } }, statusless: { body: { a: 1 } }, beyond: { status: 600, body: {} },
          framed: { status: 200, headers: { 'Content-Length': '99', 'x-nothing': null } },
        }
        exports.handler = async (req) => SHAPES[req.pathParams.shape]
    """,
    "steps/shaped_step.py": """
        config = {"type": "api", "name": "ShapedPy", "path": "/py/shaped/:shape", "method": "GET", "emits": []}
        SHAPES = {
            "reset": {"status": 205, "body": {"a": 1}},
            "statusless": {"body": {"a": 1}},
            "beyond": {"status": 600, "body": {}},
            "framed": {"status": 200, "headers": {"Content-Length": "99", "x-nothing": None}},
        }
        async def handler(req, context):
            return SHAPES[req["pathParams"]["shape"]]
    """,
}

# body kind -> the bytes sent: a string as it is, anything else as JSON text
SENT = {
    "string": "h\u00e9 {}".encode(),
    "number": b"42",
    "boolean": b"false",
    "null": b"null",
    "object": b'{"a":[1,"two"]}',
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = write_project(tmp_path_factory.mktemp("answers"), FILES)
    with MotiaServer(project) as running:
        yield running


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
@pytest.mark.parametrize("kind", list(BODIES))
@pytest.mark.parametrize(
    ("declared", "sent_type"),
    [
        (None, None),  # the body's own: text/plain for a string, application/json for the rest
        ("text/csv", "text/csv; charset=utf-8"),
        ("application/json", "application/json; charset=utf-8"),
        ("text/plain; charset=latin1", "text/plain; charset=utf-8"),  # the bytes are UTF-8
    ],
)
def test_a_response_body_is_sent_as_express_sends_it(
    server: MotiaServer, lang: str, kind: str, declared: str | None, sent_type: str | None
) -> None:
    params = {"kind": kind, **({"type": declared} if declared else {})}
    response = server.client.get(f"/{lang}/answer", params=params)
    assert response.status_code == 200, response.text
    default = "text/plain; charset=utf-8" if kind == "string" else "application/json"
    assert response.headers.get_list("content-type") == [sent_type or default]
    assert response.content == SENT[kind]


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
@pytest.mark.parametrize(
    ("status", "declared", "sent_type", "sent_length"),
    [
        (200, None, "application/json", "0"),  # res.json(undefined): its type, no bytes
        (200, "text/csv", "text/csv", "0"),  # the handler's own, without a charset: no text was sent
        (204, None, None, None),  # Express strips the type of a 204, and Node sends no length
        (204, "text/csv", None, None),
    ],
)
def test_a_response_without_a_body_is_sent_as_express_sends_res_json_of_undefined(
    server: MotiaServer,
    lang: str,
    status: int,
    declared: str | None,
    sent_type: str | None,
    sent_length: str | None,
) -> None:
    params = {"status": str(status), **({"type": declared} if declared else {})}
    response = server.client.get(f"/{lang}/silent", params=params)
    assert response.status_code == status, response.text
    assert response.headers.get_list("content-type") == ([sent_type] if sent_type else [])
    assert response.headers.get("content-length") == sent_length
    assert response.content == b""


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_205_sends_no_content_whatever_the_handler_returned(server: MotiaServer, lang: str) -> None:
    """RFC 9110 forbids content in a 205; Express 4 sends ``Content-Length: 0`` and keeps the type."""
    response = server.client.get(f"/{lang}/shaped/reset")
    assert response.status_code == 205
    assert response.headers.get("content-length") == "0"
    assert response.headers.get_list("content-type") == ["application/json"]
    assert response.content == b""


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
@pytest.mark.parametrize(
    ("shape", "named"),
    [
        ("statusless", "handler returned no status"),  # Node refuses res.statusCode undefined: a 500
        ("beyond", "handler returned an invalid status 600"),
    ],
)
def test_a_response_without_a_valid_status_is_a_500_naming_what_was_returned(
    server: MotiaServer, lang: str, shape: str, named: str
) -> None:
    response = server.client.get(f"/{lang}/shaped/{shape}")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "Internal server error"
    assert named in body["message"]  # motia dev says why in the body; the log always does


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_handlers_null_header_is_not_sent_and_its_content_length_gives_way_to_the_real_one(
    server: MotiaServer, lang: str
) -> None:
    """Where Motia differs (README): Node sends ``x-nothing: null`` and the handler's length, which
    promises 99 bytes of a body that has none."""
    response = server.client.get(f"/{lang}/shaped/framed")
    assert response.status_code == 200
    assert response.headers.get_list("content-length") == ["0"]
    assert "x-nothing" not in response.headers
    assert response.content == b""
