"""A pool of runners of one kind (node or python): start, health-check, restart with backoff.

A slot is alive only while its process runs *and* answers pings in time and
stays under its memory limit (psutil); otherwise it is killed and respawned,
after a wait that grows while it keeps failing (``RestartBackoff``).

An invocation may bring its own memory limit (a step's ``handler.ram``): the runner's
growth while it runs, sampled with the other memory checks and once more when it
returns, must stay under that many MB, or the runner is recycled as for the global limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from supervisor.protocol import InvokeResult, LoadResult, TriggerKind
from supervisor.runners._backoff import RestartBackoff
from supervisor.runners._connection import ContextCallHandler, RunnerConnection
from supervisor.runners._errors import RunnerDied, RunnerUnavailable
from supervisor.runners._spec import RunnerSpec

_logger = logging.getLogger("motia.runner")
_MB = 1024 * 1024


@dataclass(frozen=True)
class PoolSettings:
    size: int = 1
    heartbeat_interval: float = 1.0
    heartbeat_timeout: float = 10.0
    memory_limit_mb: float = 1024.0
    memory_check_interval: float = 1.0
    start_timeout: float = 30.0
    #: restart waits: see RestartBackoff for the curve
    restart_backoff_base: float = 0.25
    restart_backoff_cap: float = 4.0
    restart_forgive_after: float = 2.0
    #: how long an invocation waits for a restarting runner before giving up
    acquire_timeout: float = 15.0


@dataclass(eq=False)
class _MemoryWatch:
    """An invocation with its own memory limit, and the runner's RSS when it started."""

    step_name: str
    limit_mb: float
    rss_at_start: int

    def breach(self, rss: int) -> str | None:
        growth = (rss - self.rss_at_start) / _MB
        if growth <= self.limit_mb:
            return None
        return (
            f"step {self.step_name} grew the runner by {growth:.0f} MB, "
            f"over its handler.ram of {self.limit_mb:g} MB"
        )


class RunnerPool:
    def __init__(
        self,
        spec: RunnerSpec,
        project_root: Path,
        log_level: str,
        on_context_call: ContextCallHandler,
        step_files: list[str],
        stream_files: list[str],
        settings: PoolSettings,
        hook_files: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        self.runner = spec.runner
        self.name = name or spec.runner
        self._spec = spec
        self._root = project_root
        self._log_level = log_level
        self._on_context_call = on_context_call
        self._step_files = step_files
        self._stream_files = stream_files
        self._hook_files = list(hook_files)
        self._settings = settings
        self._ready: list[RunnerConnection] = []
        self._ready_changed = asyncio.Condition()
        self._slots: list[asyncio.Task[None]] = []
        self._first_load: asyncio.Future[LoadResult] | None = None
        self._stopping = False
        self._processes: dict[RunnerConnection, psutil.Process] = {}
        self._watches: dict[RunnerConnection, set[_MemoryWatch]] = {}
        self.restarts = 0

    # -------------------------------------------------------------- lifecycle

    async def start(self) -> LoadResult:
        """Start every slot; return the configs the first runner loaded, once every slot is up.

        A slot that is slow to come up is waited for up to the start timeout, so that
        traffic is spread over the whole pool from the first request.
        """
        self._first_load = asyncio.get_running_loop().create_future()
        for index in range(self._settings.size):
            runner_id = f"{self.name}-{index}"
            self._slots.append(asyncio.create_task(self._run_slot(runner_id), name=f"slot-{runner_id}"))
        result = await self._first_load
        async with self._ready_changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._ready_changed.wait_for(lambda: len(self._ready) >= self._settings.size),
                    self._settings.start_timeout,
                )
        return result

    async def stop(self, grace: float) -> None:
        self._stopping = True
        connections = list(self._ready)
        await asyncio.gather(*(conn.stop(grace) for conn in connections), return_exceptions=True)
        for slot in self._slots:
            slot.cancel()
        await asyncio.gather(*self._slots, return_exceptions=True)

    @property
    def runtime(self) -> str:
        """What a running runner says it runs on (``CPython 3.12.1, protobuf ...``, ``node v20...``)."""
        return next((conn.hello.runtime for conn in self._ready if conn.hello is not None), "")

    @property
    def in_flight(self) -> int:
        return sum(conn.in_flight for conn in self._ready)

    def pids(self) -> list[int]:
        return [conn.pid for conn in self._ready if conn.pid is not None]

    # -------------------------------------------------------------- invocations

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
    ) -> InvokeResult:
        connection = self._pick() or await self._wait_for_runner(step_name)
        if memory_limit_mb is None:
            return await connection.invoke(file, step_name, kind, payload_json, trace_id, topic, timeout)
        process = self._process(connection)
        if process is None:  # it is exiting: the invocation fails as in any dying runner
            return await connection.invoke(file, step_name, kind, payload_json, trace_id, topic, timeout)
        watch = _MemoryWatch(step_name, memory_limit_mb, _rss(process))
        watches = self._watches.setdefault(connection, set())
        watches.add(watch)
        try:
            result = await connection.invoke(file, step_name, kind, payload_json, trace_id, topic, timeout)
        finally:
            watches.discard(watch)
        # Also when it returned between two periodic checks: the growth stays in the runner.
        breach = watch.breach(_rss(process))
        if breach is not None:
            bystanders = connection.in_flight
            await connection.kill(breach)
            raise RunnerDied(f"{connection.runner_id} {breach}", in_flight=bystanders + 1)
        return result

    def _process(self, connection: RunnerConnection) -> psutil.Process | None:
        process = self._processes.get(connection)
        if process is None and connection.pid is not None and connection.alive:
            try:
                process = self._processes[connection] = psutil.Process(connection.pid)
            except psutil.Error:
                return None
        return process

    def _pick(self) -> RunnerConnection | None:
        ready = self._ready
        if not ready:
            return None
        if len(ready) == 1:
            return ready[0] if ready[0].alive else None
        best = min(ready, key=lambda conn: conn.in_flight)
        return best if best.alive else None

    async def _wait_for_runner(self, step_name: str) -> RunnerConnection:
        if self._stopping:
            raise RunnerUnavailable(f"the {self.runner} runners are shutting down")
        async with self._ready_changed:
            try:
                await asyncio.wait_for(
                    self._ready_changed.wait_for(lambda: self._pick() is not None or self._stopping),
                    self._settings.acquire_timeout,
                )
            except TimeoutError:
                raise RunnerUnavailable(
                    f"no {self.runner} runner became ready within {self._settings.acquire_timeout:g}s "
                    f"to run step {step_name}"
                ) from None
        connection = self._pick()
        if connection is None:
            raise RunnerUnavailable(f"the {self.runner} runners are shutting down")
        return connection

    async def _set_ready(self, connection: RunnerConnection, ready: bool) -> None:
        async with self._ready_changed:
            if ready:
                self._ready.append(connection)
            elif connection in self._ready:
                self._ready.remove(connection)
            self._ready_changed.notify_all()

    # -------------------------------------------------------------- one slot

    async def _run_slot(self, runner_id: str) -> None:
        settings = self._settings
        backoff = RestartBackoff(
            settings.restart_backoff_base, settings.restart_backoff_cap, settings.restart_forgive_after
        )
        while not self._stopping:
            connection = RunnerConnection(
                self._spec, runner_id, self._root, self._log_level, self._on_context_call
            )
            ready_at: float | None = None
            try:
                await connection.start(settings.start_timeout)
                result = await connection.load(
                    self._step_files, self._stream_files, hook_files=self._hook_files
                )
                if self._first_load is not None and not self._first_load.done():
                    self._first_load.set_result(result)
                await self._set_ready(connection, True)
                ready_at = time.monotonic()
                _logger.debug("runner %s ready (pid %s)", runner_id, connection.pid)
                reason = await self._watch(connection)
            except asyncio.CancelledError:
                await connection.kill("supervisor stopping", fault=False)
                raise
            except Exception as exc:
                reason = str(exc)
                await connection.kill(reason)
            finally:
                await self._set_ready(connection, False)
                self._processes.pop(connection, None)
                self._watches.pop(connection, None)
            if self._stopping:
                return
            if self._first_load is not None and not self._first_load.done():
                self._first_load.set_exception(
                    RunnerUnavailable(f"runner {runner_id} failed to start: {reason}")
                )
                return
            served = 0.0 if ready_at is None else time.monotonic() - ready_at
            delay = backoff.after_fault(served)
            self.restarts += 1
            _logger.warning("runner %s stopped (%s); restarting in %.2fs", runner_id, reason, delay)
            await asyncio.sleep(delay)

    async def _watch(self, connection: RunnerConnection) -> str:
        """Return once the runner has exited or been killed for failing a health check.

        Heartbeats and memory are watched independently: a runner whose event loop is
        blocked still gets its memory checked while a ping waits for its answer.
        """
        checks = [
            asyncio.create_task(self._check_heartbeats(connection)),
            asyncio.create_task(self._check_memory(connection)),
        ]
        try:
            return await connection.wait_closed()
        finally:
            for check in checks:
                check.cancel()

    async def _check_heartbeats(self, connection: RunnerConnection) -> None:
        settings = self._settings
        while connection.alive:
            await asyncio.sleep(settings.heartbeat_interval)
            if not await connection.ping(settings.heartbeat_timeout) and connection.alive:
                await connection.kill(f"no heartbeat within {settings.heartbeat_timeout:g}s")

    async def _check_memory(self, connection: RunnerConnection) -> None:
        settings = self._settings
        process = self._process(connection)
        if process is None:
            return
        try:
            while connection.alive:
                await asyncio.sleep(settings.memory_check_interval)
                rss = _rss(process)
                limit = settings.memory_limit_mb
                if rss / _MB > limit:
                    await connection.kill(f"memory {rss / _MB:.0f} MB over the {limit:g} MB limit")
                    return
                for watch in list(self._watches.get(connection, ())):
                    breach = watch.breach(rss)
                    if breach is not None:
                        await connection.kill(breach)
                        return
        except psutil.Error:
            return  # the process is gone; wait_closed() reports why


def _rss(process: psutil.Process) -> int:
    rss: int = process.memory_info().rss
    return rss
