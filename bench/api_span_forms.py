"""Instructions per request of three forms of an api span's record, alone (no recorder around them).

Usage: .venv/bin/python bench/api_span_forms.py [--requests 20000]

Each form keeps what one trivial api request records from its start to its answer and ends with the
answered event encoded in its place in a batch: ``extended`` (integ e98e923: a 14-field START, END's
fields and room for the answer added by ``+=`` of a tuple, the answer's 4 fields stored, 3 clock reads),
``room`` (``Recorder`` since session 16: a 21-field START, END's and the answer's fields stored in place,
2 clock reads) and ``handle`` (the START's fields held in a slotted in-flight handle, one 21-field tuple
built from them at the answer, 2 clock reads). Each runs under ``valgrind --tool=callgrind`` with
``--requests`` and with none; the difference over ``--requests`` is printed (bench/RESULTS.md, session 16).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from tracing_overhead import callgrind_totals

_dumps = orjson.dumps


class _Held:
    __slots__ = ("_recorder", "at", "batch", "span_id", "start")

    _recorder: Any
    at: int
    batch: int
    span_id: str
    start: list[Any] | None


class _InFlight:
    __slots__ = (
        "_recorder",
        "at",
        "batch",
        "ended",
        "failure",
        "file",
        "index",
        "parent",
        "pid",
        "remote",
        "runner",
        "span_id",
        "status",
        "step",
        "trace_id",
    )

    _recorder: Any
    at: float
    batch: int
    ended: float
    failure: Any
    file: str
    index: int
    parent: str | None
    pid: int | None
    remote: bool
    runner: str | None
    span_id: str
    status: str
    step: str
    trace_id: str


# fmt: off
# (each event a list or tuple display, as the recorder writes them: one BUILD_LIST or BUILD_TUPLE)
def extended(events: list[Any], trace_id: str, span_id: str) -> None:
    start: list[Any] = [0, span_id, trace_id, "Hello", "steps/hello_step.py", "api", None, None, False,
                        None, 1, time.time(), None, None]
    events.append(start)
    span = _Held()
    span._recorder, span.span_id, span.start, span.batch = None, span_id, start, 0
    span.at = len(events) - 1
    start[12], start[13] = "python#1", 4242
    start += (time.time(), "ok", None, None, None, None, None)
    start[17], start[18], start[19], start[20] = "GET", "/py/hello", 200, time.time()
    events[span.at] = _dumps(start, default=str)


def room(events: list[Any], trace_id: str, span_id: str) -> None:
    start: list[Any] = [0, span_id, trace_id, "Hello", "steps/hello_step.py", "api", None, None, False,
                        None, 1, time.time(), None, None, None, None, None, None, None, None, None]
    at = len(events)
    events.append(start)
    span = _Held()
    span._recorder, span.span_id, span.start, span.batch, span.at = None, span_id, start, 0, at
    start[12], start[13] = "python#1", 4242
    start[14], start[15], start[16] = time.time(), "ok", None
    start[17], start[18], start[19], start[20] = "GET", "/py/hello", 200, start[14]
    events[span.at] = _dumps(start, default=str)


def handle(events: list[Any], trace_id: str, span_id: str) -> None:
    span = _InFlight()
    span._recorder, span.span_id, span.trace_id, span.step = None, span_id, trace_id, "Hello"
    span.file, span.parent, span.remote, span.at = "steps/hello_step.py", None, False, time.time()
    span.runner, span.pid, span.batch, span.index = None, None, 0, len(events)
    events.append(span)
    span.runner, span.pid = "python#1", 4242
    span.ended, span.status, span.failure = time.time(), "ok", None
    events[span.index] = _dumps((0, span.span_id, span.trace_id, span.step, span.file, "api", None,
                                 span.parent, span.remote, None, 1, span.at, span.runner, span.pid,
                                 span.ended, span.status, span.failure, "GET", "/py/hello", 200,
                                 span.ended), default=str)
# fmt: on


FORMS: dict[str, Callable[[list[Any], str, str], None]] = {
    "extended": extended,
    "room": room,
    "handle": handle,
}


def _run(form: str, count: int, total: int) -> None:
    trace_ids = [f"{n:032x}" for n in range(total)]
    span_ids = [f"{n:016x}" for n in range(total)]
    record = FORMS[form]
    events: list[Any] = []
    for n in range(count):
        record(events, trace_ids[n], span_ids[n])


def _total(form: str, count: int, total: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, __file__),
                *("--run", form, "--count", str(count), "--requests", str(total)),
            ],
            check=True,
            capture_output=True,
        )
        return callgrind_totals(out)["Ir"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--run", choices=sorted(FORMS), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        _run(args.run, args.count, args.requests)
        return
    for form in FORMS:
        loaded = _total(form, args.requests, args.requests)
        base = _total(form, 0, args.requests)
        print(f"{form}: {(loaded - base) / args.requests / 1000:.2f}k instructions/request", flush=True)


if __name__ == "__main__":
    main()
