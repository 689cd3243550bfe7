"""Several supervisors on one Redis queue: each delivery to one of them, FIFO lanes one at a time
across all, a dead supervisor's claims taken over after the timeout (not a live one's, but a claim
whose answer it never got), a stopping one's handed back at once, and buses on two supervisors
sharing the work."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest

from supervisor.queue import Delivery, EventBus, QueuePolicy, RedisEventQueue, Target
from supervisor.storage import RedisConnection
from tests.support.redis_server import RedisServer

FIFO = Target("ordered", fifo=True)
PLAIN = Target("s")
TIMEOUT = 0.4  # the consumer timeout of these tests, in seconds


class Supervisors:
    """Queues on separate connections (separate consumers), as separate supervisors would have."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.connections: list[RedisConnection] = []

    async def queue(self) -> RedisEventQueue:
        connection = await RedisConnection.open(self.url, self.prefix)
        self.connections.append(connection)
        return RedisEventQueue(connection, consumer_timeout=TIMEOUT)

    async def kill(self, queue: RedisEventQueue) -> None:
        """The process dies: its connection goes, its queue never closes (nothing is handed back)."""
        connection = queue._redis
        self.connections.remove(connection)
        await connection.close()

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()


@pytest.fixture
async def supervisors(redis_server: RedisServer, redis_prefix: str) -> AsyncIterator[Supervisors]:
    group = Supervisors(redis_server.url, redis_prefix)
    yield group
    await group.close()


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # noqa: ASYNC110 (handlers in other tasks)
        await asyncio.sleep(0.01)


async def one(queue: RedisEventQueue, data: object, target: Target = PLAIN, group: str | None = None) -> int:
    (delivery,) = await queue.enqueue("t", data, "tr", [target], group)
    return delivery.id


async def test_each_delivery_is_claimed_by_one_supervisor(supervisors: Supervisors) -> None:
    a, b = await supervisors.queue(), await supervisors.queue()
    ids = [await one(a if n % 2 else b, n) for n in range(20)]
    now = time.time()
    first, second = await asyncio.gather(a.claim(15, now), b.claim(15, now))
    claimed = [d.id for d in first + second]
    assert sorted(claimed) == ids
    assert first and second


async def test_a_fifo_lane_runs_one_at_a_time_across_supervisors(supervisors: Supervisors) -> None:
    a, b = await supervisors.queue(), await supervisors.queue()
    lane = [await one(a if n % 2 else b, n, FIFO, "pet-1") for n in range(3)]
    (head,) = await a.claim(10, time.time())
    assert head.id == lane[0]
    assert await b.claim(10, time.time()) == []  # the rest of the lane waits for a's ack
    await a.ack(head.id)
    (second,) = await b.claim(10, time.time())
    assert second.id == lane[1]
    assert await a.claim(10, time.time()) == []
    await b.dead_letter(second.id, 1, "boom")  # a dead letter moves the lane on too
    assert [d.id for d in await a.claim(10, time.time())] == [lane[2]]


async def test_a_dead_supervisors_claims_are_taken_over_after_the_timeout(
    supervisors: Supervisors, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = await supervisors.queue(), await supervisors.queue()
    ids = [await one(a, n) for n in range(3)]
    head = await one(a, "head", FIFO, "g")
    behind = await one(a, "behind", FIFO, "g")
    assert len(await a.claim(10, time.time())) == 4
    await supervisors.kill(a)
    assert await b.take_over_abandoned() == 0  # not yet: it may only be slow
    assert await b.claim(10, time.time()) == []
    await asyncio.sleep(TIMEOUT * 1.5)
    assert await b.take_over_abandoned() > 0
    with caplog.at_level(logging.INFO, logger="motia.queue"):
        taken = await b.claim(10, time.time())
    assert sorted(d.id for d in taken) == sorted([*ids, head])
    [takeover] = [r.getMessage() for r in caplog.records if "took over" in r.getMessage()]
    assert takeover.startswith("took over 4 deliveries from a supervisor that stopped answering")
    assert all(f"{ident} (" in takeover for ident in [*ids, head])
    await b.ack(head)
    assert [d.id for d in await b.claim(10, time.time())] == [behind]


async def test_a_live_supervisors_claims_are_kept_however_long_it_runs(supervisors: Supervisors) -> None:
    a, b = await supervisors.queue(), await supervisors.queue()
    await one(a, 1)
    await a.claim(10, time.time())
    for _ in range(4):  # well past the timeout, refreshing as its keeper does
        await asyncio.sleep(TIMEOUT / 3)
        assert await a.refresh_claims() == 1
    assert await b.take_over_abandoned() == 0
    assert await b.claim(10, time.time()) == []


async def test_a_claim_whose_answer_never_came_back_is_taken_over_not_kept_alive(
    supervisors: Supervisors, caplog: pytest.LogCaptureFixture
) -> None:
    a = await supervisors.queue()
    a.watch(lambda: None)  # its keeper keeps its claims alive, as a running supervisor's does
    ident = await one(a, "lost answer")
    # Redis ran a claim for a's consumer and a never got the answer (cut off on its way back, or
    # given up on a silent Redis that ran it later): made here by a connection under a's name.
    lost = await RedisConnection.open(supervisors.url, supervisors.prefix)
    supervisors.connections.append(lost)
    lost.node = a._redis.node
    assert [d.id for d in await RedisEventQueue(lost, consumer_timeout=TIMEOUT).claim(10, time.time())] == [
        ident
    ]
    # a's keeper does not keep that claim alive: it goes idle, and the next claims take it over
    taken: list[Delivery] = []
    deadline = time.monotonic() + 10
    with caplog.at_level(logging.INFO, logger="motia.queue"):
        while not taken and time.monotonic() < deadline:
            await asyncio.sleep(TIMEOUT / 2)
            await a.take_over_abandoned()
            taken = await a.claim(10, time.time())
    assert [d.id for d in taken] == [ident]
    # told as what happened: its own claim, whose answer was lost, not another supervisor's death
    logged = [r.getMessage() for r in caplog.records if r.name == "motia.queue"]
    assert not [message for message in logged if "stopped answering" in message], logged
    [took_back] = [message for message in logged if message.startswith("took back")]
    assert took_back.startswith("took back 1 deliveries that Redis had handed to this supervisor in a claim")
    assert took_back.endswith(f": {ident} (s)"), took_back
    await asyncio.sleep(TIMEOUT * 2)
    assert await a.refresh_claims() == 1  # and this one it keeps
    await a.close()


async def test_a_stopping_supervisor_hands_its_claims_back_at_once(supervisors: Supervisors) -> None:
    a, b = await supervisors.queue(), await supervisors.queue()
    ids = [await one(a, n) for n in range(3)]
    await a.claim(10, time.time())
    await a.close()
    assert sorted(d.id for d in await b.claim(10, time.time())) == ids


async def test_direct_claims_never_jump_ahead_of_older_runnable_deliveries(supervisors: Supervisors) -> None:
    a, b = await supervisors.queue(), await supervisors.queue()
    older = await one(a, "left for anyone")
    (fresh,) = await b.enqueue("t", "new", "tr", [PLAIN], claim=True)
    assert not fresh.claimed  # b must read the older one first
    assert [d.id for d in await b.claim(10, time.time())] == [older, fresh.id]
    (direct,) = await b.enqueue("t", "next", "tr", [PLAIN], claim=True)
    assert direct.claimed  # nothing older waits now
    assert await a.claim(10, time.time()) == []


async def test_buses_on_two_supervisors_share_the_events_and_each_runs_once(supervisors: Supervisors) -> None:
    handled: dict[int, list[str]] = {}
    release = asyncio.Event()

    def deliver_as(name: str) -> Callable[[Delivery], object]:
        async def deliver(delivery: Delivery) -> None:
            handled.setdefault(delivery.data, []).append(name)
            await release.wait()

        return deliver

    queues = [await supervisors.queue(), await supervisors.queue()]
    buses = [
        EventBus(queue, deliver_as(name), lambda _step: QueuePolicy(), concurrency=4)  # type: ignore[arg-type]
        for queue, name in zip(queues, "ab", strict=True)
    ]
    for bus in buses:
        await bus.start()
    try:
        for n in range(40):  # all through a: what does not fit in its window is left for b
            await buses[0].publish("t", n, "tr", ["s"])
        await wait_for(lambda: len(handled) >= 8)  # both buses' slots busy
        assert sorted(names[0] for names in handled.values()) == ["a"] * 4 + ["b"] * 4  # b took a's backlog
        release.set()
        await wait_for(lambda: len(handled) >= 40)
        assert sorted(handled) == list(range(40))
        assert all(len(names) == 1 for names in handled.values())
    finally:
        release.set()
        for bus in buses:
            await bus.stop(1.0)
        for queue in queues:
            await queue.close()
    assert await queues[0].pending() == []
