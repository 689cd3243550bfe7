"""Broken step files: ``dev`` keeps serving the rest, ``start`` refuses and lists every error."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LANGUAGES
from tests.support.drivers import run_driver
from tests.support.project import step_path, write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, free_port, motia_argv

pytestmark = pytest.mark.e2e

#: the Workbench driver's screenshots
ARTIFACTS = REPO_ROOT / "test-artifacts"

GOOD = {
    "ts": """
        export const config = { type: 'api', name: 'Good', path: '/good', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, body: { ok: true } })
    """,
    "js": """
        module.exports = {
          config: { type: 'api', name: 'Good', path: '/good', method: 'GET', emits: [] },
          handler: async () => ({ status: 200, body: { ok: true } }),
        }
    """,
    "py": """
        config = {"type": "api", "name": "Good", "path": "/good", "method": "GET", "emits": []}
        async def handler(req, context):
            return {"status": 200, "body": {"ok": True}}
    """,
}

# A syntax error on line 3 of each language's file.
SYNTAX_ERROR = {
    "ts": "export const config = { type: 'api', name: 'Broken', path: '/broken', method: 'GET', emits: [] }\n\nexport const handler = async ( => {\n",
    "js": "exports.config = { type: 'api', name: 'Broken', path: '/broken', method: 'GET', emits: [] }\n\nexports.handler = async ( => {\n",
    "py": 'config = {"type": "api", "name": "Broken", "path": "/broken", "method": "GET", "emits": []}\n\ndef handler(req, context)\n    pass\n',
}

BAD_FIELD = {
    "ts": "export const config = { type: 'api', name: 'BadMethod', path: '/bad', method: 'FETCH', emits: [] }\nexport const handler = async () => ({ status: 200 })\n",
    "js": "exports.config = { type: 'api', name: 'BadMethod', path: '/bad', method: 'FETCH', emits: [] }\nexports.handler = async () => ({ status: 200 })\n",
    "py": 'config = {"type": "api", "name": "BadMethod", "path": "/bad", "method": "FETCH", "emits": []}\nasync def handler(req, ctx):\n    return {"status": 200}\n',
}


def broken_project(root: Path, lang: str) -> Path:
    return write_project(
        root,
        {
            step_path(lang, "good"): GOOD[lang],
            step_path(lang, "broken"): SYNTAX_ERROR[lang],
            step_path(lang, "bad-method"): BAD_FIELD[lang],
            # same name as the good step, in another file
            step_path(lang, "zz-duplicate"): GOOD[lang].replace("/good", "/good-again"),
        },
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dev_serves_every_step_that_loaded_and_names_each_broken_file(tmp_path: Path, lang: str) -> None:
    broken_project(tmp_path, lang)
    with MotiaServer(tmp_path, mode="dev") as server:
        assert server.client.get("/good").json() == {"ok": True}
        assert server.client.get("/broken").status_code == 404
        output = server.output
    broken_file = step_path(lang, "broken")
    assert re.search(re.escape(broken_file) + r":3\b", output), output
    assert step_path(lang, "bad-method") in output
    assert "field 'method'" in output and "FETCH" in output
    assert step_path(lang, "zz-duplicate") in output and "Good" in output


# An api step emitting to a topic whose only subscribers are a file with a syntax error and one whose
# config does not validate
EMITTER = """
    export const config = { type: 'api', name: 'Notify', path: '/notify', method: 'POST', emits: ['pet.notified'] }
    export const handler = async (_req: unknown, { emit, traceId }: any) => {
      await emit({ topic: 'pet.notified', data: { name: 'Buddy' } })
      return { status: 200, body: { traceId } }
    }
"""
BROKEN_SUBSCRIBERS = {
    step_path("ts", "on-notified"): (
        "export const config = { type: 'event', name: 'OnNotified', subscribes: ['pet.notified'], emits: [] }\n"
        "export const handler = async ( => {\n"
    ),
    step_path("py", "on_notified_too"): (
        'config = {"type": "event", "name": "OnNotifiedToo", "subscribes": "pet.notified", "emits": []}\n'
        "async def handler(data, context):\n    pass\n"
    ),
}


def _the_emit(server: MotiaServer, trace_id: str) -> dict[str, Any]:
    trace = server.client.get(f"/__motia/traces/{trace_id}").json()
    [emit] = [event for event in trace.get("events", []) if event["type"] == "emit"]
    return emit  # type: ignore[no-any-return]


def test_an_emit_whose_subscribers_failed_to_load_names_the_files_that_did_in_its_trace(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The trace says of such an emit that no step subscribes, and names the files that failed to load
    (one of them may have subscribed) with the first line of each error: in the traces API, in the
    Workbench's row of it and in ``motia traces ID``."""
    write_project(tmp_path, {step_path("ts", "notify"): EMITTER, **BROKEN_SUBSCRIBERS})
    with MotiaServer(tmp_path, mode="dev") as server:
        trace_id = server.client.post("/notify", json={}).json()["traceId"]
        emit = eventually(lambda: _the_emit(server, trace_id))
        shown = subprocess.run(
            motia_argv("traces", trace_id, "-p", str(server.port)), capture_output=True, text=True, timeout=60
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page = run_driver(
            client_packages, "workbench-emit-rows-driver.mjs", chromium, server.url, str(ARTIFACTS), trace_id
        )
    assert emit["deliveries"] == []
    dropped = emit["dropped"]
    assert dropped.startswith("2 files failed to load: "), dropped
    assert f"{step_path('ts', 'on-notified')}:2" in dropped and "subscribes" in dropped, dropped
    assert "\n" not in dropped  # each error's first line
    [line] = [line for line in shown.stdout.splitlines() if "emit pet.notified" in line]
    assert line.endswith(f"emit pet.notified -> no subscriber (dropped: {dropped})"), shown.stdout
    assert page == {"emits": [f"pet.notified → no subscriber (dropped: {dropped})"], "consoleErrors": []}


def test_an_emit_no_step_subscribes_to_in_a_project_that_loaded_whole_says_nothing_more(
    tmp_path: Path,
) -> None:
    write_project(tmp_path, {step_path("ts", "notify"): EMITTER})
    with MotiaServer(tmp_path, mode="dev") as server:
        trace_id = server.client.post("/notify", json={}).json()["traceId"]
        emit = eventually(lambda: _the_emit(server, trace_id))
    assert emit["deliveries"] == [] and emit["dropped"] is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_start_refuses_a_broken_project_and_lists_every_error_at_once(tmp_path: Path, lang: str) -> None:
    broken_project(tmp_path, lang)
    done = subprocess.run(
        motia_argv("start", "--project", str(tmp_path), "-p", str(free_port())),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    # the refusal is readable lines on stderr, one per problem, not one escaped JSON line
    lines = done.stderr.splitlines()
    assert lines[0] == "motia start refused to start:"
    assert "summary: 1 of 4 steps loaded, 3 problems" in lines
    for stem in ("broken", "bad-method", "zz-duplicate"):
        assert any(line.lstrip().startswith(tuple("123")) and step_path(lang, stem) in line for line in lines)
    # and one structured record in the JSON log, for log collectors
    record = next(json.loads(line) for line in done.stdout.splitlines() if "refused" in line)
    assert record["level"] == "error" and len(record["meta"]["problems"]) == 3


def test_a_runner_that_cannot_start_does_not_stop_the_other_languages_in_dev(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            step_path("py", "good"): GOOD["py"],
            step_path("ts", "other"): GOOD["ts"].replace("Good", "Other").replace("/good", "/other"),
        },
    )
    # a project venv whose python cannot run the runner
    fake_python = tmp_path / ".venv" / "bin" / "python"
    fake_python.parent.mkdir(parents=True)
    fake_python.write_text("#!/bin/sh\necho 'this python is broken' >&2\nexit 1\n")
    fake_python.chmod(0o755)
    with MotiaServer(tmp_path, mode="dev") as server:
        assert server.client.get("/other").json() == {"ok": True}
        response = server.client.get("/good")
        assert response.status_code == 404
        assert "python runner" in server.output and "could not start" in server.output


def test_optional_route_parameters_match_and_unsupported_route_syntax_is_named(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            step_path("py", "pets"): """
                config = {"type": "api", "name": "Pets", "path": "/pets/:id?", "method": "GET", "emits": []}
                async def handler(req, context):
                    return {"status": 200, "body": req["pathParams"]}
            """,
            step_path("py", "files"): """
                config = {"type": "api", "name": "Files", "path": "/files/*", "method": "GET", "emits": []}
                async def handler(req, context):
                    return {"status": 200}
            """,
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        assert server.client.get("/pets").json() == {}
        assert server.client.get("/pets/7").json() == {"id": "7"}
        assert server.client.get("/files/a").status_code == 404
        output = server.output
    assert f"{step_path('py', 'files')}: step \"Files\": field 'path': wildcards ('*')" in output


def test_snake_case_step_and_stream_names_load_as_motia_discovers_them(tmp_path: Path) -> None:
    """Motia globs ``*_step.{ts,js}`` and ``*_stream.{ts,js}`` beside ``*.step.*``."""
    write_project(
        tmp_path,
        {
            "steps/notes_stream.ts": "export const config = { name: 'notes', schema: {}, baseConfig: { storageType: 'default' } }\n",
            "steps/hello_step.ts": """
                export const config = { type: 'api', name: 'Hello', path: '/hello', method: 'POST', emits: [] }
                export const handler = async (_req: unknown, { streams }: any) => ({
                  status: 200, body: await streams.notes.set('g', 'n1', { text: 'hi' }),
                })
            """,
            "src/legacy_step.js": GOOD["js"],
        },
    )
    with MotiaServer(tmp_path, mode="start") as server:
        assert server.client.get("/good").json() == {"ok": True}
        assert server.client.post("/hello").json()["text"] == "hi"


def test_commonjs_js_steps_load_in_a_project_whose_package_json_says_type_module(tmp_path: Path) -> None:
    """``motia create`` writes ``"type": "module"``; the docs' JavaScript steps are CommonJS
    (``module.exports = { config, handler }``, ``require('zod')``, a helper exporting with
    ``module.exports``), and the api reference mixes ``require`` with ``export const``. All load and run."""
    write_project(
        tmp_path,
        {
            "package.json": '{"name": "docs-js", "type": "module"}',
            "steps/orders/store.js": """
                const orders = new Map()
                module.exports = { orders }
            """,
            "steps/orders/create-order.step.js": """
                const { z } = require('zod')

                const config = {
                  name: 'CreateOrder',
                  type: 'api',
                  path: '/orders',
                  method: 'POST',
                  bodySchema: z.object({ orderId: z.string(), customerId: z.string() }),
                  emits: ['order.created'],
                }

                const handler = async (req, { emit }) => {
                  const { orderId, customerId } = req.body
                  await emit({ topic: 'order.created', data: { orderId, customerId }, messageGroupId: customerId })
                  return { status: 202, body: { orderId } }
                }

                module.exports = { config, handler }
            """,
            "steps/orders/process-order.step.js": """
                const { orders } = require('./store.js')
                exports.config = { name: 'ProcessOrder', type: 'event', subscribes: ['order.created'], emits: [] }
                exports.handler = async (input, { state }) => {
                  orders.set(input.orderId, input)
                  await state.set('orders', input.orderId, { ...input, seen: orders.size })
                }
            """,
            "steps/orders/get-order.step.js": """
                const { z } = require('zod')
                export const config = {
                  name: 'GetOrder', type: 'api', path: '/orders/:id', method: 'GET', emits: [],
                  responseSchema: { 200: z.object({ orderId: z.string() }) },
                }
                export const handler = async (req, { state }) => ({
                  status: 200, body: await state.get('orders', req.pathParams.id),
                })
            """,
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        created = server.client.post("/orders", json={"orderId": "o1", "customerId": "c1"})
        assert created.status_code == 202, created.text
        order = eventually(lambda: server.client.get("/orders/o1").json())
        output = server.output
    assert order == {"orderId": "o1", "customerId": "c1", "seen": 1}
    assert "ES module scope" not in output, output
