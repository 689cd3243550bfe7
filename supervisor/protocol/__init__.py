"""The runner protocol: framing and typed messages, with no I/O."""

from supervisor.protocol._framing import FrameDecoder, FramingError, encode_frame
from supervisor.protocol._messages import (
    PROTOCOL_VERSION,
    ContextCall,
    ErrorInfo,
    HelloReply,
    InvokeResult,
    LoadedFile,
    LoadError,
    LoadResult,
    LogRecord,
    Pong,
    ProtocolError,
    RunnerMessage,
    TriggerKind,
    decode_runner_message,
)

__all__ = [
    "PROTOCOL_VERSION",
    "ContextCall",
    "ErrorInfo",
    "FrameDecoder",
    "FramingError",
    "HelloReply",
    "InvokeResult",
    "LoadError",
    "LoadResult",
    "LoadedFile",
    "LogRecord",
    "Pong",
    "ProtocolError",
    "RunnerMessage",
    "TriggerKind",
    "decode_runner_message",
    "encode_frame",
]
