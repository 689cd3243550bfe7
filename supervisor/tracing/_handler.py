"""Every line logged under ``motia`` (the core's, the runners', the steps') goes to the recorder too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

#: the recorder's own troubles are printed, never recorded: a failing store would feed itself
OWN_LOGGER = "motia.tracing"


class RecordingHandler(logging.Handler):
    def __init__(self, record: Callable[[logging.LogRecord], None], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._record = record
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == OWN_LOGGER:
            return
        if threading.get_ident() == self._loop_thread:
            self._record(record)
        else:  # the SQLite writer thread and friends: the recorder lives on the event loop
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody will read it
                self._loop.call_soon_threadsafe(self._record, record)
