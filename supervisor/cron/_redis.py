"""Cron ticks shared by several supervisors through Redis: each (step, scheduled tick) fires once.

Every supervisor schedules every cron step. At a tick each tries ``SET NX PX`` on the tick's key;
the one that gets it runs the step, renews the lease while the run lasts and marks the tick done
when it ends. The others keep an eye on the key until it says done: when it vanishes (the holder
died, its lease ran out), the next of them to ``SET NX`` runs the tick, so a tick is not lost with
its holder. The step's own key says which supervisor is running it, so a tick that finds the
previous run still going, on any supervisor, is skipped (as with one supervisor).
"""

from __future__ import annotations

from supervisor.storage import RedisConnection

DONE_KEPT_MS = 10 * 60 * 1000  # long past the moment any supervisor could still try the tick

_ACQUIRE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'taken' end
local running = redis.call('GET', KEYS[2])
if running and running ~= ARGV[1] then
  redis.call('SET', KEYS[1], 'done', 'PX', ARGV[3])
  return 'busy'
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'run'
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
"""

_FINISH = """
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
"""


class RedisTickLocks:
    """``TickLocks`` on a shared ``RedisConnection``; ``lease`` is how long a silent holder keeps a tick."""

    def __init__(self, redis: RedisConnection, lease: float) -> None:
        self._redis = redis
        self.lease = lease
        self._lease_ms = max(int(lease * 1000), 1)
        self._acquire = redis.script(_ACQUIRE)
        self._renew = redis.script(_RENEW)
        self._finish = redis.script(_FINISH)

    def _keys(self, step: str, tick_ms: int) -> list[str]:
        return [self._redis.key("cron", step, str(tick_ms)), self._redis.key("cron-running", step)]

    async def acquire(self, step: str, tick_ms: int) -> str:
        args = [self._redis.node, self._lease_ms, DONE_KEPT_MS]
        outcome = await self._redis.run(self._acquire, self._keys(step, tick_ms), args)
        return outcome.decode() if isinstance(outcome, bytes) else str(outcome)

    async def renew(self, step: str, tick_ms: int) -> None:
        await self._redis.run(self._renew, self._keys(step, tick_ms), [self._redis.node, self._lease_ms])

    async def finish(self, step: str, tick_ms: int) -> None:
        await self._redis.run(self._finish, self._keys(step, tick_ms), [self._redis.node, DONE_KEPT_MS])

    async def done(self, step: str, tick_ms: int) -> bool | None:
        """True when the tick ran (or was skipped), None when its key is gone (free to take)."""
        value = await self._redis.execute("GET", self._keys(step, tick_ms)[0])
        return None if value is None else value == b"done"
