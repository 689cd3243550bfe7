"""The Python runner (runners/python, package ``motia_runner``), driven over its stdio protocol."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from supervisor.protocol._generated import runner_pb2 as pb
from tests.support.runner_harness import RunnerHarness, python_runner_argv, runner_env

API = pb.TRIGGER_KIND_API
EVENT = pb.TRIGGER_KIND_EVENT
CRON = pb.TRIGGER_KIND_CRON
AUTHENTICATE = pb.TRIGGER_KIND_AUTHENTICATE
CAN_ACCESS = pb.TRIGGER_KIND_CAN_ACCESS


def runner_argv() -> list[str]:
    """The harness's argv; MOTIA_TEST_RUNNER_PYTHON runs the runner under another interpreter."""
    argv = python_runner_argv()
    override = os.environ.get("MOTIA_TEST_RUNNER_PYTHON")
    return [override, *argv[1:]] if override else argv


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@contextmanager
def runner(project: Path, log_level: str = "info") -> Iterator[RunnerHarness]:
    harness = RunnerHarness(runner_argv(), project, runner_env(project))
    try:
        reply = harness.handshake(log_level=log_level)
        assert reply.protocol_version == 1
        yield harness
    finally:
        harness.close()
    assert harness.garbage == [], harness.garbage


def api_payload(body: Any = None, headers: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    return {
        "body": body,
        "headers": headers or {},
        "pathParams": params.get("path", {}),
        "queryParams": params.get("query", {}),
    }


def result_json(message: pb.RunnerMessage) -> Any:
    result = message.result
    assert result.ok, (result.error.name, result.error.message, result.error.stack)
    return json.loads(result.result_json)


def config_of(loaded: pb.LoadResult, file: str) -> dict[str, Any]:
    for entry in [*loaded.steps, *loaded.streams]:
        if entry.file == file:
            return dict(json.loads(entry.config_json))
    raise AssertionError(f"{file} not loaded: {[(e.file, e.message) for e in loaded.errors]}")


def answer_calls_until_result(
    harness: RunnerHarness, invocation_id: int, results: dict[str, Any] | None = None, timeout: float = 15
) -> tuple[pb.RunnerMessage, list[pb.RunnerMessage]]:
    """Reply to every ContextCall (by method) until the invocation's result arrives."""
    seen: list[pb.RunnerMessage] = []
    while True:
        message = harness.recv(timeout)
        kind = message.WhichOneof("kind")
        if kind == "result" and message.result.invocation_id == invocation_id:
            return message, seen
        seen.append(message)
        if kind == "call":
            harness.reply(message.call.call_id, (results or {}).get(message.call.method))


# ---------------------------------------------------------------- startup and loading


def test_handshake_reports_python_runtime(tmp_path: Path) -> None:
    started = time.monotonic()
    harness = RunnerHarness(runner_argv(), tmp_path, runner_env(tmp_path))
    try:
        reply = harness.handshake()
        elapsed = time.monotonic() - started
    finally:
        assert harness.close() == 0
    assert reply.protocol_version == 1
    assert reply.language == "python"
    if "MOTIA_TEST_RUNNER_PYTHON" not in os.environ:
        # then which protobuf the runner uses and whose it is (bundled_protobuf.py)
        assert reply.runtime.startswith(f"CPython {'.'.join(map(str, sys.version_info[:3]))}, protobuf ")
        assert reply.runtime.endswith("the project's)")
    assert reply.runtime.startswith("CPython 3.")
    assert reply.pid == harness.proc.pid
    assert elapsed < 5


def test_missing_cookie_exits_2_with_explanation(tmp_path: Path) -> None:
    env = runner_env(tmp_path)
    del env["MOTIA_RUNNER_COOKIE"]
    proc = subprocess.run(runner_argv(), cwd=tmp_path, env=env, capture_output=True, timeout=30)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"supervisor" in proc.stderr
    assert len(proc.stderr.decode().strip().splitlines()) == 1


def test_config_with_pydantic_schemas_is_json_schema(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/create_user_step.py": """
                from pydantic import BaseModel

                class UserIn(BaseModel):
                    name: str

                class UserOut(BaseModel):
                    id: str
                    name: str

                async def auth_middleware(req, context, next_fn):
                    return await next_fn()

                config = {
                    "type": "api",
                    "name": "CreateUser",
                    "path": "/users",
                    "method": "POST",
                    "emits": ["user.created"],
                    "bodySchema": UserIn,
                    "responseSchema": {201: UserOut, 400: {"type": "object"}},
                    "middleware": [auth_middleware],
                }

                async def handler(req, context):
                    return {"status": 201, "body": {"id": "1", "name": req.body["name"]}}
            """,
            "steps/noop_step.py": """
                config = {"type": "noop", "name": "Noop", "virtualEmits": [], "virtualSubscribes": []}
            """,
            "steps/todo_stream.py": """
                from pydantic import BaseModel

                class Todo(BaseModel):
                    title: str

                config = {"name": "todo", "schema": Todo, "baseConfig": {"storageType": "default"}}
            """,
        },
    )
    with runner(tmp_path) as harness:
        loaded = harness.load(["steps/create_user_step.py", "steps/noop_step.py"], ["steps/todo_stream.py"])
    assert list(loaded.errors) == []
    config = config_of(loaded, "steps/create_user_step.py")
    assert config["bodySchema"]["properties"] == {"name": {"title": "Name", "type": "string"}}
    assert set(config["responseSchema"]) == {"201", "400"}
    assert config["responseSchema"]["201"]["required"] == ["id", "name"]
    assert config["middleware"] == ["auth_middleware"]
    assert config["hasHandler"] is True
    assert config_of(loaded, "steps/noop_step.py")["hasHandler"] is False
    stream = config_of(loaded, "steps/todo_stream.py")
    assert stream["name"] == "todo"
    assert stream["schema"]["properties"]["title"]["type"] == "string"
    assert [s.file for s in loaded.streams] == ["steps/todo_stream.py"]


def test_file_names_with_hyphens_and_dots_load(tmp_path: Path) -> None:
    files = [
        "steps/01-api_step.py",
        "steps/python/deletion_reaper.cron_step.py",
        "steps/python/my-step.step.py",
    ]
    write_project(
        tmp_path,
        {
            file: f"""
                config = {{"type": "cron", "name": "S{index}", "cron": "* * * * *", "emits": []}}
                SELF = __file__

                async def handler(context):
                    context.logger.info("file", {{"file": SELF}})
            """
            for index, file in enumerate(files)
        }
        | {
            "steps/python/pet_creation.stream.py": """
                config = {
                    "name": "petCreation",
                    "schema": {"type": "object", "properties": {"message": {"type": "string"}}},
                };
            """
        },
    )
    with runner(tmp_path) as harness:
        loaded = harness.load(files, ["steps/python/pet_creation.stream.py"])
        assert list(loaded.errors) == []
        assert [s.file for s in loaded.steps] == files
        harness.invoke(1, files[2], "S2", CRON, None)
        log = harness.recv_kind("log")
        assert json.loads(log.log.meta_json) == {"file": str(tmp_path / files[2])}
        assert harness.recv_kind("result").result.ok


def test_imports_from_project_root_and_step_folder(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "src/__init__.py": "",
            "src/services/__init__.py": "",
            "src/services/store.py": "VALUE = 'from-root'\n",
            "steps/python/helpers.py": "SIBLING = 'from-sibling'\n",
            "steps/python/uses_imports_step.py": """
                from src.services.store import VALUE
                from helpers import SIBLING

                config = {"type": "api", "name": "Imports", "path": "/i", "method": "GET", "emits": []}

                def handler(req):
                    return {"status": 200, "body": [VALUE, SIBLING]}
            """,
        },
    )
    with runner(tmp_path) as harness:
        loaded = harness.load(["steps/python/uses_imports_step.py"])
        assert list(loaded.errors) == []
        harness.invoke(1, "steps/python/uses_imports_step.py", "Imports", API, api_payload())
        assert result_json(harness.recv_kind("result"))["body"] == ["from-root", "from-sibling"]


def test_broken_files_give_load_errors_and_others_still_load(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/good_step.py": 'config = {"type": "event", "name": "Good", "subscribes": ["a"]}\n'
            "async def handler(data, ctx):\n    pass\n",
            "steps/syntax_step.py": 'config = {"type": "event"}\n\ndef handler(:\n    pass\n',
            "steps/raises_step.py": "import os\n\nraise RuntimeError('boom at import')\n",
            "steps/missing_import_step.py": "import definitely_not_a_module_xyz\n",
            "steps/no_config_step.py": "x = 1\n",
        },
    )
    files = [
        "steps/syntax_step.py",
        "steps/raises_step.py",
        "steps/good_step.py",
        "steps/missing_import_step.py",
        "steps/no_config_step.py",
        "steps/does_not_exist_step.py",
    ]
    with runner(tmp_path) as harness:
        loaded = harness.load(files)
    assert [s.file for s in loaded.steps] == ["steps/good_step.py"]
    errors = {e.file: e for e in loaded.errors}
    assert set(errors) == set(files) - {"steps/good_step.py"}
    assert errors["steps/syntax_step.py"].line == 3
    assert "SyntaxError" in errors["steps/syntax_step.py"].message
    assert errors["steps/raises_step.py"].line == 3
    assert errors["steps/raises_step.py"].message == "RuntimeError: boom at import"
    assert "boom at import" in errors["steps/raises_step.py"].stack
    assert "raises_step.py" in errors["steps/raises_step.py"].stack
    assert errors["steps/missing_import_step.py"].line == 1
    assert "ModuleNotFoundError" in errors["steps/missing_import_step.py"].message
    assert "config" in errors["steps/no_config_step.py"].message


def test_reload_replaces_a_step(tmp_path: Path) -> None:
    step = tmp_path / "steps" / "v_step.py"
    write_project(
        tmp_path, {"steps/v_step.py": 'config = {"type": "cron", "name": "V1", "cron": "* * * * *"}\n'}
    )
    with runner(tmp_path) as harness:
        assert config_of(harness.load(["steps/v_step.py"]), "steps/v_step.py")["name"] == "V1"
        step.write_text('config = {"type": "cron", "name": "V2", "cron": "* * * * *"}\n')
        assert config_of(harness.load(["steps/v_step.py"], request_id=2), "steps/v_step.py")["name"] == "V2"


# ---------------------------------------------------------------- API steps


def test_api_request_attribute_access_and_middleware_chain(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/mw_step.py": """
                async def auth(req, context, next_fn):
                    if not req.headers.get("authorization"):
                        return {"status": 401, "body": {"error": "Unauthorized"}}
                    req["user"] = {"id": "u1"}
                    req.order = ["auth"]
                    return await next_fn()

                def add_header(req, context, next_fn):  # sync middleware: next_fn() returns the response
                    req.order.append("add_header")
                    response = next_fn()
                    response["headers"] = {"x-request-id": context.trace_id}
                    return response

                config = {
                    "type": "api", "name": "Mw", "path": "/mw/:id", "method": "POST", "emits": [],
                    "middleware": [auth, add_header],
                }

                async def handler(req, ctx=None):
                    req.order.append("handler")
                    return {
                        "status": 201,
                        "body": {
                            "id": req.pathParams["id"],
                            "name": req.body["name"],
                            "page": req.get("queryParams", {}).get("page"),
                            "user": req.user,
                            "order": req["order"],
                        },
                    }
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/mw_step.py"])
        harness.invoke(
            1,
            "steps/mw_step.py",
            "Mw",
            API,
            api_payload({"name": "Rex"}, {"authorization": "t"}, path={"id": "7"}, query={"page": "2"}),
            trace_id="tr-9",
        )
        response = result_json(harness.recv_kind("result"))
        harness.invoke(2, "steps/mw_step.py", "Mw", API, api_payload({"name": "Rex"}, path={"id": "7"}))
        rejected = result_json(harness.recv_kind("result"))
    assert response == {
        "status": 201,
        "body": {
            "id": "7",
            "name": "Rex",
            "page": "2",
            "user": {"id": "u1"},
            "order": ["auth", "add_header", "handler"],
        },
        "headers": {"x-request-id": "tr-9"},
    }
    assert rejected == {"status": 401, "body": {"error": "Unauthorized"}}


def test_pydantic_response_body_is_dumped_and_arity_is_respected(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/model_step.py": """
                import datetime
                from pydantic import BaseModel

                class Pet(BaseModel):
                    name: str
                    born: datetime.date

                config = {"type": "api", "name": "Model", "path": "/m", "method": "GET", "emits": []}

                async def handler(req):
                    return {"status": 200, "body": Pet(name="Rex", born=datetime.date(2020, 1, 2))}
            """,
            "steps/zero_step.py": """
                config = {"type": "api", "name": "Zero", "path": "/z", "method": "GET", "emits": []}

                def handler():
                    return {"status": 204, "body": None}
            """,
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/model_step.py", "steps/zero_step.py"])
        harness.invoke(1, "steps/model_step.py", "Model", API, api_payload())
        assert result_json(harness.recv_kind("result"))["body"] == {"name": "Rex", "born": "2020-01-02"}
        harness.invoke(2, "steps/zero_step.py", "Zero", API, api_payload())
        assert result_json(harness.recv_kind("result")) == {"status": 204, "body": None}


# ---------------------------------------------------------------- context calls and completion


def test_sync_handler_emit_without_await_is_sent_and_result_waits_for_reply(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/sync_step.py": """
                config = {"type": "event", "name": "Sync", "subscribes": ["in"], "emits": ["out"]}

                def handler(input_data, context):
                    logger = context['logger']
                    emit = context['emit']
                    logger.info("emitting")
                    emit({'topic': 'out', 'data': {'n': input_data['n'] + 1}})
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/sync_step.py"])
        harness.invoke(1, "steps/sync_step.py", "Sync", EVENT, {"n": 1}, trace_id="t-sync", topic="in")
        call = harness.recv_kind("call").call
        assert call.method == "emit"
        assert json.loads(call.args_json) == [{"topic": "out", "data": {"n": 2}}]
        assert (call.invocation_id, call.trace_id, call.step_name) == (1, "t-sync", "Sync")
        time.sleep(0.3)
        pending = [m for m in iter_available(harness) if m.WhichOneof("kind") == "result"]
        assert pending == [], "the result must wait for the emit's reply"
        harness.reply(call.call_id, None)
        result = harness.recv_kind("result").result
        assert result.ok and json.loads(result.result_json) is None


def iter_available(harness: RunnerHarness) -> list[pb.RunnerMessage]:
    out = []
    while not harness.messages.empty():
        message = harness.messages.get_nowait()
        if message is not None:
            out.append(message)
    return out


def test_delayed_emit_from_spawned_task_arrives_after_result_with_same_trace(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/orchestrator_step.py": """
                import asyncio

                config = {"type": "event", "name": "Orch", "subscribes": ["in"], "emits": []}

                async def handler(input_data, ctx=None):
                    emit = getattr(ctx, 'emit', None) if ctx else None
                    logger = getattr(ctx, 'logger', None) if ctx else None

                    async def delayed_emit():
                        await asyncio.sleep(1.5)
                        await emit({'topic': 'later', 'data': {'automatic': True}})
                        logger.info('after delayed emit')

                    asyncio.create_task(delayed_emit())
                    asyncio.create_task(emit({'topic': 'task-emit', 'data': {}}))
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/orchestrator_step.py"])
        started = time.monotonic()
        harness.invoke(5, "steps/orchestrator_step.py", "Orch", EVENT, {}, trace_id="t-orch")
        result, seen = answer_calls_until_result(harness, 5)
        assert result.result.ok
        assert time.monotonic() - started < 1.0
        late = harness.recv_kind("call", timeout=10).call
        assert time.monotonic() - started >= 1.4
        assert json.loads(late.args_json)[0]["topic"] == "later"
        assert (late.invocation_id, late.trace_id, late.step_name) == (5, "t-orch", "Orch")
        harness.reply(late.call_id, None)
        log = harness.recv_kind("log").log
        assert (log.message, log.invocation_id, log.trace_id) == ("after delayed emit", 5, "t-orch")
    assert any(m.WhichOneof("kind") == "call" and b"task-emit" in m.call.args_json for m in seen)


def test_state_and_stream_calls_return_replies_and_errors_raise(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/pet_creation.stream.py": 'config = {"name": "petCreation", "schema": {}}\n',
            "steps/calls_step.py": """
                config = {"type": "api", "name": "Calls", "path": "/c", "method": "POST", "emits": []}

                async def handler(req, context):
                    stored = await context.state.set("g", "k", {"v": 1})
                    got = await context.state.get("g", "k")
                    group = await context.state.get_group("g")
                    group2 = await context.state.getGroup("g")
                    pets = context.streams.petCreation
                    item = await pets.set(context.traceId, "message", {"message": "hi"})
                    items = await context.streams["petCreation"].getGroup(context.traceId)
                    await context.streams.petCreation.send({"groupId": "g"}, {"type": "t", "data": {}})
                    try:
                        await context.state.delete("g", "k")
                    except Exception as exc:
                        failure = [type(exc).__name__, str(exc)]
                    await context.state.clear("g")
                    return {"status": 200, "body": [stored, got, group, group2, item, items, failure]}
            """,
        },
    )
    replies = {
        "state.set": {"v": 1},
        "state.get": {"v": 1},
        "state.getGroup": [{"v": 1}],
        "streams.set": {"message": "hi", "id": "message"},
        "streams.getGroup": [{"message": "hi", "id": "message"}],
    }
    calls: list[tuple[str, Any]] = []
    with runner(tmp_path) as harness:
        loaded = harness.load(["steps/calls_step.py"], ["steps/pet_creation.stream.py"])
        assert list(loaded.errors) == []
        harness.invoke(1, "steps/calls_step.py", "Calls", API, api_payload(), trace_id="tr")
        while True:
            message = harness.recv()
            if message.WhichOneof("kind") == "result":
                break
            if message.WhichOneof("kind") == "call":
                call = message.call
                calls.append((call.method, json.loads(call.args_json)))
                if call.method == "state.delete":
                    harness.reply(call.call_id, error="state is read-only")
                else:
                    harness.reply(call.call_id, replies.get(call.method))
    body = result_json(message)["body"]
    assert body[:6] == [
        {"v": 1},
        {"v": 1},
        [{"v": 1}],
        [{"v": 1}],
        {"message": "hi", "id": "message"},
        [{"message": "hi", "id": "message"}],
    ]
    assert body[6] == ["ContextCallError", "state is read-only"]
    assert calls == [
        ("state.set", ["g", "k", {"v": 1}]),
        ("state.get", ["g", "k"]),
        ("state.getGroup", ["g"]),
        ("state.getGroup", ["g"]),
        ("streams.set", ["petCreation", "tr", "message", {"message": "hi"}]),
        ("streams.getGroup", ["petCreation", "tr"]),
        ("streams.send", ["petCreation", {"groupId": "g"}, {"type": "t", "data": {}}]),
        ("state.delete", ["g", "k"]),
        ("state.clear", ["g"]),
    ]


def test_sync_handler_can_block_on_call_result(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/block_step.py": """
                config = {"type": "api", "name": "Block", "path": "/b", "method": "GET", "emits": []}

                def handler(req, context):
                    value = context.state.get("g", "k").result(timeout=10)
                    return {"status": 200, "body": value}
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/block_step.py"])
        harness.invoke(1, "steps/block_step.py", "Block", API, api_payload())
        result, _ = answer_calls_until_result(harness, 1, {"state.get": {"x": 1}})
    assert result_json(result)["body"] == {"x": 1}


# ---------------------------------------------------------------- logs and the stdout channel


def test_print_and_logger_become_tagged_log_records(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/log_step.py": """
                import sys

                config = {"type": "cron", "name": "Logs", "cron": "* * * * *", "emits": []}

                async def handler(context):
                    print("hello", {"a": 1})
                    print("two\\nlines")
                    sys.stdout.write("partial ")
                    sys.stdout.write("line\\n")
                    context.logger.info("with meta", {"orderId": "1"})
                    context.logger.warning("raw", [1, 2])
                    context.logger.debug("hidden at info level")
                    try:
                        raise ValueError("bad")
                    except ValueError as exc:
                        context.logger.error("failed:", exc)
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/log_step.py"])
        harness.invoke(3, "steps/log_step.py", "Logs", CRON, None, trace_id="t-log")
        seen: list[pb.RunnerMessage] = []
        harness.recv_kind("result", seen=seen)
    logs = [m.log for m in seen if m.WhichOneof("kind") == "log"]
    assert all((log.invocation_id, log.trace_id, log.step_name) == (3, "t-log", "Logs") for log in logs)
    assert [(log.level, log.message) for log in logs] == [
        ("info", "hello {'a': 1}"),
        ("info", "two\nlines"),
        ("info", "partial line"),
        ("info", "with meta"),
        ("warn", "raw"),
        ("error", "failed:"),
    ]
    assert json.loads(logs[3].meta_json) == {"orderId": "1"}
    assert json.loads(logs[4].meta_json) == {"value": [1, 2]}
    error_meta = json.loads(logs[5].meta_json)
    assert error_meta["name"] == "ValueError" and error_meta["message"] == "bad"
    assert "raise ValueError" in error_meta["stack"]
    assert logs[0].time_ms > 0


def test_writes_to_fd_1_do_not_corrupt_the_channel(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/junk_step.py": """
                import os, subprocess, sys

                os.write(1, b"junk at import\\n")
                config = {"type": "api", "name": "Junk", "path": "/j", "method": "GET", "emits": []}

                def handler(req, context):
                    os.write(1, b"\\x00\\x00\\x00\\x00\\x10junk")
                    sys.__stdout__.write("via __stdout__\\n")
                    sys.__stdout__.flush()
                    subprocess.run([sys.executable, "-c", "print('child output')"], check=True)
                    return {"status": 200, "body": "clean"}
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/junk_step.py"])
        harness.invoke(1, "steps/junk_step.py", "Junk", API, api_payload())
        assert result_json(harness.recv_kind("result"))["body"] == "clean"
        harness.send(pb.SupervisorMessage(ping=pb.Ping(seq=9)))
        assert harness.recv_kind("pong").pong.seq == 9
    stderr = "\n".join(harness.stderr_lines)
    assert "junk at import" in stderr and "child output" in stderr and "via __stdout__" in stderr


# ---------------------------------------------------------------- event input, errors


def test_pydantic_annotated_event_input_is_validated_model(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/evaluate_step.py": """
                from __future__ import annotations
                from pydantic import BaseModel, Field

                class MoveInput(BaseModel):
                    gameId: str = Field(description="game")
                    moveId: str

                config = {
                    "type": "event", "name": "Evaluate", "subscribes": ["evaluate"], "emits": [],
                    "input": MoveInput.model_json_schema(),
                }

                async def handler(input: MoveInput, ctx):
                    ctx.logger.info("input", {"type": type(input).__name__, "gameId": input.gameId})
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/evaluate_step.py"])
        harness.invoke(1, "steps/evaluate_step.py", "Evaluate", EVENT, {"gameId": "g1", "moveId": "m1"})
        log = harness.recv_kind("log").log
        assert json.loads(log.meta_json) == {"type": "MoveInput", "gameId": "g1"}
        assert harness.recv_kind("result").result.ok
        harness.invoke(2, "steps/evaluate_step.py", "Evaluate", EVENT, {"gameId": "g1"})
        failed = harness.recv_kind("result").result
    assert not failed.ok
    assert failed.error.name == "ValidationError"
    assert "moveId" in failed.error.message


def test_handler_exception_gives_error_with_traceback(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/fail_step.py": """
                config = {"type": "event", "name": "Fail", "subscribes": ["x"], "emits": []}

                def helper(data):
                    raise KeyError(data["missing_key_name"])

                async def handler(data, context):
                    helper(data)
            """,
            "steps/sync_fail_step.py": """
                config = {"type": "cron", "name": "SyncFail", "cron": "* * * * *", "emits": []}

                def handler(context):
                    raise TypeError("sync boom")
            """,
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/fail_step.py", "steps/sync_fail_step.py"])
        harness.invoke(1, "steps/fail_step.py", "Fail", EVENT, {})
        failed = harness.recv_kind("result").result
        harness.invoke(2, "steps/sync_fail_step.py", "SyncFail", CRON, None)
        sync_failed = harness.recv_kind("result").result
        harness.invoke(3, "steps/not_loaded_step.py", "Nope", CRON, None)
        unknown = harness.recv_kind("result").result
    assert not failed.ok
    assert failed.error.name == "KeyError"
    assert "missing_key_name" in failed.error.message
    assert "fail_step.py" in failed.error.stack and "in helper" in failed.error.stack
    assert "motia_runner" not in failed.error.stack
    assert (sync_failed.ok, sync_failed.error.name, sync_failed.error.message) == (
        False,
        "TypeError",
        "sync boom",
    )
    assert "sync_fail_step.py" in sync_failed.error.stack
    assert not unknown.ok and "not loaded" in unknown.error.message


def test_authenticate_and_can_access_hooks(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "motia_auth.py": """
                import threading

                def authenticate(request, context):
                    # sync: runs in a worker thread, where a context call can be waited on
                    context.logger.info("authenticating", {"thread": threading.current_thread().name})
                    if request.token == "boom":
                        raise PermissionError("bad token shape")
                    return context.state.get("sessions", request["headers"]["x-session"]).result()
            """,
            "steps/motia_auth.py": "nothing = 1\n",
            "steps/secured_stream.py": """
                async def can_access(subscription, auth_context):
                    return auth_context is not None and subscription.groupId == auth_context.get("userId")

                config = {"name": "secured", "schema": {}, "canAccess": can_access}
            """,
            "steps/exploding_stream.py": """
                def explode(subscription, auth_context):
                    raise RuntimeError("no access today")

                config = {"name": "exploding", "canAccess": explode}
            """,
            "steps/open_stream.py": 'config = {"name": "open"}\n',
            "steps/broken/motia_auth.py": "raise ImportError('cannot load the auth hook')\n",
        },
    )
    streams = ["steps/secured_stream.py", "steps/exploding_stream.py", "steps/open_stream.py"]
    hooks = ["motia_auth.py", "steps/motia_auth.py", "steps/broken/motia_auth.py"]
    with runner(tmp_path) as harness:
        loaded = harness.load([], streams, hook_files=hooks)
        assert [(error.file, error.message) for error in loaded.errors] == [
            ("steps/broken/motia_auth.py", "ImportError: cannot load the auth hook")
        ]
        assert {hook.file: json.loads(hook.config_json) for hook in loaded.hooks} == {
            "motia_auth.py": {"exports": ["authenticate"]},
            "steps/motia_auth.py": {"exports": []},
        }
        assert config_of(loaded, "steps/secured_stream.py")["canAccess"] == "can_access"
        assert "canAccess" not in config_of(loaded, "steps/open_stream.py")

        request = {"url": "ws://h/", "headers": {"x-session": "s1"}, "query": {}, "token": "good"}
        harness.invoke(1, "motia_auth.py", "authenticate", AUTHENTICATE, [request])
        message, seen = answer_calls_until_result(harness, 1, {"state.get": {"userId": "u1"}})
        assert result_json(message) == {"userId": "u1"}
        [call] = [m.call for m in seen if m.WhichOneof("kind") == "call"]
        assert (call.method, json.loads(call.args_json), call.step_name) == (
            "state.get",
            ["sessions", "s1"],
            "authenticate",
        )
        [log] = [m.log for m in seen if m.WhichOneof("kind") == "log"]
        assert log.message == "authenticating" and "motia-run" in log.meta_json.decode()
        harness.invoke(2, "motia_auth.py", "authenticate", AUTHENTICATE, [{**request, "token": "boom"}])
        failed = harness.recv_kind("result").result
        assert (failed.ok, failed.error.name, failed.error.message) == (
            False,
            "PermissionError",
            "bad token shape",
        )
        assert "motia_auth.py" in failed.error.stack
        harness.invoke(3, "steps/motia_auth.py", "authenticate", AUTHENTICATE, [request])
        assert "does not export authenticate" in harness.recv_kind("result").result.error.message
        harness.invoke(4, "steps/broken/motia_auth.py", "authenticate", AUTHENTICATE, [request])
        assert not harness.recv_kind("result").result.ok

        def can_access(invocation_id: int, file: str, group: str, context: object) -> pb.InvokeResult:
            subscription = {"streamName": "secured", "groupId": group}
            harness.invoke(invocation_id, file, "secured.canAccess", CAN_ACCESS, [subscription, context])
            return harness.recv_kind("result", where=lambda m: m.result.invocation_id == invocation_id).result

        assert (
            json.loads(can_access(10, "steps/secured_stream.py", "u1", {"userId": "u1"}).result_json) is True
        )
        assert (
            json.loads(can_access(11, "steps/secured_stream.py", "u2", {"userId": "u1"}).result_json) is False
        )
        assert json.loads(can_access(12, "steps/secured_stream.py", "u1", None).result_json) is False
        thrown = can_access(13, "steps/exploding_stream.py", "g", None)
        assert (thrown.ok, thrown.error.name, thrown.error.message) == (
            False,
            "RuntimeError",
            "no access today",
        )
        assert not can_access(14, "steps/open_stream.py", "g", None).ok  # no canAccess to run
        assert not can_access(15, "steps/never_loaded_stream.py", "g", None).ok


def test_orphan_task_exception_is_logged_for_its_invocation(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/orphan_step.py": """
                import asyncio

                config = {"type": "cron", "name": "Orphan", "cron": "* * * * *", "emits": []}

                async def handler(context):
                    async def background():
                        await asyncio.sleep(0.05)
                        raise RuntimeError("lost in background")

                    asyncio.create_task(background())
            """
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/orphan_step.py"])
        harness.invoke(4, "steps/orphan_step.py", "Orphan", CRON, None, trace_id="t-orphan")
        assert harness.recv_kind("result").result.ok
        log = harness.recv_kind("log", timeout=5).log
    assert log.level == "error" and "lost in background" in log.message
    assert (log.invocation_id, log.trace_id) == (4, "t-orphan")


# ---------------------------------------------------------------- concurrency, ping, cancel, shutdown


def test_many_concurrent_invocations(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/slow_async_step.py": """
                import asyncio
                config = {"type": "api", "name": "SlowAsync", "path": "/a", "method": "GET", "emits": []}

                async def handler(req, ctx):
                    await asyncio.sleep(0.5)
                    value = await ctx.state.get("g", req.pathParams["i"])
                    return {"status": 200, "body": value}
            """,
            "steps/slow_sync_step.py": """
                import time
                config = {"type": "api", "name": "SlowSync", "path": "/s", "method": "GET", "emits": []}

                def handler(req, ctx):
                    time.sleep(0.5)
                    ctx.emit({"topic": "t", "data": req.pathParams["i"]})
                    return {"status": 200, "body": req.pathParams["i"]}
            """,
        },
    )
    count = 40
    with runner(tmp_path) as harness:
        harness.load(["steps/slow_async_step.py", "steps/slow_sync_step.py"])
        started = time.monotonic()
        for i in range(1, count + 1):
            file, name = (
                ("steps/slow_async_step.py", "SlowAsync")
                if i % 2
                else ("steps/slow_sync_step.py", "SlowSync")
            )
            harness.invoke(i, file, name, API, api_payload(path={"i": str(i)}), trace_id=f"t{i}")
        results: dict[int, Any] = {}
        while len(results) < count:
            message = harness.recv()
            kind = message.WhichOneof("kind")
            if kind == "call":
                args = json.loads(message.call.args_json)
                harness.reply(
                    message.call.call_id, {"i": args[1]} if message.call.method == "state.get" else None
                )
            elif kind == "result":
                results[message.result.invocation_id] = result_json(message)["body"]
        elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed
    for i in range(1, count + 1):
        assert results[i] == ({"i": str(i)} if i % 2 else str(i))


def test_ping_is_answered_while_handlers_run_and_cancel_answers_now(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/busy_step.py": """
                import time
                config = {"type": "cron", "name": "Busy", "cron": "* * * * *", "emits": []}

                def handler(context):
                    time.sleep(3)
            """,
            "steps/hang_step.py": """
                import asyncio
                config = {"type": "cron", "name": "Hang", "cron": "* * * * *", "emits": []}

                async def handler(context):
                    await asyncio.sleep(60)
            """,
        },
    )
    with runner(tmp_path) as harness:
        harness.load(["steps/busy_step.py", "steps/hang_step.py"])
        harness.invoke(1, "steps/busy_step.py", "Busy", CRON, None)
        harness.invoke(2, "steps/hang_step.py", "Hang", CRON, None)
        time.sleep(0.2)
        sent = time.monotonic()
        harness.send(pb.SupervisorMessage(ping=pb.Ping(seq=42)))
        assert harness.recv_kind("pong").pong.seq == 42
        assert time.monotonic() - sent < 0.5
        harness.send(pb.SupervisorMessage(cancel=pb.Cancel(invocation_id=2, reason="timeout after 1s")))
        cancelled = harness.recv_kind("result").result
        assert (cancelled.invocation_id, cancelled.ok) == (2, False)
        assert cancelled.error.message == "cancelled: timeout after 1s"
        assert harness.recv_kind("result", timeout=10).result.invocation_id == 1


def test_shutdown_waits_for_in_flight_then_exits_0(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/wait_step.py": """
                import asyncio
                config = {"type": "cron", "name": "Wait", "cron": "* * * * *", "emits": []}

                async def handler(context):
                    await asyncio.sleep(0.5)
            """
        },
    )
    harness = RunnerHarness(runner_argv(), tmp_path, runner_env(tmp_path))
    harness.handshake()
    harness.load(["steps/wait_step.py"])
    harness.invoke(1, "steps/wait_step.py", "Wait", CRON, None)
    harness.send(pb.SupervisorMessage(shutdown=pb.Shutdown(grace_ms=5000)))
    harness.invoke(2, "steps/wait_step.py", "Wait", CRON, None)
    refused = harness.recv_kind("result").result
    assert (refused.invocation_id, refused.ok) == (2, False)
    done = harness.recv_kind("result").result
    assert (done.invocation_id, done.ok) == (1, True)
    assert harness.proc.wait(timeout=10) == 0


def test_stdin_eof_exits_0(tmp_path: Path) -> None:
    harness = RunnerHarness(runner_argv(), tmp_path, runner_env(tmp_path))
    harness.handshake()
    assert harness.proc.stdin is not None
    harness.proc.stdin.close()
    assert harness.proc.wait(timeout=10) == 0


def test_protobuf_fallback_builds_the_same_messages() -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "runners" / "python"))
    code = (
        "from motia_runner.messages import build_from_descriptor\n"
        "pb = build_from_descriptor()\n"
        "m = pb.RunnerMessage(pong=pb.Pong(seq=7))\n"
        "print(m.SerializeToString().hex(), pb.TRIGGER_KIND_CRON)\n"
    )
    python = os.environ.get("MOTIA_TEST_RUNNER_PYTHON", sys.executable)
    out = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    expected = pb.RunnerMessage(pong=pb.Pong(seq=7)).SerializeToString().hex()
    assert out.stdout.split() == [expected, str(pb.TRIGGER_KIND_CRON)]


def test_sync_handler_print_context_get_and_sigint_is_ignored(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "steps/sync_print_step.py": """
                import asyncio

                LOOP = asyncio.get_event_loop()  # module-level loop lookups still work while loading
                config = {"type": "cron", "name": "SyncPrint", "cron": "* * * * *", "emits": []}

                def handler(context):
                    print("from a worker thread")
                    context.get("logger").info("trace", {"traceId": context.get("traceId")})
                    assert context.get("nope", 1) == 1 and "emit" in context and bool(context)
            """
        },
    )
    with runner(tmp_path) as harness:
        loaded = harness.load(["steps/sync_print_step.py"])
        assert list(loaded.errors) == []
        harness.proc.send_signal(2)  # SIGINT: the supervisor, not the terminal, stops runners
        harness.invoke(1, "steps/sync_print_step.py", "SyncPrint", CRON, None, trace_id="t-sp")
        seen: list[pb.RunnerMessage] = []
        result = harness.recv_kind("result", seen=seen).result
        assert result.ok, result.error.stack
    logs = [m.log for m in seen if m.WhichOneof("kind") == "log"]
    assert [(log.message, log.invocation_id, log.trace_id) for log in logs] == [
        ("from a worker thread", 1, "t-sp"),
        ("trace", 1, "t-sp"),
    ]
    assert json.loads(logs[1].meta_json) == {"traceId": "t-sp"}
    assert harness.proc.returncode == 0
