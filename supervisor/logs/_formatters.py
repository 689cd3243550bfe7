from __future__ import annotations

import logging
import time
from typing import Any

import orjson

_LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error"}
_COLORS = {"debug": "\x1b[90m", "info": "\x1b[36m", "warn": "\x1b[33m", "error": "\x1b[31m"}
_RESET = "\x1b[0m"


def level_name(record: logging.LogRecord) -> str:
    """Motia's name of a record's level: ``debug``, ``info``, ``warn`` or ``error``."""
    return _LEVEL_NAMES.get(record.levelno, record.levelname.lower())


def _meta(record: logging.LogRecord) -> Any:
    return getattr(record, "meta", None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: level, time, step, runner, traceId, msg, meta."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "level": level_name(record),
            "time": int(record.created * 1000),
            "msg": record.getMessage(),
            "logger": record.name,
        }
        step = getattr(record, "step", None)
        if step:
            entry["step"] = step
        runner = getattr(record, "runner", None)
        if runner:
            entry["runner"] = runner
        trace_id = getattr(record, "trace_id", None)
        if trace_id:
            entry["traceId"] = trace_id
        meta = _meta(record)
        if meta is not None:
            entry["meta"] = meta
        if record.exc_info:
            entry["stack"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class PrettyFormatter(logging.Formatter):
    """``12:00:01.123 INFO  [CreatePet] (node-0) 9b8d14f0 Pet created {"id": 1}``: the step, the
    runner it ran in, the trace (its id's last 8 characters); a runner's own lines carry its id alone:
    ``12:00:01.123 INFO  (node-0) ...``."""

    def __init__(self, color: bool) -> None:
        super().__init__()
        self._color = color
        #: the clock of the last second formatted: the lines of a second share it (localtime and strftime
        #: cost about a microsecond a line)
        self._second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        level = level_name(record)
        second, hms = self._second
        if int(record.created) != second:
            hms = time.strftime("%H:%M:%S", time.localtime(record.created))
            self._second = (int(record.created), hms)
        clock = f"{hms}.{int(record.msecs):03d}"
        label = level.upper().ljust(5)
        if self._color:
            label = f"{_COLORS.get(level, '')}{label}{_RESET}"
        parts = [clock, label]
        step = getattr(record, "step", None)
        if step:
            parts.append(f"[{step}]")
        runner = getattr(record, "runner", None)
        if runner:
            parts.append(f"({runner})")
        trace_id = getattr(record, "trace_id", None)
        if trace_id:
            # the end: trace ids begin with their time (supervisor.core.new_trace_id), so their
            # first characters are the same for every trace of a minute
            parts.append(str(trace_id)[-8:])
        parts.append(record.getMessage())
        meta = _meta(record)
        stack = None
        if isinstance(meta, dict) and isinstance(meta.get("stack"), str):
            # printed below the line, readable, instead of as an escaped JSON string
            stack = meta["stack"]
            meta = {key: value for key, value in meta.items() if key != "stack"}
        if meta not in (None, {}, []):
            parts.append(orjson.dumps(meta, default=str).decode())
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if stack:
            # Python's tracebacks end in a newline, Node's stacks do not: no blank line after either
            line += "\n" + stack.rstrip("\n")
        return line
