"""One contract for every EventQueue adapter (memory, SQLite, Redis)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from supervisor.queue import (
    EventQueue,
    MemoryEventQueue,
    RedisEventQueue,
    SqliteEventQueue,
    Target,
    UnknownDeliveryError,
)
from tests.support.adapters import DURABLE_KINDS, AdapterHarness, Adapters
from tests.support.sqlite_writes import record_write_threads, until_a_write_runs_on_the_loop

Harness = AdapterHarness[EventQueue]


QUEUES: Adapters[EventQueue] = Adapters(MemoryEventQueue, SqliteEventQueue, RedisEventQueue)
harness = QUEUES.harness_fixture()


@pytest.fixture
def queue(harness: Harness) -> EventQueue:
    return harness.adapter


async def test_enqueue_makes_one_delivery_per_subscriber(queue: EventQueue) -> None:
    before = time.time()
    deliveries = await queue.enqueue(
        "pet.created",
        {"id": 1},
        "trace-1",
        [Target("notify", 0.0), Target("audit", 5.0)],
        message_group_id="pets",
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
        await queue.enqueue("t", {"x": {1, 2}}, "tr", [Target("s", 0.0)])
    assert await queue.pending() == []


async def test_ids_increase_and_pending_is_oldest_first(queue: EventQueue) -> None:
    ids = [(await queue.enqueue("t", i, "tr", [Target("s", 0.0)]))[0].id for i in range(5)]
    assert ids == sorted(ids)
    await queue.ack(ids[2])
    assert [d.data for d in await queue.pending()] == [0, 1, 3, 4]


async def test_ack_removes_and_is_idempotent(queue: EventQueue) -> None:
    (d,) = await queue.enqueue("t", {}, "tr", [Target("s", 0.0)])
    await queue.ack(d.id)
    await queue.ack(d.id)
    await queue.ack(999_999)
    assert await queue.pending() == []


async def test_schedule_retry_records_attempt_time_and_error(queue: EventQueue) -> None:
    (d,) = await queue.enqueue("t", {}, "tr", [Target("s", 0.0)])
    await queue.schedule_retry(d.id, 2, 1234.5, "ValueError: nope")
    (p,) = await queue.pending()
    assert (p.id, p.attempts, p.available_at, p.last_error) == (d.id, 2, 1234.5, "ValueError: nope")
    with pytest.raises(UnknownDeliveryError):
        await queue.schedule_retry(999_999, 1, 0.0, "x")


async def test_dead_letter_moves_it_out_of_pending(queue: EventQueue) -> None:
    (d, other) = await queue.enqueue("t", {"v": 1}, "tr", [Target("s", 0.0), Target("s2", 0.0)], "grp")
    dead = await queue.dead_letter(d.id, 4, "boom")
    assert (dead.id, dead.topic, dead.subscriber, dead.data) == (d.id, "t", "s", {"v": 1})
    assert (dead.trace_id, dead.message_group_id, dead.attempts, dead.last_error) == ("tr", "grp", 4, "boom")
    assert dead.failed_at == pytest.approx(time.time(), abs=5)
    assert await queue.pending() == [other]
    assert await queue.dead_letters() == [dead]
    with pytest.raises(UnknownDeliveryError):
        await queue.dead_letter(d.id, 1, "again")


async def test_replay_puts_a_dead_letter_back_fresh(queue: EventQueue) -> None:
    (d,) = await queue.enqueue("t", {"v": 1}, "tr", [Target("s", 0.0)], "grp")
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
    subscribers = [Target("a", 0.0), Target("b", 0.0)]
    batches = await asyncio.gather(*(queue.enqueue("t", i, "tr", subscribers) for i in range(100)))
    ids = [d.id for batch in batches for d in batch]
    assert len(set(ids)) == 200
    assert len(await queue.pending()) == 200


@pytest.mark.parametrize("kind", DURABLE_KINDS)
async def test_durable_pending_survives_a_crash(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    harness = await QUEUES.open(kind, tmp_path / ".motia" / "motia.db", request)
    delivered, undelivered = await harness.adapter.enqueue(
        "t", {"n": 1}, "tr", [Target("a", 0.0), Target("b", 2.0)], "g"
    )
    await harness.adapter.ack(delivered.id)
    (retried,) = await harness.adapter.enqueue("t", [1], "tr", [Target("c", 0.0)])
    await harness.adapter.schedule_retry(retried.id, 1, 99.0, "first try failed")
    (dead,) = await harness.adapter.enqueue("t", None, "tr", [Target("d", 0.0)])
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
        (fresh,) = await queue.enqueue("t", {}, "tr", [Target("a", 0.0)])
        assert fresh.id > dead.id  # ids are never reused
    finally:
        await harness.close()


# -- windowed reading: claims, lanes, due times ------------------------------------------------

FIFO = Target("ordered", fifo=True)
PLAIN = Target("s")


async def one(queue: EventQueue, data: object, target: Target = PLAIN, group: str | None = None) -> int:
    (delivery,) = await queue.enqueue("t", data, "tr", [target], group)
    return delivery.id


async def test_claim_hands_out_due_deliveries_once_oldest_due_first(queue: EventQueue) -> None:
    ids = [await one(queue, n) for n in range(5)]
    now = time.time()
    first = await queue.claim(3, now)
    assert [d.id for d in first] == ids[:3]
    assert all(d.claimed for d in first)
    second = await queue.claim(10, now)
    assert [d.id for d in second] == ids[3:]
    assert await queue.claim(10, now) == []
    # A retried delivery due earlier than newer ones comes back before them.
    await queue.schedule_retry(ids[4], 1, now - 100, "failed")
    newer = await one(queue, "newer")
    assert [d.id for d in await queue.claim(10, time.time())] == [ids[4], newer]


async def test_claim_waits_for_the_due_time_and_next_due_names_it(queue: EventQueue) -> None:
    (later,) = await queue.enqueue("t", {}, "tr", [Target("s", delay_seconds=60.0)])
    now = time.time()
    assert await queue.claim(10, now) == []
    assert await queue.next_due(now) == later.available_at
    assert await queue.next_due(later.available_at) is None
    (claimed,) = await queue.claim(10, later.available_at)
    assert claimed.id == later.id
    assert await queue.next_due(now) is None  # claimed rows are not waited for


async def test_enqueue_with_claim_claims_only_what_may_run_now(queue: EventQueue) -> None:
    now, soon, head, behind = await queue.enqueue(
        "t", {}, "tr", [Target("a"), Target("b", delay_seconds=30.0), FIFO, FIFO], "g", claim=True
    )
    assert (now.claimed, soon.claimed, head.claimed, behind.claimed) == (True, False, True, False)
    assert await queue.claim(10, time.time()) == []  # nothing runnable was left unclaimed


async def test_only_the_head_of_a_fifo_lane_is_runnable(queue: EventQueue) -> None:
    lane_a = [await one(queue, n, FIFO, "a") for n in range(3)]
    lane_b = [await one(queue, n, FIFO, "b") for n in range(2)]
    free = await one(queue, "free")
    claimed = await queue.claim(10, time.time())
    assert sorted(d.id for d in claimed) == sorted([lane_a[0], lane_b[0], free])
    # Acking a head makes the next one runnable; claim_next hands it over in the same write.
    following = await queue.ack(lane_a[0], claim_next=True)
    assert following is not None and (following.id, following.claimed) == (lane_a[1], True)
    # Without claim_next the next head is returned unclaimed, and a claim finds it.
    following = await queue.ack(lane_b[0])
    assert following is not None and (following.id, following.claimed) == (lane_b[1], False)
    assert [d.id for d in await queue.claim(10, time.time())] == [lane_b[1]]
    assert await queue.ack(lane_b[1]) is None  # lane emptied
    assert await queue.ack(free) is None  # not FIFO


async def test_a_retried_fifo_head_keeps_its_lane_blocked(queue: EventQueue) -> None:
    head, second = [await one(queue, n, FIFO, "g") for n in range(2)]
    await queue.claim(10, time.time())
    retry_at = time.time() + 30
    await queue.schedule_retry(head, 1, retry_at, "boom")
    assert await queue.claim(10, time.time()) == []
    assert await queue.next_due(time.time()) == retry_at
    (again,) = await queue.claim(10, retry_at)
    assert (again.id, again.attempts) == (head, 1)
    await queue.dead_letter(head, 2, "gave up")  # dead-lettering a head also moves the lane on
    assert [d.id for d in await queue.claim(10, retry_at)] == [second]


async def test_a_long_fifo_lane_does_not_hold_back_other_lanes(queue: EventQueue) -> None:
    for n in range(300):
        await one(queue, n, FIFO, "busy")
    others = [await one(queue, "free"), await one(queue, 1, FIFO, "quiet")]
    claimed = await queue.claim(5, time.time())
    assert len(claimed) == 3
    assert {d.id for d in claimed} >= set(others)


async def test_released_claims_are_runnable_again(queue: EventQueue) -> None:
    ids = [await one(queue, n) for n in range(3)]
    await one(queue, 0, FIFO, "g")
    held = await one(queue, 1, FIFO, "g")
    await queue.claim(10, time.time())
    assert await queue.claim(10, time.time()) == []
    assert await queue.release_claims() == 4
    claimed = [d.id for d in await queue.claim(10, time.time())]
    assert set(ids) < set(claimed) and held not in claimed
    assert await queue.release_claims() == 4


async def test_sqlite_claims_do_not_outlive_the_process(tmp_path: Path) -> None:
    harness = await QUEUES.open("sqlite", tmp_path / ".motia" / "motia.db")
    try:
        ids = [await one(harness.adapter, n) for n in range(3)]
        await harness.adapter.enqueue("t", 3, "tr", [PLAIN], claim=True)
        await harness.adapter.claim(10, time.time())
        queue = await harness.reopen()  # the process that claimed them is gone
        claimed = [d.id for d in await queue.claim(10, time.time())]
        assert claimed[:3] == ids and len(claimed) == 4
    finally:
        await harness.close()


async def test_isolation_mark_sticks_once_set(harness: Harness) -> None:
    queue = harness.adapter
    ident = await one(queue, {})
    await queue.claim(1, time.time())
    await queue.schedule_retry(ident, 0, 0.0, "runner died", isolate=True)
    await queue.schedule_retry(ident, 1, 0.0, "failed")
    if harness.kind in DURABLE_KINDS:
        queue = await harness.reopen()
    # Isolated deliveries are claimed apart from the others: they run under their own limit.
    assert await queue.claim(1, time.time()) == []
    (delivery,) = await queue.claim(1, time.time(), isolated=True)
    assert (delivery.attempts, delivery.isolate, delivery.last_error) == (1, True, "failed")


async def test_replayed_fifo_dead_letter_goes_to_the_end_of_its_lane(queue: EventQueue) -> None:
    head = await one(queue, "first", FIFO, "g")
    await queue.claim(1, time.time())
    await queue.dead_letter(head, 1, "boom")
    waiting = [await one(queue, n, FIFO, "g") for n in range(2)]
    replayed = await queue.replay_dead_letter(head)
    order = []
    while claimed := await queue.claim(10, time.time()):
        (delivery,) = claimed
        order.append(delivery.id)
        await queue.ack(delivery.id)
    assert order == [*waiting, replayed.id]


async def test_replay_and_purge_all_or_one_subscribers_dead_letters(queue: EventQueue) -> None:
    for subscriber in ("a", "a", "b", "c"):
        ident = await one(queue, subscriber, Target(subscriber))
        await queue.claim(10, time.time())
        await queue.dead_letter(ident, 1, "boom")
    assert [d.subscriber for d in await queue.dead_letters()] == ["a", "a", "b", "c"]
    assert [d.subscriber for d in await queue.dead_letters(subscriber="a")] == ["a", "a"]
    assert len(await queue.dead_letters(limit=3)) == 3
    assert [d.subscriber for d in await queue.replay_dead_letters(subscriber="a")] == ["a", "a"]
    assert sorted(d.subscriber for d in await queue.pending()) == ["a", "a"]
    (b, _c) = await queue.dead_letters()
    assert await queue.get_dead_letter(b.id) == b
    await queue.purge_dead_letter(b.id)
    assert await queue.get_dead_letter(b.id) is None
    with pytest.raises(UnknownDeliveryError, match=str(b.id)):
        await queue.purge_dead_letter(b.id)
    assert await queue.purge_dead_letters(subscriber="nobody") == 0
    assert [d.subscriber for d in await queue.replay_dead_letters()] == ["c"]
    assert await queue.dead_letters() == []
    for delivery in await queue.claim(10, time.time()):
        await queue.dead_letter(delivery.id, 1, "again")
    assert await queue.purge_dead_letters() == 3
    assert await queue.dead_letters() == []


async def test_replaying_or_purging_many_dead_letters_on_sqlite_commits_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle writer commits a write on the caller's thread, the event loop's; a replay or purge of
    every dead letter is as large as the dead-letter queue and goes to the writer thread instead."""
    harness = await QUEUES.open("sqlite", tmp_path / "motia.db")
    queue = harness.adapter
    ran_on = record_write_threads(monkeypatch)
    loop_thread = threading.get_ident()
    try:
        many = [Target(f"subscriber-{n % 7}") for n in range(1_000)]
        await queue.enqueue("t", {"payload": "x" * 200}, "tr", many)
        claimed = await queue.claim(len(many), time.time())
        await asyncio.gather(*(queue.dead_letter(d.id, 1, "boom") for d in claimed))
        await until_a_write_runs_on_the_loop(lambda: one(queue, "small"), ran_on)

        del ran_on[:]
        await asyncio.sleep(0.01)  # a loop turn of its own, as the small write had
        assert len(await queue.replay_dead_letters()) == len(many)
        assert ran_on and loop_thread not in ran_on

        for delivery in await queue.claim(len(many), time.time()):
            await queue.dead_letter(delivery.id, 2, "boom again")
        del ran_on[:]
        await asyncio.sleep(0.05)
        assert await queue.purge_dead_letters() == len(many)
        assert ran_on and loop_thread not in ran_on
    finally:
        await harness.close()
