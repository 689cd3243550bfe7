"""How the supervisor answers a handler's context calls: a call that needs no waiting is answered with
its result, in the loop turn that read it; one that must wait gives an awaitable; both are recorded in
the call's trace, and a failure raises the handler's error, at once or from the awaitable.

The dispatch (``ContextCalls``) runs on a real SQLite state store; the connection's side (answering a
real runner, in order, each failure as it is) in ``test_a_runner_gets_each_answer_...`` below.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from supervisor.core._context_calls import ContextCalls
from supervisor.core._registry import Registry
from supervisor.protocol import ContextCall, TriggerKind
from supervisor.runners import ContextCallError, PoolSettings, RunnerPool
from supervisor.runners._spec import python_spec
from supervisor.state import SqliteStateStore
from supervisor.storage import SqliteDatabase
from supervisor.streams import MemoryStreamStore, Streams
from supervisor.tracing import MemoryTraceStore, Recorder, Retention
from tests.support.project import write_project


class CallLog(Recorder):
    """A recorder that keeps what ``context_call`` is told: (method, result, error)."""

    def __init__(self, root: Path) -> None:
        super().__init__(MemoryTraceStore(), Retention(10, 10, 60.0), root)
        self.calls: list[tuple[str, Any, str | None]] = []

    def context_call(
        self,
        call: ContextCall,
        args: list[Any],
        result: Any,
        started: float,
        error: str | None,
        finished: float | None = None,
    ) -> None:
        self.calls.append((call.method, result, error))


class Setup:
    def __init__(self, db: SqliteDatabase, recorder: CallLog, *, inline: bool = True) -> None:
        self.db = db
        self.recorder = recorder
        self.emitted: list[str] = []
        self.calls = ContextCalls(
            Registry, SqliteStateStore(db), Streams(MemoryStreamStore()), self._emit, recorder, inline=inline
        )
        self._ids = 0

    async def _emit(
        self,
        topic: str,
        data: Any,
        trace_id: str,
        message_group_id: str | None = None,
        *,
        step: str | None = None,
    ) -> int:
        if topic == "waits.then.fails":  # as a queue whose write waits, then fails
            await asyncio.sleep(0)
            raise RuntimeError("the queue broke")
        self.emitted.append(topic)
        return 1

    def __call__(self, method: str, *args: Any) -> Any:
        self._ids += 1
        return self.calls(ContextCall(self._ids, 1, "t1", "Step", method, orjson.dumps(list(args))))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = await SqliteDatabase.open(tmp_path / ".motia" / "motia.db")
    try:
        yield database
    finally:
        await database.close()


async def test_a_call_that_needs_no_waiting_is_answered_with_its_result(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    """The first write of a loop turn commits on the loop's thread, a read is a lookup there, an emit to
    nobody waits for nothing: each call gives its result, no awaitable, and is recorded in the loop's
    next callback (after the reply has left)."""
    calls = Setup(db, CallLog(tmp_path))
    assert calls("state.set", "g", "k", {"n": 1}) == {"n": 1}
    assert calls("state.get", "g", "k") == {"n": 1}
    assert calls("state.get", "g", "missing") is None
    assert calls("emit", {"topic": "a.topic", "data": {}}) is None
    assert calls.emitted == ["a.topic"]
    assert calls.recorder.calls == []
    await asyncio.sleep(0)
    assert calls.recorder.calls[:3] == [
        ("state.set", {"n": 1}, None),
        ("state.get", {"n": 1}, None),
        ("state.get", None, None),
    ]


async def test_a_call_that_must_wait_gives_an_awaitable_of_the_same_result(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    """A second write in the same loop turn queues behind the first (one commit for the rest of the
    turn): its call gives an awaitable, recorded once it is done, and the write is committed then."""
    calls = Setup(db, CallLog(tmp_path))
    assert calls("state.set", "g", "a", 1) == 1
    pending = calls("state.set", "g", "b", 2)
    assert inspect.isawaitable(pending)
    assert await pending == 2
    assert calls.recorder.calls == [("state.set", 1, None), ("state.set", 2, None)]
    assert await calls("state.getGroup", "g") == [1, 2]  # a read in a worker thread


async def test_a_write_committed_right_after_its_loop_turn_is_answered_in_the_next_turn(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    """Two writes read together: the first commits at once, the second right after the turn, first
    thing in the next one; the task answering its call (as the runner connection's) runs in that next
    turn too, finds it committed and answers there, not a turn later."""
    calls = Setup(db, CallLog(tmp_path))
    loop = asyncio.get_running_loop()
    turns_after_the_read = 0
    answered: list[tuple[int, Any]] = []

    def end_of_turn() -> None:  # queued after everything else of each turn, so it counts turns
        nonlocal turns_after_the_read
        turns_after_the_read += 1
        if not answered:
            loop.call_soon(end_of_turn)

    async def answer(pending: Any) -> None:
        value = await pending
        answered.append((turns_after_the_read, value))

    def read() -> None:  # one read of a runner's pipe that brings two state.set calls
        assert calls("state.set", "g", "a", 1) == 1
        pending = calls("state.set", "g", "b", 2)
        assert inspect.isawaitable(pending)
        tasks.append(loop.create_task(answer(pending)))
        loop.call_soon(end_of_turn)

    tasks: list[asyncio.Task[None]] = []
    loop.call_soon(read)
    await asyncio.sleep(0)  # read runs
    await asyncio.gather(*tasks)
    assert answered == [(0, 2)]  # answered in the first turn after the read (1: a turn later)


async def test_a_failed_call_raises_the_handlers_error_at_once_and_is_recorded(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    calls = Setup(db, CallLog(tmp_path))
    with pytest.raises(ContextCallError, match=r"state\.get: 'groupId' must be a string"):
        calls("state.get", {"not": "a key"}, "k")
    with pytest.raises(ContextCallError, match="emit: expected"):
        calls("emit", "no topic")
    with pytest.raises(ContextCallError, match=r"unknown context method 'state\.nope'"):
        calls("state.nope")
    assert calls.recorder.calls == [
        ("state.get", None, "state.get: 'groupId' must be a string (got dict)"),
        ("emit", None, "emit: expected {topic: string, data: any, messageGroupId?: string}"),
    ]


async def test_a_failure_after_waiting_raises_from_the_awaitable_and_is_recorded(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    calls = Setup(db, CallLog(tmp_path))
    pending = calls("emit", {"topic": "waits.then.fails", "data": {}})
    assert inspect.isawaitable(pending)
    with pytest.raises(RuntimeError, match="the queue broke"):
        await pending
    assert calls.recorder.calls == [("emit", None, "the queue broke")]


async def test_with_inline_answers_off_every_call_is_awaited(db: SqliteDatabase, tmp_path: Path) -> None:
    """On Redis, whose client must see the task awaiting each command, no call starts outside a task."""
    calls = Setup(db, CallLog(tmp_path), inline=False)
    pending = calls("state.set", "g", "k", 1)
    assert inspect.isawaitable(pending)
    assert await pending == 1
    assert await calls("state.get", "g", "k") == 1
    bad = calls("state.get", {"not": "a key"}, "k")
    with pytest.raises(ContextCallError, match="must be a string"):
        await bad
    assert calls.recorder.calls == [
        ("state.set", 1, None),
        ("state.get", 1, None),
        ("state.get", None, "state.get: 'groupId' must be a string (got dict)"),
    ]


async def test_a_waiting_call_cancelled_is_cancelled_where_it_waits(
    db: SqliteDatabase, tmp_path: Path
) -> None:
    """The awaitable of a call that waits carries on the coroutine its first step started: a task
    awaiting it that is cancelled cancels that coroutine where it waits (nothing answered is recorded)."""
    calls = Setup(db, CallLog(tmp_path))
    calls("state.set", "g", "a", 1)
    # Both read threads busy, so the call's read is still waiting when its task first runs (a read done
    # by then would let the task go on past it, Resumed, and finish before the cancel).
    release = threading.Event()
    busy = [asyncio.ensure_future(db.read(lambda _: release.wait(10))) for _ in range(2)]
    await asyncio.sleep(0)
    pending = calls("state.getGroup", "g")  # a read in a worker thread, queued behind them
    task = asyncio.ensure_future(pending)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    await asyncio.gather(*busy)
    assert calls.recorder.calls == [("state.set", 1, None)]  # a cancelled call is not recorded as an answer


RUNNER_STEP = """
    import asyncio
    config = {"type": "api", "name": "Calls", "path": "/calls", "method": "POST", "emits": []}
    async def handler(req, context):
        answered = []
        async def call(key):
            try:
                value = await context.state.get("g", key)
            except Exception as exc:
                value = f"error: {exc}"
            answered.append(key)
            return value
        values = await asyncio.gather(*(call(key) for key in ("slow", "now", "refused", "broken", "later")))
        return {"status": 200, "body": {"values": values, "answered": answered}}
"""


async def test_a_runner_gets_each_answer_as_soon_as_it_is_there_and_each_failure_as_it_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler that gives a result is answered in the same loop turn; one that gives an awaitable, once
    it is done (the runner sees those answers after the others); a ContextCallError's message reaches
    the step as it is; any other exception is logged with the call's step and answered as a failure."""
    write_project(tmp_path, {"steps/calls_step.py": RUNNER_STEP})
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "slow value"

    def answer(call: ContextCall) -> object:
        key = orjson.loads(call.args_json)[1]
        if key == "slow":
            return slow()
        if key == "refused":
            raise ContextCallError("no such key here")
        if key == "broken":
            raise RuntimeError("the store broke")
        if key == "later":
            asyncio.get_running_loop().call_later(0.2, release.set)
            return asyncio.sleep(0, "later value")
        return f"{key} value"

    pool = RunnerPool(
        python_spec(tmp_path),
        tmp_path,
        "info",
        answer,
        ["steps/calls_step.py"],
        [],
        PoolSettings(size=1, spares=0, spare_idle=1.0),
    )
    await pool.start()
    try:
        with caplog.at_level(logging.ERROR, logger="motia.runner"):
            result = await asyncio.wait_for(
                pool.invoke("steps/calls_step.py", "Calls", TriggerKind.API, b"{}", "t1"), 30
            )
    finally:
        await pool.stop(1.0)
    body = orjson.loads(result.result_json)["body"]
    assert body["values"] == [
        "slow value",
        "now value",
        "error: no such key here",
        "error: state.get failed: the store broke",
        "later value",
    ]
    assert body["answered"] == ["now", "refused", "broken", "later", "slow"]
    (logged,) = [r for r in caplog.records if "failed" in r.getMessage()]
    assert logged.getMessage() == "context call state.get from step Calls failed"
    assert logged.exc_info is not None and str(logged.exc_info[1]) == "the store broke"
