"""The runner's event loop: uvloop when the interpreter has it (the supervisor's own choice, see
supervisor/cli/_event_loop.py), asyncio's otherwise or when ``MOTIA_EVENT_LOOP=asyncio``."""

from __future__ import annotations

import asyncio
import importlib
import os


def new_event_loop() -> asyncio.AbstractEventLoop:
    if os.environ.get("MOTIA_EVENT_LOOP", "auto").strip().lower() != "asyncio":
        try:
            uvloop = importlib.import_module("uvloop")  # optional: not every interpreter has it
        except ImportError:
            pass
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()
