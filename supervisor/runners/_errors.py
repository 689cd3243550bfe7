from __future__ import annotations


class RunnerUnavailable(Exception):
    """No runner of the kind could take the invocation (starting, restarting, stopped)."""


class RunnerDied(RunnerUnavailable):
    """The runner exited, hung or was killed while the invocation was in flight."""


class InvocationTimeout(Exception):
    """The handler did not finish within its timeout; the runner was asked to cancel it."""


class ContextCallError(Exception):
    """A context call (state.*, streams.*, emit) that failed; the message reaches user code."""


class RunnerSetupError(Exception):
    """A runner cannot be started in this environment (no Node, Node too old, no npm, a broken
    interpreter...): what was found and what to do, for the startup summary."""

    def __init__(self, runner: str, cause: str, fix: str) -> None:
        super().__init__(f"{cause}; {fix}")
        self.runner = runner
        self.cause = cause
        self.fix = fix
