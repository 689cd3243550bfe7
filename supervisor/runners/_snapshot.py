"""One runner as an operator sees it: what ``GET /__motia/health`` shows per runner (and what a
listing of runners, whatever their transport, is built from)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerSnapshot:
    #: ``node-0``, ``python-1``: the id its log lines carry
    runner_id: str
    #: ``node`` or ``python``
    kind: str
    pid: int | None
    #: seconds since its process started
    uptime_s: float
    #: how often the runner in its place was restarted after a fault (None for a runner attached by
    #: hand: nobody restarts it)
    restarts: int | None
    #: resident memory, MB (None when it could not be read)
    memory_mb: float | None
    in_flight: int
    #: how the supervisor speaks to it: ``stdio`` (a child process's pipes) or ``grpc`` (attached)
    transport: str
    #: where its debugger listens (``127.0.0.1:9229``), when it is inspected
    inspector: str | None
    #: its event loop is blocked (or it is held at a breakpoint): new work goes elsewhere
    stalled: bool
    #: the steps it takes; None: every step of its kind
    steps: list[str] | None = None
    #: where a runner attached by hand dialled in from
    peer: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.runner_id,
            "kind": self.kind,
            "pid": self.pid,
            "uptimeSeconds": round(self.uptime_s, 1),
            "restarts": self.restarts,
            "memoryMb": None if self.memory_mb is None else round(self.memory_mb, 1),
            "inFlight": self.in_flight,
            "transport": self.transport,
            "inspector": self.inspector,
            "stalled": self.stalled,
            "steps": self.steps,
            "peer": self.peer,
        }
