"""Fires cron steps on schedule; a tick whose previous run is still going is skipped, not stacked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from supervisor.cron._expression import CronExpression

_logger = logging.getLogger("motia.cron")


@dataclass(frozen=True)
class CronJob:
    name: str
    expression: CronExpression


class CronScheduler:
    def __init__(self, fire: Callable[[str], Awaitable[None]]) -> None:
        self._fire = fire
        self._jobs: dict[str, CronJob] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

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
        await asyncio.gather(*self._loops.values(), return_exceptions=True)
        self._loops.clear()
        running = list(self._running.values())
        if running:
            await asyncio.wait(running, timeout=grace)

    def is_running(self, name: str) -> bool:
        task = self._running.get(name)
        return task is not None and not task.done()

    def run_now(self, name: str) -> asyncio.Task[None] | None:
        """Start a run of ``name`` now; None when its previous run is still going."""
        if self.is_running(name):
            _logger.warning("cron step %s: previous run still in progress; skipping this tick", name)
            return None
        task = asyncio.create_task(self._run(name), name=f"cron-run-{name}")
        self._running[name] = task
        return task

    async def _run(self, name: str) -> None:
        try:
            await self._fire(name)
        except Exception:
            _logger.exception("cron step %s failed", name)

    async def _loop(self, job: CronJob) -> None:
        # Schedule from the previous due time, not from "now": a timer that wakes a
        # few microseconds early must not make the same tick fire twice.
        due = datetime.now().astimezone()
        while True:
            due = job.expression.next_after(max(due, datetime.now().astimezone()))
            await asyncio.sleep(max(0.0, (due - datetime.now().astimezone()).total_seconds()))
            self.run_now(job.name)
