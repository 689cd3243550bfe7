"""Cron schedules for cron steps."""

from supervisor.cron._expression import CronExpression
from supervisor.cron._scheduler import CronJob, CronScheduler

__all__ = ["CronExpression", "CronJob", "CronScheduler"]
