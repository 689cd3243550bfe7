"""The event loop ``motia dev`` / ``motia start`` run on.

uvloop when it is importable (bench/RESULTS.md, issue 14: 8-14 % less supervisor CPU per api request
than asyncio's own loop, measured A/B), asyncio's own loop otherwise, or always when
``MOTIA_EVENT_LOOP=asyncio`` (a way out if an extension misbehaves on uvloop).

The Python runner stays on asyncio's loop: its loop watch (``motia_runner/liveness.py``) counts on an
overdue timer running as soon as a blocking handler returns, which asyncio does (it reads the clock
before each poll) and uvloop does not (libuv polls with the clock it read before the block, so the
watch went on reporting a stall for up to a tick after it ended); and the A/B showed no gain there.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")
_logger = logging.getLogger("motia.cli")

ENV = "MOTIA_EVENT_LOOP"
CHOICES = ("auto", "uvloop", "asyncio")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None for asyncio's default loop."""
    wanted = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if wanted not in CHOICES:
        _logger.warning("%s=%s is not one of %s: using auto", ENV, wanted, ", ".join(CHOICES))
        wanted = "auto"
    if wanted == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")  # optional: not every platform has it
    except ImportError:
        if wanted == "uvloop":
            _logger.warning("%s=uvloop but uvloop is not installed: using asyncio's loop", ENV)
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run`` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
