"""What ``/__motia/health`` (and the Workbench's form of it) reports, from the runtime's state."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from supervisor.http._app import health_report


def _runtime(*, unavailable: str | None = None, stopping: bool = False) -> Any:
    registry = SimpleNamespace(steps=[object(), object()])
    return SimpleNamespace(
        registry=registry, pools={}, isolated={}, unavailable=unavailable, stopping=stopping
    )


@pytest.mark.parametrize(
    ("state", "status", "message"),
    [
        ({}, "ok", None),
        ({"unavailable": "redis down"}, "degraded", "redis down"),
        # a load balancer sends no more, the Workbench does not reopen its live streams here
        ({"stopping": True}, "stopping", "shutting down: finishing in-flight work"),
        (
            {"unavailable": "redis down", "stopping": True},
            "stopping",
            "shutting down: finishing in-flight work",
        ),
    ],
    ids=["ok", "degraded", "stopping", "stopping-while-degraded"],
)
def test_the_health_report_says_ok_degraded_or_stopping_and_why(
    state: dict[str, Any], status: str, message: str | None
) -> None:
    report = health_report(_runtime(**state))
    assert (report["status"], report.get("message"), report["steps"]) == (status, message, 2)
