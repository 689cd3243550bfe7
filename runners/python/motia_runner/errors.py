"""Error reports for user code: tracebacks without the runner's own frames."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import traceback
from dataclasses import dataclass
from types import TracebackType

_INTERNAL_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, asyncio.__file__, concurrent.futures.__file__)
)


def _is_internal(filename: str) -> bool:
    return filename.startswith(_INTERNAL_DIRS) or filename.startswith("<frozen importlib")


def _strip(tb: TracebackType | None) -> TracebackType | None:
    """Drop leading runner/importlib frames (the user's frames come after them)."""
    while tb is not None and _is_internal(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def format_stack(exc: BaseException) -> str:
    seen: set[int] = set()
    chain: BaseException | None = exc
    while chain is not None and id(chain) not in seen:  # strip runner frames on the whole chain
        seen.add(id(chain))
        chain.with_traceback(_strip(chain.__traceback__))
        chain = chain.__cause__ or (None if chain.__suppress_context__ else chain.__context__)
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@dataclass(frozen=True)
class Location:
    line: int = 0
    column: int = 0


def location_in(exc: BaseException, path: str) -> Location:
    """Where ``exc`` happened in the file ``path`` (the innermost frame in it), 0 if unknown."""
    target = os.path.realpath(path)
    if isinstance(exc, SyntaxError) and exc.filename and os.path.realpath(exc.filename) == target:
        return Location(exc.lineno or 0, exc.offset or 0)
    found = Location()
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(frame.filename) == target:
            column = getattr(frame, "colno", None)
            found = Location(frame.lineno or 0, (column + 1) if column is not None else 0)
    return found


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
