"""The node runner (runners/node), driven byte for byte over its stdio protocol."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from supervisor.protocol._generated import runner_pb2 as pb
from tests.support.runner_harness import REPO_ROOT, RunnerHarness, node_runner_argv, runner_env

NODE_RUNNER = REPO_ROOT / "runners" / "node"

pytestmark = pytest.mark.skipif(
    not (NODE_RUNNER / "node_modules").is_dir(), reason="run 'npm ci' in runners/node first"
)

Start = Callable[..., RunnerHarness]

API = pb.TRIGGER_KIND_API
EVENT = pb.TRIGGER_KIND_EVENT
CRON = pb.TRIGGER_KIND_CRON
AUTHENTICATE = pb.TRIGGER_KIND_AUTHENTICATE
CAN_ACCESS = pb.TRIGGER_KIND_CAN_ACCESS


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def config_of(loaded: pb.LoadedFile) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(loaded.config_json)
    return config


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    harnesses: list[RunnerHarness] = []

    def _start(files: dict[str, str], project: Path | None = None, log_level: str = "info") -> RunnerHarness:
        root = project or tmp_path / "project"
        root.mkdir(parents=True, exist_ok=True)
        write(root, files)
        harness = RunnerHarness(node_runner_argv(), root)
        harnesses.append(harness)
        reply = harness.handshake(log_level=log_level)
        assert reply.protocol_version == 1
        return harness

    yield _start
    for harness in harnesses:
        harness.close()


def loaded_ok(result: pb.LoadResult) -> dict[str, dict[str, Any]]:
    assert not result.errors, [(e.file, e.message) for e in result.errors]
    return {s.file: config_of(s) for s in result.steps}


def recv_result(
    h: RunnerHarness, invocation_id: int, seen: list[pb.RunnerMessage] | None = None, timeout: float = 15
) -> pb.InvokeResult:
    return h.recv_kind("result", timeout, lambda m: m.result.invocation_id == invocation_id, seen).result


def no_message_of_kind(h: RunnerHarness, kind: str, wait: float) -> list[pb.RunnerMessage]:
    """Collect everything that arrives within `wait` seconds and assert none is of `kind`."""
    seen: list[pb.RunnerMessage] = []
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = h.recv(timeout=left)
        except queue.Empty:
            break
        assert message.WhichOneof("kind") != kind, message
        seen.append(message)
    return seen


# --------------------------------------------------------------------------- handshake and guard


def test_handshake(start: Start) -> None:
    h = start({})
    h.send(pb.SupervisorMessage(ping=pb.Ping(seq=7)))
    assert h.recv_kind("pong").pong.seq == 7
    assert h.close() == 0


def test_hello_reply_fields(tmp_path: Path) -> None:
    h = RunnerHarness(node_runner_argv(), tmp_path)
    try:
        t0 = time.monotonic()
        reply = h.handshake()
        elapsed = time.monotonic() - t0
        assert reply.language == "node"
        assert reply.runtime.startswith("node v")
        assert reply.pid == h.proc.pid
        assert elapsed < 5, elapsed
    finally:
        assert h.close() == 0


def test_missing_cookie_exits_2(tmp_path: Path) -> None:
    env = runner_env(tmp_path)
    del env["MOTIA_RUNNER_COOKIE"]
    proc = subprocess.run(
        node_runner_argv(), cwd=tmp_path, env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "supervisor" in lines[0]


def test_stdin_eof_exits_0(tmp_path: Path) -> None:
    h = RunnerHarness(node_runner_argv(), tmp_path)
    h.handshake()
    assert h.proc.stdin is not None
    h.proc.stdin.close()
    assert h.proc.wait(timeout=10) == 0


def test_garbage_on_stdin_is_a_protocol_error(tmp_path: Path) -> None:
    h = RunnerHarness(node_runner_argv(), tmp_path)
    h.handshake()
    assert h.proc.stdin is not None
    h.proc.stdin.write(b"\x07hello, this is not a frame")
    h.proc.stdin.flush()
    assert h.proc.wait(timeout=10) != 0


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


def test_broken_file_does_not_stop_others(start: Start) -> None:
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
            "steps/good.step.ts": """
                export const config = { type: 'event', name: 'Good', subscribes: ['x'], emits: [] }
                export const handler = async () => {}
            """,
        }
    )
    result = h.load(["steps/broken.step.ts", "steps/good.step.ts", "steps/broken-js.step.js"])
    assert [s.file for s in result.steps] == ["steps/good.step.ts"]
    errors = {e.file: e for e in result.errors}
    ts_error = errors["steps/broken.step.ts"]
    assert (ts_error.line, ts_error.column) == (3, 21)
    assert "emits" in ts_error.message
    js_error = errors["steps/broken-js.step.js"]
    assert js_error.line == 2
    assert js_error.column > 0
    assert "SyntaxError" in js_error.message


def test_file_that_throws_at_import(start: Start) -> None:
    h = start(
        {
            "steps/throws.step.ts": """
                export const config = { type: 'event', name: 'Throws', subscribes: ['x'], emits: [] }

                function explode(): never {
                  throw new TypeError('missing API key')
                }
                explode()
                export const handler = async () => {}
            """,
            "steps/no-config.step.ts": """
                export const handler = async () => {}
            """,
        }
    )
    result = h.load(["steps/throws.step.ts", "steps/no-config.step.ts"])
    assert not result.steps
    errors = {e.file: e for e in result.errors}
    error = errors["steps/throws.step.ts"]
    assert error.message == "TypeError: missing API key"
    assert (error.line, error.column) == (4, 9)
    assert "throws.step.ts" in error.stack
    assert "config" in errors["steps/no-config.step.ts"].message


def test_reload_picks_up_changes(start: Start, tmp_path: Path) -> None:
    step = """
        export const config = { type: 'event', name: 'V', subscribes: ['x'], emits: [], version: VERSION }
        export const handler = async (_: unknown, { logger }: any) => { logger.info('version VERSION') }
    """
    h = start({"steps/v.step.ts": step.replace("VERSION", "1")})
    assert loaded_ok(h.load(["steps/v.step.ts"]))["steps/v.step.ts"]["version"] == 1
    write(tmp_path / "project", {"steps/v.step.ts": step.replace("VERSION", "2")})
    assert loaded_ok(h.load(["steps/v.step.ts"], request_id=2))["steps/v.step.ts"]["version"] == 2
    h.invoke(1, "steps/v.step.ts", "V", EVENT, {})
    seen: list[pb.RunnerMessage] = []
    assert recv_result(h, 1, seen).ok
    assert [m.log.message for m in seen if m.WhichOneof("kind") == "log"] == ["version 2"]


# --------------------------------------------------------------------------- invoking


def test_api_invoke_with_middleware(start: Start) -> None:
    h = start(
        {
            "steps/api.step.ts": """
                const auth = async (req: any, ctx: any, next: () => Promise<any>) => {
                  if (!req.headers.authorization) return { status: 401, body: { error: 'no token' } }
                  req.user = { id: 'u1' }
                  return next()
                }
                async function addHeader(req: any, ctx: any, next: () => Promise<any>) {
                  const res = await next()
                  return { ...res, headers: { ...res.headers, 'X-Request-Id': ctx.traceId } }
                }
                export const config = {
                  type: 'api', name: 'Get', path: '/items/:id', method: 'GET', emits: [],
                  middleware: [auth, addHeader],
                }
                export const handler = async (req: any, ctx: any) => ({
                  status: 200,
                  body: { id: req.pathParams.id, page: req.queryParams.page, user: req.user },
                  headers: { 'Cache-Control': 'no-store' },
                })
            """,
        }
    )
    config = loaded_ok(h.load(["steps/api.step.ts"]))["steps/api.step.ts"]
    assert config["middleware"] == ["auth", "addHeader"]

    payload = {
        "body": None,
        "headers": {"authorization": "Bearer x"},
        "pathParams": {"id": "42"},
        "queryParams": {"page": "2"},
    }
    h.invoke(1, "steps/api.step.ts", "Get", API, payload, trace_id="tr-9")
    result = recv_result(h, 1)
    assert result.ok
    assert orjson.loads(result.result_json) == {
        "status": 200,
        "body": {"id": "42", "page": "2", "user": {"id": "u1"}},
        "headers": {"Cache-Control": "no-store", "X-Request-Id": "tr-9"},
    }

    h.invoke(2, "steps/api.step.ts", "Get", API, {**payload, "headers": {}})
    assert orjson.loads(recv_result(h, 2).result_json) == {"status": 401, "body": {"error": "no token"}}


def test_unawaited_emit_is_answered_before_result(start: Start) -> None:
    h = start(
        {
            "steps/ev.step.ts": """
                export const config = { type: 'event', name: 'Ev', subscribes: ['in'], emits: ['out'] }
                export const handler = async (input: any, { emit }: any) => {
                  emit({ topic: 'out', data: { n: input.n + 1 }, messageGroupId: 'g1' })
                }
            """,
        }
    )
    loaded_ok(h.load(["steps/ev.step.ts"]))
    h.invoke(5, "steps/ev.step.ts", "Ev", EVENT, {"n": 1}, trace_id="t-5", topic="in")
    call = h.recv_kind("call").call
    assert (call.method, call.invocation_id, call.trace_id, call.step_name) == ("emit", 5, "t-5", "Ev")
    assert orjson.loads(call.args_json) == [{"topic": "out", "data": {"n": 2}, "messageGroupId": "g1"}]
    no_message_of_kind(h, "result", 0.5)  # not before the call is answered
    h.reply(call.call_id, None)
    result = recv_result(h, 5)
    assert result.ok


def test_delayed_emit_after_result(start: Start) -> None:
    h = start(
        {
            "steps/late.step.js": """
                exports.config = { type: 'event', name: 'Late', subscribes: ['in'], emits: ['later'] }
                exports.handler = async (input, { emit, logger }) => {
                  setTimeout(async () => {
                    await emit({ topic: 'later', data: input })
                    logger.info('emitted later')
                  }, 600)
                }
            """,
        }
    )
    loaded_ok(h.load(["steps/late.step.js"]))
    h.invoke(3, "steps/late.step.js", "Late", EVENT, {"x": 1}, trace_id="trace-late")
    assert recv_result(h, 3).ok
    call = h.recv_kind("call", timeout=5).call
    assert (call.method, call.invocation_id, call.trace_id, call.step_name) == (
        "emit",
        3,
        "trace-late",
        "Late",
    )
    h.reply(call.call_id, None)
    log = h.recv_kind("log", where=lambda m: m.log.message == "emitted later").log
    assert (log.invocation_id, log.trace_id, log.step_name) == (3, "trace-late", "Late")


def test_context_methods_and_failures(start: Start) -> None:
    h = start(
        {
            "steps/todo.stream.ts": """
                export const config = {
                  name: 'todo', schema: { type: 'object' }, baseConfig: { storageType: 'default' },
                }
            """,
            "steps/ctx.step.ts": """
                export const config = { type: 'event', name: 'Ctx', subscribes: ['in'], emits: [] }
                export const handler = async (input: any, { state, streams, traceId }: any) => {
                  const stored = await state.set(traceId, 'k', { a: 1 })
                  const got = await state.get(traceId, 'k')
                  await state.getGroup(traceId)
                  await state.delete(traceId, 'k')
                  await state.clear(traceId)
                  await streams.todo.set('inbox', 't1', { title: 'x' })
                  await streams.todo.get('inbox', 't1')
                  await streams.todo.getGroup('inbox')
                  await streams.todo.delete('inbox', 't1')
                  await streams.todo.send({ groupId: 'inbox' }, { type: 'typing', data: {} })
                  await streams.undeclared.get('g', 'i')
                  try {
                    await state.get('g', 'missing')
                  } catch (e: any) {
                    return
                  }
                  throw new Error('expected state.get to fail')
                }
            """,
        }
    )
    result = h.load(["steps/ctx.step.ts"], ["steps/todo.stream.ts"])
    assert not result.errors
    h.invoke(1, "steps/ctx.step.ts", "Ctx", EVENT, {}, trace_id="T")
    expected = [
        ("state.set", ["T", "k", {"a": 1}]),
        ("state.get", ["T", "k"]),
        ("state.getGroup", ["T"]),
        ("state.delete", ["T", "k"]),
        ("state.clear", ["T"]),
        ("streams.set", ["todo", "inbox", "t1", {"title": "x"}]),
        ("streams.get", ["todo", "inbox", "t1"]),
        ("streams.getGroup", ["todo", "inbox"]),
        ("streams.delete", ["todo", "inbox", "t1"]),
        ("streams.send", ["todo", {"groupId": "inbox"}, {"type": "typing", "data": {}}]),
        ("streams.get", ["undeclared", "g", "i"]),
    ]
    for method, args in expected:
        call = h.recv_kind("call").call
        assert (call.method, orjson.loads(call.args_json)) == (method, args)
        h.reply(call.call_id, None)
    call = h.recv_kind("call").call
    assert call.method == "state.get"
    h.reply(call.call_id, error="state backend unavailable")
    outcome = recv_result(h, 1)
    assert outcome.ok, outcome.error


def test_console_log_becomes_log_record(start: Start) -> None:
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
                  logger.info('structured', { orderId: '123' })
                  logger.error('failed', new RangeError('out of range'))
                  logger.warn('number meta', 42)
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
        ("info", "structured"),
        ("error", "failed"),
        ("warn", "number meta"),
    ]
    for log in logs:
        assert (log.invocation_id, log.trace_id, log.step_name) == (1, "trace-log", "Log")
        assert log.time_ms > 1.6e12
    assert orjson.loads(logs[4].meta_json) == {"orderId": "123"}
    error_meta = orjson.loads(logs[5].meta_json)
    assert error_meta["name"] == "RangeError" and error_meta["message"] == "out of range"
    assert "log.step.ts" in error_meta["stack"]
    assert orjson.loads(logs[6].meta_json) == {"value": 42}
    assert logs[0].meta_json == b""


def test_log_level_filters_debug(start: Start, tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(
        root,
        {
            "steps/d.step.js": """
                exports.config = { type: 'event', name: 'D', subscribes: ['in'], emits: [] }
                exports.handler = async (input, { logger }) => {
                  logger.debug('hidden')
                  logger.info('shown')
                }
            """,
        },
    )
    h = RunnerHarness(node_runner_argv(), root)
    try:
        h.handshake(log_level="info")
        loaded_ok(h.load(["steps/d.step.js"]))
        h.invoke(1, "steps/d.step.js", "D", EVENT, {})
        seen: list[pb.RunnerMessage] = []
        assert recv_result(h, 1, seen).ok
        assert [m.log.message for m in seen if m.WhichOneof("kind") == "log"] == ["shown"]
    finally:
        h.close()


def test_stdout_writes_do_not_corrupt_the_channel(start: Start) -> None:
    h = start(
        {
            "steps/noisy.step.js": """
                process.stdout.write('import-time noise\\n')
                exports.config = { type: 'api', name: 'Noisy', path: '/n', method: 'GET', emits: [] }
                exports.handler = async () => {
                  process.stdout.write('handler noise\\n')
                  process.stdout.write(Buffer.from([0, 0, 0, 0, 9, 1, 2, 3]))
                  return { status: 200, body: 'ok' }
                }
            """,
        }
    )
    loaded_ok(h.load(["steps/noisy.step.js"]))
    for i in (1, 2):
        h.invoke(i, "steps/noisy.step.js", "Noisy", API, {"body": None})
        assert orjson.loads(recv_result(h, i).result_json) == {"status": 200, "body": "ok"}
    h.send(pb.SupervisorMessage(ping=pb.Ping(seq=1)))
    assert h.recv_kind("pong").pong.seq == 1
    assert not h.garbage
    assert h.close() == 0
    assert "import-time noise" in h.stderr_lines
    assert "handler noise" in h.stderr_lines


def test_handler_throws(start: Start) -> None:
    h = start(
        {
            "steps/fail.step.ts": """
                export const config = { type: 'event', name: 'Fail', subscribes: ['in'], emits: [] }
                class PaymentError extends Error { override name = 'PaymentError' }
                export const handler = async () => {
                  throw new PaymentError('card declined')
                }
            """,
            "steps/string.step.js": """
                exports.config = { type: 'event', name: 'Str', subscribes: ['in'], emits: [] }
                exports.handler = () => { throw 'plain string' }
            """,
        }
    )
    loaded_ok(h.load(["steps/fail.step.ts", "steps/string.step.js"]))
    h.invoke(1, "steps/fail.step.ts", "Fail", EVENT, {})
    result = recv_result(h, 1)
    assert not result.ok
    assert (result.error.name, result.error.message) == ("PaymentError", "card declined")
    assert "fail.step.ts:4" in result.error.stack
    h.invoke(2, "steps/string.step.js", "Str", EVENT, {})
    result = recv_result(h, 2)
    assert not result.ok and result.error.message == "plain string"
    h.invoke(3, "steps/not-loaded.step.ts", "Nope", EVENT, {})
    assert not recv_result(h, 3).ok


def test_authenticate_and_can_access_hooks(start: Start) -> None:
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
            "steps/motia.auth.js": """
                exports.authenticate = async (request, { state, logger }) => {
                  logger.info('authenticating', { url: request.url })
                  if (request.token === 'boom') throw new TypeError('bad token shape')
                  return await state.get('sessions', request.headers['x-session'])
                }
            """,
            "motia.auth.ts": "export const nothing = 1\n",
            "steps/secured.stream.ts": """
                export const config = {
                  name: 'secured',
                  schema: {},
                  canAccess: (subscription: any, authContext: any) => subscription.groupId === authContext?.userId,
                }
            """,
            "steps/exploding.stream.js": """
                exports.config = {
                  name: 'exploding',
                  canAccess: async () => { throw new Error('no access today') },
                }
            """,
            "steps/open.stream.js": "exports.config = { name: 'open' }\n",
        }
    )
    hook_files = ["motia.config.ts", "steps/motia.auth.js", "motia.auth.ts"]
    streams = ["steps/secured.stream.ts", "steps/exploding.stream.js", "steps/open.stream.js"]
    result = h.load([], streams, hook_files=hook_files)
    assert not result.errors, [(e.file, e.message) for e in result.errors]
    assert {hook.file: json.loads(hook.config_json) for hook in result.hooks} == {
        "motia.config.ts": {"exports": ["authenticate"]},
        "steps/motia.auth.js": {"exports": ["authenticate"]},
        "motia.auth.ts": {"exports": []},
    }
    assert {s.file: config_of(s).get("canAccess") for s in result.streams} == {
        "steps/secured.stream.ts": "canAccess",
        "steps/exploding.stream.js": "canAccess",
        "steps/open.stream.js": None,
    }

    request = {"url": "ws://h/", "headers": {"x-session": "s1"}, "query": {}, "token": "good"}
    h.invoke(1, "motia.config.ts", "authenticate", AUTHENTICATE, [request])
    assert json.loads(recv_result(h, 1).result_json) == {"userId": "u1"}
    h.invoke(2, "motia.config.ts", "authenticate", AUTHENTICATE, [{**request, "token": "bad"}])
    assert json.loads(recv_result(h, 2).result_json) is None

    # the hook gets a ctx: its calls are answered before the result, its logs carry the label
    seen: list[pb.RunnerMessage] = []
    h.invoke(3, "steps/motia.auth.js", "authenticate", AUTHENTICATE, [request])
    call = h.recv_kind("call", seen=seen).call
    assert (call.method, json.loads(call.args_json)) == ("state.get", ["sessions", "s1"])
    assert call.step_name == "authenticate"
    h.reply(call.call_id, {"userId": "from-state"})
    assert json.loads(recv_result(h, 3, seen).result_json) == {"userId": "from-state"}
    assert any(m.WhichOneof("kind") == "log" and m.log.message == "authenticating" for m in seen)
    h.invoke(4, "steps/motia.auth.js", "authenticate", AUTHENTICATE, [{**request, "token": "boom"}])
    failed = recv_result(h, 4)
    assert not failed.ok and (failed.error.name, failed.error.message) == ("TypeError", "bad token shape")
    h.invoke(5, "motia.auth.ts", "authenticate", AUTHENTICATE, [request])
    assert not recv_result(h, 5).ok  # the file exports no authenticate

    def can_access(invocation_id: int, file: str, group: str, context: object) -> pb.InvokeResult:
        subscription = {"streamName": "secured", "groupId": group}
        h.invoke(invocation_id, file, "secured.canAccess", CAN_ACCESS, [subscription, context])
        return recv_result(h, invocation_id)

    assert json.loads(can_access(10, "steps/secured.stream.ts", "u1", {"userId": "u1"}).result_json) is True
    assert json.loads(can_access(11, "steps/secured.stream.ts", "u2", {"userId": "u1"}).result_json) is False
    assert json.loads(can_access(12, "steps/secured.stream.ts", "u1", None).result_json) is False
    thrown = can_access(13, "steps/exploding.stream.js", "g", None)
    assert not thrown.ok and thrown.error.message == "no access today"
    assert not can_access(14, "steps/open.stream.js", "g", None).ok  # no canAccess to run
    assert not can_access(15, "steps/never-loaded.stream.ts", "g", None).ok


def test_cancel_answers_immediately(start: Start) -> None:
    h = start(
        {
            "steps/slow.step.js": """
                exports.config = { type: 'event', name: 'Slow', subscribes: ['in'], emits: [] }
                exports.handler = async (input, { state }) => { await state.get('g', 'k') }
            """,
        }
    )
    loaded_ok(h.load(["steps/slow.step.js"]))
    h.invoke(1, "steps/slow.step.js", "Slow", EVENT, {})
    call = h.recv_kind("call").call
    h.send(pb.SupervisorMessage(cancel=pb.Cancel(invocation_id=1, reason="timeout after 30s")))
    result = recv_result(h, 1, timeout=2)
    assert not result.ok
    assert result.error.message == "cancelled: timeout after 30s"
    h.reply(call.call_id, None)  # late reply is harmless
    no_message_of_kind(h, "result", 0.3)


def test_many_concurrent_invocations(start: Start) -> None:
    h = start(
        {
            "steps/c.step.ts": """
                export const config = { type: 'api', name: 'C', path: '/c', method: 'POST', emits: [] }
                export const handler = async (req: any, { state }: any) => {
                  const v = await state.get('g', String(req.body.i))
                  await new Promise((r) => setTimeout(r, 100))
                  return { status: 200, body: { i: req.body.i, v } }
                }
            """,
        }
    )
    loaded_ok(h.load(["steps/c.step.ts"]))
    n = 100
    for i in range(1, n + 1):
        h.invoke(i, "steps/c.step.ts", "C", API, {"body": {"i": i}}, trace_id=f"t{i}")
    # Every handler is waiting on its call at once: nothing is serialised.
    calls = [h.recv_kind("call").call for _ in range(n)]
    assert sorted(c.invocation_id for c in calls) == list(range(1, n + 1))
    h.send(pb.SupervisorMessage(ping=pb.Ping(seq=99)))
    assert h.recv_kind("pong").pong.seq == 99
    started = time.monotonic()
    for c in calls:
        h.reply(c.call_id, c.invocation_id * 10)
    results: dict[int, Any] = {}
    while len(results) < n:
        r = h.recv_kind("result").result
        results[r.invocation_id] = orjson.loads(r.result_json)
    assert time.monotonic() - started < 5
    assert all(results[i] == {"status": 200, "body": {"i": i, "v": i * 10}} for i in range(1, n + 1))


def test_shutdown_waits_for_in_flight(start: Start) -> None:
    h = start(
        {
            "steps/s.step.js": """
                exports.config = { type: 'event', name: 'S', subscribes: ['in'], emits: [] }
                exports.handler = async () => { await new Promise((r) => setTimeout(r, 400)) }
            """,
        }
    )
    loaded_ok(h.load(["steps/s.step.js"]))
    h.invoke(1, "steps/s.step.js", "S", EVENT, {})
    h.send(pb.SupervisorMessage(shutdown=pb.Shutdown(grace_ms=5000)))
    h.invoke(2, "steps/s.step.js", "S", EVENT, {})
    assert not recv_result(h, 2).ok  # refused: shutting down
    assert recv_result(h, 1).ok
    assert h.proc.wait(timeout=10) == 0


def test_startup_time(tmp_path: Path) -> None:
    """Spawn to HelloReply; generous bound here, the target is well under 400 ms."""
    timings = []
    for _ in range(3):
        t0 = time.monotonic()
        h = RunnerHarness(node_runner_argv(), tmp_path)
        h.handshake()
        timings.append(time.monotonic() - t0)
        h.close()
    assert min(timings) < float(os.environ.get("MOTIA_NODE_STARTUP_LIMIT", "2.0")), timings
