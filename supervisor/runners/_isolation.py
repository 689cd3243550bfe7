"""A runner that runs one invocation at a time, where a death can only be that invocation's.

When a runner dies with several invocations in flight, nothing tells which one killed it
(a crash, a loop that blocked the heartbeat, memory that grew). Each event delivery that
was in flight is re-run here, alone; if it kills this runner too, it pays for it. The
runner is started on first use and stopped once idle, so it costs nothing while no
runner misbehaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.runners._errors import RunnerDied
from supervisor.runners._pool import RunnerChosen, RunnerPool
from supervisor.runners._snapshot import RunnerSnapshot

_logger = logging.getLogger("motia.runner")


class IsolatedRunner:
    def __init__(self, new_pool: Callable[[], RunnerPool], idle_after: float = 30.0) -> None:
        self._new_pool = new_pool
        self._idle_after = idle_after
        self._pool: RunnerPool | None = None
        self._turn = asyncio.Lock()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._retiring: set[asyncio.Task[None]] = set()
        self._closed = False
        self._retired_restarts = 0

    @property
    def restarts(self) -> int:
        """Runner deaths here, over every runner it started (each one an invocation's own doing)."""
        return self._retired_restarts + (self._pool.restarts if self._pool is not None else 0)

    @property
    def in_flight(self) -> int:
        return self._pool.in_flight if self._pool is not None else 0

    def pids(self) -> list[int]:
        return self._pool.pids() if self._pool is not None else []

    def describe(self) -> list[RunnerSnapshot]:
        return self._pool.describe() if self._pool is not None else []

    async def invoke(
        self,
        file: str,
        step_name: str,
        kind: TriggerKind,
        payload_json: bytes,
        trace_id: str,
        topic: str = "",
        timeout: float | None = None,
        memory_limit_mb: float | None = None,
        *,
        on_runner: RunnerChosen | None = None,
    ) -> InvokeResult:
        async with self._turn:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            pool = await self._started()
            try:
                return await pool.invoke(
                    file,
                    step_name,
                    kind,
                    payload_json,
                    trace_id,
                    topic,
                    timeout,
                    memory_limit_mb,
                    on_runner=on_runner,
                )
            finally:
                if not self._closed:
                    self._idle_timer = asyncio.get_running_loop().call_later(self._idle_after, self._retire)

    async def stop(self, grace: float) -> None:
        self._closed = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.stop(grace)
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)

    async def _started(self) -> RunnerPool:
        if self._closed:  # replaced by a reload, or shutting down: nobody's fault
            raise RunnerDied("the isolated runner was stopped by the supervisor", fault=False)
        if self._pool is None:
            pool = self._new_pool()
            try:
                await pool.start()
            except BaseException:
                await pool.stop(0)
                raise
            _logger.info("started runner %s to re-run alone what was in flight when a runner died", pool.name)
            self._pool = pool
        return self._pool

    def _retire(self) -> None:
        self._idle_timer = None
        if self._turn.locked() or self._pool is None:
            return
        pool, self._pool = self._pool, None
        self._retired_restarts += pool.restarts
        task = asyncio.get_running_loop().create_task(self._stop_quietly(pool))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    @staticmethod
    async def _stop_quietly(pool: RunnerPool) -> None:
        with contextlib.suppress(Exception):
            await pool.stop(1.0)
