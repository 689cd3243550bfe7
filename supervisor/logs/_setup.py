from __future__ import annotations

import logging
import sys
from typing import Any, Literal

from supervisor.logs._formatters import JsonFormatter, PrettyFormatter

LogMode = Literal["pretty", "json"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}


def configure_logging(mode: LogMode, debug: bool = False) -> None:
    root = logging.getLogger("motia")
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    if mode == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(PrettyFormatter(color=sys.stdout.isatty()))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False


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
    (``node-0``) a record without a step came from.
    """
    levelno = _LEVELS.get(level, logging.INFO)
    if not logger.isEnabledFor(levelno):
        return
    record = logger.makeRecord(
        logger.name,
        levelno,
        "(runner)",
        0,
        message,
        (),
        None,
        extra={"step": step, "trace_id": trace_id, "meta": meta, "runner": runner},
    )
    if created is not None:
        record.created = created
        record.msecs = (created - int(created)) * 1000
    logger.handle(record)
