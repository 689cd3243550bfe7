"""The supervisor's side of the runner protocol, without processes or an event loop: frames out,
bytes in, and each answer paired with the request it answers."""

from __future__ import annotations

import pytest

from supervisor.protocol import (
    Answered,
    ContextCall,
    FrameDecoder,
    FramingError,
    HelloReply,
    InvokeResult,
    LoadResult,
    LogRecord,
    Pong,
    ProtocolError,
    RunnerSession,
    TriggerKind,
    encode_context_reply,
    encode_frame,
)
from supervisor.protocol._generated import runner_pb2 as pb


def runner_writes(*messages: pb.RunnerMessage) -> bytes:
    return b"".join(encode_frame(message.SerializeToString()) for message in messages)


def sent(frame: bytes) -> pb.SupervisorMessage:
    [payload] = FrameDecoder().feed(frame)
    message = pb.SupervisorMessage()
    message.ParseFromString(payload)
    return message


def result(invocation_id: int, body: bytes = b"null") -> pb.RunnerMessage:
    return pb.RunnerMessage(result=pb.InvokeResult(invocation_id=invocation_id, ok=True, result_json=body))


def invoke(session: RunnerSession[str], waiter: str) -> int:
    invocation_id, _ = session.invoke(waiter, "steps/a.step.ts", "A", TriggerKind.API, b"{}", "trace-1")
    return invocation_id


def test_hello_is_the_first_frame_and_its_reply_answers_it() -> None:
    session: RunnerSession[str] = RunnerSession()
    frame = session.hello("hello-waiter", "/project", "node-0", "debug")
    hello = sent(frame).hello
    assert (hello.project_root, hello.runner_id, hello.log_level) == ("/project", "node-0", "debug")
    reply = pb.RunnerMessage(
        hello=pb.HelloReply(protocol_version=1, language="node", runtime="node v20", pid=7)
    )
    assert session.receive(runner_writes(reply)) == [
        Answered("hello-waiter", HelloReply(1, "node", "node v20", 7))
    ]
    assert session.receive(runner_writes(reply)) == []  # a second reply answers nothing


def test_results_find_their_invocation_whatever_order_they_come_in() -> None:
    session: RunnerSession[str] = RunnerSession()
    first, second = invoke(session, "first"), invoke(session, "second")
    assert first != second and session.in_flight == 2
    events = session.receive(runner_writes(result(second, b'"two"'), result(first, b'"one"')))
    assert events == [
        Answered("second", InvokeResult(second, True, b'"two"', None)),
        Answered("first", InvokeResult(first, True, b'"one"', None)),
    ]
    assert session.in_flight == 0


def test_the_invoke_frame_carries_the_request() -> None:
    session: RunnerSession[str] = RunnerSession()
    invocation_id, frame = session.invoke(
        "w", "steps/b_step.py", "B", TriggerKind.EVENT, b'{"x":1}', "trace-2", "pet.created"
    )
    message = sent(frame).invoke
    assert message.invocation_id == invocation_id
    assert (message.file, message.step_name, message.kind) == ("steps/b_step.py", "B", pb.TRIGGER_KIND_EVENT)
    assert (message.payload_json, message.trace_id, message.topic) == (b'{"x":1}', "trace-2", "pet.created")


def test_an_answer_split_across_reads_completes_on_its_last_byte() -> None:
    session: RunnerSession[str] = RunnerSession()
    invocation_id = invoke(session, "w")
    data = runner_writes(result(invocation_id))
    for index in range(len(data) - 1):
        assert session.receive(data[index : index + 1]) == []
    [event] = session.receive(data[-1:])
    assert isinstance(event, Answered) and event.waiter == "w"


def test_a_result_for_an_invocation_given_up_on_is_dropped() -> None:
    session: RunnerSession[str] = RunnerSession()
    timed_out, forgotten = invoke(session, "timed out"), invoke(session, "forgotten")
    cancel = sent(session.cancel(timed_out, "timed out after 1s")).cancel
    assert (cancel.invocation_id, cancel.reason) == (timed_out, "timed out after 1s")
    session.forget_invocation(forgotten)
    assert session.in_flight == 0
    assert session.receive(runner_writes(result(timed_out), result(forgotten))) == []


def test_context_calls_and_logs_pass_through_in_order_between_answers() -> None:
    session: RunnerSession[str] = RunnerSession()
    invocation_id = invoke(session, "w")
    call = pb.ContextCall(
        call_id=1, invocation_id=invocation_id, trace_id="t", step_name="A", method="emit", args_json=b"[]"
    )
    log = pb.LogRecord(level="info", message="hi", invocation_id=invocation_id, trace_id="t", step_name="A")
    events = session.receive(
        runner_writes(pb.RunnerMessage(call=call), pb.RunnerMessage(log=log), result(invocation_id))
    )
    assert [type(event) for event in events] == [ContextCall, LogRecord, Answered]
    assert events[0] == ContextCall(1, invocation_id, "t", "A", "emit", b"[]")


def test_pings_and_loads_are_answered_by_their_own_ids() -> None:
    session: RunnerSession[str] = RunnerSession()
    request_id, frame = session.load("load", ["steps/a.step.ts"], ["steps/s.stream.ts"], ["motia.auth.ts"])
    load = sent(frame).load
    assert (list(load.step_files), list(load.stream_files), list(load.hook_files)) == (
        ["steps/a.step.ts"],
        ["steps/s.stream.ts"],
        ["motia.auth.ts"],
    )
    seq, frame = session.ping("ping")
    assert sent(frame).ping.seq == seq
    events = session.receive(
        runner_writes(
            pb.RunnerMessage(pong=pb.Pong(seq=seq)),
            pb.RunnerMessage(loaded=pb.LoadResult(request_id=request_id)),
        )
    )
    assert events == [Answered("ping", Pong(seq)), Answered("load", LoadResult(request_id, (), (), ()))]


def test_a_ping_given_up_on_is_not_answered_later() -> None:
    session: RunnerSession[str] = RunnerSession()
    seq, _ = session.ping("late")
    session.forget_ping(seq)
    assert session.receive(runner_writes(pb.RunnerMessage(pong=pb.Pong(seq=seq)))) == []


def test_answers_to_requests_never_made_are_dropped() -> None:
    session: RunnerSession[str] = RunnerSession()
    stray = runner_writes(result(99), pb.RunnerMessage(pong=pb.Pong(seq=5)))
    assert session.receive(stray) == []


def test_close_hands_back_every_waiter_still_waiting_once() -> None:
    session: RunnerSession[str] = RunnerSession()
    session.hello("hello", "/p", "python-0", "info")
    invoke(session, "invocation")
    session.load("load", [], [])
    session.ping("ping")
    assert sorted(session.close()) == ["hello", "invocation", "load", "ping"]
    assert session.close() == [] and session.in_flight == 0


def test_bytes_that_are_not_frames_raise_framing_error() -> None:
    with pytest.raises(FramingError) as raised:
        RunnerSession[str]().receive(b"Hello from a stray print()\n")
    assert raised.value.garbage.startswith(b"Hello")


def test_a_frame_that_is_not_a_runner_message_raises_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        RunnerSession[str]().receive(encode_frame(b"\xff\xff\xff"))


@pytest.mark.parametrize(
    ("call_id", "result_json", "error"),
    [
        (1, b'{"id":"p1"}', None),
        (0, b"[]", None),
        (127, None, None),
        (128, b"", None),
        (16_383, b"x" * 16_383, None),
        (16_384, b"y" * 200_000, None),
        (2**64 - 1, b"null", None),
        (300, None, "state.get: 'key' must be a string (got int)"),
        (5, None, "ünïcode ✓"),
        (6, None, ""),
    ],
)
def test_a_context_reply_is_the_message_protobuf_would_write(
    call_id: int, result_json: bytes | None, error: str | None
) -> None:
    """The reply is put together by hand (the supervisor's most frequent message): its bytes are the
    generated code's, byte for byte, whatever the sizes of its varints."""
    if error is None:
        reply = pb.ContextReply(call_id=call_id, ok=True, result_json=result_json or b"null")
    else:
        reply = pb.ContextReply(call_id=call_id, ok=False, error=error)
    expected = encode_frame(pb.SupervisorMessage(context_reply=reply).SerializeToString())
    assert encode_context_reply(call_id, result_json, error) == expected
    assert sent(expected).context_reply == reply
