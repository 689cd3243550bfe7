"""Staying alive while user code blocks the event loop.

Real handlers call synchronous SDKs (requests, the OpenAI client) inside ``async def``: the call
holds the runner's one event loop, but not the process. So while the loop is held, a standby
thread reads the channel instead (transport.FrameReader) and answers Pings, and each Pong says
whether the loop is stalled, which invocation holds it and where (the loop thread's stack): the
supervisor tells "busy in user code" from "dead", says where it blocks, and sends new work elsewhere.

Invocations that arrive while the loop is stalled, or that still wait for it when a stall begins,
are declined (answered at once, never started), so that the supervisor runs them in another
runner instead of leaving them behind the blocked call. A loop is stalled when it has run
nothing for ``STALL_AFTER`` seconds; a busy loop turns many times a second.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from motia_runner.current import RUNNER, InvocationInfo
from motia_runner.messages import pb

STALL_AFTER = 0.5
#: how often the loop marks that it runs, and the watcher looks
TICK = 0.1

_RUNNER_DIR = str(Path(__file__).resolve().parent)
_ASYNCIO_DIR = str(Path(asyncio.__file__).resolve().parent)
_STACK_LIMIT = 40


class LoopWatch:
    """Knows when the loop last ran, and what holds it when it does not."""

    def __init__(self, loop: asyncio.AbstractEventLoop, project_root: Path) -> None:
        self._loop = loop
        self.project_root = project_root
        self._thread_id = threading.get_ident()
        self._last_run = time.monotonic()

    def start(self) -> None:
        """Start marking loop turns (call on the loop thread)."""
        self._thread_id = threading.get_ident()
        self._mark()

    def _mark(self) -> None:
        self.ran()
        self._loop.call_later(TICK, self._mark)

    def ran(self) -> None:
        """The loop runs now (call on the loop): a handler that held it has just answered, and a Ping
        read before the next tick must not report the stall that ended."""
        self._last_run = time.monotonic()

    def stalled_for(self) -> float:
        """Seconds the loop has run nothing beyond its usual tick (0 when it runs)."""
        return max(0.0, time.monotonic() - self._last_run - TICK)

    def stalled(self) -> bool:
        return self.stalled_for() >= STALL_AFTER

    def report(self) -> Any:
        """A LoopStall when the loop is stalled, else None (any thread)."""
        stalled_for = self.stalled_for()
        if stalled_for < STALL_AFTER:
            return None
        info = self.holder()
        frame = sys._current_frames().get(self._thread_id)
        # the whole stack for ``where``: an import chain alone can be deeper than the stack kept
        frames = traceback.extract_stack(frame) if frame is not None else []
        user = _user_frames(frames)
        return pb.LoopStall(
            stalled_ms=int(stalled_for * 1000),
            invocation_id=info.invocation_id,
            trace_id=info.trace_id,
            step_name=info.step_name,
            where=self._where(user),
            stack="".join(traceback.format_list(user[-_STACK_LIMIT:])).rstrip(),
        )

    def holder(self) -> InvocationInfo:
        """The invocation whose task runs on the loop now (its own task, or one it spawned)."""
        try:
            task = asyncio.current_task(self._loop)
        except Exception:  # an interpreter that cannot look across threads
            return RUNNER
        info = getattr(task, "motia_info", RUNNER)
        return info if isinstance(info, InvocationInfo) else RUNNER

    def _where(self, frames: list[traceback.FrameSummary]) -> str:
        """The innermost frame in the project's own files (not its virtualenv's packages)."""
        for summary in reversed(frames):
            if summary.filename.startswith("<"):
                # "<frozen importlib._bootstrap>", "<string>": no file, and a relative name that
                # resolve() would put inside the project (an import that blocks named importlib)
                continue
            path = Path(summary.filename)
            try:
                relative = path.resolve().relative_to(self.project_root)
            except (OSError, ValueError):
                continue
            parts = relative.parts
            if not parts or parts[0] in _NOT_PROJECT_CODE or "site-packages" in parts:
                continue
            code = f": {summary.line}" if summary.line else ""
            return f"{relative.as_posix()}:{summary.lineno} in {summary.name}{code}"
        return ""


# Folders inside a project that hold installed packages rather than the project's code.
_NOT_PROJECT_CODE = frozenset({"python_modules", ".venv", "venv", "node_modules"})


def _user_frames(frames: list[traceback.FrameSummary]) -> list[traceback.FrameSummary]:
    """The frames from the user's code inwards: the runner's and asyncio's own frames above it cut."""
    last_machinery = -1
    for index, summary in enumerate(frames):
        filename = summary.filename
        if filename.startswith(_RUNNER_DIR) or filename.startswith(_ASYNCIO_DIR):
            last_machinery = index
    user = frames[last_machinery + 1 :]
    return user or frames[-10:]


class Admission:
    """Invocations handed to the loop and not started yet; a stalled loop's are declined.

    ``offer`` runs where the Invoke was read (the loop, or the reader's standby thread while the loop
    is held), ``claim`` on the loop (the first thing the invocation's task
    does), the watcher on its own thread. Whoever pops an invocation from ``_waiting`` (one atomic
    ``dict.pop``) runs or declines it: never both, and without a lock on the path of every invocation.
    The claim is the task's first step, not its creation: two invocations handed over in the same
    loop turn both get a task, and if the first one blocks the loop, the second has not run a line
    and is still declined.
    """

    def __init__(
        self,
        watch: LoopWatch,
        call_on_loop: Callable[..., None],
        start: Callable[[Any], None],
        decline: Callable[[Any, str], None],
    ) -> None:
        self._watch = watch
        self._call_on_loop = call_on_loop
        self._start = start
        self._decline = decline
        self._waiting: dict[int, Any] = {}
        self._stopped = threading.Event()

    def offer(self, invoke: Any) -> None:
        """An Invoke read from the supervisor (on the loop, or the reader's standby thread)."""
        if self._watch.stalled():
            self._decline(invoke, self._why())
            return
        self._waiting[invoke.invocation_id] = invoke
        self._call_on_loop(self._start, invoke)

    def claim(self, invocation_id: int) -> bool:
        """Whether the invocation is still to run here (not declined meanwhile): call on the loop,
        as the very first thing the invocation's task does."""
        return self._waiting.pop(invocation_id, None) is not None

    def start_watching(self) -> None:
        threading.Thread(target=self._watch_loop, name="motia-loop-watch", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    def _watch_loop(self) -> None:
        while not self._stopped.wait(TICK):
            if not self._waiting or not self._watch.stalled():
                continue
            why = self._why()
            for invocation_id in list(self._waiting):
                invoke = self._waiting.pop(invocation_id, None)
                if invoke is not None:
                    self._decline(invoke, why)

    def _why(self) -> str:
        step = self._watch.holder().step_name
        who = f" by step {step}" if step else ""
        return f"the event loop of runner {os.environ.get('MOTIA_RUNNER_ID', 'python')} is blocked{who}"
