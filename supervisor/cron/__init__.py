"""Cron schedules for cron steps (and, on Redis, each tick once across supervisors)."""

from supervisor.cron._expression import CronExpression
from supervisor.cron._redis import RedisTickLocks
from supervisor.cron._scheduler import CronJob, CronScheduler, TickLocks

__all__ = ["CronExpression", "CronJob", "CronScheduler", "RedisTickLocks", "TickLocks"]
