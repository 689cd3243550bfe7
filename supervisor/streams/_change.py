"""What stream listeners (WebSocket fan-out, Redis pub/sub, traces) are told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from supervisor.storage import JsonValue

ChangeKind: TypeAlias = Literal["create", "update", "delete", "event"]


@dataclass(frozen=True, slots=True)
class StreamChange:
    """One mutation of a stream, or one custom event sent on it.

    ``data`` is the item as stored for create/update, the removed item for delete,
    and ``{"type": ..., "data": ...}`` for an event. ``item_id`` is None for an event
    sent to a whole group.
    """

    stream: str
    group_id: str
    item_id: str | None
    kind: ChangeKind
    data: JsonValue
    timestamp: int | None = field(default=None, compare=False)
    """Set by a store shared by several supervisors (Redis), from one clock for all of them; None:
    the listener stamps it (one process sees every change, so its own clock orders them)."""


StreamListener: TypeAlias = Callable[[StreamChange], None]
