"""Cron schedules for cron steps (and, on Redis, each tick once across supervisors)."""

from typing import TYPE_CHECKING

from supervisor.cron._expression import CronExpression
from supervisor.cron._scheduler import CronFire, CronJob, CronRun, CronScheduler, TickLocks
from supervisor.lazy import lazy_exports

if TYPE_CHECKING:
    from supervisor.cron._redis import RedisTickLocks

#: imported on first use, with the Redis client: a supervisor on SQLite never imports it
__getattr__ = lazy_exports(__name__, {"RedisTickLocks": "_redis"})

__all__ = ["CronExpression", "CronFire", "CronJob", "CronRun", "CronScheduler", "RedisTickLocks", "TickLocks"]
