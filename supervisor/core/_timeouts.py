"""How long a step's handler may run, and the line the core writes when it runs longer.

An api step has the project's ``apiTimeoutSeconds``; an event step its ``infrastructure.handler.timeout``
(default 30 s); a cron step only the ``handler.timeout`` it writes (Motia documents ``infrastructure`` for
event steps; a cron step that writes one is not silently left without it). The runner is asked to cancel
a handler past its timeout, and the core says so at error level, alike for the three kinds: which
step, in which trace, after how long and in which runner, as it says when a handler fails.
"""

from __future__ import annotations

import logging

from supervisor.config import ApiStepConfig, CronStepConfig, EventStepConfig
from supervisor.core._registry import Step
from supervisor.runners import InvocationTimeout
from supervisor.settings import Settings


def handler_timeout(settings: Settings, step: Step) -> float | None:
    """The seconds ``step``'s handler may run when served (None: no limit)."""
    config = step.config
    if isinstance(config, ApiStepConfig):
        return settings.config.api_timeout_s
    if isinstance(config, EventStepConfig):
        return float(config.infrastructure.handler.timeout)
    if isinstance(config, CronStepConfig) and config.infrastructure is not None:
        handler = config.infrastructure.handler
        return float(handler.timeout) if "timeout" in handler.model_fields_set else None
    return None


def log_timed_out(
    logger: logging.Logger,
    handler: str,
    step: str,
    trace_id: str,
    timeout_s: float,
    timed_out: InvocationTimeout,
    attempt: int | None = None,
) -> str:
    """Log that ``handler`` ("api handler", "handler", "cron handler", as their failures are logged)
    of ``step`` did not finish within ``timeout_s``; returns the message."""
    message = f"{handler} timed out after {timeout_s:g}s"
    if attempt is not None:
        message += f" (attempt {attempt})"
    logger.error(
        "%s",
        message,
        extra={
            "step": step,
            "trace_id": trace_id,
            "runner": timed_out.runner,
            "meta": {"timeoutSeconds": timeout_s},
        },
    )
    return message
