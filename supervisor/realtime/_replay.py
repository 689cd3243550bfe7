"""A short, bounded memory of recent messages per group, for SSE ``Last-Event-ID`` resume.

The stream stores keep items, not a change log, so a reconnecting client can be brought up to
date exactly only from what this process still remembers. When the gap is covered, it gets the
missed messages; otherwise it gets a fresh sync, which is always correct, just larger.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from ._wire import Room, ServerMessage

DEFAULT_PER_GROUP = 256
DEFAULT_GROUPS = 1024


@dataclass(slots=True)
class _GroupLog:
    # (item id or None for a group-wide event, message), oldest first
    entries: deque[tuple[str | None, ServerMessage]]
    # every message stamped at or before this was forgotten (or predates this process)
    forgotten_up_to: int = field(default=0)


class ReplayLog:
    def __init__(
        self, started_at: int, per_group: int = DEFAULT_PER_GROUP, max_groups: int = DEFAULT_GROUPS
    ) -> None:
        self._started_at = started_at
        self._per_group = per_group
        self._max_groups = max_groups
        self._groups: OrderedDict[Room, _GroupLog] = OrderedDict()
        # A group dropped from memory takes its history along; any group not in memory may have
        # had messages up to here.
        self._unknown_up_to = started_at

    def record(self, group: Room, item_id: str | None, message: ServerMessage) -> None:
        log = self._groups.get(group)
        if log is None:
            log = self._groups[group] = _GroupLog(deque(), self._unknown_up_to)
            if len(self._groups) > self._max_groups:
                _, dropped = self._groups.popitem(last=False)  # the group written least recently
                if dropped.entries:
                    last = dropped.entries[-1][1].timestamp
                    self._unknown_up_to = max(self._unknown_up_to, last)
        else:
            self._groups.move_to_end(group)
        if len(log.entries) == self._per_group:
            log.forgotten_up_to = log.entries.popleft()[1].timestamp
        log.entries.append((item_id, message))

    def since(self, room: Room, last_timestamp: int) -> list[ServerMessage] | None:
        """The messages for ``room`` stamped after ``last_timestamp``; None if some may be missing."""
        log = self._groups.get(room.group())
        forgotten_up_to = self._unknown_up_to if log is None else log.forgotten_up_to
        if last_timestamp < forgotten_up_to:
            return None
        if log is None:
            return []
        return [
            message
            for item_id, message in log.entries
            if message.timestamp > last_timestamp and (room.item_id is None or item_id == room.item_id)
        ]
