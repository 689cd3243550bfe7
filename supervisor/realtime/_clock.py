"""Message timestamps that strictly increase per item and per group.

Motia's clients drop a message whose timestamp is not newer than the last one they applied for
that item (or group), so two writes in the same millisecond must still get different stamps.
A stamp is the wall clock in milliseconds, bumped past the last stamp given to any of the keys
it covers. Only keys stamped at or after the current millisecond matter, so older ones are
pruned and memory stays proportional to the keys written in the last moment, not ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

PRUNE_ABOVE = 4096


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class TimestampClock:
    def __init__(self, now_ms: Callable[[], int] = wall_clock_ms) -> None:
        self._now_ms = now_ms
        self._floor = 0  # never go back, even if the wall clock does
        self._last: dict[Hashable, int] = {}
        self._prune_above = PRUNE_ABOVE

    def stamp(self, *keys: Hashable | None) -> int:
        """A stamp greater than every earlier stamp of any of ``keys`` (None entries are skipped)."""
        now = max(self._now_ms(), self._floor)
        self._floor = now
        stamp = now
        last = self._last
        for key in keys:
            if key is not None:
                previous = last.get(key)
                if previous is not None and previous >= stamp:
                    stamp = previous + 1
        for key in keys:
            if key is not None:
                last[key] = stamp
        if len(last) > self._prune_above:
            self._prune(now)
        return stamp

    def observe(self, stamp: int, *keys: Hashable | None) -> None:
        """``stamp`` was given to ``keys`` elsewhere (a shared clock): later local stamps exceed it."""
        last = self._last
        for key in keys:
            if key is not None and last.get(key, 0) < stamp:
                last[key] = stamp
        if len(last) > self._prune_above:
            self._prune(max(self._now_ms(), self._floor))

    def _prune(self, now: int) -> None:
        # A key last stamped before ``now`` cannot bump any later stamp, which is at least ``now``.
        self._last = {key: value for key, value in self._last.items() if value >= now}
        # Keys all stamped this very millisecond survive; back off so pruning stays amortised O(1).
        self._prune_above = max(PRUNE_ABOVE, 2 * len(self._last))
