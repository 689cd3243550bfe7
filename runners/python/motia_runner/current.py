"""Which invocation the running code belongs to (carried by contextvars)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class InvocationInfo:
    invocation_id: int
    trace_id: str
    step_name: str
    #: set while a file is being imported (its path in the project): what it logs then is that file's
    file: str = ""


RUNNER = InvocationInfo(0, "", "")

current_invocation: contextvars.ContextVar[InvocationInfo] = contextvars.ContextVar(
    "motia_invocation", default=RUNNER
)


def current() -> InvocationInfo:
    return current_invocation.get()
