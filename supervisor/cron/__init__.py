"""Cron schedules for cron steps."""

from supervisor.cron.expression import CronExpression

__all__ = ["CronExpression"]
