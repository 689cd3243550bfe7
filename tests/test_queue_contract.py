"""One contract for every EventQueue adapter (memory, SQLite)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from supervisor.queue import EventQueue, MemoryEventQueue, SqliteEventQueue, UnknownDeliveryError
from tests.support.adapters import ADAPTER_KINDS, AdapterHarness

Harness = AdapterHarness[EventQueue]


def open_harness(kind: str, path: Path) -> Harness:
    return AdapterHarness(kind, path, MemoryEventQueue, SqliteEventQueue)


@pytest.fixture(params=ADAPTER_KINDS)
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    h = open_harness(request.param, tmp_path / ".motia" / "motia.db")
    yield h
    await h.close()


@pytest.fixture
def queue(harness: Harness) -> EventQueue:
    return harness.adapter


async def test_enqueue_makes_one_delivery_per_subscriber(queue: EventQueue) -> None:
    before = time.time()
    deliveries = await queue.enqueue(
        "pet.created", {"id": 1}, "trace-1", [("notify", 0.0), ("audit", 5.0)], message_group_id="pets"
    )
    assert [d.subscriber for d in deliveries] == ["notify", "audit"]
    assert len({d.id for d in deliveries}) == 2
    for d in deliveries:
        assert (d.topic, d.data, d.trace_id) == ("pet.created", {"id": 1}, "trace-1")
        assert d.message_group_id == "pets"
        assert (d.attempts, d.last_error) == (0, None)
    assert before <= deliveries[0].available_at <= time.time()
    assert deliveries[1].available_at - deliveries[0].available_at == pytest.approx(5.0, abs=0.5)
    assert await queue.pending() == deliveries


async def test_enqueue_without_subscribers_stores_nothing(queue: EventQueue) -> None:
    assert await queue.enqueue("t", {}, "tr", []) == []
    assert await queue.pending() == []


async def test_unserializable_data_is_refused(queue: EventQueue) -> None:
    with pytest.raises(TypeError, match="topic 't'"):
        await queue.enqueue("t", {"x": {1, 2}}, "tr", [("s", 0.0)])
    assert await queue.pending() == []


async def test_ids_increase_and_pending_is_oldest_first(queue: EventQueue) -> None:
    ids = [(await queue.enqueue("t", i, "tr", [("s", 0.0)]))[0].id for i in range(5)]
    assert ids == sorted(ids)
    await queue.ack(ids[2])
    assert [d.data for d in await queue.pending()] == [0, 1, 3, 4]


async def test_ack_removes_and_is_idempotent(queue: EventQueue) -> None:
    (d,) = await queue.enqueue("t", {}, "tr", [("s", 0.0)])
    await queue.ack(d.id)
    await queue.ack(d.id)
    await queue.ack(999_999)
    assert await queue.pending() == []


async def test_schedule_retry_records_attempt_time_and_error(queue: EventQueue) -> None:
    (d,) = await queue.enqueue("t", {}, "tr", [("s", 0.0)])
    await queue.schedule_retry(d.id, 2, 1234.5, "ValueError: nope")
    (p,) = await queue.pending()
    assert (p.id, p.attempts, p.available_at, p.last_error) == (d.id, 2, 1234.5, "ValueError: nope")
    with pytest.raises(UnknownDeliveryError):
        await queue.schedule_retry(999_999, 1, 0.0, "x")


async def test_dead_letter_moves_it_out_of_pending(queue: EventQueue) -> None:
    (d, other) = await queue.enqueue("t", {"v": 1}, "tr", [("s", 0.0), ("s2", 0.0)], "grp")
    dead = await queue.dead_letter(d.id, 4, "boom")
    assert (dead.id, dead.topic, dead.subscriber, dead.data) == (d.id, "t", "s", {"v": 1})
    assert (dead.trace_id, dead.message_group_id, dead.attempts, dead.last_error) == ("tr", "grp", 4, "boom")
    assert dead.failed_at == pytest.approx(time.time(), abs=5)
    assert await queue.pending() == [other]
    assert await queue.dead_letters() == [dead]
    with pytest.raises(UnknownDeliveryError):
        await queue.dead_letter(d.id, 1, "again")


async def test_replay_puts_a_dead_letter_back_fresh(queue: EventQueue) -> None:
    (d,) = await queue.enqueue("t", {"v": 1}, "tr", [("s", 0.0)], "grp")
    await queue.dead_letter(d.id, 4, "boom")
    replayed = await queue.replay_dead_letter(d.id)
    assert replayed.id != d.id
    assert (replayed.topic, replayed.subscriber, replayed.data) == ("t", "s", {"v": 1})
    assert (replayed.trace_id, replayed.message_group_id) == ("tr", "grp")
    assert (replayed.attempts, replayed.last_error) == (0, None)
    assert replayed.available_at <= time.time()
    assert await queue.pending() == [replayed]
    assert await queue.dead_letters() == []
    with pytest.raises(UnknownDeliveryError, match=str(d.id)):
        await queue.replay_dead_letter(d.id)


async def test_concurrent_enqueues_get_distinct_ids(queue: EventQueue) -> None:
    subscribers = [("a", 0.0), ("b", 0.0)]
    batches = await asyncio.gather(*(queue.enqueue("t", i, "tr", subscribers) for i in range(100)))
    ids = [d.id for batch in batches for d in batch]
    assert len(set(ids)) == 200
    assert len(await queue.pending()) == 200


async def test_sqlite_pending_survives_a_crash(tmp_path: Path) -> None:
    harness = open_harness("sqlite", tmp_path / ".motia" / "motia.db")
    delivered, undelivered = await harness.adapter.enqueue("t", {"n": 1}, "tr", [("a", 0.0), ("b", 2.0)], "g")
    await harness.adapter.ack(delivered.id)
    (retried,) = await harness.adapter.enqueue("t", [1], "tr", [("c", 0.0)])
    await harness.adapter.schedule_retry(retried.id, 1, 99.0, "first try failed")
    (dead,) = await harness.adapter.enqueue("t", None, "tr", [("d", 0.0)])
    await harness.adapter.dead_letter(dead.id, 3, "gave up")
    # No ack, no clean handover: the process "dies" and a new one opens the file.
    queue = await harness.reopen()
    try:
        pending = await queue.pending()
        assert [p.id for p in pending] == [undelivered.id, retried.id]
        assert pending[0] == undelivered
        again = pending[1]
        assert (again.attempts, again.available_at, again.last_error) == (1, 99.0, "first try failed")
        assert [(x.id, x.last_error) for x in await queue.dead_letters()] == [(dead.id, "gave up")]
        (fresh,) = await queue.enqueue("t", {}, "tr", [("a", 0.0)])
        assert fresh.id > dead.id  # ids are never reused
    finally:
        await harness.close()
