"""Fires cron steps on schedule; a tick whose previous run is still going is skipped, not stacked.

With ``TickLocks`` (several supervisors on one Redis) every supervisor schedules every step and the
locks make each tick fire once across them (see ``cron._redis``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from supervisor.cron._expression import CronExpression

_logger = logging.getLogger("motia.cron")


@dataclass(frozen=True)
class CronJob:
    name: str
    expression: CronExpression


@dataclass(frozen=True)
class CronRun:
    """How a run of a cron step ended: its trace, and its handler's error if it failed."""

    trace_id: str
    error: str | None = None


#: runs a cron step: its name, and the trace id to run it in (None: a new one); how the run ended
CronFire = Callable[[str, str | None], Awaitable[CronRun]]


class TickLocks(Protocol):
    """Who fires a (step, tick) when several supervisors schedule the same steps."""

    lease: float
    """How long a holder that stops answering keeps a tick before another takes it over."""

    async def acquire(self, step: str, tick_ms: int) -> str:
        """'run' (this supervisor fires it), 'taken' (another has it) or 'busy' (the step's previous
        run is still going somewhere: the tick is skipped)."""
        ...

    async def renew(self, step: str, tick_ms: int) -> None: ...

    async def finish(self, step: str, tick_ms: int) -> None: ...

    async def done(self, step: str, tick_ms: int) -> bool | None:
        """Whether the tick was fired (or skipped); None when nobody holds it any more."""
        ...


class CronScheduler:
    def __init__(self, fire: CronFire, ticks: TickLocks | None = None) -> None:
        self._fire = fire
        self._ticks = ticks
        self._jobs: dict[str, CronJob] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._running: dict[str, asyncio.Task[CronRun | None]] = {}
        self._shared: set[asyncio.Task[None]] = set()

    def start(self, jobs: list[CronJob]) -> None:
        for job in jobs:
            self._jobs[job.name] = job
            self._loops[job.name] = asyncio.create_task(self._loop(job), name=f"cron-{job.name}")

    def replace(self, jobs: list[CronJob]) -> None:
        """Schedule ``jobs`` instead of the current ones; runs already going finish on their own."""
        for loop in self._loops.values():
            loop.cancel()
        self._loops.clear()
        self._jobs.clear()
        self.start(jobs)

    async def stop(self, grace: float) -> None:
        for loop in self._loops.values():
            loop.cancel()
        for shared in self._shared:
            shared.cancel()
        await asyncio.gather(*self._loops.values(), *self._shared, return_exceptions=True)
        self._loops.clear()
        running = list(self._running.values())
        if running:
            await asyncio.wait(running, timeout=grace)

    def is_running(self, name: str) -> bool:
        task = self._running.get(name)
        return task is not None and not task.done()

    def run_now(self, name: str, trace_id: str | None = None) -> asyncio.Task[CronRun | None] | None:
        """Start a run of ``name`` now (in ``trace_id``, else a new trace); None when its previous run
        is still going. The task's result says how the run ended (None: it could not be run)."""
        if self.is_running(name):
            _logger.warning("cron step %s: previous run still in progress; skipping this tick", name)
            return None
        task = asyncio.create_task(self._run(name, trace_id), name=f"cron-run-{name}")
        self._running[name] = task
        return task

    async def _run(self, name: str, trace_id: str | None) -> CronRun | None:
        try:
            return await self._fire(name, trace_id)
        except Exception:
            _logger.exception("cron step %s failed", name)
            return None

    async def _loop(self, job: CronJob) -> None:
        # Schedule from the previous due time, not from "now": a timer that wakes a
        # few microseconds early must not make the same tick fire twice.
        due = datetime.now().astimezone()
        while True:
            due = job.expression.next_after(max(due, datetime.now().astimezone()))
            await asyncio.sleep(max(0.0, (due - datetime.now().astimezone()).total_seconds()))
            if self._ticks is None:
                self.run_now(job.name)
            else:
                task = asyncio.create_task(
                    self._shared_tick(self._ticks, job.name, due), name=f"cron-tick-{job.name}"
                )
                self._shared.add(task)
                task.add_done_callback(self._shared.discard)

    async def _shared_tick(self, ticks: TickLocks, name: str, due: datetime) -> None:
        """Fire ``name``'s tick at ``due`` if this supervisor gets it, or once its holder is gone."""
        tick = int(due.timestamp() * 1000)
        taken_over = False
        try:
            while True:
                outcome = await ticks.acquire(name, tick)
                if outcome == "run":
                    break
                if outcome == "busy":
                    _logger.warning("cron step %s: previous run still in progress; skipping this tick", name)
                    return
                # Another supervisor has it: watch until it is done, or gone with its holder.
                while (done := await ticks.done(name, tick)) is False:  # noqa: ASYNC110 (a Redis key)
                    await asyncio.sleep(ticks.lease / 2)
                if done:
                    return
                taken_over = True
            if taken_over:
                _logger.warning(
                    "cron step %s: the supervisor that had the tick of %s stopped answering; running it here",
                    name,
                    due.isoformat(timespec="seconds"),
                )
            run = self.run_now(name)
            while run is not None and not run.done():
                await asyncio.wait({run}, timeout=ticks.lease / 3)
                if not run.done():
                    await ticks.renew(name, tick)
            await ticks.finish(name, tick)
        except Exception:
            # Redis unreachable: the connection reports it; another supervisor may still fire it.
            _logger.debug("cron step %s: could not coordinate the tick of %s", name, due, exc_info=True)
