"""Heartbeats: whether a runner is well, busy in user code, or dead; the one place that decides.

Every ``interval`` (every 0.25 s while it is stalled) the supervisor pings each runner. What comes
back, or does not:

* a Pong without a stall: well.
* a Pong that reports a stalled event loop: busy in user code. Runners that watch their loop
  (the Python runner: ``HelloReply.watches_loop``) answer Pings from a thread of their own and
  say which invocation holds the loop and where: an ``async def`` handler calling a synchronous
  SDK. Such a runner is left alone until the stall outlasts the timeout of the invocation that
  holds it (``apiTimeoutSeconds``, a step's ``handler.timeout``), or ``stall_limit`` when no
  invocation in flight holds it (a task spawned earlier, runner code); then it is killed, blamed
  on that invocation.
* no Pong for ``stall_after``: a runner that answers from its loop (node) has a blocked loop,
  blamed on the invocation sent before the unanswered Ping when only one was (those sent later
  are still in the pipe, behind the Ping, never started). One that watches its loop answers
  nothing at all (stopped, or native code holding the GIL), and nobody is blamed. Either way it
  counts as stalled.
* no Pong within ``timeout``: dead. Killed.

A stall is logged once when it begins (a warning naming the step and, when the runner says, the
line it blocks at, with its stack) and once when it ends, and marks the runner stalled so that
its pool sends new work elsewhere (``on_change``).

This class alone decides what a Pong, or silence, means. A runner a debugger may hold at a
breakpoint (``debugger``: ``runners/_debugger.py``) is never killed for silence or a stall, only marked
stalled, and the stall is logged once, saying so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from supervisor.logs import log_event
from supervisor.protocol import LoopStall, Pong
from supervisor.runners._connection import InFlight
from supervisor.runners._debugger import NO_DEBUGGER, DebuggerPolicy
from supervisor.runners._errors import RunnerUnavailable

_logger = logging.getLogger("motia.runner")
_STALLED_INTERVAL = 0.25


def _now() -> float:
    """The event loop's clock, the one ``InFlight.sent_at`` is read on."""
    return asyncio.get_running_loop().time()


class Watched(Protocol):
    """What the monitor needs of a runner connection, whatever its transport (stdio today)."""

    @property
    def runner_id(self) -> str: ...
    @property
    def alive(self) -> bool: ...
    @property
    def watches_loop(self) -> bool: ...
    @property
    def in_flight(self) -> int: ...
    def invocations(self) -> list[InFlight]: ...
    def invocation(self, invocation_id: int) -> InFlight | None: ...
    def ping(self) -> tuple[int, asyncio.Future[Pong]]: ...
    def forget_ping(self, seq: int) -> None: ...
    async def kill(self, reason: str, *, fault: bool = True, culprit: int | None = None) -> None: ...


@dataclass(frozen=True)
class HeartbeatSettings:
    interval: float = 1.0
    #: no Pong for this long: dead
    timeout: float = 10.0
    #: no Pong for this long: stalled (at most half the timeout)
    stall_after: float = 1.0
    #: how long a stall may last when no invocation in flight holds the loop
    stall_limit: float = 60.0
    #: whether a debugger may hold the runner at a breakpoint: then silence and stalls never kill it
    debugger: DebuggerPolicy = NO_DEBUGGER


@dataclass
class Stall:
    """One stall of a runner's event loop, from its start to its end."""

    since: float
    #: how it is known: the runner ``reported`` it in a Pong, its Pongs stopped (``silent``), or it
    #: ``declined`` an invocation (details with the next Pong)
    seen: Literal["reported", "silent", "declined"]
    #: the invocation blamed for it, and where it blocks (empty when not known)
    invocation_id: int = 0
    step_name: str = ""
    trace_id: str = ""
    where: str = ""
    stack: str = ""
    #: kill once stalled this long (None: the heartbeat timeout decides)
    limit: float | None = None
    warned: bool = False

    def who(self) -> str:
        if self.step_name:
            return f"step {self.step_name}"
        # a runner that reports its stalls knows when no invocation holds its loop
        return "code outside any step" if self.seen == "reported" else "synchronous code"

    def describe(self) -> str:
        return f"{self.who()}, at {self.where}" if self.where else self.who()


class HeartbeatMonitor:
    def __init__(
        self,
        connection: Watched,
        settings: HeartbeatSettings,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._conn = connection
        self._settings = settings
        self._on_change = on_change
        self.stall: Stall | None = None

    @property
    def stalled(self) -> bool:
        return self.stall is not None

    def declined(self) -> None:
        """The runner declined an invocation: its loop is stalled; details come with the next Pong."""
        if self.stall is None:
            self._set(Stall(_now(), "declined"))

    async def run(self) -> None:
        """Ping until the runner is gone or killed."""
        try:
            while self._conn.alive:
                # A stalled runner is pinged more often: work held back for it resumes soon after it does.
                await asyncio.sleep(self._settings.interval if self.stall is None else _STALLED_INTERVAL)
                if not self._conn.alive or not await self._beat():
                    return
        finally:
            self.stall = None

    async def _beat(self) -> bool:
        """One Ping and what its answer, or its silence, means; False once the runner is gone."""
        settings = self._settings
        sent = _now()
        try:
            seq, pong = self._conn.ping()
        except RunnerUnavailable:
            return False
        try:
            while True:
                waited = _now() - sent
                if waited >= settings.timeout and settings.debugger.kills_stalled:
                    await self._kill_silent()
                    return False
                if waited >= settings.stall_after:
                    self._silent(sent, waited)
                    wait = settings.interval
                    if settings.debugger.kills_stalled:
                        wait = min(wait, settings.timeout - waited)
                else:
                    wait = settings.stall_after - waited
                done, _ = await asyncio.wait({pong}, timeout=wait)
                if done:
                    break
        finally:
            self._conn.forget_ping(seq)
        if pong.exception() is not None:  # the runner died meanwhile
            return False
        return await self._answered(pong.result())

    # -------------------------------------------------------------- a Pong came

    async def _answered(self, pong: Pong) -> bool:
        report = pong.stall
        if report is None:
            self._end()
            return True
        stall = self.stall
        if stall is None or stall.seen != "reported" or stall.invocation_id != report.invocation_id:
            stall = self._from_report(report)
            self._set(stall)
        stalled_for = report.stalled_ms / 1000
        if not stall.warned:
            self._warn(stall, stalled_for)
        if stall.limit is not None and stalled_for >= stall.limit and self._settings.debugger.kills_stalled:
            await self._conn.kill(
                f"its event loop was blocked for {stalled_for:.0f}s by {stall.describe()}, "
                f"past its limit of {stall.limit:g}s",
                culprit=stall.invocation_id or None,
            )
            return False
        return True

    def _from_report(self, report: LoopStall) -> Stall:
        """A stall as the runner reports it; it may last as long as its holder's timeout."""
        holder = self._conn.invocation(report.invocation_id) if report.invocation_id else None
        previous = self.stall
        if holder is not None and holder.timeout is not None:
            limit = holder.timeout
        elif previous is not None and previous.seen == "reported" and previous.limit is not None:
            limit = previous.limit  # same stall, its holder gone meanwhile (timed out)
        else:
            limit = self._settings.stall_limit
        same_step = previous is not None and previous.step_name == report.step_name
        return Stall(
            _now() - report.stalled_ms / 1000,
            "reported",
            report.invocation_id,
            report.step_name,
            report.trace_id,
            report.where,
            report.stack,
            limit,
            # a debugged runner's stall is told once: held at a breakpoint, however it shows (even
            # named "outside any step" by a late Pong, its handler answered as the debugger resumed)
            warned=previous is not None
            and previous.warned
            and (self._settings.debugger.may_hold or (same_step and previous.seen == "reported")),
        )

    # -------------------------------------------------------------- no Pong

    def _silent(self, sent: float, waited: float) -> None:
        """No Pong for ``stall_after``: stalled, blamed on the one invocation that can hold the loop."""
        stall, held = self.stall, self._settings.debugger.may_hold
        if stall is not None and (stall.seen == "silent" or (held and stall.warned)):
            # a debugged runner's stall is told once: its debugger stops the heartbeat thread too
            # (debugpy suspends every thread at a breakpoint), so a reported stall turns silent
            return
        suspect = self._suspect(sent)
        stall = Stall(sent, "silent")
        if suspect is not None:
            stall.invocation_id, stall.step_name, stall.trace_id = (
                suspect.invocation_id,
                suspect.step_name,
                suspect.trace_id,
            )
        self._set(stall)
        self._warn(stall, waited)

    def _suspect(self, sent: float) -> InFlight | None:
        """The invocation sent before the unanswered Ping, when only one was: those sent after it
        wait behind it in the pipe, never started."""
        before = [inv for inv in self._conn.invocations() if inv.sent_at <= sent]
        return before[0] if len(before) == 1 else None

    async def _kill_silent(self) -> None:
        timeout = self._settings.timeout
        if self._conn.watches_loop:
            reason = (
                f"no heartbeat within {timeout:g}s: the process answered nothing, not even from its "
                "heartbeat thread (stopped, or native code holding the GIL)"
            )
        else:
            reason = f"no heartbeat within {timeout:g}s: its event loop was blocked"
        stall = self.stall
        culprit = None
        if stall is not None and stall.step_name:
            reason += f" by step {stall.step_name}"
            culprit = stall.invocation_id if stall.seen == "silent" and not self._conn.watches_loop else None
        elif self._conn.in_flight:
            reason += f" while {_steps(self._conn.invocations())} ran"
        await self._conn.kill(reason, culprit=culprit)

    # -------------------------------------------------------------- start and end

    def _set(self, stall: Stall) -> None:
        began = self.stall is None
        self.stall = stall
        if began:
            self._on_change()

    def _end(self) -> None:
        stall, self.stall = self.stall, None
        if stall is None:
            return
        if stall.warned:
            log_event(
                _logger,
                "info",
                f"the event loop of runner {self._conn.runner_id} runs again, after "
                f"{_now() - stall.since:.1f}s blocked by {stall.describe()}",
                step=stall.step_name or None,
                trace_id=stall.trace_id or None,
                runner=self._conn.runner_id,
            )
        self._on_change()

    def _warn(self, stall: Stall, stalled_for: float) -> None:
        stall.warned = True
        runner = self._conn.runner_id
        if self._settings.debugger.may_hold:
            message = (
                f"runner {runner} has answered no heartbeat for {stalled_for:.1f}s"
                if stall.seen == "silent"
                else f"{stall.who()} has held the event loop of runner {runner} for {stalled_for:.1f}s"
            )
            message += (
                ": held at a breakpoint, or blocked. Its debugger is on, so it is not restarted and "
                "what it runs has no timeout; new work goes to other runners of its pool, or waits."
            )
            log_event(
                _logger,
                "info",
                message,
                step=stall.step_name or None,
                trace_id=stall.trace_id or None,
                runner=runner,
            )
            return
        if stall.seen == "silent" and self._conn.watches_loop:
            message = (
                f"runner {runner} has answered no heartbeat for {stalled_for:.1f}s, not even from its "
                "heartbeat thread: the process is stopped, or native code holds the GIL"
            )
        else:
            where = f", at {stall.where}" if stall.where else ""
            if not stall.step_name and self._conn.in_flight:
                where += f" (in flight: {_steps(self._conn.invocations())})"
            message = (
                f"{stall.who()} has blocked the event loop of runner {runner} for {stalled_for:.1f}s{where}. "
                "Every other invocation in this runner waits meanwhile; new work goes to other runners "
                "(a spare one starts if need be). " + _ADVICE[self._conn.watches_loop]
            )
        limit = stall.limit if stall.limit is not None else self._settings.timeout
        message += f" The runner is restarted if this lasts {limit:g}s."
        log_event(
            _logger,
            "warn",
            message,
            step=stall.step_name or None,
            trace_id=stall.trace_id or None,
            meta={"stack": stall.stack} if stall.stack else None,
            runner=runner,
        )


def _steps(invocations: list[InFlight]) -> str:
    return ", ".join(sorted({inv.step_name for inv in invocations}))


_ADVICE = {
    True: (
        "A synchronous call (requests, a blocking SDK client, time.sleep) inside `async def` holds the "
        "loop: make the handler a plain `def` (it then runs in a worker thread), or wrap the call in "
        "`await asyncio.to_thread(...)`."
    ),
    False: (
        "Synchronous code (a long loop, a *Sync call, heavy JSON work) holds the loop: make it "
        "asynchronous, split it up, or move it to a worker_thread."
    ),
}
