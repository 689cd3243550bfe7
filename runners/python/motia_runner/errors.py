"""Error reports for user code: tracebacks without the runner's own frames."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import runpy
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

_INTERNAL_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, asyncio.__file__, concurrent.futures.__file__)
)


#: ``python -m motia_runner``'s entry, the outermost frame of a stack taken on the event loop, and a
#: thread's start (a file loads, a sync handler runs, on a thread of the runner's)
_INTERNAL_FILES = frozenset({os.path.abspath(runpy.__file__), os.path.abspath(threading.__file__)})


def _is_internal(filename: str) -> bool:
    return (
        filename.startswith(_INTERNAL_DIRS)
        or filename in _INTERNAL_FILES
        or filename.startswith(("<frozen importlib", "<frozen runpy"))
    )


def user_traceback(exc: BaseException) -> str:
    """``exc`` as Python prints it, without the runner's frames anywhere in its chain (its outermost,
    and the innermost of one raised by the runner's code: ``await context.emit(42)``), for an error a
    handler or an import raised and one a step caught and logs; whole when no frame is the user's.
    ``exc`` itself is left as it is: the step may still hold it."""
    told = traceback.TracebackException.from_exception(exc)
    chain = list(_chain(told))
    if any(not _is_internal(frame.filename) for each in chain for frame in each.stack):
        for each in chain:
            kept = [frame for frame in each.stack if not _is_internal(frame.filename)]
            each.stack = traceback.StackSummary.from_list(kept)
    return "".join(told.format())


def _chain(told: traceback.TracebackException) -> Iterator[traceback.TracebackException]:
    """``told``, its causes and contexts, and the members of an exception group, each once."""
    seen: set[int] = set()
    pending = [told]
    while pending:
        each = pending.pop()
        if id(each) in seen:
            continue
        seen.add(id(each))
        yield each
        pending.extend(other for other in (each.__cause__, each.__context__) if other is not None)
        pending.extend(getattr(each, "exceptions", None) or ())


_FRAME_LINE = re.compile(r'^  File "([^"]+)", line \d+')


def user_frames_in(text: str) -> str:
    """``text`` without the runner's frames where it holds a traceback or a stack as Python prints them
    (a ``File ...`` line and its source lines per frame): a stack ``logging`` took (``stack_info=True``,
    the event loop's, the runner's and ``python -m``'s frames under the step's), a printed
    ``traceback.format_exc()``; as it is when no frame in it is the user's."""
    if 'File "' not in text:
        return text
    blocks: list[tuple[str | None, list[str]]] = []  # (the frame's file, or None; its lines)
    for line in text.splitlines(keepends=True):
        frame = _FRAME_LINE.match(line)
        if frame or not line.startswith("    ") or not blocks:
            blocks.append((frame.group(1) if frame else None, [line]))
        else:
            blocks[-1][1].append(line)
    if not any(file is not None and not _is_internal(file) for file, _ in blocks):
        return text
    return "".join("".join(lines) for file, lines in blocks if file is None or not _is_internal(file))


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
