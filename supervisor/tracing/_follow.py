"""Live log followers: each gets the new lines its filter matches, as they are recorded.

Recording never waits on a follower: each has a bounded backlog, and one that falls behind by more
is cut off (``overflowed``); it resumes from the store with the id of the last line it got.
"""

from __future__ import annotations

import asyncio
from collections import deque

from supervisor.storage import JsonObject

from ._query import all_hold, log_line_facts, log_predicates
from ._records import LogQuery

MAX_BACKLOG = 2048


class LogFollower:
    def __init__(self, query: LogQuery, max_backlog: int = MAX_BACKLOG) -> None:
        self.query = query
        self._predicates = log_predicates(query)
        self._lines: deque[JsonObject] = deque()
        self._max = max_backlog
        self._ready = asyncio.Event()
        self.overflowed = False
        self.closed = False

    def matches(self, line: JsonObject) -> bool:
        return all_hold(self._predicates, log_line_facts(line))

    def push(self, line: JsonObject) -> None:
        if self.closed:
            return
        if len(self._lines) >= self._max:
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


def deliver(followers: set[LogFollower], line: JsonObject) -> None:
    """Give ``line`` to the followers whose filter matches it; those cut off for falling behind leave."""
    for follower in tuple(followers):
        if follower.matches(line):
            follower.push(line)
            if follower.closed:
                followers.discard(follower)
