"""The supervisor's side of one conversation with a runner, without I/O: bytes in, frames out.

A session numbers the requests the supervisor makes (Hello, LoadFiles, Invoke, Ping), remembers
which ones still wait for their answer, and turns the bytes a runner writes into what happened:
an answer to one of those requests, handed back with the waiter the transport registered for it;
a context call the supervisor must answer; or a log record. Answers to requests nobody waits for
any more (an invocation that timed out, a ping given up on) are dropped here.

It never blocks and touches no pipe, socket or event loop: the stdio transport
(``supervisor.runners``) keeps an asyncio future per request and writes the frames; a gRPC
transport (``supervisor.runners``' attached runners) keeps the same futures and sends the same
messages without their 5-byte frame header (gRPC frames them itself, the same way). Tests drive it
byte-in/byte-out.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from supervisor.protocol._framing import MAX_FRAME_SIZE, FrameDecoder
from supervisor.protocol._messages import (
    ContextCall,
    HelloReply,
    InvokeResult,
    LoadResult,
    LogRecord,
    Pong,
    TriggerKind,
    decode_runner_message,
    encode_cancel,
    encode_hello,
    encode_invoke,
    encode_load,
    encode_ping,
)

#: what a transport waits on for one request (an asyncio future in the stdio transport)
W = TypeVar("W")

Answer: TypeAlias = HelloReply | LoadResult | InvokeResult | Pong


@dataclass(frozen=True, slots=True)
class Answered(Generic[W]):
    """A runner message that answers a request, with the waiter registered for that request."""

    waiter: W
    message: Answer


SessionEvent: TypeAlias = Answered[W] | ContextCall | LogRecord


class RunnerSession(Generic[W]):
    def __init__(self, max_frame_size: int = MAX_FRAME_SIZE) -> None:
        self._decoder = FrameDecoder(max_frame_size)
        self._ids = itertools.count(1)
        self._hello: W | None = None
        self._loads: dict[int, W] = {}
        self._invocations: dict[int, W] = {}
        self._pings: dict[int, W] = {}

    @property
    def in_flight(self) -> int:
        """Invocations sent and not yet answered, given up on or cancelled."""
        return len(self._invocations)

    # ------------------------------------------------------------------ requests

    def hello(self, waiter: W, project_root: str, runner_id: str, log_level: str) -> bytes:
        """The first frame of the conversation; the runner's HelloReply answers ``waiter``."""
        self._hello = waiter
        return encode_hello(project_root, runner_id, log_level)

    def load(
        self,
        waiter: W,
        step_files: Sequence[str],
        stream_files: Sequence[str],
        hook_files: Sequence[str] = (),
    ) -> tuple[int, bytes]:
        request_id = next(self._ids)
        self._loads[request_id] = waiter
        return request_id, encode_load(request_id, step_files, stream_files, hook_files)

    def invoke(
        self,
        waiter: W,
        file: str,
        step_name: str,
        kind: TriggerKind,
        payload_json: bytes,
        trace_id: str,
        topic: str = "",
    ) -> tuple[int, bytes]:
        invocation_id = next(self._ids)
        self._invocations[invocation_id] = waiter
        return invocation_id, encode_invoke(
            invocation_id, file, step_name, kind, payload_json, trace_id, topic
        )

    def ping(self, waiter: W) -> tuple[int, bytes]:
        seq = next(self._ids)
        self._pings[seq] = waiter
        return seq, encode_ping(seq)

    def cancel(self, invocation_id: int, reason: str) -> bytes:
        """Stop waiting for ``invocation_id`` and ask the runner to cancel it."""
        self._invocations.pop(invocation_id, None)
        return encode_cancel(invocation_id, reason)

    def forget_invocation(self, invocation_id: int) -> None:
        """Stop waiting (the caller gave up); a late result is dropped."""
        self._invocations.pop(invocation_id, None)

    def forget_load(self, request_id: int) -> None:
        self._loads.pop(request_id, None)

    def forget_ping(self, seq: int) -> None:
        self._pings.pop(seq, None)

    # ------------------------------------------------------------------ what the runner wrote

    def receive(self, data: bytes) -> list[SessionEvent[W]]:
        """Feed bytes read from the runner; returns what they complete, in order.

        Raises ``FramingError`` (not a frame stream) or ``ProtocolError`` (a frame that is not a
        runner message): either way the runner cannot be trusted any more.
        """
        events: list[SessionEvent[W]] = []
        for frame in self._decoder.feed(data):
            event = self.receive_message(frame)
            if event is not None:
                events.append(event)
        return events

    def receive_message(self, payload: bytes) -> SessionEvent[W] | None:
        """One runner message without its frame header, as a transport that frames messages itself
        (gRPC) hands it over; None when it answers a request nobody waits for any more.

        Raises ``ProtocolError`` for bytes that are not a runner message.
        """
        message = decode_runner_message(payload)
        if isinstance(message, InvokeResult):
            waiter = self._invocations.pop(message.invocation_id, None)
        elif isinstance(message, ContextCall | LogRecord):
            return message
        elif isinstance(message, Pong):
            waiter = self._pings.pop(message.seq, None)
        elif isinstance(message, LoadResult):
            waiter = self._loads.pop(message.request_id, None)
        else:
            waiter, self._hello = self._hello, None
        return None if waiter is None else Answered(waiter, message)

    def close(self) -> list[W]:
        """The runner is gone: every waiter still waiting, for the transport to fail; forgets them."""
        waiting = [*self._invocations.values(), *self._loads.values(), *self._pings.values()]
        if self._hello is not None:
            waiting.append(self._hello)
        self._hello = None
        self._invocations.clear()
        self._loads.clear()
        self._pings.clear()
        return waiting
