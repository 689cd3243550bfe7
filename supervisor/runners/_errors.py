from __future__ import annotations


class RunnerUnavailable(Exception):
    """No runner of the kind could take the invocation (starting, restarting, stopped)."""


class RunnerDied(RunnerUnavailable):
    """The runner exited, hung or was killed while the invocation was in flight.

    ``in_flight``: how many invocations the runner had when it died, this one included
    (0: the invocation never reached a live runner). ``fault``: False when the supervisor
    itself stopped the runner (shutdown, reload) rather than the runner failing.
    Who pays for a death is decided from these two (README, Guarantees).
    """

    def __init__(
        self,
        message: str,
        *,
        in_flight: int = 0,
        fault: bool = True,
        culprit: int | None = None,
        bystander: bool = False,
        runner: str | None = None,
    ) -> None:
        super().__init__(message)
        self.in_flight = in_flight
        self.fault = fault
        #: the invocation known to have caused the death (a loop it blocked), when one is known
        self.culprit = culprit
        #: another, known invocation caused it: this one only happened to be there
        self.bystander = bystander
        #: the runner process that died (its pool says, for the lines about the lost attempt)
        self.runner = runner

    @property
    def alone(self) -> bool:
        """The death can only be this invocation's doing: it was the only one in its runner, or it
        is the known culprit."""
        return self.fault and not self.bystander and self.in_flight == 1

    def seen_by(self, invocation_id: int) -> RunnerDied:
        """The death as one of the invocations in flight sees it, when its culprit is known."""
        if self.culprit is None or not self.fault:
            return self
        if invocation_id == self.culprit:
            return RunnerDied(str(self), in_flight=1, runner=self.runner)
        return RunnerDied(str(self), in_flight=self.in_flight, bystander=True, runner=self.runner)


class InvocationDeclined(RunnerUnavailable):
    """The runner did not start the invocation (its event loop is stalled): run it elsewhere."""


class InvocationTimeout(Exception):
    """The handler did not finish within its timeout; the runner was asked to cancel it."""

    def __init__(self, message: str, *, runner: str | None = None) -> None:
        super().__init__(message)
        #: the runner process that ran it (for the core's line about it)
        self.runner = runner


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
