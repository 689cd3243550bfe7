"""EventBus over every queue adapter: fan-out, retries, dead letters, FIFO, delays, recovery."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from supervisor.queue import (
    AttemptLost,
    DeadLetter,
    Delivery,
    EventBus,
    EventQueue,
    MemoryEventQueue,
    MissingMessageGroup,
    PermanentFailure,
    QueuePolicy,
    Target,
)
from tests.support.adapters import ADAPTER_KINDS, AdapterHarness
from tests.test_queue_contract import QUEUES

FAST = 0.005  # backoff base for tests: 5 ms, 10 ms, 20 ms...


async def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for ``condition``, something that will happen: the timeout is a guard against a hang, as
    generous as a busy machine needs."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.001)


@dataclass
class Recorder:
    """A ``deliver`` that records calls; ``behaviour`` decides per call what happens."""

    behaviour: Callable[[Delivery], object] | None = None
    calls: list[Delivery] = field(default_factory=list)
    succeeded: list[Delivery] = field(default_factory=list)

    async def __call__(self, delivery: Delivery) -> None:
        self.calls.append(delivery)
        if self.behaviour is not None:
            outcome = self.behaviour(delivery)
            if asyncio.iscoroutine(outcome):
                await outcome
        self.succeeded.append(delivery)


class Env:
    """A bus on one queue adapter (opened as the queue contract opens it), with per-step policies."""

    def __init__(self, storage: AdapterHarness[EventQueue]) -> None:
        self.storage = storage
        self.policies: dict[str, QueuePolicy] = {}
        self.buses: list[EventBus] = []

    @classmethod
    async def open(cls, kind: str, path: Path, request: pytest.FixtureRequest | None = None) -> Env:
        return cls(await QUEUES.open(kind, path, request))

    @property
    def queue(self) -> EventQueue:
        return self.storage.adapter

    def policy(self, step: str) -> QueuePolicy:
        return self.policies.get(step, QueuePolicy(backoff_base=FAST))

    async def bus(self, deliver: Recorder, *, concurrency: int = 256, start: bool = True) -> EventBus:
        bus = EventBus(self.queue, deliver, self.policy, concurrency=concurrency)
        self.buses.append(bus)
        if start:
            await bus.start()
        return bus

    async def restart_storage(self) -> None:
        """Close and reopen the queue's storage, as a new process would."""
        await self._stop_buses()
        await self.storage.reopen()

    async def close(self) -> None:
        await self._stop_buses()
        await self.storage.close()

    async def _stop_buses(self) -> None:
        for bus in self.buses:
            await bus.stop(timeout=1.0)
        self.buses.clear()


@pytest.fixture(params=ADAPTER_KINDS)
async def env(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Env]:
    e = await Env.open(request.param, tmp_path / ".motia" / "motia.db", request)
    yield e
    await e.close()


def fail_times(n: int) -> Callable[[Delivery], None]:
    """Each delivery raises ValueError("bad <call number>") on its first ``n`` calls."""
    counts: dict[int, int] = {}

    def behaviour(delivery: Delivery) -> None:
        counts[delivery.id] = counts.get(delivery.id, 0) + 1
        if counts[delivery.id] <= n:
            raise ValueError(f"bad {counts[delivery.id]}")

    return behaviour


async def test_fan_out_gives_each_subscriber_its_own_copy(env: Env) -> None:
    deliver = Recorder()
    bus = await env.bus(deliver)
    published = await bus.publish("pet.created", {"id": 7}, "trace-1", ["notify", "audit"])
    await eventually(lambda: len(deliver.succeeded) == 2)
    assert sorted(d.subscriber for d in deliver.calls) == ["audit", "notify"]
    assert {d.id for d in deliver.calls} == {d.id for d in published}
    assert all((d.data, d.trace_id, d.attempts) == ({"id": 7}, "trace-1", 0) for d in deliver.calls)
    await bus.stop()
    assert await env.queue.pending() == []


async def test_retry_then_success(env: Env) -> None:
    deliver = Recorder(fail_times(2))
    bus = await env.bus(deliver)
    await bus.publish("t", {}, "tr", ["flaky"])
    await eventually(lambda: len(deliver.succeeded) == 1)
    assert [d.attempts for d in deliver.calls] == [0, 1, 2]
    assert [d.last_error for d in deliver.calls] == [None, "ValueError: bad 1", "ValueError: bad 2"]
    await bus.stop()
    assert await env.queue.pending() == []
    assert await env.queue.dead_letters() == []


async def test_retries_exhausted_go_to_dead_letters_with_the_last_error(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.policies["broken"] = QueuePolicy(max_retries=2, backoff_base=FAST)
    deliver = Recorder(fail_times(100))
    bus = await env.bus(deliver)
    with caplog.at_level(logging.WARNING, logger="motia.queue"):
        (published,) = await bus.publish("pet.created", {"id": 1}, "tr", ["broken"])
        await eventually(lambda: len(deliver.calls) == 3)
        await bus.stop()
    assert len(deliver.calls) == 3  # 1 + max_retries, never more
    (dead,) = await env.queue.dead_letters()
    assert (dead.id, dead.subscriber, dead.attempts) == (published.id, "broken", 3)
    assert dead.last_error == "ValueError: bad 3"
    assert await env.queue.pending() == []
    retries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [getattr(r, "attempt", None) for r in retries] == [1, 2]
    tagged = {(getattr(r, "step", None), getattr(r, "topic", None)) for r in retries}
    assert tagged == {("broken", "pet.created")}
    (buried,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "dead-letter" in buried.getMessage() and "bad 3" in buried.getMessage()


async def test_permanent_failure_is_dead_lettered_without_retry(env: Env) -> None:
    def invalid(delivery: Delivery) -> None:
        raise PermanentFailure("input does not match schema: 'name' is required")

    deliver = Recorder(invalid)
    bus = await env.bus(deliver)
    await bus.publish("t", {}, "tr", ["strict"])
    await eventually(lambda: len(deliver.calls) == 1)
    await bus.stop()
    (dead,) = await env.queue.dead_letters()
    assert (dead.attempts, dead.last_error) == (1, "input does not match schema: 'name' is required")
    assert len(deliver.calls) == 1


async def test_fifo_runs_a_group_in_order_and_groups_in_parallel(env: Env) -> None:
    env.policies["ordered"] = QueuePolicy(fifo=True, backoff_base=FAST)
    running: dict[str, int] = {}
    overlap_in_group = False
    max_groups_at_once = 0
    order: dict[str, list[int]] = {}

    async def slow(delivery: Delivery) -> None:
        nonlocal overlap_in_group, max_groups_at_once
        group = delivery.message_group_id or ""
        running[group] = running.get(group, 0) + 1
        overlap_in_group |= running[group] > 1
        max_groups_at_once = max(max_groups_at_once, sum(1 for n in running.values() if n))
        await asyncio.sleep(0.003)
        order.setdefault(group, []).append(delivery.data)
        running[group] -= 1

    deliver = Recorder(slow)
    bus = await env.bus(deliver)
    for i in range(8):
        for group in ("a", "b", "c"):
            await bus.publish("t", i, "tr", ["ordered"], message_group_id=group)
    await eventually(lambda: len(deliver.succeeded) == 24)
    assert order == {g: list(range(8)) for g in "abc"}
    assert not overlap_in_group
    assert max_groups_at_once > 1


async def test_fifo_retries_its_head_before_the_rest_of_the_group(env: Env) -> None:
    env.policies["ordered"] = QueuePolicy(fifo=True, backoff_base=FAST)
    fails = fail_times(2)

    def first_is_flaky(delivery: Delivery) -> None:
        if delivery.data == 0:
            fails(delivery)

    deliver = Recorder(first_is_flaky)
    bus = await env.bus(deliver)
    for i in range(4):
        await bus.publish("t", i, "tr", ["ordered"], message_group_id="g")
    await eventually(lambda: len(deliver.succeeded) == 4)
    assert [d.data for d in deliver.calls] == [0, 0, 0, 1, 2, 3]


async def test_non_fifo_deliveries_run_in_parallel_up_to_the_limit(env: Env) -> None:
    in_flight = 0
    peak = 0
    release = asyncio.Event()

    async def hold(delivery: Delivery) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await release.wait()
        in_flight -= 1

    deliver = Recorder(hold)
    bus = await env.bus(deliver, concurrency=3)
    for i in range(10):
        await bus.publish("t", i, "tr", ["worker"])
    await eventually(lambda: len(deliver.calls) == 3)
    await asyncio.sleep(0.02)
    assert (peak, bus.in_flight) == (3, 3)
    release.set()
    await eventually(lambda: len(deliver.succeeded) == 10)
    assert peak == 3


async def test_delay_seconds_holds_the_first_attempt(env: Env) -> None:
    env.policies["later"] = QueuePolicy(delay_seconds=0.15)
    seen_at: dict[str, float] = {}

    def stamp(delivery: Delivery) -> None:
        seen_at[delivery.subscriber] = time.monotonic()

    bus = await env.bus(Recorder(stamp))
    start = time.monotonic()
    await bus.publish("t", {}, "tr", ["later", "now"])
    await eventually(lambda: len(seen_at) == 2)
    assert seen_at["now"] - start < 0.1
    assert seen_at["later"] - start >= 0.14


async def test_replayed_dead_letter_is_delivered_again(env: Env) -> None:
    broken = True

    def maybe_fail(delivery: Delivery) -> None:
        if broken:
            raise PermanentFailure("handler bug")

    deliver = Recorder(maybe_fail)
    bus = await env.bus(deliver)
    (original,) = await bus.publish("t", {"x": 1}, "trace-9", ["step"])
    await eventually(lambda: len(deliver.calls) == 1)
    (dead,) = await _dead_letters_when_ready(env)
    broken = False
    replayed = await bus.replay_dead_letter(dead.id)
    await eventually(lambda: len(deliver.succeeded) == 1)
    assert deliver.succeeded[0].id == replayed.id != original.id
    assert (deliver.succeeded[0].data, deliver.succeeded[0].trace_id) == ({"x": 1}, "trace-9")
    await bus.stop()
    assert await env.queue.dead_letters() == []
    assert await env.queue.pending() == []


async def _dead_letters_when_ready(env: Env) -> list[DeadLetter]:
    deadline = time.monotonic() + 3
    while not (dead := await env.queue.dead_letters()):
        assert time.monotonic() < deadline, "no dead letter appeared"
        await asyncio.sleep(0.001)
    return list(dead)


async def test_publish_before_start_is_delivered_by_start(env: Env) -> None:
    deliver = Recorder()
    bus = await env.bus(deliver, start=False)
    await bus.publish("t", {}, "tr", ["a", "b"])
    assert deliver.calls == []
    await bus.start()
    await eventually(lambda: len(deliver.succeeded) == 2)
    await asyncio.sleep(0.01)
    assert len(deliver.calls) == 2  # recovered once, not twice


async def test_stop_waits_for_handlers_in_flight(env: Env) -> None:
    async def brief(delivery: Delivery) -> None:
        await asyncio.sleep(0.03)

    deliver = Recorder(brief)
    bus = await env.bus(deliver)
    await bus.publish("t", {}, "tr", ["a"])
    await eventually(lambda: len(deliver.calls) == 1)
    await bus.stop(timeout=30.0)  # it returns when the handler has: the timeout guards a hang
    assert len(deliver.succeeded) == 1
    assert await env.queue.pending() == []


async def test_sqlite_recovers_undelivered_events_after_restart(tmp_path: Path) -> None:
    env = await Env.open("sqlite", tmp_path / ".motia" / "motia.db")
    try:
        env.policies["later"] = QueuePolicy(delay_seconds=0.1)
        never = asyncio.Event()

        async def block(delivery: Delivery) -> None:
            await never.wait()

        first = Recorder(block)
        bus = await env.bus(first)
        published = await bus.publish("pet.created", {"id": 3}, "trace-r", ["notify", "later"], "grp")
        await eventually(lambda: len(first.calls) == 1)  # "notify" is stuck in its handler
        await bus.stop(timeout=0.05)  # gives up on it: nothing was acked
        await env.restart_storage()

        delivered_at: dict[str, float] = {}
        second = Recorder(lambda d: delivered_at.setdefault(d.subscriber, time.time()))
        await env.bus(second)
        await eventually(lambda: len(second.succeeded) == 2)
        by_step = {d.subscriber: d for d in second.calls}
        assert {d.id for d in second.calls} == {d.id for d in published}
        assert by_step["notify"].data == {"id": 3} and by_step["notify"].trace_id == "trace-r"
        assert by_step["later"].message_group_id == "grp"
        # The delay survives the restart: "later" does not run before its available_at.
        assert delivered_at["later"] >= by_step["later"].available_at
        for bus_ in env.buses:
            await bus_.stop()
        assert await env.queue.pending() == []
    finally:
        await env.close()


def test_retry_delay_doubles_from_base_up_to_cap() -> None:
    policy = QueuePolicy(backoff_base=0.5, backoff_cap=30.0)
    assert [policy.retry_delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert policy.retry_delay(7) == 30.0
    assert policy.retry_delay(10_000) == 30.0


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        EventBus(MemoryEventQueue(), Recorder(), lambda step: QueuePolicy(), concurrency=0)


async def test_a_handler_cancelled_from_inside_counts_as_a_failed_attempt(env: Env) -> None:
    loop = asyncio.get_running_loop()
    calls = 0

    async def runner_dies_once(delivery: Delivery) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            invocation: asyncio.Future[None] = loop.create_future()
            loop.call_soon(invocation.cancel)  # e.g. the runner holding it exited
            await invocation

    deliver = Recorder(runner_dies_once)
    bus = await env.bus(deliver)
    await bus.publish("t", {}, "tr", ["step"])
    await eventually(lambda: len(deliver.succeeded) == 1)
    assert [d.attempts for d in deliver.calls] == [0, 1]
    assert "cancelled" in (deliver.calls[1].last_error or "")


# -- the bounded window ---------------------------------------------------------------------


class CountingQueue:
    """Wraps a queue and records how it is read."""

    def __init__(self, inner: EventQueue) -> None:
        self.inner = inner
        self.claims: list[int] = []
        self.pending_reads = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def claim(self, limit: int, now: float, *, isolated: bool = False) -> list[Delivery]:
        self.claims.append(limit)
        return await self.inner.claim(limit, now, isolated=isolated)

    async def pending(self) -> list[Delivery]:
        self.pending_reads += 1
        return await self.inner.pending()


async def test_a_backlog_is_read_in_batches_and_never_held_in_memory_at_once(env: Env) -> None:
    backlog = 600
    for n in range(backlog):
        await env.queue.enqueue("t", n, "tr", [Target("worker")])
    counting = CountingQueue(env.queue)
    peak = 0
    bus: EventBus | None = None

    async def note(delivery: Delivery) -> None:
        nonlocal peak
        assert bus is not None
        peak = max(peak, bus.in_memory)
        await asyncio.sleep(0)

    deliver = Recorder(note)
    bus = EventBus(counting, deliver, env.policy, concurrency=8)  # type: ignore[arg-type]
    env.buses.append(bus)
    await bus.start()
    await eventually(lambda: len(deliver.succeeded) == backlog)
    assert bus.window == 16
    assert peak <= bus.window
    assert counting.pending_reads == 0  # start-up did not load the backlog
    assert max(counting.claims) <= bus.window
    assert sorted(int(str(d.data)) for d in deliver.calls) == list(range(backlog))


async def test_events_published_past_the_window_keep_their_order(env: Env) -> None:
    release = asyncio.Event()

    async def hold(delivery: Delivery) -> None:
        await release.wait()

    deliver = Recorder(hold)
    bus = await env.bus(deliver, concurrency=1)
    for n in range(20):
        await bus.publish("t", n, "tr", ["worker"])
    assert bus.in_memory <= bus.window == 2
    release.set()
    await eventually(lambda: len(deliver.succeeded) == 20)
    assert [d.data for d in deliver.calls] == list(range(20))


async def test_fifo_lanes_longer_than_the_window_stay_in_order(env: Env) -> None:
    env.policies["ordered"] = QueuePolicy(fifo=True, backoff_base=FAST)
    order: dict[str | None, list[object]] = {}

    async def record(delivery: Delivery) -> None:
        order.setdefault(delivery.message_group_id, []).append(delivery.data)
        await asyncio.sleep(0)

    deliver = Recorder(record)
    bus = await env.bus(deliver, concurrency=2)
    for n in range(30):
        for group in "abc":
            await bus.publish("t", n, "tr", ["ordered"], message_group_id=group)
    await eventually(lambda: len(deliver.succeeded) == 90)
    assert order == {g: list(range(30)) for g in "abc"}


async def test_fifo_subscriber_refuses_an_event_without_a_message_group(env: Env) -> None:
    env.policies["ordered"] = QueuePolicy(fifo=True)
    bus = await env.bus(Recorder())
    for group in (None, ""):
        with pytest.raises(MissingMessageGroup, match=r"topic 'order\.created'.*ordered.*messageGroupId"):
            await bus.publish("order.created", {}, "tr", ["plain", "ordered"], message_group_id=group)
    assert await env.queue.pending() == []


# -- attempts lost to a runner's death ----------------------------------------------------------


def lose_attempts(n: int, *, charged: bool, isolate: bool = True) -> Callable[[Delivery], None]:
    calls: dict[int, int] = {}

    def behaviour(delivery: Delivery) -> None:
        calls[delivery.id] = calls.get(delivery.id, 0) + 1
        if calls[delivery.id] <= n:
            raise AttemptLost("runner died", charged=charged, isolate=isolate)

    return behaviour


async def test_an_attempt_lost_to_someone_elses_fault_costs_no_retry(env: Env) -> None:
    env.policies["bystander"] = QueuePolicy(max_retries=1, backoff_base=FAST)
    deliver = Recorder(lose_attempts(5, charged=False))
    bus = await env.bus(deliver)
    await bus.publish("t", {}, "tr", ["bystander"])
    await eventually(lambda: len(deliver.succeeded) == 1)
    # Five lost attempts with a budget of two: none was charged, so it was never dead-lettered.
    assert [d.attempts for d in deliver.calls] == [0] * 6
    assert [d.isolate for d in deliver.calls] == [False] + [True] * 5
    assert deliver.calls[-1].last_error == "runner died"
    await bus.stop()
    assert await env.queue.dead_letters() == []


async def test_a_charged_runner_death_spends_the_budget_and_ends_in_dead_letters(env: Env) -> None:
    env.policies["crasher"] = QueuePolicy(max_retries=2, backoff_base=FAST)
    deliver = Recorder(lose_attempts(100, charged=True))
    bus = await env.bus(deliver)
    await bus.publish("t", {}, "tr", ["crasher"])
    (dead,) = await _dead_letters_when_ready(env)
    assert (dead.attempts, dead.last_error) == (3, "runner died")
    assert [d.attempts for d in deliver.calls] == [0, 1, 2]


async def test_isolated_deliveries_do_not_take_the_slots_of_the_others(env: Env) -> None:
    gate = asyncio.Event()
    lost: set[int] = set()

    async def behaviour(delivery: Delivery) -> None:
        if delivery.subscriber == "suspect":
            if delivery.id not in lost:
                lost.add(delivery.id)
                raise AttemptLost("runner died", charged=False, isolate=True)
            await gate.wait()  # every isolated attempt hangs

    deliver = Recorder(behaviour)
    bus = await env.bus(deliver, concurrency=4)
    for _ in range(10):
        await bus.publish("t", {}, "tr", ["suspect"])
    await eventually(lambda: len(lost) == 10)
    await eventually(lambda: bus.in_flight == bus.isolated_slots)
    for n in range(8):
        await bus.publish("t", n, "tr", ["healthy"])
    await eventually(lambda: sum(d.subscriber == "healthy" for d in deliver.succeeded) == 8)
    gate.set()
    await eventually(lambda: len(deliver.succeeded) == 18)


# -- visibilityTimeout -------------------------------------------------------------------------


def test_visibility_timeout_replaces_the_backoff_when_set() -> None:
    assert QueuePolicy(backoff_base=0.5).retry_delay(3) == 2.0
    assert QueuePolicy(backoff_base=0.5, visibility_timeout=60.0).retry_delay(1) == 60.0
    assert QueuePolicy(backoff_base=0.5, visibility_timeout=60.0).retry_delay(3) == 60.0


async def test_a_failed_delivery_becomes_visible_again_after_its_visibility_timeout(env: Env) -> None:
    env.policies["visible"] = QueuePolicy(max_retries=1, backoff_base=FAST, visibility_timeout=0.3)
    seen: list[float] = []

    def fail_first(delivery: Delivery) -> None:
        seen.append(time.monotonic())
        if delivery.attempts == 0:
            raise ValueError("first try")

    deliver = Recorder(fail_first)
    bus = await env.bus(deliver)
    await bus.publish("t", {}, "tr", ["visible"])
    await eventually(lambda: len(deliver.succeeded) == 1)
    assert seen[1] - seen[0] >= 0.29
