"""What the supervisor and its trace writer process (``_writer``, ``_writer_process``) say to each other:
the one place their messages are encoded and decoded.

A message is a frame: 4 bytes of length (big-endian), then JSON (orjson, which writes the records'
dataclasses as objects of their fields). A request is ``[id, op, args]``; its answer
``[id, true, result]`` or ``[id, false, error message]``. Answers come in any order (by id). ``op`` is a
``TraceStore`` method: ``write`` (a ``Batch``), ``recover``, ``abandon`` (a reason: what a replacement
for a writer that died is told first, ``SqliteTraceStore.abandon``), ``traces`` (a ``TraceQuery``), ``trace``
(an id), ``logs`` (a ``LogQuery``), ``prune`` (a ``Retention`` and the time), ``close``; or
``assemble`` (a ``Retention``: from now on the writer assembles events, and ``recover`` prunes too),
then ``record`` (a list of the recorder's events, see ``_assembler``, one a line: ``record_request``)
and ``latest_spans`` (the assembler's (trace id, step) -> span id index, for live log followers:
``_follow.Followers``).
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable
from typing import Any

import orjson

from supervisor.storage import JsonObject

from ._records import (
    Batch,
    LogPage,
    LogQuery,
    Pruned,
    Retention,
    Span,
    TraceDelta,
    TracePage,
    TraceQuery,
)

HEADER = struct.Struct(">I")
#: the first frame the writer sends, once its store is open (its id is never a request's)
READY_ID = 0


def frame(message: Any) -> bytes:
    # Records hold JSON from the runners and the core's own scalars; default=str covers the odd value
    # a log record's extras carry, rather than losing the batch to it.
    payload = orjson.dumps(message, default=str)
    return HEADER.pack(len(payload)) + payload


def request(request_id: int, op: str, *args: Any) -> bytes:
    return frame([request_id, op, args])


def answer(request_id: int, ok: bool, result: Any) -> bytes:
    return frame([request_id, ok, result])


#: the option ``encode_event`` encodes with: see there why its newline is written, then cut off
KEPT_EVENT = orjson.OPT_APPEND_NEWLINE


def encode_event(event: list[Any]) -> bytes:
    """A recorder's event, encoded while it waits for its batch (``Recorder._encoding``; written out
    there, and in ``_rejoin``, with ``KEPT_EVENT``).

    orjson writes into a 1 KiB buffer taken from the C heap (past pymalloc's 512 bytes), shrunk to the
    event's ~250 bytes in place: each event kept until its frame goes held a chunk of its own with a
    free tail no next buffer fits, so every encode took fresh heap, cold or faulted in again after
    protobuf's ``malloc_trim``: ~0.95 µs per kept event against ~0.23 for the same made and cut
    (bench/RESULTS.md, session 24: the supervisor's encoded events). Cut by one byte, the event is a
    copy of its size from Python's allocator, and the buffer goes back to the C heap at once, to be the
    next one's."""
    return orjson.dumps(event, default=str, option=KEPT_EVENT)[:-1]


#: what separates the events of a ``record`` frame: a comma and a newline, JSON's whitespace, which
#: orjson never writes itself (a newline in a string is escaped): the writer finds each event's own
#: JSON by splitting there (``events_json``)
EVENT_SEPARATOR = b",\n"


def record_request(request_id: int, events: list[Any]) -> bytes:
    """``request(request_id, "record", events)`` as JSON, with the events already encoded (``bytes``:
    no event is one otherwise) joined as they are, by ``EVENT_SEPARATOR``: ~30 % less of the
    supervisor's CPU per event than a frame of ``orjson.Fragment``s (bench/RESULTS.md, tracing
    overhead, session 10), and each event's JSON can be cut out of the frame as it is."""
    dumps = orjson.dumps
    pieces = [event if type(event) is bytes else dumps(event, default=str) for event in events]
    head = b'[%d,"record",[[' % request_id
    if not pieces:
        return HEADER.pack(len(head) + 3) + head + b"]]]"
    # one copy of the events into the frame, not two (the body, then the body framed): the header's
    # length counted first, the frame's head and tail joined to the first and last event
    size = len(head) + sum(map(len, pieces)) + len(EVENT_SEPARATOR) * (len(pieces) - 1) + 3
    pieces[0] = HEADER.pack(size) + head + pieces[0]
    pieces[-1] += b"]]]"
    return EVENT_SEPARATOR.join(pieces)


def events_json(payload: bytes, count: int) -> list[bytes] | None:
    """Each event's JSON, as the supervisor encoded it, from the payload of a ``record`` frame of
    ``count`` events (``record_request``); None for a frame made otherwise."""
    start = payload.find(b',"record",[[')
    if start < 0 or not payload.endswith(b"]]]"):
        return None
    # cut at the newlines, then each piece's comma: a split at a single byte (memchr) and a strip take
    # half the time of a split at the two (bench/RESULTS.md, session 21: the trace writer's CPU)
    pieces = payload[start + 12 : -3].split(b"\n")
    if len(pieces) != count or not count:
        return None
    ends = itertools.repeat(b",")
    last = pieces.pop()
    if not all(map(bytes.endswith, pieces, ends)):
        return None
    pieces = list(map(bytes.removesuffix, pieces, ends))
    pieces.append(last)
    return pieces


def record_request_id(payload: bytes) -> int | None:
    """The id of a ``record`` request from its payload (``record_request``'s, or ``request``'s), found
    without decoding it: the writer keeps such frames as they came until it applies them
    (``_writer_process``); None for any other request."""
    comma = payload.find(b",", 1, 24)
    if comma < 2 or not payload.startswith(b',"record",', comma):
        return None
    try:
        return int(payload[1:comma])
    except ValueError:
        return None


def decode(payload: bytes) -> Any:
    return orjson.loads(payload)


# ---------------------------------------------------------------------- arguments (in the writer)


def _batch(data: JsonObject) -> Batch:
    return Batch(
        {trace_id: TraceDelta(**delta) for trace_id, delta in data["traces"].items()},
        [Span(**span) for span in data["spans"]],
        data["operations"],
        data["logs"],
    )


def _trace_query(data: JsonObject) -> TraceQuery:
    before, answered = data.get("before"), data.get("answered")
    return TraceQuery(
        **{
            **data,
            "before": None if before is None else (before[0], before[1]),
            "answered": None if answered is None else tuple((low, high) for low, high in answered),
        }
    )


#: per op, its arguments as the writer's store takes them, from their JSON
ARGUMENTS: dict[str, Callable[[list[Any]], tuple[Any, ...]]] = {
    "write": lambda args: (_batch(args[0]),),
    "recover": lambda args: (),
    "abandon": lambda args: (str(args[0]),),
    "traces": lambda args: (_trace_query(args[0]),),
    "trace": lambda args: (str(args[0]),),
    "logs": lambda args: (LogQuery(**args[0]),),
    "prune": lambda args: (Retention(**args[0]), float(args[1])),
    "assemble": lambda args: (Retention(**args[0]),),
    "record": lambda args: (args[0],),
    "latest_spans": lambda args: (),
}


# ---------------------------------------------------------------------- results (in the supervisor)


def trace_page(data: JsonObject) -> TracePage:
    cursor = data["next_cursor"]
    return TracePage(data["traces"], None if cursor is None else (cursor[0], cursor[1]))


def log_page(data: JsonObject) -> LogPage:
    return LogPage(data["logs"], data["next_cursor"])


def pruned(data: JsonObject) -> Pruned:
    return Pruned(**data)
