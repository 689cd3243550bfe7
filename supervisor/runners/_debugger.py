"""Runners a debugger may hold at a breakpoint, and the one rule they share.

Two kinds of runner may be held: a pool's runners with their debuggers on (``motia dev
--inspect-node``/``--inspect-python``, ``PoolSettings.inspect``) and runners attached by hand over gRPC
(``--runner-listen``: started in a developer's debugger, ``AttachedRunners``). Held at a breakpoint, a
runner runs nothing on and answers nothing for as long as the developer looks, so for such a runner:

- nothing it runs has a timeout, nor has the wait for it to come free (``timeout``);
- neither silence nor a blocked event loop kills it (``kills_stalled``): a pool's runner is only marked
  stalled, new work going to its pool's other runners or waiting, and the stall is told once
  (``HeartbeatMonitor``); an attached runner is not pinged at all, its stream ending tells it is gone;
- no spare runner starts in its place (``starts_spares``): work waits for it, where the developer looks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DebuggerPolicy:
    #: a debugger may hold the runner at a breakpoint
    may_hold: bool

    def timeout(self, timeout: float | None) -> float | None:
        """What ``timeout`` (an invocation's, or a wait for a runner) becomes for such a runner."""
        return None if self.may_hold else timeout

    @property
    def kills_stalled(self) -> bool:
        """Whether a runner that answers no heartbeat, or stays stalled past its limit, is killed."""
        return not self.may_hold

    @property
    def starts_spares(self) -> bool:
        """Whether a spare runner starts while this one is stalled and work waits."""
        return not self.may_hold


#: a runner no debugger holds: a pool's, without ``--inspect-*``
NO_DEBUGGER = DebuggerPolicy(may_hold=False)
#: a runner a debugger may hold: a pool's with ``--inspect-*``, or one attached by hand
DEBUGGER_MAY_HOLD = DebuggerPolicy(may_hold=True)
