"""The cron scheduler on its own: one run per tick, the overlap rule, failures, replace and stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest

from supervisor.cron import CronExpression, CronFire, CronJob, CronRun, CronScheduler, RedisTickLocks
from supervisor.storage import RedisConnection
from tests.support.redis_server import RedisServer


def ran(fire: Callable[[str], Awaitable[None]]) -> CronFire:
    """``fire`` (given a step's name) as the scheduler calls it: with a trace id, saying how it ended."""

    async def run(name: str, trace_id: str | None) -> CronRun:
        await fire(name)
        return CronRun(trace_id or "a-new-trace")

    return run


EVERY_SECOND = CronExpression.parse("* * * * * *")
HOURLY = CronExpression.parse("0 * * * *")


async def test_each_tick_fires_once_and_never_twice_in_the_same_second() -> None:
    fired: list[datetime] = []
    three = asyncio.Event()

    async def fire(name: str) -> None:
        assert name == "ticker"
        fired.append(datetime.now().astimezone())
        if len(fired) == 3:
            three.set()

    scheduler = CronScheduler(ran(fire))
    scheduler.start([CronJob("ticker", EVERY_SECOND)])
    await asyncio.wait_for(three.wait(), 10)
    await scheduler.stop(grace=1)
    seconds = [moment.replace(microsecond=0) for moment in fired]
    assert len(set(seconds)) == len(seconds), seconds


async def test_a_tick_while_the_previous_run_is_going_is_skipped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    runs = 0

    async def fire(name: str) -> None:
        nonlocal runs
        runs += 1
        await release.wait()

    scheduler = CronScheduler(ran(fire))
    first = scheduler.run_now("report")
    assert first is not None
    await asyncio.sleep(0)
    assert scheduler.is_running("report")
    with caplog.at_level(logging.WARNING, logger="motia.cron"):
        assert scheduler.run_now("report") is None
    assert "cron step report: previous run still in progress; skipping this tick" in caplog.text
    release.set()
    await first
    assert not scheduler.is_running("report")
    second = scheduler.run_now("report")  # the next tick after it finished runs again
    assert second is not None
    await second
    assert runs == 2


async def test_a_run_that_raises_is_logged_and_does_not_stop_the_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0

    async def fire(name: str) -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("database unreachable")

    scheduler = CronScheduler(ran(fire))
    with caplog.at_level(logging.ERROR, logger="motia.cron"):
        for _ in range(2):
            task = scheduler.run_now("sync")
            assert task is not None
            await task  # the failure is the scheduler's to log, not to raise
    assert runs == 2
    assert caplog.text.count("cron step sync failed") == 2
    assert "database unreachable" in caplog.text


async def test_replace_swaps_the_schedule_and_lets_a_run_in_progress_finish() -> None:
    release = asyncio.Event()
    started = {"old": asyncio.Event(), "new": asyncio.Event()}
    old_finished = asyncio.Event()
    fired: list[str] = []

    async def fire(name: str) -> None:
        fired.append(name)
        started[name].set()
        if name == "old":
            await release.wait()
            old_finished.set()

    scheduler = CronScheduler(ran(fire))
    scheduler.start([CronJob("old", EVERY_SECOND)])
    await asyncio.wait_for(started["old"].wait(), 10)
    scheduler.replace([CronJob("new", EVERY_SECOND)])
    await asyncio.wait_for(started["new"].wait(), 10)
    assert scheduler.is_running("old")  # not cancelled by the replace
    release.set()
    await asyncio.wait_for(old_finished.wait(), 10)
    await scheduler.stop(grace=1)
    assert fired.count("old") == 1


async def test_stop_ends_the_schedule_and_waits_for_runs_in_progress_up_to_the_grace() -> None:
    release = asyncio.Event()

    async def fire(name: str) -> None:
        await release.wait()

    scheduler = CronScheduler(ran(fire))
    scheduler.start([CronJob("hourly", HOURLY)])
    stuck = scheduler.run_now("stuck")
    assert stuck is not None
    await scheduler.stop(grace=0.1)
    assert not stuck.done()  # stop waited for the grace, not for the run
    release.set()
    await stuck

    finishing = CronScheduler(ran(fire))
    release.clear()
    run = finishing.run_now("finishing")
    assert run is not None
    asyncio.get_running_loop().call_later(0.05, release.set)
    await finishing.stop(grace=30)
    assert run.done()  # stop returned as soon as the run did


async def test_a_tick_whose_holder_died_on_redis_is_fired_by_another_supervisor(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    holder = await RedisConnection.open(redis_server.url, redis_prefix)
    survivor = await RedisConnection.open(redis_server.url, redis_prefix)
    due = datetime.now().astimezone().replace(microsecond=0)
    # The holder takes the tick, then dies before it has run it (no renewal, no "done").
    assert await RedisTickLocks(holder, lease=0.3).acquire("ticker", int(due.timestamp() * 1000)) == "run"
    await holder.close()
    fired = asyncio.Event()

    async def fire(name: str) -> None:
        fired.set()

    scheduler = CronScheduler(ran(fire), RedisTickLocks(survivor, lease=0.3))
    try:
        await asyncio.wait_for(scheduler._shared_tick(RedisTickLocks(survivor, lease=0.3), "ticker", due), 10)
        assert fired.is_set()
        # and the tick is done now: a third supervisor does not fire it again
        again = asyncio.Event()

        async def fire_again(name: str) -> None:
            again.set()

        third = CronScheduler(ran(fire_again), RedisTickLocks(survivor, lease=0.3))
        await asyncio.wait_for(third._shared_tick(RedisTickLocks(survivor, lease=0.3), "ticker", due), 10)
        assert not again.is_set()
    finally:
        await scheduler.stop(grace=1)
        await survivor.close()
