from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from typing import Any, Literal

from supervisor.logs._formatters import JsonFormatter, PrettyFormatter
from supervisor.logs._levels import canonical_level, level_number

LogMode = Literal["pretty", "json"]
#: the levels a log line has; ``critical`` only as a threshold (``LOG_LEVEL=critical`` silences everything)
LogLevel = Literal["debug", "info", "warn", "error", "critical"]


def log_level(debug: bool, environment_value: str | None) -> LogLevel:
    """The threshold to log at: ``-d`` means debug; else the ``LOG_LEVEL`` variable as Motia reads it
    (debug or trace, info, warn or warning, error, critical or fatal; anything else is info), case aside."""
    if debug:
        return "debug"
    level = canonical_level((environment_value or "").strip().lower())
    return "info" if level is None else level  # type: ignore[return-value]


def configure_logging(mode: LogMode, debug: bool = False, level: LogLevel | None = None) -> None:
    """Log to stdout, readable (``pretty``) or as JSON lines; at ``level`` (``debug`` if ``debug``).
    Our records (the ``motia`` loggers) and the warnings and errors of every library (asyncio,
    hypercorn, quart...) share the format: one JSON object per line for ``motia start``, never a raw
    traceback between them."""
    handler = _StdoutHandler(sys.stdout)
    if mode == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(PrettyFormatter(color=sys.stdout.isatty()))
    threshold = level_number(level or ("debug" if debug else "info")) or logging.INFO
    ours = logging.getLogger("motia")
    _replace_handlers(ours, handler)
    ours.setLevel(threshold)
    ours.propagate = False
    libraries = logging.getLogger()
    _replace_handlers(libraries, handler)
    libraries.setLevel(max(threshold, logging.WARNING))


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def handleError(self, record: logging.LogRecord) -> None:
        if isinstance(sys.exc_info()[1], BrokenPipeError):
            # what read our output went away (`motia build | head`): the rest goes nowhere, quietly,
            # instead of a "Logging error" traceback for every line still to come
            stdout_to_nowhere()
            return
        super().handleError(record)


def stdout_to_nowhere() -> None:
    """Points stdout at /dev/null: what read it went away (``motia ... | head`` has its lines), and
    whatever is still written, by us or by Python's flush at exit, would fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _replace_handlers(logger: logging.Logger, handler: logging.Handler) -> None:
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)


def log_event(
    logger: logging.Logger,
    level: str,
    message: str,
    *,
    step: str | None = None,
    trace_id: str | None = None,
    meta: Any = None,
    created: float | None = None,
    runner: str | None = None,
) -> None:
    """Log one record with the framework's tags (used for runner and user logs).

    ``step`` is a step's name, never anything else; ``runner`` names the runner process
    (``node-0``) the record came from, beside its step when it has one.
    """
    levelno = level_number(level) or logging.INFO
    if not logger.isEnabledFor(levelno):
        return
    extra = {"step": step, "trace_id": trace_id, "meta": meta, "runner": runner}
    if created is None:
        created = time.time()
    if type(logger).makeRecord is _MAKE_RECORD and logging.getLogRecordFactory() is logging.LogRecord:
        record = _record(logger.name, levelno, message, created, extra)
    else:  # a logger class or a record factory of the application's: its records, as it makes them
        record = logger.makeRecord(logger.name, levelno, "(runner)", 0, message, (), None, extra=extra)
        record.created = created
        record.msecs = (created - int(created)) * 1000
        record.relativeCreated = (created - _LOGGING_STARTED) * 1000
    logger.handle(record)


def log_always(
    logger: logging.Logger,
    level: int,
    message: str,
    *args: object,
    exc_info: bool = False,
    extra: dict[str, Any] | None = None,
) -> None:
    """Log a line whatever the threshold (``LOG_LEVEL=warn`` and above): that the server is ready and
    where, or why it could not start. Motia prints those with ``console.log``, past its logger; a
    server saying nothing at all leaves its user unable to tell it started. The line keeps its level."""
    record = logger.makeRecord(
        logger.name, level, "(motia)", 0, message, args, sys.exc_info() if exc_info else None, extra=extra
    )
    logger.handle(record)  # (the logger's level is checked by its log methods, not here)


_MAKE_RECORD = logging.Logger.makeRecord
#: when ``logging`` was imported: what a record's ``relativeCreated`` counts from
_LOGGING_STARTED: float = logging._startTime  # type: ignore[attr-defined]
#: what ``LogRecord.__init__`` makes alike of every line ``log_event`` logs (source "(runner)", line 0,
#: no arguments, no exception, this process), made by the constructor itself once, so that a Python
#: version's own attributes are there too
_LINE: dict[str, Any] = {}


def _record(
    name: str, levelno: int, message: str, created: float, extra: dict[str, Any]
) -> logging.LogRecord:
    """The record ``Logger.makeRecord`` makes of a line (every attribute alike) for ~25 % fewer
    instructions per line logged (callgrind, JSON lines: 65.1k -> 48.9k): the constructor takes the
    source path apart and looks up the process and its multiprocessing name for every line, which are
    the same for every line ``log_event`` logs."""
    if not _LINE:
        _LINE.update(vars(logging.LogRecord("", logging.INFO, "(runner)", 0, "", (), None)))
    record: logging.LogRecord = logging.LogRecord.__new__(logging.LogRecord)
    attributes = record.__dict__
    attributes.update(_LINE)
    attributes["name"] = name
    attributes["msg"] = message
    attributes["levelno"] = levelno
    attributes["levelname"] = logging.getLevelName(levelno)
    attributes["created"] = created
    attributes["msecs"] = (created - int(created)) * 1000
    attributes["relativeCreated"] = (created - _LOGGING_STARTED) * 1000
    if logging.logThreads:
        attributes["thread"] = threading.get_ident()
        attributes["threadName"] = threading.current_thread().name
    if "taskName" in attributes:  # Python 3.12's: the asyncio task logging, as the constructor finds it
        attributes["taskName"] = _task_name()
    attributes.update(extra)
    return record


def _task_name() -> str | None:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop
        return None
    return None if task is None else task.get_name()
