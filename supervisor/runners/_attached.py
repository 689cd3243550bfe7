"""Runners attached by hand: which steps they take while connected, and what happens when they go.

A runner that dialled in (``RunnerListener``) loads its language's files as a pool's runners do,
then takes every invocation of its language, or only of the steps it named (``--steps``), until it
disconnects: the pools ask ``pick`` first (``RunnerPool.attached``). A debugger may hold it at a
breakpoint as long as the developer likes (``runners/_debugger.py``): its invocations carry no
timeout and no heartbeat ends it; a runner process that exits closes its stream, which is how it is
known to be gone. What it had in flight then is handed back (``HandedBack``) and runs in the
supervisor's own runners.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.runners._connection import ContextCallHandler
from supervisor.runners._debugger import DEBUGGER_MAY_HOLD
from supervisor.runners._errors import RunnerUnavailable
from supervisor.runners._grpc import AttachedConnection, AttachRefused
from supervisor.runners._snapshot import RunnerSnapshot

if TYPE_CHECKING:
    from supervisor.runners._grpc import Context

_logger = logging.getLogger("motia.runner")


@dataclass(frozen=True)
class AttachTarget:
    """What a runner of one language loads and may take, from the project's current load."""

    step_files: list[str]
    stream_files: list[str]
    hook_files: list[str]
    #: the names of the steps of that language
    step_names: frozenset[str]


@dataclass(eq=False)
class Attached:
    connection: AttachedConnection
    language: str
    #: the steps it takes; None: every invocation of its language (hooks and streams' canAccess too)
    steps: frozenset[str] | None
    since: float = field(default_factory=time.monotonic)

    def takes(self, step_name: str) -> bool:
        return self.steps is None or step_name in self.steps

    def rss(self) -> int | None:
        """Its resident memory in bytes, when it runs on this machine and can be read."""
        pid = self.connection.pid
        if pid is None or not self.connection.local:
            return None
        try:
            rss: int = psutil.Process(pid).memory_info().rss
        except psutil.Error:
            return None
        return rss

    def describe(self) -> RunnerSnapshot:
        rss = self.rss()
        connection = self.connection
        return RunnerSnapshot(
            runner_id=connection.runner_id,
            kind=self.language,
            pid=connection.pid,
            uptime_s=time.monotonic() - self.since,
            restarts=None,
            memory_mb=None if rss is None else rss / (1024 * 1024),
            in_flight=connection.in_flight,
            transport=connection.transport,
            inspector=None,
            stalled=False,
            steps=None if self.steps is None else sorted(self.steps),
            peer=connection.peer,
        )

    def describe_steps(self) -> str:
        return ", ".join(sorted(self.steps)) if self.steps is not None else f"every {self.language} step"


class HandedBack(RunnerUnavailable):
    """The attached runner went away before answering: the invocation runs in the supervisor's own runners."""


class AttachedRunners:
    def __init__(
        self,
        project_root: Path,
        log_level: Callable[[], str],
        on_context_call: ContextCallHandler,
        target: Callable[[str], AttachTarget | None],
    ) -> None:
        self._root = project_root
        self._log_level = log_level
        self._on_context_call = on_context_call
        self._target = target
        self._attached: list[Attached] = []
        self._numbers = itertools.count(1)
        self._stopping = False

    # -------------------------------------------------------------- connections

    def new_connection(self, context: Context, language: str, peer: str) -> AttachedConnection:
        runner_id = f"{language}-attached-{next(self._numbers)}"
        return AttachedConnection(
            context, language, runner_id, self._root, self._log_level(), self._on_context_call, peer
        )

    async def serve(self, connection: AttachedConnection, steps: frozenset[str] | None) -> None:
        """Handshake, load, take its steps until it disconnects. Raises ``AttachRefused``."""
        language = connection.spec.runner
        if self._stopping:
            raise AttachRefused("the supervisor is shutting down")
        target = self._target(language)
        if target is None:
            raise AttachRefused(f"this project has no {language} steps to run")
        if steps is not None and not steps <= target.step_names:
            unknown = ", ".join(sorted(steps - target.step_names))
            known = ", ".join(sorted(target.step_names))
            raise AttachRefused(
                f"--steps names no {language} step called {unknown}; its {language} steps: {known}"
            )
        hello = await connection.start()
        await self._load(connection, target)
        attached = Attached(connection, language, steps)
        self._attached.append(attached)
        _logger.info(
            "runner %s attached over gRPC (pid %s, %s, from %s): it runs %s while connected; its invocations "
            "have no timeout, so a debugger may hold them",
            connection.runner_id,
            connection.pid,
            hello.runtime,
            connection.peer,
            attached.describe_steps(),
        )
        try:
            await connection.wait_closed()
        finally:  # also when grpc cancels the call of a runner that went away
            self._attached.remove(attached)
            if not self._stopping:
                _logger.info(
                    "runner %s detached (%s): %s run%s in the supervisor's own runners again",
                    connection.runner_id,
                    connection.close_reason or "disconnected",
                    attached.describe_steps(),
                    "" if attached.steps is not None and len(attached.steps) > 1 else "s",
                )

    async def _load(self, connection: AttachedConnection, target: AttachTarget) -> None:
        result = await connection.load(target.step_files, target.stream_files, hook_files=target.hook_files)
        for error in result.errors:
            where = f"{error.file}:{error.line}" if error.line else error.file
            _logger.warning(
                "runner %s could not load %s: %s (the supervisor's own runners did)",
                connection.runner_id,
                where,
                error.message,
            )

    async def reload(self, language: str) -> None:
        """The project's code changed: the attached runners of ``language`` import its files again."""
        target = self._target(language)
        for attached in [a for a in self._attached if a.language == language]:
            if target is None:
                await attached.connection.stop(1.0, reason=f"the project has no {language} steps any more")
                continue
            try:
                await self._load(attached.connection, target)
            except RunnerUnavailable:
                continue  # it went meanwhile
            _logger.info("runner %s imported the changed %s files", attached.connection.runner_id, language)

    async def stop(self, grace: float) -> None:
        self._stopping = True
        await asyncio.gather(
            *(a.connection.stop(grace, reason="supervisor stopping") for a in self._attached),
            return_exceptions=True,
        )

    # -------------------------------------------------------------- routing

    def pick(self, language: str, step_name: str) -> Attached | None:
        """The runner attached last that takes ``step_name`` of ``language``, if one is connected."""
        for attached in reversed(self._attached):
            if attached.language == language and attached.takes(step_name) and attached.connection.alive:
                return attached
        return None

    async def invoke(
        self,
        attached: Attached,
        file: str,
        step_name: str,
        kind: TriggerKind,
        payload_json: bytes,
        trace_id: str,
        topic: str = "",
        *,
        timeout: float | None = None,
    ) -> InvokeResult:
        """Run it in ``attached``, without ``timeout`` (a debugger may hold it); raises ``HandedBack``
        when it goes (or declines) before answering."""
        connection = attached.connection
        timeout = DEBUGGER_MAY_HOLD.timeout(timeout)
        try:
            return await connection.invoke(file, step_name, kind, payload_json, trace_id, topic, timeout)
        except RunnerUnavailable as exc:
            _logger.warning(
                "runner %s did not answer step %s (%s): it runs in the supervisor's own runners",
                connection.runner_id,
                step_name,
                exc,
                extra={"step": step_name, "trace_id": trace_id},
            )
            raise HandedBack(str(exc)) from None

    def connected(self) -> Sequence[Attached]:
        return list(self._attached)
