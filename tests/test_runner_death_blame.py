"""Who pays for a runner death (supervisor/core/_blame.py), the decision alone: the invocation that was
alone in its runner, or the culprit when one is known; never a bystander, never a runner the supervisor
stopped. The same deaths caused by real steps in real runners are test_runner_deaths.py's."""

from __future__ import annotations

import pytest

from supervisor.core import attempt_lost_to
from supervisor.runners import RunnerDied


@pytest.mark.parametrize(
    ("died", "charged", "isolate"),
    [
        (RunnerDied("node-0 exited with status 7", in_flight=1), True, True),
        (RunnerDied("node-0 exited with status 7", in_flight=5), False, True),
        (RunnerDied("node-0 no heartbeat within 10s", in_flight=2), False, True),
        (RunnerDied("node-0 is not running"), False, False),
        (RunnerDied("node-0 did not exit after shutdown", in_flight=1, fault=False), False, False),
        (RunnerDied("node-0 did not exit after shutdown", in_flight=3, fault=False), False, False),
        # A known culprit (it blocked the loop past its timeout) pays; the others are bystanders.
        (RunnerDied("python-0 blocked by step A", in_flight=3, culprit=7).seen_by(7), True, True),
        (RunnerDied("python-0 blocked by step A", in_flight=1, culprit=7).seen_by(8), False, False),
        (RunnerDied("python-0 blocked by step A", in_flight=3, culprit=7).seen_by(8), False, False),
    ],
)
def test_the_invocation_alone_in_its_runner_or_the_known_culprit_pays_for_its_death(
    died: RunnerDied, charged: bool, isolate: bool
) -> None:
    lost = attempt_lost_to(died)
    assert (lost.charged, lost.isolate) == (charged, isolate)
    assert str(died) in lost.message
