"""What http needs from the core, as Protocols: http depends on these, never on ``Runtime``.

``StepInvoker`` is all that serving an api step needs (its routes, a way to run it, the two
settings the executor reads, and CORS); ``Backend`` adds what the internal ``/__motia`` endpoints read.
``supervisor.core.Runtime`` provides both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from supervisor.core import LoadProblem, Registry, Step
from supervisor.cron import CronRun
from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.queue import DeadLetter, Delivery
from supervisor.realtime import Realtime
from supervisor.routing import Router
from supervisor.runners import RunnerSnapshot
from supervisor.settings import CorsSettings
from supervisor.state import StateStore
from supervisor.tracing import Recorder


class StepInvoker(Protocol):
    @property
    def routes(self) -> Router[Step]:
        """The api-step routes of the code loaded now (replaced on reload)."""
        ...

    @property
    def api_timeout_s(self) -> float:
        """How long an api handler may run before the request gets a 504."""
        ...

    @property
    def expose_errors(self) -> bool:
        """Whether a 500 body carries the handler's error message and stack (``motia dev``)."""
        ...

    @property
    def cors(self) -> CorsSettings | None:
        """The project's CORS settings; None: no CORS headers, no preflight answers."""
        ...

    @property
    def unavailable(self) -> str | None:
        """Why the storage steps use cannot be reached now (Redis down: requests answer 503), or None."""
        ...

    async def invoke(
        self,
        step: Step,
        kind: TriggerKind,
        payload: bytes,
        trace_id: str,
        topic: str = "",
        timeout: float | None = None,
        *,
        parent_span_id: str | None = None,
        remote_parent: bool = False,
    ) -> InvokeResult:
        """Run the step as a span of ``trace_id``; ``parent_span_id``: the caller's span
        (``remote_parent``: another service's, from a ``traceparent`` header). A failed result names
        the runner process that ran it (``InvokeResult.runner``)."""
        ...

    def record_response(self, trace_id: str, step: Step, method: str, path: str, status: int) -> None:
        """The answer an api request got, for its trace."""
        ...

    def record_rejection(
        self,
        step: Step,
        trace_id: str,
        method: str,
        path: str,
        status: int,
        reason: str,
        *,
        parent_span_id: str | None = None,
        remote_parent: bool = False,
    ) -> None:
        """A request answered ``status`` before ``step`` ran, for ``reason``: its trace and a log line;
        ``parent_span_id`` and ``remote_parent`` as for ``invoke``."""
        ...


class RunnerStatus(Protocol):
    """One runner's pool (node, python), as the health endpoint reports it."""

    @property
    def restarts(self) -> int: ...

    @property
    def in_flight(self) -> int: ...

    def pids(self) -> list[int]: ...

    def describe(self) -> list[RunnerSnapshot]:
        """Each of its runners: pid, uptime, restarts, memory, in-flight work, transport, debugger."""
        ...


class Backend(StepInvoker, Protocol):
    @property
    def registry(self) -> Registry: ...

    @property
    def pools(self) -> Mapping[str, RunnerStatus]: ...

    @property
    def isolated(self) -> Mapping[str, RunnerStatus]:
        """Per runner kind, the runner that re-runs alone what was in flight at a runner death."""
        ...

    @property
    def realtime(self) -> Realtime: ...

    @property
    def stopping(self) -> bool:
        """Whether the server is shutting down (its health says so: a 503)."""
        ...

    def load_fix(self, problem: LoadProblem) -> str:
        """What to do about a file that did not load, as the start-up summary says ("" if not known)."""
        ...

    def runner_rows(self) -> list[RunnerSnapshot]:
        """Every runner serving the project: the pools' own (stdio), the isolated ones, and those
        attached by hand (gRPC)."""
        ...

    def runner_ids_to_come(self) -> list[str]:
        """The ids the project's runners can take, running or not yet (a spare, an attached one)."""
        ...

    @property
    def state(self) -> StateStore: ...

    @property
    def tracing(self) -> Recorder:
        """Traces and logs: reads raise ``TracingOff`` when they are not recorded."""
        ...

    async def emit(self, topic: str, data: Any, trace_id: str, message_group_id: str | None = None) -> int:
        """Store an event for every subscriber of ``topic``; returns how many it went to."""
        ...

    async def dead_letters(self, step: str | None = None, limit: int | None = None) -> list[DeadLetter]: ...

    async def dead_letter(self, dead_letter_id: int) -> DeadLetter | None: ...

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        """Raises ``UnknownDeliveryError`` for an id that is not a dead letter."""
        ...

    async def replay_dead_letters(self, step: str | None = None) -> int: ...

    async def purge_dead_letter(self, dead_letter_id: int) -> None:
        """Raises ``UnknownDeliveryError`` for an id that is not a dead letter."""
        ...

    async def purge_dead_letters(self, step: str | None = None) -> int: ...

    def trigger_cron(self, name: str, trace_id: str) -> asyncio.Task[CronRun | None] | None:
        """Run a cron step now, in the trace ``trace_id``; None if it is still running. Raises KeyError
        for an unknown name. The task's result says how the run ended (None: it could not be run)."""
        ...
