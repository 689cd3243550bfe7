"""When to restart a runner after a fault: at once after a quiet spell, backing off in a burst.

The curve (with the defaults), by faults in a row:

    fault in a row   1     2      3     4    5    6 and more
    wait before      0 s   0.25 s 0.5 s 1 s  2 s  4 s (the cap)
    the restart

"In a row" forgives: every ``forgive_after`` seconds (2 s) a runner serves before its
next fault cancels one earlier fault, and the count stops at the cap, so 12 s of service
after the worst burst make the next fault a first one again, restarted at once. A runner
is then down only for its own start-up (0.3-1.9 s measured), and never longer than the
cap plus start-up in a crash loop.
"""

from __future__ import annotations

import math


class RestartBackoff:
    def __init__(self, base: float = 0.25, cap: float = 4.0, forgive_after: float = 2.0) -> None:
        if base <= 0 or cap < base or forgive_after <= 0:
            raise ValueError(
                f"invalid restart backoff: base {base}, cap {cap}, forgive_after {forgive_after}"
            )
        self.base = base
        self.cap = cap
        self.forgive_after = forgive_after
        # The level at which the wait reaches the cap: counting further would only make
        # the runner wait longer to be forgiven.
        self._top = 2 + math.ceil(math.log2(cap / base))
        self.faults_in_a_row = 0

    def after_fault(self, served: float) -> float:
        """Record a fault of a runner that had served ``served`` seconds (0 if it never got
        ready); return how long to wait before starting its successor."""
        forgiven = int(served // self.forgive_after)
        self.faults_in_a_row = min(max(0, self.faults_in_a_row - forgiven) + 1, self._top)
        return self.delay(self.faults_in_a_row)

    def delay(self, faults_in_a_row: int) -> float:
        if faults_in_a_row <= 1:
            return 0.0
        return min(self.cap, self.base * 2.0 ** (faults_in_a_row - 2))
