"""How the supervisor answers what one read from a runner brought: the replies to its context calls go
out together, in one write (one wake-up of the runner), and before its log lines are handled, which
the runner does not wait for. A connection over a fake process: what it writes is what is checked."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson

from supervisor.protocol import ContextCall, FrameDecoder, encode_frame
from supervisor.protocol._generated import runner_pb2 as pb
from supervisor.runners import RunnerConnection
from supervisor.runners._spec import RunnerSpec


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
