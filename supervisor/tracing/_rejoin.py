"""``Rejoiner``: in the trace writer process, api requests a frame cut while they were in flight, made
whole again before the assembler sees them.

A request in flight when its batch goes whole (``_recorder.BATCH_AT`` events, the timer's flush, a
read: the recorder's frames due to their size keep such requests back) is sent as a START cut where it
got to (14 fields: running; 17: ended, not answered), and its END and RESPONSE follow in a later frame
as events of their own (``_assembler``). Assembled so, it is a ``Span`` and a ``TraceDelta`` rather than
one whole event kept as its JSON, which costs the writer more (bench/RESULTS.md, session 21). Held here
until what completes it comes, it is applied as the whole event a single flush would have sent.

A held START is let go as it is (``release``) when anything else of its trace comes first (an
operation or a log line finds its span by trace and step, so the span must be there before them),
when more than ``MAX_HELD`` wait, and before a read or any commit a read forces (a running span is then
seen running, as before).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, cast

from ._assembler import DELIVERED, END, LOG, OPERATION, RAN_ON, RESPONSE, START
from ._wire import encode_event

#: at most this many cut requests wait for the rest of them (the oldest are let go first)
MAX_HELD = 4096
#: a cut api START's length: running (START's own fields), or ended (with END's folded in)
_RUNNING, _ENDED = 14, 17

Event = Sequence[Any]

_TRACE = itemgetter(2)
#: of an event's length: whether it is a whole request (a START with END and RESPONSE folded in)
_WHOLE = _ENDED.__lt__
_NOT_WHOLE = _ENDED.__ge__


class Rejoiner:
    def __init__(self) -> None:
        #: span id -> its cut START (a list, completed in place), in the order they came
        self._held: dict[str, list[Any]] = {}
        #: (trace id, step) -> span id: where a RESPONSE finds its START
        self._answering: dict[tuple[str, str], str] = {}
        #: trace id -> the span id of its START held
        self._traces: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._held)

    def join(
        self, events: list[Event], encoded: list[bytes] | None
    ) -> tuple[list[Event], list[bytes] | None]:
        """``events`` (with each one's JSON, ``encoded``) as the assembler should take them, in their
        order: cut api STARTs held back, and put back whole where their END and RESPONSE came. The
        whole requests between the others are copied a run at a time (slices, in C): a frame is mostly
        them, and a bytecode loop over each cost the writer ~0.3 µs per request."""
        lengths = list(map(len, events))
        if not self._held and _RUNNING not in lengths and _ENDED not in lengths:
            return events, encoded
        count = len(events)
        jsons_in: list[bytes | None] = [None] * count if encoded is None else list(encoded)
        traces = self._traces
        if traces and not traces.keys().isdisjoint(
            map(_TRACE, itertools.compress(events, map(_WHOLE, lengths)))
        ):
            others: Iterable[int] = range(count)  # a whole request of a trace held: each by ``_take``
        else:
            others = itertools.compress(range(count), map(_NOT_WHOLE, lengths))
        out: list[Event] = []
        jsons: list[bytes | None] = []
        after = 0
        for index in others:
            if index > after:
                out += events[after:index]
                jsons += jsons_in[after:index]
            self._take(events[index], jsons_in[index], out, jsons)
            after = index + 1
        out += events[after:]
        jsons += jsons_in[after:]
        held = self._held
        if len(held) > MAX_HELD:
            for span_id in list(held)[: len(held) - MAX_HELD]:
                self._let_go(span_id, out, jsons)
        return out, None if encoded is None else cast(list[bytes], jsons)

    def release(self) -> tuple[list[Event], list[bytes]]:
        """Every START held, as it is, in the order they came."""
        out: list[Event] = []
        jsons: list[bytes | None] = []
        for span_id in list(self._held):
            self._let_go(span_id, out, jsons)
        return out, cast(list[bytes], jsons)

    def _take(self, event: Event, json: bytes | None, out: list[Event], jsons: list[bytes | None]) -> None:
        """Into ``out``: nothing (``event`` held, or folded into a held START), the whole request it
        completes, or ``event`` (after a held START of its trace, let go first)."""
        kind = event[0]
        held = self._held
        if kind == START:
            trace_id = event[2]
            earlier = self._traces.get(trace_id)
            if earlier is not None:  # another span of that trace: what was held of it goes first
                self._let_go(earlier, out, jsons)
            if _is_cut(event):
                start = list(event)
                held[start[1]] = start
                self._answering[(trace_id, start[3])] = start[1]
                self._traces[trace_id] = start[1]
                return
        elif kind == RAN_ON:
            running = held.get(event[1])
            if running is not None:
                running[12], running[13] = event[2], event[3]
                return
        elif kind == END:
            ending = held.get(event[1])
            if ending is not None:
                if len(ending) == _RUNNING:
                    ending += event[2:5]
                    return
                self._let_go(event[1], out, jsons)
        elif kind == RESPONSE:
            span_id = self._answering.get((event[1], event[2]))
            if span_id is not None:
                start = held[span_id]
                if len(start) == _ENDED:  # whole again: as one flush would have sent it
                    start += (event[3], event[4], event[5], event[6])
                    self._forget(span_id)
                    out.append(start)
                    jsons.append(encode_event(start))
                    return
                self._let_go(span_id, out, jsons)
        elif kind in (OPERATION, LOG):
            self._let_go_trace(event[1]["traceId"], out, jsons)
        elif kind == DELIVERED:
            self._let_go_trace(event[1], out, jsons)
        else:  # a kind not known here: what is held goes first, as it came before it
            for span_id in list(held):
                self._let_go(span_id, out, jsons)
        out.append(event)
        jsons.append(json)

    def _let_go_trace(self, trace_id: Any, out: list[Event], jsons: list[bytes | None]) -> None:
        span_id = self._traces.get(trace_id)
        if span_id is not None:
            self._let_go(span_id, out, jsons)

    def _let_go(self, span_id: str, out: list[Event], jsons: list[bytes | None]) -> None:
        start = self._held[span_id]
        out.append(start)
        jsons.append(encode_event(start))
        self._forget(span_id)

    def _forget(self, span_id: str) -> None:
        start = self._held.pop(span_id)
        self._answering.pop((start[2], start[3]), None)
        if self._traces.get(start[2]) == span_id:
            del self._traces[start[2]]


def _is_cut(event: Event) -> bool:
    """An api span's START a flush cut before its answer."""
    return event[5] == "api" and len(event) in (_RUNNING, _ENDED)
