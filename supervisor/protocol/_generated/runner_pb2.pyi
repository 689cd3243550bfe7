from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TriggerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_KIND_UNSPECIFIED: _ClassVar[TriggerKind]
    TRIGGER_KIND_API: _ClassVar[TriggerKind]
    TRIGGER_KIND_EVENT: _ClassVar[TriggerKind]
    TRIGGER_KIND_CRON: _ClassVar[TriggerKind]
    TRIGGER_KIND_AUTHENTICATE: _ClassVar[TriggerKind]
    TRIGGER_KIND_CAN_ACCESS: _ClassVar[TriggerKind]
TRIGGER_KIND_UNSPECIFIED: TriggerKind
TRIGGER_KIND_API: TriggerKind
TRIGGER_KIND_EVENT: TriggerKind
TRIGGER_KIND_CRON: TriggerKind
TRIGGER_KIND_AUTHENTICATE: TriggerKind
TRIGGER_KIND_CAN_ACCESS: TriggerKind

class SupervisorMessage(_message.Message):
    __slots__ = ("hello", "load", "invoke", "context_reply", "cancel", "ping", "shutdown")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    LOAD_FIELD_NUMBER: _ClassVar[int]
    INVOKE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_REPLY_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    load: LoadFiles
    invoke: Invoke
    context_reply: ContextReply
    cancel: Cancel
    ping: Ping
    shutdown: Shutdown
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., load: _Optional[_Union[LoadFiles, _Mapping]] = ..., invoke: _Optional[_Union[Invoke, _Mapping]] = ..., context_reply: _Optional[_Union[ContextReply, _Mapping]] = ..., cancel: _Optional[_Union[Cancel, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ..., shutdown: _Optional[_Union[Shutdown, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("protocol_version", "project_root", "runner_id", "log_level")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ROOT_FIELD_NUMBER: _ClassVar[int]
    RUNNER_ID_FIELD_NUMBER: _ClassVar[int]
    LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    project_root: str
    runner_id: str
    log_level: str
    def __init__(self, protocol_version: _Optional[int] = ..., project_root: _Optional[str] = ..., runner_id: _Optional[str] = ..., log_level: _Optional[str] = ...) -> None: ...

class LoadFiles(_message.Message):
    __slots__ = ("request_id", "step_files", "stream_files", "hook_files")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FILES_FIELD_NUMBER: _ClassVar[int]
    STREAM_FILES_FIELD_NUMBER: _ClassVar[int]
    HOOK_FILES_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    step_files: _containers.RepeatedScalarFieldContainer[str]
    stream_files: _containers.RepeatedScalarFieldContainer[str]
    hook_files: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, request_id: _Optional[int] = ..., step_files: _Optional[_Iterable[str]] = ..., stream_files: _Optional[_Iterable[str]] = ..., hook_files: _Optional[_Iterable[str]] = ...) -> None: ...

class Invoke(_message.Message):
    __slots__ = ("invocation_id", "file", "step_name", "kind", "payload_json", "trace_id", "topic")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    invocation_id: int
    file: str
    step_name: str
    kind: TriggerKind
    payload_json: bytes
    trace_id: str
    topic: str
    def __init__(self, invocation_id: _Optional[int] = ..., file: _Optional[str] = ..., step_name: _Optional[str] = ..., kind: _Optional[_Union[TriggerKind, str]] = ..., payload_json: _Optional[bytes] = ..., trace_id: _Optional[str] = ..., topic: _Optional[str] = ...) -> None: ...

class ContextReply(_message.Message):
    __slots__ = ("call_id", "ok", "result_json", "error")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    ok: bool
    result_json: bytes
    error: str
    def __init__(self, call_id: _Optional[int] = ..., ok: _Optional[bool] = ..., result_json: _Optional[bytes] = ..., error: _Optional[str] = ...) -> None: ...

class Cancel(_message.Message):
    __slots__ = ("invocation_id", "reason")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    invocation_id: int
    reason: str
    def __init__(self, invocation_id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class Shutdown(_message.Message):
    __slots__ = ("grace_ms",)
    GRACE_MS_FIELD_NUMBER: _ClassVar[int]
    grace_ms: int
    def __init__(self, grace_ms: _Optional[int] = ...) -> None: ...

class RunnerMessage(_message.Message):
    __slots__ = ("hello", "loaded", "result", "call", "pong", "log")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    LOADED_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    hello: HelloReply
    loaded: LoadResult
    result: InvokeResult
    call: ContextCall
    pong: Pong
    log: LogRecord
    def __init__(self, hello: _Optional[_Union[HelloReply, _Mapping]] = ..., loaded: _Optional[_Union[LoadResult, _Mapping]] = ..., result: _Optional[_Union[InvokeResult, _Mapping]] = ..., call: _Optional[_Union[ContextCall, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ..., log: _Optional[_Union[LogRecord, _Mapping]] = ...) -> None: ...

class HelloReply(_message.Message):
    __slots__ = ("protocol_version", "language", "runtime", "pid", "watches_loop")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    WATCHES_LOOP_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    language: str
    runtime: str
    pid: int
    watches_loop: bool
    def __init__(self, protocol_version: _Optional[int] = ..., language: _Optional[str] = ..., runtime: _Optional[str] = ..., pid: _Optional[int] = ..., watches_loop: _Optional[bool] = ...) -> None: ...

class LoadResult(_message.Message):
    __slots__ = ("request_id", "steps", "streams", "errors", "hooks")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    steps: _containers.RepeatedCompositeFieldContainer[LoadedFile]
    streams: _containers.RepeatedCompositeFieldContainer[LoadedFile]
    errors: _containers.RepeatedCompositeFieldContainer[LoadError]
    hooks: _containers.RepeatedCompositeFieldContainer[LoadedFile]
    def __init__(self, request_id: _Optional[int] = ..., steps: _Optional[_Iterable[_Union[LoadedFile, _Mapping]]] = ..., streams: _Optional[_Iterable[_Union[LoadedFile, _Mapping]]] = ..., errors: _Optional[_Iterable[_Union[LoadError, _Mapping]]] = ..., hooks: _Optional[_Iterable[_Union[LoadedFile, _Mapping]]] = ...) -> None: ...

class LoadedFile(_message.Message):
    __slots__ = ("file", "config_json")
    FILE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    file: str
    config_json: bytes
    def __init__(self, file: _Optional[str] = ..., config_json: _Optional[bytes] = ...) -> None: ...

class LoadError(_message.Message):
    __slots__ = ("file", "line", "column", "message", "stack")
    FILE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    file: str
    line: int
    column: int
    message: str
    stack: str
    def __init__(self, file: _Optional[str] = ..., line: _Optional[int] = ..., column: _Optional[int] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ...) -> None: ...

class InvokeResult(_message.Message):
    __slots__ = ("invocation_id", "ok", "result_json", "error", "body", "declined")
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    DECLINED_FIELD_NUMBER: _ClassVar[int]
    invocation_id: int
    ok: bool
    result_json: bytes
    error: ErrorInfo
    body: bytes
    declined: bool
    def __init__(self, invocation_id: _Optional[int] = ..., ok: _Optional[bool] = ..., result_json: _Optional[bytes] = ..., error: _Optional[_Union[ErrorInfo, _Mapping]] = ..., body: _Optional[bytes] = ..., declined: _Optional[bool] = ...) -> None: ...

class ErrorInfo(_message.Message):
    __slots__ = ("name", "message", "stack")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    name: str
    message: str
    stack: str
    def __init__(self, name: _Optional[str] = ..., message: _Optional[str] = ..., stack: _Optional[str] = ...) -> None: ...

class ContextCall(_message.Message):
    __slots__ = ("call_id", "invocation_id", "trace_id", "step_name", "method", "args_json")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    invocation_id: int
    trace_id: str
    step_name: str
    method: str
    args_json: bytes
    def __init__(self, call_id: _Optional[int] = ..., invocation_id: _Optional[int] = ..., trace_id: _Optional[str] = ..., step_name: _Optional[str] = ..., method: _Optional[str] = ..., args_json: _Optional[bytes] = ...) -> None: ...

class Pong(_message.Message):
    __slots__ = ("seq", "stall")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    STALL_FIELD_NUMBER: _ClassVar[int]
    seq: int
    stall: LoopStall
    def __init__(self, seq: _Optional[int] = ..., stall: _Optional[_Union[LoopStall, _Mapping]] = ...) -> None: ...

class LoopStall(_message.Message):
    __slots__ = ("stalled_ms", "invocation_id", "trace_id", "step_name", "where", "stack")
    STALLED_MS_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    STACK_FIELD_NUMBER: _ClassVar[int]
    stalled_ms: int
    invocation_id: int
    trace_id: str
    step_name: str
    where: str
    stack: str
    def __init__(self, stalled_ms: _Optional[int] = ..., invocation_id: _Optional[int] = ..., trace_id: _Optional[str] = ..., step_name: _Optional[str] = ..., where: _Optional[str] = ..., stack: _Optional[str] = ...) -> None: ...

class LogRecord(_message.Message):
    __slots__ = ("level", "message", "meta_json", "invocation_id", "trace_id", "step_name", "time_ms")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    META_JSON_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_NAME_FIELD_NUMBER: _ClassVar[int]
    TIME_MS_FIELD_NUMBER: _ClassVar[int]
    level: str
    message: str
    meta_json: bytes
    invocation_id: int
    trace_id: str
    step_name: str
    time_ms: float
    def __init__(self, level: _Optional[str] = ..., message: _Optional[str] = ..., meta_json: _Optional[bytes] = ..., invocation_id: _Optional[int] = ..., trace_id: _Optional[str] = ..., step_name: _Optional[str] = ..., time_ms: _Optional[float] = ...) -> None: ...
