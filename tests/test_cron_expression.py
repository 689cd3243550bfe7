"""Cron expressions: 5 fields, 6 fields with seconds first (node-cron), and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supervisor.cron import CronExpression

START = datetime(2024, 1, 1, 0, 0, 5, tzinfo=UTC)  # a Monday


def _next_runs(text: str, count: int = 3, start: datetime = START) -> list[datetime]:
    expression = CronExpression.parse(text)
    runs: list[datetime] = []
    moment = start
    for _ in range(count):
        moment = expression.next_after(moment)
        runs.append(moment)
    return runs


def test_daily_at_two() -> None:
    assert _next_runs("0 2 * * *", 2) == [
        datetime(2024, 1, 1, 2, tzinfo=UTC),
        datetime(2024, 1, 2, 2, tzinfo=UTC),
    ]


def test_every_five_minutes() -> None:
    assert [r.minute for r in _next_runs("*/5 * * * *")] == [5, 10, 15]


def test_six_fields_put_seconds_first() -> None:
    assert [r.second for r in _next_runs("*/10 * * * * *")] == [10, 20, 30]


def test_six_fields_with_fixed_minute() -> None:
    # "30 15 * * * *" = second 30 of minute 15 of every hour (croniter alone would read it the other way).
    assert _next_runs("30 15 * * * *", 1) == [datetime(2024, 1, 1, 0, 15, 30, tzinfo=UTC)]


def test_next_after_is_strictly_after() -> None:
    on_the_dot = datetime(2024, 1, 1, 2, tzinfo=UTC)
    assert CronExpression.parse("0 2 * * *").next_after(on_the_dot) == datetime(2024, 1, 2, 2, tzinfo=UTC)


def test_naive_in_naive_out() -> None:
    result = CronExpression.parse("0 2 * * *").next_after(datetime(2024, 1, 1))
    assert result == datetime(2024, 1, 1, 2) and result.tzinfo is None


def test_day_of_month_and_week_are_both_required_like_node_cron() -> None:
    assert _next_runs("0 0 13 * 5", 1) == [datetime(2024, 9, 13, tzinfo=UTC)]  # Friday the 13th


def _day(day: int, hour: int = 0, month: int = 1, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        # weekdays by name: Monday 1 January 2024 to Friday 5, then Monday 8
        ("0 9 * * MON-FRI", [_day(d, 9) for d in (1, 2, 3, 4, 5, 8)]),
        ("0 0 * * monday", [_day(8), _day(15)]),  # START is just after Monday's midnight
        ("0 0 1 January *", [_day(1, year=2025), _day(1, year=2026)]),
        ("0 0 * * 7", [_day(7), _day(14)]),  # 7 is Sunday, as 0 is
        ("0 0 * * 0", [_day(7), _day(14)]),
        ("@daily", [_day(2), _day(3)]),
        ("@weekly", [_day(7), _day(14)]),  # Sundays at midnight
    ],
)
def test_names_sunday_as_seven_and_nicknames(text: str, runs: list[datetime]) -> None:
    assert _next_runs(text, len(runs)) == runs


def test_text_is_kept_as_written() -> None:
    assert str(CronExpression.parse(" */5 * * * * ")) == " */5 * * * * "


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("* * * *", "has 4 field(s); expected 5"),
        ("* * * * * * *", "has 7 field(s)"),
        ("61 * * * *", "field 1 (minute) '61' is invalid"),
        ("0 24 * * *", "field 2 (hour) '24'"),
        ("0 0 32 * *", "field 3 (day-of-month)"),
        ("0 0 * 13 *", "field 4 (month)"),
        ("0 0 * * 8", "field 5 (day-of-week)"),
        ("60 * * * * *", "field 1 (second) '60'"),
        ("*/0 * * * *", "field 1 (minute)"),
        ("every minute", "has 2 field(s)"),
        ("@every 5m", "not a known nickname"),
        ("0 0 31 2 *", "never fires"),
    ],
)
def test_invalid_expressions_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        CronExpression.parse(text)
    assert message in str(caught.value)
