"""A pool of runners of one kind (node or python): start, health-check, restart with backoff.

A slot is alive only while its process runs *and* answers pings in time and
stays under its memory limit (psutil); otherwise it is killed and respawned,
after a wait that grows while it keeps failing (``RestartBackoff``).

New work goes to the least busy runner whose event loop is not stalled (``HeartbeatMonitor``):
user code blocking one runner's loop does not hold up the others. When every runner's loop is
stalled and work waits, the pool starts a spare runner (up to ``spares`` at a time), which stops
again once it has been idle for ``spare_idle`` with a runner free. An invocation a runner declined
(never started: its loop was stalled) is sent to another runner.

With a debugger on (``PoolSettings.inspect``), each runner listens on its own port, and a breakpoint
may hold it as long as the developer likes: what that means for heartbeats, timeouts and spare
runners is ``runners/_debugger.py``'s, as for runners attached by hand.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import psutil

from supervisor.protocol import InvokeResult, LoadResult, TriggerKind
from supervisor.runners._attached import AttachedRunners, HandedBack
from supervisor.runners._backoff import RestartBackoff
from supervisor.runners._connection import ContextCallHandler, RunnerConnection
from supervisor.runners._debugger import DEBUGGER_MAY_HOLD, NO_DEBUGGER, DebuggerPolicy
from supervisor.runners._errors import InvocationDeclined, RunnerDied, RunnerUnavailable
from supervisor.runners._heartbeat import HeartbeatMonitor, HeartbeatSettings
from supervisor.runners._inspect import inspect_env
from supervisor.runners._snapshot import RunnerSnapshot
from supervisor.runners._spec import RunnerSpec
from supervisor.settings import Inspect

_logger = logging.getLogger("motia.runner")
_MB = 1024 * 1024


class RunnerChosen(Protocol):
    """Told which runner process took an invocation: an object with this method, not a callable, so
    that the caller hands over what it already holds (the recorder's span handle) instead of a bound
    method made per invocation (bench/RESULTS.md, session 25)."""

    def ran_on(self, runner: str, pid: int | None, /) -> None: ...


@dataclass(frozen=True)
class PoolSettings:
    size: int = 1
    heartbeat_interval: float = 1.0
    heartbeat_timeout: float = 10.0
    #: how long a runner's event loop may stay blocked when no invocation in flight holds it
    #: (otherwise: that invocation's timeout); see HeartbeatMonitor
    stall_limit: float = 60.0
    #: how many more runners may start while every runner's event loop is blocked and work waits
    spares: int = 0
    #: a spare runner stops once it has been idle this long while another runner is free
    spare_idle: float = 30.0
    memory_limit_mb: float = 1024.0
    memory_check_interval: float = 1.0
    start_timeout: float = 30.0
    #: restart waits: see RestartBackoff for the curve
    restart_backoff_base: float = 0.25
    restart_backoff_cap: float = 4.0
    restart_forgive_after: float = 2.0
    #: how long an invocation waits for a restarting runner before giving up
    acquire_timeout: float = 15.0
    #: the runners' debuggers (``motia dev --inspect-*``): a runner may then be held at a breakpoint
    #: for as long as the developer likes (``debugger``)
    inspect: Inspect | None = None

    @property
    def debugger(self) -> DebuggerPolicy:
        return NO_DEBUGGER if self.inspect is None else DEBUGGER_MAY_HOLD


@dataclass(eq=False)
class _MemoryWatch:
    """An invocation with its own memory limit, and the runner's RSS when it started."""

    step_name: str
    limit_mb: float
    rss_at_start: int
    #: the runner's RSS when another watch's breach killed it: what this one is judged on once it
    #: returns (a killed runner's RSS reads 0, which would let a step that grew it go unnoticed)
    rss_at_kill: int | None = None

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
        #: the loop it was started on (``asyncio.get_running_loop()`` is a system call: see
        #: ``RunnerConnection._loop``)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._processes: dict[RunnerConnection, psutil.Process] = {}
        self._watches: dict[RunnerConnection, set[_MemoryWatch]] = {}
        self._heartbeats: dict[RunnerConnection, HeartbeatMonitor] = {}
        self._spares: dict[int, asyncio.Task[None]] = {}
        #: a spare is on its way: one at a time, or a burst of waiting work would start them all
        self._spare_starting = False
        self._notifying: set[asyncio.Task[None]] = set()
        self.restarts = 0
        #: runners started by hand that take this pool's steps while they are connected
        self.attached: AttachedRunners | None = None
        #: per runner id, how often that slot's runner was restarted
        self._slot_restarts: dict[str, int] = {}
        self._inspectors: dict[RunnerConnection, str] = {}

    # -------------------------------------------------------------- lifecycle

    async def start(self) -> LoadResult:
        """Start every slot; return the configs the first runner loaded, once every slot is up.

        A slot that is slow to come up is waited for up to the start timeout, so that
        traffic is spread over the whole pool from the first request.
        """
        self._loop = asyncio.get_running_loop()
        self._first_load = self._loop.create_future()
        for index in range(self._settings.size):
            runner_id = f"{self.name}-{index}"
            self._slots.append(
                asyncio.create_task(self._run_slot(runner_id, index), name=f"slot-{runner_id}")
            )
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
        tasks = [*self._slots, *self._spares.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def runtime(self) -> str:
        """What a running runner says it runs on (``CPython 3.12.1, protobuf ...``, ``node v20...``)."""
        return next((conn.hello.runtime for conn in self._ready if conn.hello is not None), "")

    @property
    def in_flight(self) -> int:
        return sum(conn.in_flight for conn in self._ready)

    def pids(self) -> list[int]:
        return [conn.pid for conn in self._ready if conn.pid is not None]

    def describe(self) -> list[RunnerSnapshot]:
        """Each runner serving now: pid, uptime, restarts, memory, work in flight, debugger."""
        now = time.monotonic()
        snapshots = []
        for conn in list(self._ready):
            process = self._process(conn)
            try:
                memory = None if process is None else _rss(process) / _MB
            except psutil.Error:
                memory = None
            inspector = self._inspectors.get(conn)
            snapshots.append(
                RunnerSnapshot(
                    runner_id=conn.runner_id,
                    kind=self.runner,
                    pid=conn.pid,
                    uptime_s=now - conn.started_at,
                    restarts=self._slot_restarts.get(conn.runner_id, 0),
                    memory_mb=memory,
                    in_flight=conn.in_flight,
                    transport=conn.transport,
                    inspector=inspector,
                    stalled=self._stalled(conn),
                )
            )
        return snapshots

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
        *,
        on_runner: RunnerChosen | None = None,
    ) -> InvokeResult:
        """``on_runner`` is told (``ran_on``) which runner process took the invocation (its id and pid;
        again if a stalled runner declines it and another takes it). A failed result, or the ``RunnerDied``
        raised, names that runner (``InvokeResult.runner``, ``RunnerDied.runner``)."""
        args = (file, step_name, kind, payload_json, trace_id, topic)
        attachments = self.attached
        if attachments is not None and (attached := attachments.pick(self.runner, step_name)) is not None:
            runner_id = attached.connection.runner_id
            if on_runner is not None:
                on_runner.ran_on(runner_id, attached.connection.pid)
            with contextlib.suppress(HandedBack):  # it went: the pool's own runners take it, in full
                try:
                    result = await attachments.invoke(attached, *args, timeout=timeout)
                except RunnerDied as died:
                    _name(died, runner_id)
                    raise
                return result if result.ok else replace(result, runner=runner_id)
        loop = self._loop or asyncio.get_running_loop()
        timeout = self._settings.debugger.timeout(timeout)
        deadline = None if timeout is None else loop.time() + timeout
        connection = self._pick() or await self._wait_for_runner(step_name)
        while True:
            if on_runner is not None:
                on_runner.ran_on(connection.runner_id, connection.pid)
            try:
                result = await self._invoke_on(connection, *args, timeout, memory_limit_mb)
            except InvocationDeclined:
                # Never started: that runner's loop is stalled. Another one takes it, in the time left.
                self._declined_by(connection)
            except RunnerDied as died:
                _name(died, connection.runner_id)
                raise
            else:
                return result if result.ok else replace(result, runner=connection.runner_id)
            connection = self._pick() or await self._wait_for_runner(step_name)
            if deadline is not None:
                timeout = max(deadline - loop.time(), 0.001)

    def _declined_by(self, connection: RunnerConnection) -> None:
        heartbeat = self._heartbeats.get(connection)
        if heartbeat is not None:
            heartbeat.declined()

    async def _invoke_on(
        self,
        connection: RunnerConnection,
        file: str,
        step_name: str,
        kind: TriggerKind,
        payload_json: bytes,
        trace_id: str,
        topic: str,
        timeout: float | None,
        memory_limit_mb: float | None,
    ) -> InvokeResult:
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
        try:
            rss = watch.rss_at_kill if watch.rss_at_kill is not None else _rss(process)
        except psutil.Error:
            return result  # gone, and not for memory: its result stands
        breach = watch.breach(rss)
        if breach is not None:
            bystanders = connection.in_flight
            self._killing_for_memory(connection, rss)
            await connection.kill(breach)
            raise RunnerDied(f"{connection.runner_id} {breach}", in_flight=bystanders + 1)
        return result

    def _killing_for_memory(self, connection: RunnerConnection, rss: int) -> None:
        """Every invocation still watched on ``connection`` is judged on the RSS that kills it."""
        for watch in self._watches.get(connection, ()):
            watch.rss_at_kill = rss

    def _process(self, connection: RunnerConnection) -> psutil.Process | None:
        process = self._processes.get(connection)
        if process is None and connection.pid is not None and connection.alive:
            try:
                process = self._processes[connection] = psutil.Process(connection.pid)
            except psutil.Error:
                return None
        return process

    def _pick(self) -> RunnerConnection | None:
        """The least busy runner whose event loop is not stalled."""
        ready = self._ready
        if len(ready) == 1:
            only = ready[0]
            return only if only.alive and not self._stalled(only) else None
        best: RunnerConnection | None = None
        for conn in ready:
            if conn.alive and not self._stalled(conn) and (best is None or conn.in_flight < best.in_flight):
                best = conn
        return best

    def _stalled(self, connection: RunnerConnection) -> bool:
        heartbeat = self._heartbeats.get(connection)
        return heartbeat is not None and heartbeat.stalled

    async def _wait_for_runner(self, step_name: str) -> RunnerConnection:
        if self._stopping:
            raise RunnerUnavailable(f"the {self.runner} runners are shutting down")
        if self._ready and all(self._stalled(conn) for conn in self._ready):
            self._start_spare()
        async with self._ready_changed:
            try:
                await asyncio.wait_for(
                    self._ready_changed.wait_for(lambda: self._pick() is not None or self._stopping),
                    self._settings.debugger.timeout(self._settings.acquire_timeout),
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

    def _stall_changed(self) -> None:
        """A runner's loop stalled or runs again: whoever waits for a runner looks again."""
        task = asyncio.get_running_loop().create_task(self._notify())
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)

    async def _notify(self) -> None:
        async with self._ready_changed:
            self._ready_changed.notify_all()

    # -------------------------------------------------------------- one slot

    async def _run_slot(self, runner_id: str, index: int) -> None:
        settings = self._settings
        inspect = settings.inspect
        backoff = RestartBackoff(
            settings.restart_backoff_base, settings.restart_backoff_cap, settings.restart_forgive_after
        )
        first_start = True
        while not self._stopping:
            env = inspect_env(inspect, index, first_start=first_start) if inspect is not None else None
            connection = RunnerConnection(
                self._spec, runner_id, self._root, self._log_level, self._on_context_call, env
            )
            if inspect is not None:
                self._inspectors[connection] = inspect.address(index)
            waits = inspect is not None and inspect.wait and first_start
            first_start = False
            ready_at: float | None = None
            try:
                await connection.start(settings.start_timeout)
                result = await connection.load(
                    self._step_files,
                    self._stream_files,
                    timeout=None if waits else _LOAD_TIMEOUT,  # the developer attaches when ready
                    hook_files=self._hook_files,
                )
                if self._first_load is not None and not self._first_load.done():
                    self._first_load.set_result(result)
                self._heartbeats[connection] = self._heartbeat(connection)
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
                await self._forget(connection)
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
            self._slot_restarts[runner_id] = self._slot_restarts.get(runner_id, 0) + 1
            _logger.warning("runner %s stopped (%s); restarting in %.2fs", runner_id, reason, delay)
            await asyncio.sleep(delay)

    def _heartbeat(self, connection: RunnerConnection) -> HeartbeatMonitor:
        settings = self._settings
        return HeartbeatMonitor(
            connection,
            HeartbeatSettings(
                interval=settings.heartbeat_interval,
                timeout=settings.heartbeat_timeout,
                stall_after=min(1.0, settings.heartbeat_timeout / 2),
                stall_limit=settings.stall_limit,
                debugger=settings.debugger,
            ),
            self._stall_changed,
        )

    async def _forget(self, connection: RunnerConnection) -> None:
        await self._set_ready(connection, False)
        self._processes.pop(connection, None)
        self._inspectors.pop(connection, None)
        self._watches.pop(connection, None)
        self._heartbeats.pop(connection, None)

    async def _watch(self, connection: RunnerConnection, *, spare: bool = False) -> str:
        """Return once the runner has exited or been killed for failing a health check (or, for a
        spare, stopped once idle).

        Heartbeats and memory are watched independently: a runner whose event loop is
        blocked still gets its memory checked while a ping waits for its answer.
        """
        checks = [
            asyncio.create_task(self._heartbeats[connection].run()),
            asyncio.create_task(self._check_memory(connection)),
        ]
        if spare:
            checks.append(asyncio.create_task(self._retire_when_idle(connection)))
        try:
            return await connection.wait_closed()
        finally:
            for check in checks:
                check.cancel()

    # -------------------------------------------------------------- spare runners

    def _start_spare(self) -> None:
        if not self._settings.debugger.starts_spares:
            return
        free = next((index for index in range(self._settings.spares) if index not in self._spares), None)
        if free is None or self._stopping or self._spare_starting:
            return
        self._spare_starting = True
        runner_id = f"{self.name}-spare-{free}"
        self._spares[free] = asyncio.create_task(self._run_spare(free, runner_id), name=f"slot-{runner_id}")

    async def _run_spare(self, index: int, runner_id: str) -> None:
        """One spare runner, from its start to its retirement; not restarted when it dies."""
        connection = RunnerConnection(
            self._spec, runner_id, self._root, self._log_level, self._on_context_call
        )
        try:
            try:
                await connection.start(self._settings.start_timeout)
                await connection.load(self._step_files, self._stream_files, hook_files=self._hook_files)
                self._heartbeats[connection] = self._heartbeat(connection)
                await self._set_ready(connection, True)
            finally:
                self._spare_starting = False
            _logger.info(
                "runner %s started: the event loop of every %s runner is blocked and work is waiting",
                runner_id,
                self.runner,
            )
            reason = await self._watch(connection, spare=True)
            if connection.close_reason != _RETIRED and not self._stopping:
                _logger.warning("spare runner %s stopped (%s)", runner_id, reason)
        except asyncio.CancelledError:
            await connection.kill("supervisor stopping", fault=False)
            raise
        except Exception as exc:
            _logger.warning("spare runner %s failed to start: %s", runner_id, exc)
            await connection.kill(str(exc))
        finally:
            await self._forget(connection)
            self._spares.pop(index, None)

    async def _retire_when_idle(self, connection: RunnerConnection) -> None:
        """Stop a spare once it has been idle for ``spare_idle`` while another runner is free."""
        settings = self._settings
        idle_since: float | None = None
        while connection.alive:
            await asyncio.sleep(settings.heartbeat_interval)
            others_free = any(
                conn is not connection and conn.alive and not self._stalled(conn) for conn in self._ready
            )
            if connection.in_flight or self._stalled(connection) or not others_free:
                idle_since = None
                continue
            now = time.monotonic()
            idle_since = idle_since if idle_since is not None else now
            if now - idle_since >= settings.spare_idle:
                await self._set_ready(connection, False)
                if connection.in_flight == 0:
                    await connection.stop(1.0, reason=_RETIRED)
                    return
                await self._set_ready(connection, True)
                idle_since = None

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
                        self._killing_for_memory(connection, rss)
                        await connection.kill(breach)
                        return
        except psutil.Error:
            return  # the process is gone; wait_closed() reports why


_RETIRED = "retired: idle while another runner is free"
_LOAD_TIMEOUT = 120.0


def _rss(process: psutil.Process) -> int:
    rss: int = process.memory_info().rss
    return rss


def _name(died: RunnerDied, runner_id: str) -> None:
    """``died`` names the runner it happened to (one exception may be raised to every invocation that
    was in flight in that runner: the same name for all of them)."""
    if died.runner is None:
        died.runner = runner_id
