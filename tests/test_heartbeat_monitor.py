"""What the heartbeat monitor makes of a runner's Pongs, and of their silence, on a scripted connection:
the decisions alone, without a process (the end-to-end behaviour is in test_blocked_loops.py and
test_debugging.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from supervisor.protocol import LoopStall, Pong
from supervisor.runners._connection import InFlight
from supervisor.runners._debugger import DEBUGGER_MAY_HOLD
from supervisor.runners._heartbeat import HeartbeatMonitor, HeartbeatSettings

HELD = InFlight(invocation_id=7, step_name="Held", trace_id="t-held", sent_at=0.0, timeout=3.0)
STALL = LoopStall(
    stalled_ms=1200,
    invocation_id=7,
    trace_id="t-held",
    step_name="Held",
    where="steps/held_step.py:4",
    stack="",
)
#: what a Pong answered just after the debugger resumed says: the loop has not ticked yet, its holder is gone
STALL_OUTSIDE_ANY_STEP = LoopStall(
    stalled_ms=15300, invocation_id=0, trace_id="", step_name="", where="", stack=""
)


class ScriptedRunner:
    """Answers each Ping as told: ``stalled`` (a Pong reporting the held loop), ``well``, ``silent``
    (answered ``late_by`` seconds later, with a stall report: a debugger resumed the heartbeat thread),
    or ``late`` (as ``silent``, its report naming no step)."""

    def __init__(self, answers: list[str], late_by: float = 0.3) -> None:
        self._answers: Iterator[str] = iter(answers)
        self._late_by = late_by
        self.alive = True
        self.killed: list[str] = []

    runner_id = "python-0"
    watches_loop = True
    in_flight = 1

    def invocations(self) -> list[InFlight]:
        return [HELD]

    def invocation(self, invocation_id: int) -> InFlight | None:
        return HELD if invocation_id == HELD.invocation_id else None

    def ping(self) -> tuple[int, asyncio.Future[Pong]]:
        pong: asyncio.Future[Pong] = asyncio.get_running_loop().create_future()
        answer = next(self._answers, None)
        if answer is None:
            self.alive = False
            pong.set_result(Pong(seq=0))
        elif answer == "well":
            pong.set_result(Pong(seq=0))
        elif answer == "stalled":
            pong.set_result(Pong(seq=0, stall=STALL))
        else:
            stall = STALL if answer == "silent" else STALL_OUTSIDE_ANY_STEP
            asyncio.get_running_loop().call_later(self._late_by, pong.set_result, Pong(seq=0, stall=stall))
        return 0, pong

    def forget_ping(self, seq: int) -> None:
        pass

    async def kill(self, reason: str, *, fault: bool = True, culprit: int | None = None) -> None:
        self.killed.append(reason)
        self.alive = False


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [record.getMessage() for record in caplog.records if text in record.getMessage()]


@pytest.mark.parametrize(
    "answers",
    [
        ["stalled", "silent", "stalled", "well"],
        ["silent", "stalled", "silent", "stalled", "well"],
        ["silent", "late", "well"],
    ],
    ids=["reported-then-silent", "silent-then-reported", "silent-then-late-pong-naming-no-step"],
)
async def test_a_debugged_runner_held_at_a_breakpoint_is_told_once_however_its_stall_shows(
    caplog: pytest.LogCaptureFixture, answers: list[str]
) -> None:
    runner = ScriptedRunner(answers)
    settings = HeartbeatSettings(interval=0.02, timeout=0.1, stall_after=0.05, debugger=DEBUGGER_MAY_HOLD)
    caplog.set_level(logging.INFO, logger="motia.runner")
    await asyncio.wait_for(HeartbeatMonitor(runner, settings).run(), timeout=10)
    assert runner.killed == []  # silent past the heartbeat timeout, and stalled past the step's
    assert len(messages(caplog, "held at a breakpoint")) == 1, caplog.text
    assert len(messages(caplog, "runs again")) == 1, caplog.text


async def test_an_undebugged_runner_silent_past_the_timeout_is_killed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = ScriptedRunner(["stalled", "silent"], late_by=5.0)
    settings = HeartbeatSettings(interval=0.02, timeout=0.2, stall_after=0.05)
    await asyncio.wait_for(HeartbeatMonitor(runner, settings).run(), timeout=10)
    assert len(runner.killed) == 1 and "no heartbeat within 0.2s" in runner.killed[0]
