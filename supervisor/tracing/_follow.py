"""Live log followers: each gets the new lines its filter matches, as they are recorded.

Recording never waits on a follower: each has a bounded backlog, and one that falls behind by more
is cut off (``overflowed``); it resumes from the store with the id of the last line it got.

A followed line carries the ``spanId`` its stored copy gets (``Followers``), though spans are
assembled on the other side of the recorder's sink, in the trace writer process for SQLite.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from supervisor.storage import JsonObject

from ._assembler import SPAN_INDEX_SIZE, START, LatestSpan, newest
from ._handler import OWN_LOGGER
from ._query import all_hold, log_line_facts, log_predicates
from ._records import LogQuery

_logger = logging.getLogger(OWN_LOGGER)

#: the lines a follower may have waiting (or wait, all followers, for the sink's answer) before it is cut off
MAX_BACKLOG = 2048


class LogFollower:
    def __init__(self, query: LogQuery) -> None:
        self.query = query
        self._predicates = log_predicates(query)
        self._lines: deque[JsonObject] = deque()
        self._ready = asyncio.Event()
        self.overflowed = False
        self.closed = False

    def matches(self, line: JsonObject) -> bool:
        return all_hold(self._predicates, log_line_facts(line))

    def push(self, line: JsonObject) -> None:
        if self.closed:
            return
        if len(self._lines) >= MAX_BACKLOG:
            self.overflowed = True
            self.close()
            return
        self._lines.append(line)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def take(self, timeout: float) -> list[JsonObject]:
        """The lines since the last take; waits up to ``timeout`` for one (empty: nothing new, or closed)."""
        if not self._lines and not self.closed:
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return []
        self._ready.clear()
        lines = list(self._lines)
        self._lines.clear()
        return lines


class SpanSource(Protocol):
    """Where the spans recorded so far were assembled (the recorder's sink)."""

    def latest_spans(self) -> asyncio.Future[Sequence[LatestSpan]]:
        """Asked at the call, of the events sent before it; answered when the sink has looked."""
        ...


class Followers:
    """A recorder's live log followers, and the span each of their lines was logged under.

    A stored line gets its ``spanId`` where spans are assembled (``_assembler``: the latest span of
    the line's step in its trace). Lines go to followers as they are recorded, before that: so while
    someone follows, and only then, the recorder keeps that index too (``spans``), and a span costs
    nothing more to record when nobody does. The first follower starts it from the spans still
    buffered in the recorder, then those it records, and the sink's index (``SpanSource``) for what
    was sent before: until the sink answers (at once when it lives in the supervisor, a round trip
    to the trace writer process) lines wait, in order, for what it says.
    """

    def __init__(self) -> None:
        self._followers: set[LogFollower] = set()
        #: (trace id, step) -> the step's latest span in that trace, while someone follows
        self.spans: dict[tuple[str, str | None], str] | None = None
        #: lines recorded until the sink's index came, each with whether its span was found
        self._held: list[tuple[JsonObject, bool]] | None = None
        #: closed (the server is stopping): a follower added now is closed from the start
        self._closed = False

    def add(self, query: LogQuery, buffered: Sequence[Any], sink: SpanSource) -> LogFollower:
        """A follower of the lines matching ``query``; ``buffered``: the recorder's events not yet sent
        to ``sink`` (tuples, lists, or ``bytes`` kept encoded)."""
        follower = LogFollower(query)
        if self._closed:
            follower.close()
            return follower
        if self.spans is None:
            spans: dict[tuple[str, str | None], str] = {}
            for event in buffered:
                if type(event) is bytes:  # kept encoded (``Recorder._encoding``)
                    event = orjson.loads(event)
                if event[0] == START:
                    spans[(event[2], event[3])] = event[1]
            self.spans = spans
            held: list[tuple[JsonObject, bool]] = []
            self._held = held
            asked = sink.latest_spans()
            asked.add_done_callback(lambda _: self._seeded(asked, held))
        self._followers.add(follower)
        return follower

    def remove(self, follower: LogFollower) -> None:
        follower.close()
        self._followers.discard(follower)
        self._left()

    def close(self) -> None:
        """Close every follower (each still hands over the lines it holds), and those added later."""
        self._closed = True
        for follower in self._followers:
            follower.close()
        self._followers.clear()
        self._left()

    def started(self, trace_id: str, step: str, span_id: str) -> None:
        """A span started (called only while ``spans`` is kept)."""
        spans = self.spans
        if spans is not None:
            spans[(trace_id, step)] = span_id
            if len(spans) > 2 * SPAN_INDEX_SIZE:
                self.spans = newest(spans, SPAN_INDEX_SIZE)

    def recorded(self, line: JsonObject) -> None:
        """A line recorded here: its span found, it goes to the followers it matches."""
        spans = self.spans
        if spans is None:
            return
        found = False
        trace_id = line["traceId"]
        if trace_id:
            span_id = spans.get((trace_id, line["step"]))
            if span_id is not None:
                line["spanId"] = span_id
                found = True
        if self._held is not None:
            self._hold(line, found)
        else:
            self._deliver(line)

    def relayed(self, line: JsonObject) -> None:
        """A line another supervisor recorded (its span already found there)."""
        if self._held is not None:
            self._hold(line, True)
        elif self._followers:
            self._deliver(line)

    def _hold(self, line: JsonObject, found: bool) -> None:
        held = self._held
        assert held is not None
        held.append((line, found))
        if len(held) > MAX_BACKLOG:  # the sink is slow to answer: each follower would fall behind
            for follower in self._followers:
                follower.overflowed = True
            self.close()

    def _seeded(
        self, asked: asyncio.Future[Sequence[LatestSpan]], held: list[tuple[JsonObject, bool]]
    ) -> None:
        failure = "cancelled" if asked.cancelled() else asked.exception()
        if held is not self._held:
            return  # everyone left meanwhile
        self._held = None
        sent: dict[tuple[str, str | None], str] = {}
        if failure is not None:
            _logger.warning(
                "live log lines of spans begun before the first follower came go without their spanId: "
                "the trace store could not say which (%s)",
                failure,
            )
        else:
            sent = {(trace_id, step): span_id for trace_id, step, span_id in asked.result()}
        spans = self.spans
        assert spans is not None
        for key, span_id in sent.items():
            spans.setdefault(key, span_id)  # what was recorded since is newer
        for line, found in held:
            if not found and line["traceId"]:
                line["spanId"] = sent.get((line["traceId"], line["step"]), line["spanId"])
            self._deliver(line)

    def _deliver(self, line: JsonObject) -> None:
        """Give ``line`` to the followers whose filter matches it; those cut off for falling behind
        leave."""
        followers = self._followers
        for follower in tuple(followers):
            if follower.matches(line):
                follower.push(line)
                if follower.closed:
                    followers.discard(follower)
        self._left()

    def _left(self) -> None:
        if not self._followers:
            self.spans = self._held = None
