"""The restart policy of runner slots: at once after a quiet spell, backing off in a burst, capped."""

from __future__ import annotations

import pytest

from supervisor.runners import RestartBackoff


def test_a_first_fault_restarts_at_once() -> None:
    assert RestartBackoff().after_fault(served=3600.0) == 0.0
    assert RestartBackoff().after_fault(served=0.0) == 0.0


def test_a_burst_doubles_the_wait_up_to_the_cap() -> None:
    backoff = RestartBackoff(base=0.25, cap=4.0)
    waits = [backoff.after_fault(served=0.5) for _ in range(9)]
    assert waits == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_the_wait_before_the_sixth_restart_of_a_burst_is_at_most_two_seconds() -> None:
    backoff = RestartBackoff()
    waits = [backoff.after_fault(served=0.0) for _ in range(6)]
    assert waits[4] <= 2.0  # the 5th fault's wait; it was 3.2 s (6.8 s in all) before the cap
    assert sum(waits[:5]) <= 4.0


@pytest.mark.parametrize("burst", [1, 3, 6, 50])
def test_after_a_quiet_spell_a_single_fault_restarts_at_once(burst: int) -> None:
    backoff = RestartBackoff(base=0.25, cap=4.0, forgive_after=2.0)
    for _ in range(burst):
        backoff.after_fault(served=0.1)
    # 12 s of service forgive the worst burst: the count stops at the cap, the 6th fault in a row.
    assert backoff.after_fault(served=12.0) == 0.0


def test_service_forgives_one_fault_per_period() -> None:
    backoff = RestartBackoff(base=0.25, cap=4.0, forgive_after=2.0)
    for _ in range(6):
        backoff.after_fault(served=0.0)  # at the cap
    assert backoff.after_fault(served=4.1) == 2.0  # two forgiven: 5th in a row
    assert backoff.after_fault(served=1.9) == 4.0  # none forgiven: 6th
    assert backoff.after_fault(served=6.0) == 1.0  # three forgiven: 4th


def test_never_waits_longer_than_the_cap() -> None:
    backoff = RestartBackoff(base=0.3, cap=5.0)
    assert max(backoff.after_fault(served=0.0) for _ in range(1000)) == 5.0


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="invalid restart backoff"):
        RestartBackoff(base=1.0, cap=0.5)
