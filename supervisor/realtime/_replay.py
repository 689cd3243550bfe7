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
    """``started_at`` None: the messages come stamped from a clock shared with other processes
    (Redis), so nothing is known of a group before the first message of it recorded here."""

    def __init__(
        self, started_at: int | None, per_group: int = DEFAULT_PER_GROUP, max_groups: int = DEFAULT_GROUPS
    ) -> None:
        self._per_group = per_group
        self._max_groups = max_groups
        self._groups: OrderedDict[Room, _GroupLog] = OrderedDict()
        # A group dropped from memory takes its history along; any group not in memory may have
        # had messages up to here (None: any group not in memory is unknown).
        self._unknown_up_to = started_at

    def forget(self) -> None:
        """Messages were missed (a gap in a shared feed): nothing here can be replayed exactly."""
        self._groups.clear()
        self._unknown_up_to = None

    def record(self, group: Room, item_id: str | None, message: ServerMessage) -> None:
        log = self._groups.get(group)
        if log is None:
            known_from = message.timestamp - 1 if self._unknown_up_to is None else self._unknown_up_to
            log = self._groups[group] = _GroupLog(deque(), known_from)
            if len(self._groups) > self._max_groups:
                _, dropped = self._groups.popitem(last=False)  # the group written least recently
                if dropped.entries and self._unknown_up_to is not None:
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
        if log is None:
            if self._unknown_up_to is None or last_timestamp < self._unknown_up_to:
                return None
            return []
        if last_timestamp < log.forgotten_up_to:
            return None
        return [
            message
            for item_id, message in log.entries
            if message.timestamp > last_timestamp and (room.item_id is None or item_id == room.item_id)
        ]
