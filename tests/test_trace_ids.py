"""Trace ids are UUIDs version 7: what users see in x-trace-id, time-ordered for the trace store."""

from __future__ import annotations

import time
import uuid

from supervisor.core import new_trace_id


def test_trace_ids_are_unique_time_ordered_uuid7s() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_trace_id() for _ in range(10_000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    for text in ids[:100]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert before <= parsed.int >> 80 <= after
    # ordered by their millisecond: a later id never sorts before an earlier one's millisecond
    assert [text[:13] for text in ids] == sorted(text[:13] for text in ids)
