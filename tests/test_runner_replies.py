"""How the supervisor answers what one read from a runner brought: the replies to its context calls go
out together, in one write (one wake-up of the runner), and before its log lines are handled, which
the runner does not wait for. A connection over a fake process: what it writes is what is checked."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import orjson

from supervisor.config import StreamConfig
from supervisor.core._context_calls import ContextCalls
from supervisor.core._registry import Registry
from supervisor.protocol import ContextCall, FrameDecoder, encode_frame
from supervisor.protocol._generated import runner_pb2 as pb
from supervisor.runners import RunnerConnection
from supervisor.runners._spec import RunnerSpec
from supervisor.state import SqliteStateStore
from supervisor.storage import SqliteDatabase
from supervisor.streams import MemoryStreamStore, Streams
from supervisor.tracing import MemoryTraceStore, Recorder, Retention


class _Stdin:
    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self._events = events

    def write(self, data: bytes) -> None:
        self._events.append(("write", data))

    def is_closing(self) -> bool:
        return False


class _Process:
    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.stdin = _Stdin(events)


class _Lines(logging.Handler):
    def __init__(self, events: list[tuple[str, Any]]) -> None:
        super().__init__()
        self._events = events

    def emit(self, record: logging.LogRecord) -> None:
        self._events.append(("log", record.getMessage()))


def _call(call_id: int, key: str) -> pb.RunnerMessage:
    args = orjson.dumps(["pets", key])
    return pb.RunnerMessage(
        call=pb.ContextCall(
            call_id=call_id, invocation_id=1, trace_id="t", step_name="S", method="state.get", args_json=args
        )
    )


def _line(message: str) -> pb.RunnerMessage:
    return pb.RunnerMessage(log=pb.LogRecord(level="info", message=message, invocation_id=1, step_name="S"))


def _replies(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    for payload in FrameDecoder().feed(data):
        message = pb.SupervisorMessage()
        message.ParseFromString(payload)
        out.append((message.context_reply.call_id, message.context_reply.result_json))
    return out


async def test_the_replies_to_one_read_go_out_in_one_write_before_its_log_lines(tmp_path: Path) -> None:
    events: list[tuple[str, Any]] = []

    def answer(call: ContextCall) -> object:
        events.append(("call", call.call_id))
        return orjson.loads(call.args_json)[1].upper()

    connection = RunnerConnection(RunnerSpec("python", ()), "python-0", tmp_path, "info", answer)
    connection._proc = _Process(events)  # type: ignore[assignment]
    lines = _Lines(events)
    step_logger = logging.getLogger("motia.step")
    step_logger.addHandler(lines)
    previous = step_logger.level
    step_logger.setLevel(logging.INFO)
    try:
        chunk = b"".join(
            encode_frame(message.SerializeToString())
            for message in (_line("first"), _call(1, "a"), _line("between"), _call(2, "b"))
        )
        connection._read_frames(chunk)
        # a call alone in its read is answered at once, as before
        connection._read_frames(encode_frame(_call(3, "c").SerializeToString()))
    finally:
        step_logger.removeHandler(lines)
        step_logger.setLevel(previous)

    kinds = [kind for kind, _ in events]
    assert kinds == ["call", "call", "write", "log", "log", "call", "write"]
    writes = [data for kind, data in events if kind == "write"]
    assert _replies(writes[0]) == [(1, b'"A"'), (2, b'"B"')]
    assert _replies(writes[1]) == [(3, b'"C"')]
    assert [data for kind, data in events if kind == "log"] == ["first", "between"]


class _Operations(Recorder):
    """A recorder that notes when it is told of a context call, and the call's times."""

    def __init__(self, root: Path, events: list[tuple[str, Any]]) -> None:
        super().__init__(MemoryTraceStore(), Retention(10, 10, 60.0), root)
        self._events = events

    def context_call(
        self,
        call: ContextCall,
        args: list[Any],
        result: Any,
        started: float,
        error: str | None,
        finished: float | None = None,
    ) -> None:
        self._events.append(("recorded", (call.method, started, finished, time.time())))


async def test_a_stream_set_is_answered_before_its_subscribers_hear_of_it_and_before_it_is_recorded(
    tmp_path: Path,
) -> None:
    """A runner's stream set is published and recorded in the loop's next callback: the reply leaves
    first (the runner waits for it, not for the WebSocket writes of the item's subscribers nor for the
    trace record), and the record keeps the time the call was answered, not the time it was written."""
    events: list[tuple[str, Any]] = []
    streams = Streams(MemoryStreamStore())
    streams.subscribe(lambda change: events.append(("published", change.item_id)))
    registry = Registry(streams={"progress": StreamConfig(name="progress")})

    async def emit(*_: Any, **__: Any) -> int:
        return 0

    db = await SqliteDatabase.open(tmp_path / "m.db")
    calls = ContextCalls(lambda: registry, SqliteStateStore(db), streams, emit, _Operations(tmp_path, events))
    connection = RunnerConnection(RunnerSpec("python", ()), "python-0", tmp_path, "info", calls)
    connection._proc = _Process(events)  # type: ignore[assignment]
    set_call = pb.RunnerMessage(
        call=pb.ContextCall(
            call_id=1, invocation_id=1, trace_id="t", step_name="S", method="streams.set",
            args_json=orjson.dumps(["progress", "g", "first", {"n": 1}]),
        )
    )  # fmt: skip
    connection._read_frames(encode_frame(set_call.SerializeToString()))
    assert [kind for kind, _ in events] == ["write"]
    await asyncio.sleep(0)
    assert [kind for kind, _ in events] == ["write", "published", "recorded"]
    assert events[1] == ("published", "first")
    method, started, finished, recorded_at = events[2][1]
    assert method == "streams.set" and started <= finished <= recorded_at
    await db.close()


async def test_stream_changes_reach_listeners_in_the_order_they_were_committed() -> None:
    """A change published at once (the HTTP layer's) while one published later (a runner's) is held
    waits behind it: listeners hear both in commit order, never the later first."""
    heard: list[tuple[str | None, Any]] = []
    streams = Streams(MemoryStreamStore())
    streams.subscribe(lambda change: heard.append((change.item_id, change.data)))
    await streams.set("progress", "g", "a", {"n": 1}, publish_later=True)
    await streams.set("progress", "g", "a", {"n": 2})
    await streams.delete("progress", "g", "a")
    assert heard == []
    await asyncio.sleep(0)
    assert [(item, (data or {}).get("n")) for item, data in heard] == [("a", 1), ("a", 2), ("a", 2)]
    await streams.set("progress", "g", "b", {"n": 3})  # nothing held: at once, as before
    assert heard[-1][0] == "b"
