"""What only the Python runner (runners/python, package ``motia_runner``) does, over its stdio protocol:
the project's interpreter, pydantic, plain ``def`` handlers in worker threads, ``print``, tasks.

What both runners do is tested once per language in test_runners.py.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from supervisor.protocol._generated import runner_pb2 as pb
from tests.conftest import StartRunner
from tests.support.runner_harness import PYTHON, RunnerHarness, python_runner_argv

API = pb.TRIGGER_KIND_API
EVENT = pb.TRIGGER_KIND_EVENT
CRON = pb.TRIGGER_KIND_CRON
AUTHENTICATE = pb.TRIGGER_KIND_AUTHENTICATE


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


def test_handshake_reports_python_runtime(start_runner: StartRunner) -> None:
    reply = start_runner(PYTHON, {}).hello_reply
    if "MOTIA_TEST_RUNNER_PYTHON" not in os.environ:
        # then which protobuf the runner uses and whose it is (bundled_protobuf.py)
        assert reply.runtime.startswith(f"CPython {'.'.join(map(str, sys.version_info[:3]))}, protobuf ")
        assert reply.runtime.endswith("the interpreter's)")
    assert reply.runtime.startswith("CPython 3.")


def test_config_with_pydantic_schemas_is_json_schema(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
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


def test_file_names_with_hyphens_and_dots_load(start_runner: StartRunner, tmp_path: Path) -> None:
    files = [
        "steps/01-api_step.py",
        "steps/python/deletion_reaper.cron_step.py",
        "steps/python/my-step.step.py",
    ]
    harness = start_runner(
        PYTHON,
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
    loaded = harness.load(files, ["steps/python/pet_creation.stream.py"])
    assert list(loaded.errors) == []
    assert [s.file for s in loaded.steps] == files
    harness.invoke(1, files[2], "S2", CRON, None)
    log = harness.recv_kind("log")
    assert json.loads(log.log.meta_json) == {"file": str(tmp_path / "project" / files[2])}
    assert harness.recv_kind("result").result.ok


def test_imports_from_project_root_and_step_folder(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
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
    loaded = harness.load(["steps/python/uses_imports_step.py"])
    assert list(loaded.errors) == []
    harness.invoke(1, "steps/python/uses_imports_step.py", "Imports", API, api_payload())
    assert result_json(harness.recv_kind("result"))["body"] == ["from-root", "from-sibling"]


def test_a_missing_import_is_a_load_error_on_the_import_line(start_runner: StartRunner) -> None:
    harness = start_runner(PYTHON, {"steps/missing_import_step.py": "import definitely_not_a_module_xyz\n"})
    [error] = harness.load(["steps/missing_import_step.py"]).errors
    assert error.line == 1
    assert "ModuleNotFoundError" in error.message


# ---------------------------------------------------------------- API steps


def test_sync_middleware_and_item_access_on_the_request(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
        {
            "steps/mw_step.py": """
                async def auth(req, context, next_fn):
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
                            "page": req.get("queryParams", {}).get("page"),
                            "user": req.user,
                            "order": req["order"],
                        },
                    }
            """
        },
    )
    harness.load(["steps/mw_step.py"])
    harness.invoke(1, "steps/mw_step.py", "Mw", API, api_payload(query={"page": "2"}), trace_id="tr-9")
    assert result_json(harness.recv_kind("result")) == {
        "status": 201,
        "body": {"page": "2", "user": {"id": "u1"}, "order": ["auth", "add_header", "handler"]},
        "headers": {"x-request-id": "tr-9"},
    }


def test_pydantic_response_body_is_dumped_and_arity_is_respected(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
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
    harness.load(["steps/model_step.py", "steps/zero_step.py"])
    harness.invoke(1, "steps/model_step.py", "Model", API, api_payload())
    assert result_json(harness.recv_kind("result"))["body"] == {"name": "Rex", "born": "2020-01-02"}
    harness.invoke(2, "steps/zero_step.py", "Zero", API, api_payload())
    assert result_json(harness.recv_kind("result")) == {"status": 204, "body": None}


# ---------------------------------------------------------------- context calls and completion


def test_a_pending_call_can_be_handed_to_create_task(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
        {
            "steps/task_emit_step.py": """
                import asyncio

                config = {"type": "event", "name": "TaskEmit", "subscribes": ["in"], "emits": []}

                async def handler(input_data, ctx=None):
                    emit = getattr(ctx, "emit", None) if ctx else None
                    asyncio.create_task(emit({"topic": "task-emit", "data": {}}))
            """
        },
    )
    harness.load(["steps/task_emit_step.py"])
    harness.invoke(5, "steps/task_emit_step.py", "TaskEmit", EVENT, {}, trace_id="t-task")
    result, seen = answer_calls_until_result(harness, 5)
    assert result.result.ok
    [call] = [m.call for m in seen if m.WhichOneof("kind") == "call"]
    assert json.loads(call.args_json) == [{"topic": "task-emit", "data": {}}]
    assert (call.invocation_id, call.trace_id, call.step_name) == (5, "t-task", "TaskEmit")


def test_a_sync_handler_can_block_on_a_call_and_a_refused_call_raises_context_call_error(
    start_runner: StartRunner,
) -> None:
    harness = start_runner(
        PYTHON,
        {
            "steps/block_step.py": """
                config = {"type": "api", "name": "Block", "path": "/b", "method": "GET", "emits": []}

                def handler(req, context):
                    value = context.state.get("g", "k").result(timeout=10)
                    try:
                        context.state.delete("g", "k").result(timeout=10)
                    except Exception as exc:
                        return {"status": 200, "body": [value, type(exc).__name__, str(exc)]}
            """
        },
    )
    harness.load(["steps/block_step.py"])
    harness.invoke(1, "steps/block_step.py", "Block", API, api_payload())
    get = harness.recv_kind("call").call
    harness.reply(get.call_id, {"x": 1})
    delete = harness.recv_kind("call").call
    harness.reply(delete.call_id, error="state is read-only")
    assert result_json(harness.recv_kind("result"))["body"] == [
        {"x": 1},
        "ContextCallError",
        "state is read-only",
    ]


def test_sync_handlers_run_concurrently_in_worker_threads(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
        {
            "steps/sync_step.py": """
                config = {"type": "api", "name": "Sync", "path": "/s", "method": "GET", "emits": []}

                def handler(req, context):
                    return {"status": 200, "body": context.state.get("g", req.pathParams["i"]).result()}
            """
        },
    )
    harness.load(["steps/sync_step.py"])
    count = 20  # below the pool's 64 threads
    for i in range(1, count + 1):
        harness.invoke(i, "steps/sync_step.py", "Sync", API, api_payload(path={"i": str(i)}))
    # every handler blocks its own thread on its call at once: none waits for another
    calls = [harness.recv_kind("call").call for _ in range(count)]
    assert sorted(c.invocation_id for c in calls) == list(range(1, count + 1))
    for call in calls:
        harness.reply(call.call_id, call.invocation_id * 10)
    results: dict[int, Any] = {}
    while len(results) < count:
        message = harness.recv_kind("result")
        results[message.result.invocation_id] = result_json(message)["body"]
    assert results == {i: i * 10 for i in range(1, count + 1)}


#: a handler held in one synchronous call (reading the named pipe steps/release) until the test writes
#: to it (``release``): held for as long as the test needs, however slow the machine, not a fixed time
HELD_UNTIL_RELEASED = """
    from pathlib import Path
    {head}
    RELEASE = Path(__file__).with_name("release")

    {signature}:
        RELEASE.read_text()
        return {{"status": 200, "body": "done"}}
"""


def hold(harness: RunnerHarness) -> None:
    """Make the named pipe a ``HELD_UNTIL_RELEASED`` handler reads."""
    os.mkfifo(harness.project / "steps" / "release")


def release(harness: RunnerHarness) -> None:
    """Let a ``HELD_UNTIL_RELEASED`` handler return (opening the pipe waits for it to be reading)."""
    (harness.project / "steps" / "release").write_text("go")


def test_ping_is_answered_while_a_sync_handler_keeps_its_thread_busy(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
        {
            "steps/busy_step.py": HELD_UNTIL_RELEASED.format(
                head='config = {"type": "cron", "name": "Busy", "cron": "* * * * *", "emits": []}',
                signature="def handler(context)",
            ),
        },
    )
    hold(harness)
    harness.load(["steps/busy_step.py"])
    harness.invoke(1, "steps/busy_step.py", "Busy", CRON, None)
    harness.send(pb.SupervisorMessage(ping=pb.Ping(seq=42)))
    seen: list[pb.RunnerMessage] = []
    assert harness.recv_kind("pong", seen=seen).pong.seq == 42
    assert [m for m in seen if m.WhichOneof("kind") == "result"] == []  # the handler is still running
    release(harness)
    assert harness.recv_kind("result", timeout=30).result.invocation_id == 1


# ---------------------------------------------------------------- logs and the stdout channel


def test_print_and_stdout_writes_become_one_record_per_line(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
        {
            "steps/log_step.py": """
                import sys

                config = {"type": "cron", "name": "Logs", "cron": "* * * * *", "emits": []}

                async def handler(context):
                    print("hello", {"a": 1})
                    print("two\\nlines")
                    sys.stdout.write("partial ")
                    sys.stdout.write("line\\n")
                    context.logger.warning("raw", [1, 2])
            """
        },
    )
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
        ("warn", "raw"),
    ]
    assert json.loads(logs[3].meta_json) == {"data": [1, 2]}


def test_child_processes_and_dunder_stdout_cannot_reach_the_channel(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
        {
            "steps/junk_step.py": """
                import subprocess, sys

                config = {"type": "api", "name": "Junk", "path": "/j", "method": "GET", "emits": []}

                def handler(req, context):
                    sys.__stdout__.write("via __stdout__\\n")
                    sys.__stdout__.flush()
                    subprocess.run([sys.executable, "-c", "print('child output')"], check=True)
                    return {"status": 200, "body": "clean"}
            """
        },
    )
    harness.load(["steps/junk_step.py"])
    harness.invoke(1, "steps/junk_step.py", "Junk", API, api_payload())
    assert result_json(harness.recv_kind("result"))["body"] == "clean"
    harness.send(pb.SupervisorMessage(ping=pb.Ping(seq=9)))
    assert harness.recv_kind("pong").pong.seq == 9
    harness.close()
    stderr = "\n".join(harness.stderr_lines)
    assert "child output" in stderr and "via __stdout__" in stderr


# ---------------------------------------------------------------- event input, errors


def test_pydantic_annotated_event_input_is_validated_model(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
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


def test_handler_exception_gives_error_with_traceback(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
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
    harness.load(["steps/fail_step.py", "steps/sync_fail_step.py"])
    harness.invoke(1, "steps/fail_step.py", "Fail", EVENT, {})
    failed = harness.recv_kind("result").result
    harness.invoke(2, "steps/sync_fail_step.py", "SyncFail", CRON, None)
    sync_failed = harness.recv_kind("result").result
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


def test_a_sync_authenticate_hook_runs_in_a_worker_thread_and_a_broken_hook_file_is_a_load_error(
    start_runner: StartRunner,
) -> None:
    harness = start_runner(
        PYTHON,
        {
            "motia_auth.py": """
                import threading

                def authenticate(request, context):
                    # sync: runs in a worker thread, where a context call can be waited on
                    context.logger.info("authenticating", {"thread": threading.current_thread().name})
                    return context.state.get("sessions", request["headers"]["x-session"]).result()
            """,
            "steps/broken/motia_auth.py": "raise ImportError('cannot load the auth hook')\n",
        },
    )
    hooks = ["motia_auth.py", "steps/broken/motia_auth.py"]
    loaded = harness.load([], [], hook_files=hooks)
    assert [(error.file, error.message) for error in loaded.errors] == [
        ("steps/broken/motia_auth.py", "ImportError: cannot load the auth hook")
    ]
    assert [hook.file for hook in loaded.hooks] == ["motia_auth.py"]
    request = {"url": "ws://h/", "headers": {"x-session": "s1"}, "query": {}, "token": "good"}
    harness.invoke(1, "motia_auth.py", "authenticate", AUTHENTICATE, [request])
    message, seen = answer_calls_until_result(harness, 1, {"state.get": {"userId": "u1"}})
    assert result_json(message) == {"userId": "u1"}
    [log] = [m.log for m in seen if m.WhichOneof("kind") == "log"]
    assert log.message == "authenticating" and "motia-run" in log.meta_json.decode()
    harness.invoke(4, "steps/broken/motia_auth.py", "authenticate", AUTHENTICATE, [request])
    message, _ = answer_calls_until_result(harness, 4)
    assert not message.result.ok


def test_orphan_task_exception_is_logged_for_its_invocation(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
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
    harness.load(["steps/orphan_step.py"])
    harness.invoke(4, "steps/orphan_step.py", "Orphan", CRON, None, trace_id="t-orphan")
    assert harness.recv_kind("result").result.ok
    log = harness.recv_kind("log", timeout=5).log
    assert log.level == "error" and "lost in background" in log.message
    assert (log.invocation_id, log.trace_id) == (4, "t-orphan")


def test_a_blocked_loop_still_answers_pings_names_what_holds_it_and_declines_new_work(
    start_runner: StartRunner,
) -> None:
    """An ``async def`` handler in a synchronous call holds the event loop, not the runner: Pings are
    answered from the reader thread and say which invocation holds the loop and at which line; an
    Invoke that would wait behind it is declined, never started, for the supervisor to run elsewhere."""
    harness = start_runner(
        PYTHON,
        {
            "steps/block_step.py": HELD_UNTIL_RELEASED.format(
                head='config = {"type": "api", "name": "Block", "path": "/block", "method": "POST", "emits": []}',
                signature="async def handler(req, context)",
            ),
            "steps/ok_step.py": """
                config = {"type": "api", "name": "Ok", "path": "/ok", "method": "GET", "emits": []}

                async def handler(req, context):
                    print("Ok ran")
                    return {"status": 200, "body": "ok"}
            """,
        },
    )
    assert harness.hello_reply is not None and harness.hello_reply.watches_loop
    hold(harness)
    harness.load(["steps/block_step.py", "steps/ok_step.py"])
    harness.invoke(1, "steps/block_step.py", "Block", API, api_payload(), trace_id="trace-block")
    seen: list[pb.RunnerMessage] = []
    stall = None
    deadline = time.monotonic() + 30  # a guard: the loop is held until the test releases it
    for seq in itertools.count(1):  # poll with Pings until one reports the stall
        harness.send(pb.SupervisorMessage(ping=pb.Ping(seq=seq)))
        pong = harness.recv_kind("pong", seen=seen).pong
        assert pong.seq == seq
        if pong.HasField("stall") or time.monotonic() > deadline:
            stall = pong.stall if pong.HasField("stall") else None
            break
        time.sleep(0.05)
    assert stall is not None, "no Pong reported the stalled loop"
    assert stall.stalled_ms >= 500
    assert (stall.invocation_id, stall.step_name, stall.trace_id) == (1, "Block", "trace-block")
    assert re.fullmatch(r"steps/block_step\.py:\d+ in handler: RELEASE\.read_text\(\)", stall.where), (
        stall.where
    )
    assert 'block_step.py", line' in stall.stack and "motia_runner" not in stall.stack

    harness.invoke(2, "steps/ok_step.py", "Ok", API, api_payload())
    declined = harness.recv_kind("result", seen=seen).result
    assert (declined.invocation_id, declined.ok, declined.declined) == (2, False, True)
    assert declined.error.name == "RunnerBusy"
    assert "blocked by step Block" in declined.error.message

    release(harness)
    finished = harness.recv_kind("result", timeout=30, seen=seen).result
    assert (finished.invocation_id, finished.ok, finished.declined) == (1, True, False)
    harness.send(pb.SupervisorMessage(ping=pb.Ping(seq=1000)))
    assert not harness.recv_kind("pong", seen=seen).pong.HasField("stall")
    assert not [m for m in seen if m.WhichOneof("kind") == "log" and "Ok ran" in m.log.message]


# ---------------------------------------------------------------- the runner process


def test_protobuf_fallback_builds_the_same_messages() -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "runners" / "python"))
    code = (
        "from motia_runner.messages import build_from_descriptor\n"
        "pb = build_from_descriptor()\n"
        "m = pb.RunnerMessage(pong=pb.Pong(seq=7))\n"
        "print(m.SerializeToString().hex(), pb.TRIGGER_KIND_CRON)\n"
    )
    python = python_runner_argv()[0]
    out = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    expected = pb.RunnerMessage(pong=pb.Pong(seq=7)).SerializeToString().hex()
    assert out.stdout.split() == [expected, str(pb.TRIGGER_KIND_CRON)]


def test_sync_handler_print_context_get_and_sigint_is_ignored(start_runner: StartRunner) -> None:
    harness = start_runner(
        PYTHON,
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
    assert harness.close() == 0


FRAMES_WHILE_NOBODY_READS = """
import os
import sys
import threading

from motia_runner.framing import FrameDecoder
from motia_runner.messages import pb
from motia_runner.transport import FrameWriter

read_fd, write_fd = os.pipe()
broken = []
writer = FrameWriter(write_fd, on_broken=lambda: broken.append(True))
count = 2000
padding = "x" * 1000  # 2 MB in all: the pipe holds 64 KB


def send_logs():
    for i in range(count):
        writer.send(pb.RunnerMessage(log=pb.LogRecord(level="info", message=f"{i} {padding}")))


other = threading.Thread(target=send_logs)
other.start()
for seq in range(count):  # from this thread meanwhile, as the reader thread sends Pongs
    writer.send(pb.RunnerMessage(pong=pb.Pong(seq=seq)))
other.join()
# Every send has returned with nobody reading: none of them waited for the pipe.
closer = threading.Thread(target=writer.close, args=(30.0,))
closer.start()
decoder, pongs, logs = FrameDecoder(), [], []
while len(pongs) + len(logs) < 2 * count:
    for frame in decoder.feed(os.read(read_fd, 1 << 16)):
        message = pb.RunnerMessage()
        message.ParseFromString(frame)
        if message.WhichOneof("kind") == "pong":
            pongs.append(message.pong.seq)
        else:
            logs.append(int(message.log.message.split()[0]))
closer.join()
assert pongs == list(range(count)), pongs[:10]
assert logs == list(range(count)), logs[:10]
assert not broken
print("ok")
"""


def _script_prints_ok(script: str, *, timeout: float, with_supervisor: bool = False) -> None:
    """Runs ``script`` in a Python of its own with the runner's package importable (and the supervisor's,
    from the repository root, ``with_supervisor``): it must exit 0 having printed ``ok``."""
    root = Path(__file__).resolve().parents[1]
    path = (
        f"{root / 'runners' / 'python'}{os.pathsep}{root}"
        if with_supervisor
        else str(root / "runners" / "python")
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root if with_supervisor else None,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok", done.stdout


def test_frames_sent_while_the_supervisor_does_not_read_wait_in_order_without_blocking_the_sender() -> None:
    """The runner's channel writes a frame from the thread that sends it when the pipe takes it at once,
    else queues it (and all after it) for its writer thread: with nobody reading, senders on two threads
    still return at once, and once read, each thread's frames come whole and in the order they were sent."""
    _script_prints_ok(FRAMES_WHILE_NOBODY_READS, timeout=120)


GRPC_MESSAGE_WAITING_IN_GRPC = """
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc

from motia_runner.backpressure import HIGH_WATER
from motia_runner.messages import pb
from motia_runner.transport_grpc import GrpcLink
from supervisor.protocol import CONNECT_METHOD, RUNNER_SERVICE

done = threading.Event()


def connect(requests, context):  # a supervisor that reads nothing of what the runner sends
    for seq in range(20_000):
        yield pb.SupervisorMessage(ping=pb.Ping(seq=seq)).SerializeToString()
    done.wait()


# without BDP probing the window the supervisor grants stays at 64 KiB (see transport_grpc)
server = grpc.server(ThreadPoolExecutor(max_workers=2), options=[("grpc.http2.bdp_probe", 0)])
handler = grpc.stream_stream_rpc_method_handler(connect)
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(RUNNER_SERVICE, {CONNECT_METHOD: handler}),))
port = server.add_insecure_port("127.0.0.1:0")
server.start()

big = pb.RunnerMessage(log=pb.LogRecord(level="info", message="x" * (2 * HIGH_WATER)))
received = []


def on_message(message):
    received.append(message.ping.seq)
    if len(received) == 1:
        writer.send(big)


ended = []  # the call, cancelled as the server stops at the end
writer, reader = GrpcLink(f"127.0.0.1:{port}", "c").open(on_message, ended.append, ended.append, lambda: 0.0)
reader.start()
try:
    # grpc's thread takes the message from the writer and sends the window's worth HTTP/2 lets go
    while not (received and writer._queue.empty()):
        time.sleep(0.01)
    # all the rest still waits in this process, so it counts, and the reader reads nothing more
    assert writer.backpressure.waiting == big.ByteSize(), (writer.backpressure.waiting, big.ByteSize())
    assert writer.backpressure.full
    assert received == [0], len(received)
finally:
    done.set()
    server.stop(0)
print("ok")
"""


def test_over_grpc_a_message_counts_as_queued_until_grpc_has_written_it() -> None:
    """Over gRPC, what waits to be sent counts as over stdio: the bytes not handed to the socket yet.
    grpc takes a message from the writer's queue and then sends what HTTP/2's flow control lets go:
    a message of twice the high mark, taken while the supervisor reads nothing, still waits (all but a
    window's worth) in grpc, so it still counts whole and the reader stays paused (it counted as sent
    once taken, and the reader read on: it paused only once another 64 KiB waited behind it)."""
    _script_prints_ok(GRPC_MESSAGE_WAITING_IN_GRPC, timeout=120, with_supervisor=True)


LOG_LINES_WAIT_FOR_THE_NEXT_FRAME = """
import asyncio
import os
import threading

from motia_runner.framing import FrameDecoder
from motia_runner.messages import pb
from motia_runner.transport import FrameWriter

read_fd, write_fd = os.pipe()
os.set_blocking(read_fd, False)
decoder = FrameDecoder()


def in_the_pipe():
    try:
        data = os.read(read_fd, 1 << 16)
    except BlockingIOError:
        return []
    seen = []
    for frame in decoder.feed(data):
        message = pb.RunnerMessage()
        message.ParseFromString(frame)
        kind = message.WhichOneof("kind")
        seen.append(message.log.message if kind == "log" else f"call {message.call.call_id}")
    return seen


def line(text):
    return pb.RunnerMessage(log=pb.LogRecord(level="info", message=text))


async def main():
    writer = FrameWriter(write_fd, on_broken=lambda: None)
    writer.send_later(line("before the call"))
    writer.send_later(line("and another"))
    assert in_the_pipe() == [], "a log line went out before the frame after it"
    writer.send(pb.RunnerMessage(call=pb.ContextCall(call_id=1, method="state.get")))
    assert in_the_pipe() == ["before the call", "and another", "call 1"]
    writer.send_later(line("last of the turn"))
    assert in_the_pipe() == []
    await asyncio.sleep(0)  # the loop turn ends
    assert in_the_pipe() == ["last of the turn"]
    other = threading.Thread(target=writer.send_later, args=(line("from another thread"),))
    other.start()
    other.join()
    assert in_the_pipe() == ["from another thread"], "a thread without the loop has no turn to wait for"
    writer.send_later(line("at close"))
    writer.close()
    assert in_the_pipe() == ["at close"]
    return FrameWriter(write_fd, on_broken=lambda: None)


late = asyncio.run(main())
late.send_later(line("after the loop stopped"))
assert in_the_pipe() == ["after the loop stopped"], "a loop that stopped has no turn to end"
late.close()
print("ok")
"""


def test_a_log_line_on_the_loop_goes_out_with_the_next_frame_or_at_the_end_of_the_loop_turn() -> None:
    """A log line sent on the runner's event loop waits for the frame sent after it (a handler's
    ``logger.info`` before its ``await state.get``), in order, in one write, or for the end of the loop
    turn; sent from another thread, at close, or once the loop has stopped, it goes out at once."""
    _script_prints_ok(LOG_LINES_WAIT_FOR_THE_NEXT_FRAME, timeout=60)
