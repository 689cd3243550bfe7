"""Request bodies checked against ``bodySchema`` in the core only when the project or the step asks:
which setting wins, where the check runs (in the core, or after the middleware chain), and the
project-wide switch end to end in every language. The per-step behaviours (off by default, a
handler's own 400, middleware first) are in tests/test_conformance.py."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from supervisor.core import SchemaValidator, Step, build_registry
from supervisor.http._api_steps import run_api_step
from supervisor.protocol import InvokeResult, LoadedFile, LoadResult, TriggerKind
from supervisor.routing import Router
from supervisor.settings import CorsSettings
from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import REPO_ROOT, MotiaServer, motia_argv

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def _registry(project_default: bool, **step: Any) -> dict[str, Step]:
    config = {"type": "api", "name": "Create", "path": "/create", "method": "POST", "emits": [], **step}
    loaded = LoadResult(1, (LoadedFile("steps/create.step.ts", orjson.dumps(config)),), (), ())
    registry = build_registry({"node": loaded}, (), validate_body=project_default)
    assert registry.problems == []
    return registry.steps


@pytest.mark.parametrize(
    ("project_default", "step_setting", "validates"),
    [(False, None, False), (True, None, True), (True, False, False), (False, True, True)],
)
def test_a_steps_own_validate_body_overrides_the_project(
    project_default: bool, step_setting: bool | None, validates: bool
) -> None:
    extra = {} if step_setting is None else {"validateBody": step_setting}
    step = _registry(project_default, bodySchema=SCHEMA, **extra)["Create"]
    assert (step.body_validator is not None) is validates


def test_validate_body_without_a_body_schema_is_a_config_error_naming_the_field() -> None:
    config = {"type": "api", "name": "Create", "path": "/create", "method": "POST", "validateBody": True}
    loaded = LoadResult(1, (LoadedFile("steps/create.step.ts", orjson.dumps(config)),), (), ())
    registry = build_registry({"node": loaded}, ())
    assert registry.steps == {}
    [problem] = registry.problems
    assert problem.message.startswith("steps/create.step.ts: step \"Create\": field 'validateBody'")
    assert "no bodySchema" in problem.message


class _Invoker:
    """Records invocations; answers each with a 201."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.rejections: list[tuple[str, int, str]] = []
        self.parents: list[tuple[str | None, bool]] = []

    routes: Router[Step] = Router()
    api_timeout_s = 5.0
    expose_errors = False
    cors: CorsSettings | None = None
    unavailable: str | None = None

    async def invoke(
        self,
        step: Step,
        kind: TriggerKind,
        payload: bytes,
        trace_id: str,
        topic: str = "",
        timeout: float | None = None,
        *,
        parent_span_id: str | None = None,
        remote_parent: bool = False,
    ) -> InvokeResult:
        self.payloads.append(orjson.loads(payload))
        return InvokeResult(1, True, orjson.dumps({"status": 201, "body": {}}), None)

    def record_response(self, trace_id: str, step: Step, method: str, path: str, status: int) -> None:
        pass

    def record_rejection(
        self,
        step: Step,
        trace_id: str,
        method: str,
        path: str,
        status: int,
        reason: str,
        *,
        parent_span_id: str | None = None,
        remote_parent: bool = False,
    ) -> None:
        self.rejections.append((step.name, status, reason))
        self.parents.append((parent_span_id, remote_parent))


async def test_without_middleware_the_core_answers_the_400_without_running_the_step() -> None:
    step = _registry(True, bodySchema=SCHEMA)["Create"]
    invoker = _Invoker()
    response = await run_api_step(
        invoker, step, "POST", "/create", {}, [("content-type", "application/json")], "", b"{}"
    )
    assert response.status == 400
    assert invoker.payloads == []  # no runner hop
    [(step_name, status, reason)] = invoker.rejections  # for its trace and a log line
    assert (step_name, status) == ("Create", 400)
    assert reason.startswith("request body does not match the step's bodySchema: ") and "name" in reason


async def test_a_rejected_request_is_recorded_under_the_callers_traceparent_as_an_invoked_one_is() -> None:
    step = _registry(True, bodySchema=SCHEMA)["Create"]
    invoker = _Invoker()
    caller_trace, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    headers = [("content-type", "application/json"), ("traceparent", f"00-{caller_trace}-{caller_span}-01")]
    response = await run_api_step(invoker, step, "POST", "/create", {}, headers, "", b"{}")
    assert response.status == 400
    assert ("x-trace-id", caller_trace) in response.headers
    await run_api_step(invoker, step, "POST", "/create", {}, headers[:1], "", b"{}")  # no caller
    assert invoker.parents == [(caller_span, True), (None, False)]


async def test_with_middleware_the_runner_is_asked_to_validate_after_the_chain() -> None:
    step = _registry(True, bodySchema=SCHEMA, middleware=["auth"])["Create"]
    invoker = _Invoker()
    response = await run_api_step(
        invoker, step, "POST", "/create", {}, [("content-type", "application/json")], "", b"{}"
    )
    assert response.status == 201  # the middleware may answer first, or change the body
    assert [payload["validateBody"] for payload in invoker.payloads] == [True]


async def test_without_validation_the_runner_is_not_asked() -> None:
    step = _registry(False, bodySchema=SCHEMA, middleware=["auth"])["Create"]
    invoker = _Invoker()
    await run_api_step(
        invoker, step, "POST", "/create", {}, [("content-type", "application/json")], "", b"{}"
    )
    assert "validateBody" not in invoker.payloads[0]


# ---------------------------------------------------------------- the project-wide switch, end to end

STEPS = {
    "ts": (
        """
        import { z } from 'zod'
        export const config = { type: 'api', name: 'TsCreate', path: '/ts/create', method: 'POST', emits: [],
          bodySchema: z.object({ name: z.string() }) }
        export const handler = async (req: any) => ({ status: 201, body: req.body })
        """,
        """
        import { z } from 'zod'
        export const config = { type: 'api', name: 'TsOwn', path: '/ts/own', method: 'POST', emits: [],
          bodySchema: z.object({ name: z.string() }), validateBody: false }
        export const handler = async () => ({ status: 422, body: { mine: true } })
        """,
    ),
    "js": (
        """
        const { z } = require('zod')
        exports.config = { type: 'api', name: 'JsCreate', path: '/js/create', method: 'POST', emits: [],
          bodySchema: z.object({ name: z.string() }) }
        exports.handler = async (req) => ({ status: 201, body: req.body })
        """,
        """
        const { z } = require('zod')
        exports.config = { type: 'api', name: 'JsOwn', path: '/js/own', method: 'POST', emits: [],
          bodySchema: z.object({ name: z.string() }), validateBody: false }
        exports.handler = async () => ({ status: 422, body: { mine: true } })
        """,
    ),
    "py": (
        """
        config = {"type": "api", "name": "PyCreate", "path": "/py/create", "method": "POST", "emits": [],
                  "bodySchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}

        async def handler(req, context):
            return {"status": 201, "body": req.body}
        """,
        """
        config = {"type": "api", "name": "PyOwn", "path": "/py/own", "method": "POST", "emits": [],
                  "bodySchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
                  "validateBody": False}

        async def handler(req, context):
            return {"status": 422, "body": {"mine": True}}
        """,
    ),
}


# A body with an e-mail address, as the ticket-triage tutorial's `POST /tickets` takes one: zod's
# email() is a JSON Schema `format` with a generated `pattern`; the Python step writes that schema.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
EMAIL_STEPS = {
    "ts": """
        import { z } from 'zod'
        export const config = { type: 'api', name: 'TsTicket', path: '/ts/tickets', method: 'POST', emits: [],
          bodySchema: z.object({ email: z.string().email(), id: z.string().uuid(), site: z.string().url() }) }
        export const handler = async (req: any) => ({ status: 200, body: req.body })
        """,
    "js": """
        const { z } = require('zod')
        exports.config = { type: 'api', name: 'JsTicket', path: '/js/tickets', method: 'POST', emits: [],
          bodySchema: z.object({ email: z.string().email(), id: z.string().uuid(), site: z.string().url() }) }
        exports.handler = async (req) => ({ status: 200, body: req.body })
        """,
    "py": f"""
        config = {{"type": "api", "name": "PyTicket", "path": "/py/tickets", "method": "POST", "emits": [],
                  "bodySchema": {{"type": "object", "required": ["email", "id", "site"], "properties": {{
                      "email": {{"type": "string", "format": "email", "pattern": r"{EMAIL_PATTERN}"}},
                      "id": {{"type": "string", "format": "uuid", "pattern": "^[0-9a-fA-F-]{{36}}$"}},
                      "site": {{"type": "string", "format": "uri"}},
                      "at": {{"type": "string", "format": "date-time"}}}}}}}}

        async def handler(req, context):
            return {{"status": 200, "body": req.body}}
        """,
}


# A step whose middleware runs before the body is checked: the core checks it when the runner asks.
GUARDED_STEPS = {
    "ts": """
        import { z } from 'zod'
        const checked = async (req: any, ctx: any, next: () => Promise<any>) => { ctx.logger.info('checked'); return next() }
        export const config = { type: 'api', name: 'TsGuard', path: '/ts/guard', method: 'POST', emits: [],
          middleware: [checked], bodySchema: z.object({ name: z.string() }) }
        export const handler = async (req: any) => ({ status: 201, body: req.body })
        """,
    "js": """
        const { z } = require('zod')
        const checked = async (req, ctx, next) => { ctx.logger.info('checked'); return next() }
        exports.config = { type: 'api', name: 'JsGuard', path: '/js/guard', method: 'POST', emits: [],
          middleware: [checked], bodySchema: z.object({ name: z.string() }) }
        exports.handler = async (req) => ({ status: 201, body: req.body })
        """,
    "py": """
        async def checked(req, context, next_fn):
            context.logger.info("checked")
            return await next_fn()

        config = {"type": "api", "name": "PyGuard", "path": "/py/guard", "method": "POST", "emits": [],
                  "middleware": [checked],
                  "bodySchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}

        async def handler(req, context):
            return {"status": 201, "body": req.body}
        """,
}


# zod 3 and zod 4 objects as the examples pin them (`zod@^3.25`: ai-hedgefund, trello-flow): a plain
# object takes fields it does not name (zod strips them), a strict one refuses them.
ZOD_OBJECT_STEPS = {
    f"steps/ts/{name}.step.ts": f"""
        import {{ z }} from '{module}'
        export const config = {{ type: 'api', name: '{name}', path: '/ts/{name}', method: 'POST', emits: [],
          bodySchema: z.object({{ name: z.string() }}){".strict()" if strict else ""} }}
        export const handler = async (req: any) => ({{ status: 201, body: req.body }})
        """
    for module, version in (("zod", "zod4"), ("zod/v3", "zod3"))
    for strict in (False, True)
    for name in [f"{version}{'-strict' if strict else ''}"]
}


# A zod pipe validates its input side: `in` and `out` together (zod-to-json-schema's default for zod 3)
# took no string, as it took no number.
ZOD_PIPE_STEPS = {
    f"steps/ts/{version}-pipe.step.ts": f"""
        import {{ z }} from '{module}'
        export const config = {{ type: 'api', name: '{version}-pipe', path: '/ts/{version}-pipe', method: 'POST',
          emits: [], bodySchema: z.object({{ count: z.string().transform(Number).pipe(z.number()) }}) }}
        export const handler = async (req: any) => ({{ status: 201, body: req.body }})
        """
    for module, version in (("zod", "zod4"), ("zod/v3", "zod3"))
}


@pytest.fixture(scope="module")
def validating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    files: dict[str, str] = {}
    for lang, (create, own) in STEPS.items():
        files[step_path(lang, "create")] = create
        files[step_path(lang, "own")] = own
        files[step_path(lang, "ticket")] = EMAIL_STEPS[lang]
        files[step_path(lang, "guard")] = GUARDED_STEPS[lang]
    files.update(ZOD_OBJECT_STEPS)
    files.update(ZOD_PIPE_STEPS)
    project = write_project(tmp_path_factory.mktemp("validating"), files, {"api": {"validateBody": True}})
    with MotiaServer(project, mode="start") as server:
        yield server


@pytest.mark.e2e
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_project_setting_validates_every_step_but_those_that_say_no(
    validating_server: MotiaServer, lang: str
) -> None:
    rejected = validating_server.client.post(f"/{lang}/create", json={"name": 3})
    assert rejected.status_code == 400
    assert [error["field"] for error in rejected.json()["errors"]] == ["name"]
    assert validating_server.client.post(f"/{lang}/create", json={"name": "Rex"}).status_code == 201
    own = validating_server.client.post(f"/{lang}/own", json={"name": 3})
    assert own.status_code == 422 and own.json() == {"mine": True}


@pytest.mark.e2e
@pytest.mark.parametrize("zod", ["zod4", "zod3"])
def test_a_zod_object_takes_fields_it_does_not_name_unless_strict_in_zod_3_as_in_zod_4(
    validating_server: MotiaServer, zod: str
) -> None:
    """zod-to-json-schema wrote every zod 3 object with additionalProperties false, so a body (or an
    event) with a field more was refused (warned about) where zod itself strips it, and where the
    same zod 4 schema takes it."""
    body = {"name": "Rex", "extra": 1}
    taken = validating_server.client.post(f"/ts/{zod}", json=body)
    assert taken.status_code == 201, taken.text
    refused = validating_server.client.post(f"/ts/{zod}-strict", json=body)
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "(root)", "message": "Additional properties are not allowed ('extra' was unexpected)"}
    ]


@pytest.mark.e2e
@pytest.mark.parametrize("zod", ["zod4", "zod3"])
def test_a_zod_pipe_takes_what_its_input_side_takes_in_zod_3_as_in_zod_4(
    validating_server: MotiaServer, zod: str
) -> None:
    taken = validating_server.client.post(f"/ts/{zod}-pipe", json={"count": "12"})
    assert taken.status_code == 201, taken.text
    refused = validating_server.client.post(f"/ts/{zod}-pipe", json={"count": 12})
    assert refused.status_code == 400, refused.text
    assert [error["field"] for error in refused.json()["errors"]] == ["count"]


@pytest.mark.e2e
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"name": 3}', "does not match the step's bodySchema: name: "),
        (b'{"name": ', "JSON"),
    ],
    ids=["schema", "unparsable"],
)
def test_a_request_rejected_before_its_step_ran_has_its_trace_and_a_log_line_saying_why(
    validating_server: MotiaServer, lang: str, body: bytes, why: str
) -> None:
    rejected = validating_server.client.post(
        f"/{lang}/create", content=body, headers={"content-type": "application/json"}
    )
    assert rejected.status_code == 400
    trace_id = rejected.headers["x-trace-id"]
    trace = validating_server.client.get(f"/__motia/traces/{trace_id}").json()
    [span] = trace["spans"]
    assert (span["step"], span["statusCode"], span["pid"]) == (f"{lang.capitalize()}Create", 400, None)
    [line] = [event for event in trace["events"] if event["type"] == "log"]
    refused = f"POST /{lang}/create refused by the core before the handler ran (400): "
    assert line["message"].startswith(refused) and why in line["message"], line
    # the client's fault, logged as servers log one: the Logs panel's warn filter shows it; no runner
    # took the request, and the line names none
    assert (line["level"], line["step"], line["runner"]) == ("warn", f"{lang.capitalize()}Create", None), line


@pytest.mark.e2e
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_body_refused_after_the_middleware_chain_is_logged_by_the_core_under_the_step_that_ran_it(
    validating_server: MotiaServer, lang: str
) -> None:
    """The runner ran the step's middleware, then asked the core to check the body, and answered the
    400 the core made: a line says so (there was none), the core's, under the step's span (which names
    the runner), beside the middleware's own line from that runner and tagged with it as that line is:
    motia logs prints both, read by runner too."""
    rejected = validating_server.client.post(f"/{lang}/guard", json={"name": 3})
    assert rejected.status_code == 400, rejected.text
    trace_id = rejected.headers["x-trace-id"]
    trace = validating_server.client.get(f"/__motia/traces/{trace_id}").json()
    runner = "python-0" if lang == "py" else "node-0"
    step = f"{lang.capitalize()}Guard"
    [span] = trace["spans"]
    assert (span["step"], span["statusCode"], span["runner"]) == (step, 400, runner)
    lines = [event for event in trace["events"] if event["type"] == "log"]
    checked, refusal = lines
    assert (checked["message"], checked["runner"]) == ("checked", runner)
    assert refusal["message"].startswith(
        f"POST /{lang}/guard refused by the core after the middleware chain, before the handler ran (400): "
        "request body does not match the step's bodySchema: name: "
    ), refusal
    assert (refusal["level"], refusal["step"], refusal["runner"]) == ("warn", step, runner)
    assert refusal["spanId"] == span["spanId"]
    printed = subprocess.run(
        motia_argv("logs", "--trace", trace_id, "-p", str(validating_server.port)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    assert f"[{step}] ({runner}) " in printed.stdout and "checked" in printed.stdout, printed.stdout
    assert "refused by the core after the middleware chain" in printed.stdout, printed.stdout
    # read by runner kind, as `motia logs --runner node` is: the refusal shows beside the chain's line
    kind = runner.split("-")[0]
    by_runner = subprocess.run(
        motia_argv("logs", "--trace", trace_id, "--runner", kind, "-p", str(validating_server.port)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert by_runner.returncode == 0, by_runner.stderr
    assert "checked" in by_runner.stdout, by_runner.stdout
    assert "refused by the core after the middleware chain" in by_runner.stdout, by_runner.stdout


@pytest.mark.e2e
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_string_failing_its_format_is_refused_naming_the_format_not_the_generated_pattern(
    validating_server: MotiaServer, lang: str
) -> None:
    # z.url() has no pattern, only its format: it was not checked at all
    wrong = {"email": "nope", "id": "x", "site": "not a url"}
    rejected = validating_server.client.post(f"/{lang}/tickets", json=wrong)
    assert rejected.status_code == 400
    assert rejected.json()["errors"] == [
        {"field": "email", "message": '"nope" is not a valid email'},
        {"field": "id", "message": '"x" is not a valid uuid'},
        {"field": "site", "message": '"not a url" is not a valid uri'},
    ]
    good = {
        "email": "user@example.com",
        "id": "0b6f2a5e-3c1d-4e8f-9a7b-1c2d3e4f5a6b",
        "site": "https://a.io/x",
    }
    if lang == "py":
        good["at"] = "2026-12-01 09:00:00"  # pydantic's datetime takes it: its format is not checked
    assert validating_server.client.post(f"/{lang}/tickets", json=good).json() == good


def test_a_draft_07_schema_keeps_every_format_checked() -> None:
    # zod 3's zod-to-json-schema writes draft-07, whose formats were always asserted: the leniency
    # kept for pydantic's dates and uuids must not reach them
    draft_07 = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "site": {"type": "string", "format": "uri"},
        },
    }
    assert [error.field for error in SchemaValidator(draft_07).errors({"at": "noon", "site": "here"})] == [
        "at",
        "site",
    ]
