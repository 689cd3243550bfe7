"""Who pays for a runner death (README, Guarantees).

A runner runs many invocations at once, and mostly nothing tells which one killed it: a
crash, a loop that stopped answering heartbeats, memory that grew past a limit all happen
to the whole process. So an event delivery is charged for a death only when it was the one
invocation in its runner. With several in flight, nobody is charged: each delivery runs
again alone (``supervisor.runners.IsolatedRunner``), where a death can only be its own,
and a step that kills runners runs out of retries there while the others go through.

When the culprit is known (a runner killed because one invocation blocked its event loop
past that invocation's timeout), the culprit pays and the others are bystanders: re-run,
not charged, not isolated.
"""

from __future__ import annotations

from supervisor.queue import AttemptLost
from supervisor.runners import RunnerDied


def attempt_lost_to(died: RunnerDied) -> AttemptLost:
    """What a delivery's attempt costs when its runner died under it."""
    if not died.fault:  # shutdown, or a reload draining the old runners
        return AttemptLost(f"{died} (stopped by the supervisor)", charged=False, isolate=False)
    if died.bystander:
        return AttemptLost(f"{died}: another invocation's doing, not counted", charged=False, isolate=False)
    if died.in_flight == 0:
        return AttemptLost(f"{died} (before the handler started)", charged=False, isolate=False)
    if died.alone:
        return AttemptLost(str(died), charged=True, isolate=True)
    return AttemptLost(
        f"{died} with {died.in_flight} invocations in flight: not counted, re-run alone",
        charged=False,
        isolate=True,
    )
