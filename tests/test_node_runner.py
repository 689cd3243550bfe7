"""What only the node runner (runners/node) does, over its stdio protocol: TypeScript through tsx,
zod schemas, CommonJS and ESM shapes, projects without node_modules, ``console.*``, motia.config.ts.

What both runners do is tested once per language in test_runners.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest

from supervisor.protocol._generated import runner_pb2 as pb
from tests.conftest import StartRunner
from tests.support.runner_harness import TYPESCRIPT, RunnerHarness

Start = Callable[..., RunnerHarness]

API = pb.TRIGGER_KIND_API
EVENT = pb.TRIGGER_KIND_EVENT
CRON = pb.TRIGGER_KIND_CRON
AUTHENTICATE = pb.TRIGGER_KIND_AUTHENTICATE


@pytest.fixture
def start(start_runner: StartRunner) -> Start:
    """``start(files, log_level="info")``: the node runner on a project of ``files``."""
    return partial(start_runner, TYPESCRIPT)


def config_of(loaded: pb.LoadedFile) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(loaded.config_json)
    return config


def loaded_ok(result: pb.LoadResult) -> dict[str, dict[str, Any]]:
    assert not result.errors, [(e.file, e.message) for e in result.errors]
    return {s.file: config_of(s) for s in result.steps}


def recv_result(
    h: RunnerHarness, invocation_id: int, seen: list[pb.RunnerMessage] | None = None, timeout: float = 15
) -> pb.InvokeResult:
    return h.recv_kind("result", timeout, lambda m: m.result.invocation_id == invocation_id, seen).result


# --------------------------------------------------------------------------- loading


def test_load_ts_esm_with_zod_body_schema(start: Start) -> None:
    h = start(
        {
            "steps/create-user.step.ts": """
                import { ApiRouteConfig, Handlers } from 'motia'
                import { z } from 'zod'

                export const config: ApiRouteConfig = {
                  type: 'api',
                  name: 'CreateUser',
                  path: '/users',
                  method: 'POST',
                  emits: ['user.created'],
                  bodySchema: z.object({
                    name: z.string().describe('full name'),
                    age: z.number().optional(),
                  }),
                  responseSchema: { 201: z.object({ id: z.string() }), 400: { type: 'object' } },
                }

                export const handler: Handlers['CreateUser'] = async (req) => ({
                  status: 201,
                  body: { id: '1' },
                })
            """,
        }
    )
    config = loaded_ok(h.load(["steps/create-user.step.ts"]))["steps/create-user.step.ts"]
    assert config["name"] == "CreateUser"
    assert config["hasHandler"] is True
    body = config["bodySchema"]
    assert body["type"] == "object"
    assert body["properties"]["name"] == {"type": "string", "description": "full name"}
    assert body["required"] == ["name"]
    assert config["responseSchema"]["201"]["properties"]["id"]["type"] == "string"
    assert config["responseSchema"]["400"] == {"type": "object"}  # plain JSON schema left alone


def test_zod3_schema_and_stream_file(start: Start) -> None:
    # zod 3 schemas (here from the zod package's v3 entry) go through zod-to-json-schema.
    h = start(
        {
            "steps/todo.stream.ts": """
                import { z } from 'zod/v3'
                export const config = {
                  name: 'todo',
                  schema: z.object({ id: z.string(), done: z.boolean() }),
                  baseConfig: { storageType: 'default' },
                }
            """,
            "steps/process.step.ts": """
                import { z } from 'zod/v3'
                export const config = {
                  type: 'event', name: 'Process', subscribes: ['todo.created'], emits: [],
                  input: z.object({ id: z.string() }),
                }
                export const handler = async () => {}
            """,
        }
    )
    result = h.load(["steps/process.step.ts"], ["steps/todo.stream.ts"])
    assert not result.errors
    stream = config_of(result.streams[0])
    assert stream["name"] == "todo"
    assert stream["schema"]["properties"]["done"] == {"type": "boolean"}
    step = config_of(result.steps[0])
    assert step["input"]["required"] == ["id"]


def test_load_commonjs_js_shapes(start: Start) -> None:
    h = start(
        {
            "steps/a.step.js": """
                const { z } = require('zod')
                const config = {
                  type: 'event', name: 'A', subscribes: ['a'], emits: [], input: z.object({ x: z.number() }),
                }
                const handler = async (input, { logger }) => { logger.info('A ran') }
                module.exports = { config, handler }
            """,
            "steps/b.step.js": """
                exports.config = { type: 'cron', name: 'B', cron: '*/5 * * * *', emits: [] }
                exports.handler = async ({ logger }) => { logger.info('B ran') }
            """,
            "steps/noop.step.js": """
                const config = {
                  type: 'noop', name: 'Human', virtualEmits: ['approved'], virtualSubscribes: [],
                }
                module.exports = { config }
            """,
            "steps/esm.step.js": """
                export const config = { type: 'event', name: 'EsmJs', subscribes: ['a'], emits: [] }
                export async function handler(input, ctx) { ctx.logger.info('esm') }
            """,
        }
    )
    configs = loaded_ok(
        h.load(["steps/a.step.js", "steps/b.step.js", "steps/noop.step.js", "steps/esm.step.js"])
    )
    assert configs["steps/a.step.js"]["input"]["properties"]["x"]["type"] == "number"
    assert configs["steps/a.step.js"]["hasHandler"] is True
    assert configs["steps/b.step.js"]["cron"] == "*/5 * * * *"
    assert configs["steps/noop.step.js"]["hasHandler"] is False
    assert configs["steps/esm.step.js"]["hasHandler"] is True

    h.invoke(1, "steps/b.step.js", "B", CRON, None)
    seen: list[pb.RunnerMessage] = []
    assert recv_result(h, 1, seen).ok
    assert any(m.WhichOneof("kind") == "log" and m.log.message == "B ran" for m in seen)


def test_type_module_project_with_extensionless_import(start: Start) -> None:
    h = start(
        {
            "package.json": '{"name": "pets", "type": "module"}',
            "steps/ts-store.ts": """
                export const petStore = { create: (name: string) => ({ id: 'p1', name }) }
            """,
            "steps/create-pet.step.ts": """
                import type { ApiRouteConfig, Handlers } from 'motia'
                import { petStore } from './ts-store'

                export const config: ApiRouteConfig = {
                  type: 'api', name: 'CreatePet', path: '/pets', method: 'POST', emits: [],
                }
                export const handler: Handlers['CreatePet'] = async (req) => ({
                  status: 201,
                  body: petStore.create(req.body.name),
                })
            """,
        }
    )
    loaded_ok(h.load(["steps/create-pet.step.ts"]))
    h.invoke(1, "steps/create-pet.step.ts", "CreatePet", API, {"body": {"name": "Rex"}})
    result = recv_result(h, 1)
    assert result.ok
    assert orjson.loads(result.result_json) == {"status": 201, "body": {"id": "p1", "name": "Rex"}}


def test_motia_and_zod_imports_without_node_modules(start: Start, tmp_path: Path) -> None:
    # verbatimModuleSyntax keeps the 'motia' import at runtime, so it must resolve (to the stub).
    h = start(
        {
            "package.json": '{"name": "bare", "type": "module"}',
            "tsconfig.json": '{"compilerOptions": {"verbatimModuleSyntax": true}}',
            "steps/hello.step.ts": """
                import { ApiRouteConfig, Handlers } from 'motia'
                import { z } from 'zod'
                export const config = {
                  type: 'api', name: 'Hello', path: '/hello', method: 'GET', emits: [],
                  bodySchema: z.object({ q: z.string() }),
                }
                export const handler = async () => ({ status: 200, body: 'hi' })
            """,
        }
    )
    assert not (tmp_path / "project" / "node_modules").exists()
    config = loaded_ok(h.load(["steps/hello.step.ts"]))["steps/hello.step.ts"]
    assert config["bodySchema"]["properties"]["q"]["type"] == "string"


def test_load_errors_point_at_the_line_and_column_of_the_typescript_or_javascript_source(
    start: Start,
) -> None:
    h = start(
        {
            "steps/broken.step.ts": """
                export const config = {
                  type: 'event', name: 'Broken',
                  subscribes: ['x'] emits: [],
                }
            """,
            "steps/broken-js.step.js": """
                module.exports = {
                  config: { type: 'event' name: 'BrokenJs' },
                }
            """,
            "steps/throws.step.ts": """
                export const config = { type: 'event', name: 'Throws', subscribes: ['x'], emits: [] }

                function explode(): never {
                  throw new TypeError('missing API key')
                }
                explode()
                export const handler = async () => {}
            """,
        }
    )
    result = h.load(["steps/broken.step.ts", "steps/broken-js.step.js", "steps/throws.step.ts"])
    errors = {e.file: e for e in result.errors}
    ts_error = errors["steps/broken.step.ts"]
    assert (ts_error.line, ts_error.column) == (3, 21)
    assert "emits" in ts_error.message
    js_error = errors["steps/broken-js.step.js"]
    assert js_error.line == 2
    assert js_error.column > 0
    assert "SyntaxError" in js_error.message
    thrown = errors["steps/throws.step.ts"]
    assert thrown.message == "TypeError: missing API key"
    assert (thrown.line, thrown.column) == (4, 9)  # inside explode(), through tsx's source map


# --------------------------------------------------------------------------- invoking and logs


def test_console_methods_become_log_records_with_their_level_and_node_formatting(start: Start) -> None:
    h = start(
        {
            "steps/log.step.ts": """
                console.log('loading log step')
                export const config = { type: 'event', name: 'Log', subscribes: ['in'], emits: [] }
                export const handler = async (input: any, { logger }: any) => {
                  console.log('hello %s', 'world', { a: 1 })
                  console.warn('careful')
                  console.error('bad')
                  console.debug('details')
                }
            """,
        },
        log_level="debug",
    )
    seen: list[pb.RunnerMessage] = []
    h.send(pb.SupervisorMessage(load=pb.LoadFiles(request_id=1, step_files=["steps/log.step.ts"])))
    assert not h.recv_kind("loaded", seen=seen).loaded.errors
    import_log = next(m.log for m in seen if m.WhichOneof("kind") == "log")
    assert import_log.message == "loading log step"
    assert import_log.invocation_id == 0
    assert orjson.loads(import_log.meta_json) == {"file": "steps/log.step.ts"}

    h.invoke(1, "steps/log.step.ts", "Log", EVENT, {}, trace_id="trace-log")
    seen = []
    assert recv_result(h, 1, seen).ok
    logs = [m.log for m in seen if m.WhichOneof("kind") == "log"]
    assert [(log.level, log.message) for log in logs] == [
        ("info", "hello world { a: 1 }"),
        ("warn", "careful"),
        ("error", "bad"),
        ("debug", "details"),
    ]
    for log in logs:
        assert (log.invocation_id, log.trace_id, log.step_name) == (1, "trace-log", "Log")


@pytest.mark.parametrize("file", ["steps/fails.step.ts", "steps/fails.step.js"])
def test_a_failed_context_call_throws_where_the_handler_awaits_it(start: Start, file: str) -> None:
    h = start(
        {
            file: """
                const config = { type: 'event', name: 'Fails', subscribes: ['in'], emits: [] }
                const handler = async (input, { state }) => {
                  try {
                    await state.get('group', 'key')
                  } catch (error) {
                    try {
                      await Promise.all([state.set('group', 'key', 1)])
                    } catch (second) {
                      return [error.name, error.message, error.stack, second.stack]
                    }
                  }
                }
                module.exports = { config, handler }
            """,
        }
    )
    loaded_ok(h.load([file]))
    h.invoke(1, file, "Fails", API, {})
    h.reply(h.recv_kind("call").call.call_id, error="state backend unavailable")
    h.reply(h.recv_kind("call").call.call_id, error="read-only")
    result = recv_result(h, 1)
    assert result.ok, result.error.message
    name, message, stack, second = json.loads(result.result_json)
    assert (name, message) == ("ContextCallError", "state backend unavailable")
    # the caller's frames, through tsx's source map; none of the runner's
    assert stack.splitlines()[0] == "ContextCallError: state backend unavailable"
    assert f"{file.removeprefix('steps/')}:4:" in stack, stack
    assert "runners/node" not in stack, stack
    assert f"{file.removeprefix('steps/')}:7:" in second, second


@pytest.mark.parametrize("file", ["steps/fails.step.ts", "steps/fails.step.js"])
def test_a_failed_context_call_chained_with_then_names_where_it_was_chained(start: Start, file: str) -> None:
    """No await chain reaches a call whose promise is only .then-chained: its failure names the line
    that chained it instead, whether a rejection handler gets the error or nothing catches it (the
    unhandled rejection's log line); none of the runner's frames."""
    h = start(
        {
            file: """
                const config = { type: 'event', name: 'Fails', subscribes: ['in'], emits: [] }
                const handler = async (input, { state }) => {
                  state.set('group', 'key', 1).then(() => undefined)
                  return new Promise((resolve) => {
                    state.get('group', 'key').then(
                      () => resolve(['no error']),
                      (error) => resolve([error.name, error.message, error.stack]),
                    )
                  })
                }
                module.exports = { config, handler }
            """,
        }
    )
    loaded_ok(h.load([file]))
    h.invoke(1, file, "Fails", API, {})
    h.reply(h.recv_kind("call").call.call_id, error="read-only")
    h.reply(h.recv_kind("call").call.call_id, error="state backend unavailable")
    seen: list[pb.RunnerMessage] = []
    result = recv_result(h, 1, seen)
    assert result.ok, result.error.message
    name, message, stack = json.loads(result.result_json)
    assert (name, message) == ("ContextCallError", "state backend unavailable")
    assert stack.splitlines()[0] == "ContextCallError: state backend unavailable"
    assert f"{file.removeprefix('steps/')}:5:" in stack, stack
    assert "runners/node" not in stack, stack
    while not any(m.WhichOneof("kind") == "log" and "read-only" in m.log.message for m in seen):
        seen.append(h.recv())
    unhandled = next(m.log for m in seen if m.WhichOneof("kind") == "log" and "read-only" in m.log.message)
    assert unhandled.message == "unhandled promise rejection: read-only"
    unhandled_stack = orjson.loads(unhandled.meta_json)["stack"]
    assert f"{file.removeprefix('steps/')}:3:" in unhandled_stack, unhandled_stack
    assert "runners/node" not in unhandled_stack, unhandled_stack


def test_a_thrown_string_is_the_error_message(start: Start) -> None:
    h = start(
        {
            "steps/string.step.js": """
                exports.config = { type: 'event', name: 'Str', subscribes: ['in'], emits: [] }
                exports.handler = () => { throw 'plain string' }
            """,
        }
    )
    loaded_ok(h.load(["steps/string.step.js"]))
    h.invoke(2, "steps/string.step.js", "Str", EVENT, {})
    result = recv_result(h, 2)
    assert not result.ok and result.error.message == "plain string"


def test_stream_auth_in_the_default_export_of_motia_config_ts_is_an_authenticate_hook(start: Start) -> None:
    h = start(
        {
            # Motia 0.17's place: streamAuth in the default export of motia.config.ts
            "motia.config.ts": """
                export default {
                  plugins: [],
                  streamAuth: {
                    authenticate: async (request: any) => (request.token === 'good' ? { userId: 'u1' } : null),
                  },
                }
            """,
        }
    )
    result = h.load([], [], hook_files=["motia.config.ts"])
    assert not result.errors, [(e.file, e.message) for e in result.errors]
    assert {hook.file: json.loads(hook.config_json) for hook in result.hooks} == {
        "motia.config.ts": {"exports": ["authenticate"]},
    }
    request = {"url": "ws://h/", "headers": {}, "query": {}, "token": "good"}
    h.invoke(1, "motia.config.ts", "authenticate", AUTHENTICATE, [request])
    assert json.loads(recv_result(h, 1).result_json) == {"userId": "u1"}
    h.invoke(2, "motia.config.ts", "authenticate", AUTHENTICATE, [{**request, "token": "bad"}])
    assert json.loads(recv_result(h, 2).result_json) is None


def test_memory_usage_goes_to_the_file_named_by_motia_node_memory_log(
    start: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For bench/uptime.py (heap or leak): a JSON line of ``process.memoryUsage()`` at start, then every
    ``MOTIA_NODE_MEMORY_LOG_MS``; without the variable (the default) the runner writes nothing."""
    log = tmp_path / "memory.jsonl"
    monkeypatch.setenv("MOTIA_NODE_MEMORY_LOG", str(log))
    monkeypatch.setenv("MOTIA_NODE_MEMORY_LOG_MS", "50")
    start({"steps/noop.step.ts": "export const config = { type: 'noop', name: 'Noop', virtualEmits: [] }"})
    deadline = time.monotonic() + 15
    while len(log.read_text().splitlines() if log.exists() else []) < 3:
        assert time.monotonic() < deadline, "fewer than 3 lines in 15 s"
        time.sleep(0.05)
    lines = [json.loads(line) for line in log.read_text().splitlines()[:3]]
    assert len({line["pid"] for line in lines}) == 1
    assert [line["t"] for line in lines] == sorted(line["t"] for line in lines)
    for line in lines:
        assert 0 < line["heapUsed"] <= line["heapTotal"] < line["rss"]
        assert line["external"] > 0 and line["arrayBuffers"] >= 0
