"""Trace ids are UUIDs version 7: what users see in x-trace-id, time-ordered for the trace store; span
ids are W3C's 16 hex digits."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from supervisor.core import new_trace_id
from supervisor.protocol import TriggerKind
from supervisor.tracing import MemoryTraceStore, Recorder, Retention
from supervisor.tracing._records import new_span_ids


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


def test_span_ids_are_unique_16_hex_digits_never_all_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    """Span ids (W3C trace context, OpenTelemetry) are made in bulk from random bytes; an all-zero
    one is invalid there and never given, even when the random bytes hold one."""
    ids = [span_id for _ in range(20) for span_id in new_span_ids(512)]
    assert len(ids) == 20 * 512 and len(set(ids)) == len(ids)
    assert all(len(span_id) == 16 and int(span_id, 16) > 0 for span_id in ids)
    assert ids[0] == ids[0].lower()

    random_bytes = bytes(8) + bytes(range(1, 9)) + bytes(8)
    monkeypatch.setattr(os, "urandom", lambda size: random_bytes[:size])
    assert new_span_ids(3) == ["0102030405060708"]


async def test_the_recorder_gives_each_span_an_id_of_its_own(tmp_path: Path) -> None:
    recorder = Recorder(MemoryTraceStore(), Retention(10_000, 10_000, 3600), tmp_path)
    await recorder.start()
    spans = [recorder.start_span("Hello", "steps/a.ts", TriggerKind.API, f"trace-{n}") for n in range(1500)]
    assert len({span.span_id for span in spans}) == 1500  # across the recorder's bulk refills
    await recorder.stop()
