"""Typed messages of the runner protocol, and their wire encoding.

This is the only module that touches the generated protobuf classes; the rest
of the supervisor speaks these dataclasses. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from supervisor.protocol._framing import encode_frame
from supervisor.protocol._generated import runner_pb2 as _pb

PROTOCOL_VERSION = 1

_SERVICE = _pb.DESCRIPTOR.services_by_name["RunnerSession"]
#: the gRPC service and its one method, as runner.proto declares them (``motia.runner.v1.RunnerSession``)
RUNNER_SERVICE: str = _SERVICE.full_name
CONNECT_METHOD: str = _SERVICE.methods_by_name["Connect"].name


class TriggerKind(enum.IntEnum):
    API = _pb.TRIGGER_KIND_API
    EVENT = _pb.TRIGGER_KIND_EVENT
    CRON = _pb.TRIGGER_KIND_CRON
    #: the project's ``authenticate(request)`` hook, in a hook file
    AUTHENTICATE = _pb.TRIGGER_KIND_AUTHENTICATE
    #: a stream config's ``canAccess(subscription, authContext)``, in a stream file
    CAN_ACCESS = _pb.TRIGGER_KIND_CAN_ACCESS


# ------------------------------------------------------------------ runner -> supervisor


@dataclass(frozen=True, slots=True)
class HelloReply:
    protocol_version: int
    language: str
    runtime: str
    pid: int
    #: Pongs come from outside the event loop and report a stalled loop (``Pong.stall``)
    watches_loop: bool = False


@dataclass(frozen=True, slots=True)
class LoadedFile:
    file: str
    config_json: bytes


@dataclass(frozen=True, slots=True)
class LoadError:
    file: str
    line: int
    column: int
    message: str
    stack: str


@dataclass(frozen=True, slots=True)
class LoadResult:
    request_id: int
    steps: tuple[LoadedFile, ...]
    streams: tuple[LoadedFile, ...]
    errors: tuple[LoadError, ...]
    #: hook files that loaded; ``config_json`` is ``{"exports": [...]}``
    hooks: tuple[LoadedFile, ...] = ()


#: how each runner's stack tells an error's cause: the node runner a "Caused by:" paragraph per
#: cause, innermost last (runners/node/src/jsonutil.ts), or a line the error's own stack has (axios
#: writes one; the runner does not repeat it); Python's traceback the innermost first, each followed
#: by this line
_NODE_CAUSE = "\nCaused by: "
_PYTHON_CAUSE = "\nThe above exception was the direct cause of the following exception:\n"


def root_cause(stack: str) -> str | None:
    """The innermost cause of the error ``stack`` is the trace of ("Error: getaddrinfo ENOTFOUND
    api.openai.com" under Node's "TypeError: fetch failed"), its first line; None without one. Only an
    explicit cause (``{ cause }``, ``raise ... from``), not an error raised while handling another."""
    if _PYTHON_CAUSE in stack:
        lines = [line.strip() for line in stack.split(_PYTHON_CAUSE, 1)[0].splitlines() if line.strip()]
        return lines[-1] if lines else None
    at = stack.rfind(_NODE_CAUSE)
    if at < 0:
        return None
    return stack[at + len(_NODE_CAUSE) :].split("\n", 1)[0].strip() or None


def error_line(name: str, message: str, cause: str | None) -> str:
    """An error in one line, its innermost cause (``root_cause``) after it: the one rule of a dead
    letter's line, a failed handler's log line, a 500 in `motia dev` and a failed span's in `motia
    traces` (the Workbench's ``errorLine`` writes it alike)."""
    return f"{name}: {message}" + (f" (caused by {cause})" if cause else "")


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    name: str
    message: str
    stack: str

    def __str__(self) -> str:
        """The error, and its innermost cause when it has one: the one line a dead letter, a failed
        handler's log line and a 500 in `motia dev` give it, where a message such as Node's "fetch
        failed" says nothing of what failed."""
        return error_line(self.name, self.message, self.cause)

    @property
    def cause(self) -> str | None:
        """The innermost cause (``root_cause``): what a failed span's error keeps beside its message
        for the text filter and the Workbench's heading. None when it says only the error's own
        message again (axios's errors: the cause's, copied), which "(caused by ...)" would repeat."""
        cause = root_cause(self.stack)
        if cause is None or cause == self.message or cause.endswith(f": {self.message}"):
            return None
        return cause


@dataclass(frozen=True, slots=True)
class InvokeResult:
    invocation_id: int
    ok: bool
    result_json: bytes
    error: ErrorInfo | None
    #: an api handler's response body when it is bytes (``result_json`` then has no ``body``)
    body: bytes | None = None
    #: the runner never started it (its event loop is stalled): run it in another runner
    declined: bool = False
    #: the runner process that answered a failed invocation (set by its pool: the lines about the
    #: failure name it, as the step's own lines do); None on a success, which needs no more objects
    runner: str | None = None


@dataclass(frozen=True, slots=True)
class ContextCall:
    call_id: int
    invocation_id: int
    trace_id: str
    step_name: str
    method: str
    args_json: bytes


@dataclass(frozen=True, slots=True)
class LoopStall:
    """What holds a runner's event loop: user code busy in a synchronous call."""

    stalled_ms: int
    #: the invocation whose code holds the loop (0: none known)
    invocation_id: int
    trace_id: str
    step_name: str
    #: the innermost frame in the project's code (``steps/x_step.py:5 in handler: time.sleep(12)``)
    where: str
    stack: str


@dataclass(frozen=True, slots=True)
class Pong:
    seq: int
    #: set when the runner's event loop is stalled (runners that watch their loop)
    stall: LoopStall | None = None


@dataclass(frozen=True, slots=True)
class LogRecord:
    level: str
    message: str
    meta_json: bytes
    invocation_id: int
    trace_id: str
    step_name: str
    time_ms: float


RunnerMessage = HelloReply | LoadResult | InvokeResult | ContextCall | Pong | LogRecord


class ProtocolError(Exception):
    """A frame that is not a valid RunnerMessage."""


def decode_runner_message(frame: bytes) -> RunnerMessage:
    message = _pb.RunnerMessage()
    try:
        message.ParseFromString(frame)
    except Exception as exc:
        raise ProtocolError(f"undecodable runner message ({exc}): {frame[:120]!r}") from exc
    kind = message.WhichOneof("kind")
    if kind == "result":
        r = message.result
        error = ErrorInfo(r.error.name, r.error.message, r.error.stack) if r.HasField("error") else None
        body = r.body if r.HasField("body") else None
        return InvokeResult(r.invocation_id, r.ok, r.result_json, error, body, r.declined)
    if kind == "call":
        c = message.call
        return ContextCall(c.call_id, c.invocation_id, c.trace_id, c.step_name, c.method, c.args_json)
    if kind == "log":
        g = message.log
        return LogRecord(g.level, g.message, g.meta_json, g.invocation_id, g.trace_id, g.step_name, g.time_ms)
    if kind == "pong":
        pong = message.pong
        if not pong.HasField("stall"):
            return Pong(pong.seq)
        st = pong.stall
        stall = LoopStall(st.stalled_ms, st.invocation_id, st.trace_id, st.step_name, st.where, st.stack)
        return Pong(pong.seq, stall)
    if kind == "hello":
        h = message.hello
        return HelloReply(h.protocol_version, h.language, h.runtime, h.pid, h.watches_loop)
    if kind == "loaded":
        loaded = message.loaded
        return LoadResult(
            loaded.request_id,
            tuple(LoadedFile(f.file, f.config_json) for f in loaded.steps),
            tuple(LoadedFile(f.file, f.config_json) for f in loaded.streams),
            tuple(LoadError(e.file, e.line, e.column, e.message, e.stack) for e in loaded.errors),
            tuple(LoadedFile(f.file, f.config_json) for f in loaded.hooks),
        )
    raise ProtocolError(f"runner message with no known kind: {frame[:120]!r}")


# ------------------------------------------------------------------ supervisor -> runner


def _frame(message: _pb.SupervisorMessage) -> bytes:
    return encode_frame(message.SerializeToString())


def encode_hello(project_root: str, runner_id: str, log_level: str) -> bytes:
    return _frame(
        _pb.SupervisorMessage(
            hello=_pb.Hello(
                protocol_version=PROTOCOL_VERSION,
                project_root=project_root,
                runner_id=runner_id,
                log_level=log_level,
            )
        )
    )


def encode_load(
    request_id: int, step_files: Sequence[str], stream_files: Sequence[str], hook_files: Sequence[str] = ()
) -> bytes:
    return _frame(
        _pb.SupervisorMessage(
            load=_pb.LoadFiles(
                request_id=request_id,
                step_files=step_files,
                stream_files=stream_files,
                hook_files=hook_files,
            )
        )
    )


def encode_invoke(
    invocation_id: int,
    file: str,
    step_name: str,
    kind: TriggerKind,
    payload_json: bytes,
    trace_id: str,
    topic: str = "",
) -> bytes:
    return _frame(
        _pb.SupervisorMessage(
            invoke=_pb.Invoke(
                invocation_id=invocation_id,
                file=file,
                step_name=step_name,
                kind=int(kind),  # type: ignore[arg-type]
                payload_json=payload_json,
                trace_id=trace_id,
                topic=topic,
            )
        )
    )


#: the varints of 0-127, one byte each (call ids, lengths)
_SMALL_VARINTS = tuple(bytes((value,)) for value in range(0x80))


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _SMALL_VARINTS[value]
    if value < 0x4000:
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_context_reply(call_id: int, result_json: bytes | None, error: str | None) -> bytes:
    """The reply to a context call, framed: the bytes protobuf's ``SerializeToString`` writes for
    ``SupervisorMessage(context_reply=ContextReply(...))`` (tests/test_runner_session.py compares them), put
    together here because it is the message the supervisor sends most, one per context call, and
    building the two message objects to serialise them took twice as long."""
    # ContextReply: call_id = 1 (varint), ok = 2 (bool), result_json = 3 (bytes), error = 4 (string);
    # a field at its default value is left out, as protobuf does.
    call = b"\x08" + _varint(call_id) if call_id else b""
    if error is None:
        result = result_json or b"null"
        reply = b"%b\x10\x01\x1a%b%b" % (call, _varint(len(result)), result)
    elif error:
        text = error.encode()
        reply = b"%b\x22%b%b" % (call, _varint(len(text)), text)
    else:
        reply = call
    # SupervisorMessage.context_reply = 4 (length-delimited)
    return encode_frame(b"\x22%b%b" % (_varint(len(reply)), reply))


def encode_cancel(invocation_id: int, reason: str) -> bytes:
    return _frame(_pb.SupervisorMessage(cancel=_pb.Cancel(invocation_id=invocation_id, reason=reason)))


def encode_ping(seq: int) -> bytes:
    return _frame(_pb.SupervisorMessage(ping=_pb.Ping(seq=seq)))


def encode_shutdown(grace_ms: int) -> bytes:
    return _frame(_pb.SupervisorMessage(shutdown=_pb.Shutdown(grace_ms=grace_ms)))
