"""LogRecords: the user logger, the standard ``logging`` module, captured print() output, and runner
diagnostics."""

from __future__ import annotations

import dataclasses
import functools
import io
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from motia_runner import jsonutil
from motia_runner.current import RUNNER, InvocationInfo, current
from motia_runner.errors import user_frames_in, user_traceback
from motia_runner.messages import pb

#: Motia's four levels, and ``critical`` above error (the supervisor records it as its own level); with
#: ``ALIASES``, the supervisor's names (supervisor/logs/_levels.py), copied to drop what is below the
#: threshold here (this package cannot import the supervisor): tests/test_level_names_agree.py holds
#: the copy to them
LEVELS: dict[str, int] = {"debug": 10, "info": 20, "warn": 30, "error": 40, "critical": 50}
ALIASES: dict[str, str] = {"warning": "warn", "fatal": "critical", "trace": "debug"}


def normalize_level(level: str) -> str:
    level = level.lower()
    level = ALIASES.get(level, level)
    return level if level in LEVELS else "info"


def meta_json(meta: Any, extra: Mapping[str, Any] | None = None) -> bytes:
    """Encode logger metadata as a JSON object.

    As Motia's Python logger does: a dict's keys, or an object's attributes (a dataclass, a
    SimpleNamespace, a pydantic model), are its fields, and anything else (a string, a number, a list)
    is ``{"data": it}``. Motia drops a falsy one (``0``, ``""``); we keep it.
    """
    if meta is None and not extra:
        return b""
    if isinstance(meta, BaseException):
        obj: dict[str, Any] = jsonutil.error_info(meta)
    elif isinstance(meta, Mapping):
        obj = dict(meta)
    elif jsonutil.is_pydantic_model(meta):
        obj = jsonutil.dump_model(meta)
    elif dataclasses.is_dataclass(meta) and not isinstance(meta, type):
        obj = dataclasses.asdict(meta)
    elif meta is None:
        obj = {}
    elif isinstance(meta, SimpleNamespace):
        obj = dict(vars(meta))
    else:
        obj = {"data": meta}
    if extra:
        obj.update(extra)
    try:
        return jsonutil.dumps(obj)
    except Exception:
        return jsonutil.dumps({"data": repr(obj)})


class LogSink:
    """Turns log calls into LogRecord messages. Records sent before :meth:`open` are held back."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        self._send = send
        self._threshold = LEVELS["info"]
        self._held: list[Any] | None = []
        self._lock = threading.Lock()

    def set_level(self, level: str) -> None:
        self._threshold = LEVELS.get(normalize_level(level or "info"), LEVELS["info"])

    def open(self) -> None:
        with self._lock:
            held, self._held = self._held, None
        for message in held or ():
            self._send(message)

    def enabled(self, level: str) -> bool:
        return LEVELS[normalize_level(level)] >= self._threshold

    def log(self, level: str, message: Any, meta: bytes = b"", info: InvocationInfo | None = None) -> None:
        level = normalize_level(level)
        if LEVELS[level] < self._threshold:
            return
        info = info or current()
        if info.file and info.invocation_id == 0:
            meta = _with_file(meta, info.file)
        record = pb.LogRecord(
            level=level,
            message=user_frames_in(message if isinstance(message, str) else _to_text(message)),
            meta_json=meta,
            invocation_id=info.invocation_id,
            trace_id=info.trace_id,
            step_name=info.step_name,
            time_ms=time.time() * 1000.0,
        )
        out = pb.RunnerMessage(log=record)
        if self._held is not None:
            with self._lock:
                if self._held is not None:
                    self._held.append(out)
                    return
        self._send(out)

    def runner(self, level: str, message: str, meta: Any = None) -> None:
        """A diagnostic of the runner itself (invocation_id 0)."""
        self.log(level, message, meta_json(meta), RUNNER)


def _with_file(meta: bytes, file: str) -> bytes:
    """``meta`` (a JSON object: ``meta_json``'s) naming the file whose import logged it, as the node
    runner's records do."""
    fields = jsonutil.loads(meta) if meta else {}
    return jsonutil.dumps({**fields, "file": file})


# Attributes every logging.LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def level_of(levelno: int) -> str:
    """A ``logging`` level number as one of ours (anything below INFO is a debug)."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    return "info" if levelno >= logging.INFO else "debug"


class LoggingBridge(logging.Handler):
    """The root handler of the standard ``logging`` module: a record from user code or a library becomes
    a LogRecord at its own level, tagged with the invocation it was made in (like ``context.logger``'s).

    Meta: the logger's name (unless root), the fields passed with ``extra=``, and the stack of
    ``logger.exception(...)`` / ``exc_info=True`` and ``stack_info=True`` (without the runner's frames).
    """

    def __init__(self, sink: LogSink) -> None:
        super().__init__()
        self._sink = sink

    def install(self, level: str) -> None:
        root = logging.getLogger()
        if self not in root.handlers:
            root.addHandler(self)
        self.set_level(level)
        logging.captureWarnings(True)  # warnings.warn(...) as warn records, not raw stderr
        _watch_other_handlers()

    def set_level(self, level: str) -> None:
        logging.getLogger().setLevel(_LOGGING_LEVELS[normalize_level(level)])

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = level_of(record.levelno)
            if not self._sink.enabled(level):
                return
            meta: dict[str, Any] = {
                key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
            }
            if record.name != "root":
                meta["logger"] = record.name
            stacks = []
            if record.exc_info and record.exc_info[1] is not None:
                stacks.append(user_traceback(record.exc_info[1]))
            if record.stack_info:  # what logging's own formatter prints after the exception
                stacks.append(user_frames_in(record.stack_info))
            if stacks:
                meta["stack"] = "".join(stacks)
            self._sink.log(level, record.getMessage(), meta_json(meta or None))
        except Exception:
            self.handleError(record)


# A library's logger that does not propagate to the root (agno's: its own RichHandler, printing
# "ERROR   API connection error ..." to stdout) never reaches the LoggingBridge: what its handler
# printed became an info line, and a handler on stderr an error of the runner, in no trace. While a
# handler other than the bridge writes a record out, the record is this thread's ``_handling.record``:
# what the handler prints is a line at the record's level, in the invocation it was logged in.
_handling = threading.local()
_original_handle = logging.Handler.handle
_original_stream_emit = logging.StreamHandler.emit


def _handle(self: logging.Handler, record: logging.LogRecord) -> Any:
    if isinstance(self, LoggingBridge):
        return _original_handle(self, record)
    outer = getattr(_handling, "record", None)
    _handling.record = record
    try:
        return _original_handle(self, record)
    finally:
        _handling.record = outer


def _stream_emit(self: logging.StreamHandler[Any], record: logging.LogRecord) -> None:
    """A StreamHandler on the process's stderr (or on ``StderrCapture``, ``sys.stderr`` when the
    handler was made) writes to the captured stdout instead (where the record's level is kept); any
    other stream (a file, a stream the user set up) as before."""
    on_stderr = self.stream is sys.__stderr__ or isinstance(self.stream, StderrCapture)
    if not on_stderr or not isinstance(sys.stdout, StdoutCapture):
        _original_stream_emit(self, record)
        return
    try:
        sys.stdout.write(self.format(record) + self.terminator)
        sys.stdout.flush()
    except Exception:
        self.handleError(record)


def _watch_other_handlers() -> None:
    logging.Handler.handle = _handle  # type: ignore[method-assign]
    logging.StreamHandler.emit = _stream_emit  # type: ignore[method-assign, assignment]


_LOGGING_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def _to_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping | list) or jsonutil.is_pydantic_model(value):
        try:
            return jsonutil.dumps(value).decode()
        except Exception:
            pass
    return str(value)


class StdoutCapture(io.TextIOBase):
    """Replacement for ``sys.stdout``: each print() becomes one info LogRecord.

    Text is buffered per thread until a write ends with a newline, so
    ``print(x)`` (which writes ``x`` then ``"\\n"``) gives one record even when
    ``x`` spans several lines.
    """

    MAX_BUFFER = 64 * 1024

    def __init__(self, sink: LogSink, level: str = "info") -> None:
        super().__init__()
        self._sink = sink
        self._level = level
        self._local = threading.local()
        self.buffer = _BinaryAdapter(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return "replace"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1  # fd 1 now points at stderr

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:
            return 0
        parts: list[str] = getattr(self._local, "parts", None) or []
        parts.append(text)
        self._local.parts = parts
        if text.endswith("\n") or sum(map(len, parts)) > self.MAX_BUFFER:
            self.flush()
        return len(text)

    def flush(self) -> None:
        parts: list[str] | None = getattr(self._local, "parts", None)
        if not parts:
            return
        self._local.parts = []
        message = "".join(parts)
        if message.endswith("\n"):
            message = message[:-1]
        record: logging.LogRecord | None = getattr(_handling, "record", None)
        if record is None:
            self._sink.log(self._level, message)
        else:  # printed by a logging handler: the line of its record
            meta = meta_json({"logger": record.name} if record.name != "root" else None)
            self._sink.log(level_of(record.levelno), message, meta)


class StderrCapture(StdoutCapture):
    """Replacement for ``sys.stderr``: what a handler writes there (``traceback.print_exc()``,
    ``print(..., file=sys.stderr)``) is an error line of its invocation, its step and trace named and
    a stack in it without the runner's frames, where the supervisor logged it as an error of the
    runner naming neither. Outside an invocation (the runner's own words as it fails, what a file
    writes as it loads) it goes to the process's stderr as before."""

    def __init__(self, sink: LogSink, stream: Any) -> None:
        super().__init__(sink, "error")
        self._stream = stream

    def fileno(self) -> int:
        return 2

    def write(self, text: str) -> int:
        if current().invocation_id == 0:
            return int(self._stream.write(text))
        return super().write(text)

    def flush(self) -> None:
        super().flush()
        self._stream.flush()


def _whole_traceback(original: Callable[..., None], file_at: int) -> Callable[..., None]:
    """``traceback.print_exception`` / ``print_list`` writing what they print at once, not a line at a
    time: a traceback ``print_exc()`` prints in a handler is one line of it (``StderrCapture`` takes a
    write ending in a newline as a line, as ``print`` writes one). ``file_at``: where the ``file``
    argument is when passed by position."""

    @functools.wraps(original)
    def printing(*args: Any, **kwargs: Any) -> None:
        told = io.StringIO()
        if len(args) > file_at:
            file, args = args[file_at], (*args[:file_at], told, *args[file_at + 1 :])
        else:
            file, kwargs = kwargs.get("file"), {**kwargs, "file": told}
        original(*args, **kwargs)
        (file if file is not None else sys.stderr).write(told.getvalue())

    return printing


def print_tracebacks_whole() -> None:
    """``traceback.print_exc()``, ``print_exception``, ``print_tb``, ``print_stack``: one write each."""
    traceback.print_exception = _whole_traceback(traceback.print_exception, 4)
    traceback.print_list = _whole_traceback(traceback.print_list, 1)


class _BinaryAdapter(io.RawIOBase):
    """``sys.stdout.buffer``: bytes written here are decoded and captured too."""

    def __init__(self, text: StdoutCapture) -> None:
        super().__init__()
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raw = bytes(data)
        self._text.write(raw.decode("utf-8", errors="replace"))
        return len(raw)

    def flush(self) -> None:
        self._text.flush()
