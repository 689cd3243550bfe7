"""State in Redis: one hash per group, so ``getGroup`` reads one key (no SCAN).

Layout (``p`` is the configured prefix):

- ``p state:<group>``: hash, key -> JSON value;
- ``p state-order:<group>``: sorted set, key -> insertion number (a hash keeps no order once it
  grows past Redis's small encoding, and the contract lists a group in insertion order);
- ``p state-groups``: set of the groups that have keys (``groups()`` without SCAN);
- ``p state-seq``: the insertion counter.

Writes are Lua scripts, so a key, its place and its group's membership change together. Every
call is one command on the connection's shared lane (one round trip, no pooled checkout).
"""

from __future__ import annotations

from supervisor.storage import JsonValue, RedisConnection, decode_json, encode_json

_SET = """
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], 'NX', redis.call('INCR', KEYS[4]), ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[3])
end
"""

_DELETE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[2])
end
return old
"""

_ITEMS = """
local keys = redis.call('ZRANGE', KEYS[2], 0, -1)
local values = {}
for start = 1, #keys, 1000 do
  local batch = redis.call('HMGET', KEYS[1], unpack(keys, start, math.min(start + 999, #keys)))
  for i = 1, #batch do values[#values + 1] = batch[i] end
end
return {keys, values}
"""

_CLEAR = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
"""


class RedisStateStore:
    """State on a shared ``RedisConnection``; the connection's owner closes it."""

    def __init__(self, redis: RedisConnection) -> None:
        self._redis = redis
        self._groups_key = redis.key("state-groups")
        self._seq_key = redis.key("state-seq")
        self._set = redis.script(_SET)
        self._delete = redis.script(_DELETE)
        self._items = redis.script(_ITEMS)
        self._clear = redis.script(_CLEAR)

    def _keys(self, group_id: str) -> list[str]:
        return [
            self._redis.key("state", group_id),
            self._redis.key("state-order", group_id),
            self._groups_key,
        ]

    async def get(self, group_id: str, key: str) -> JsonValue | None:
        blob = await self._redis.execute("HGET", self._redis.key("state", group_id), key)
        return None if blob is None else decode_json(blob)

    async def set(self, group_id: str, key: str, value: JsonValue) -> JsonValue:
        blob = encode_json(value, f"state value {group_id}/{key}")
        await self._redis.run(self._set, [*self._keys(group_id), self._seq_key], [key, blob, group_id])
        return value

    async def delete(self, group_id: str, key: str) -> JsonValue | None:
        blob = await self._redis.run(self._delete, self._keys(group_id), [key, group_id])
        return None if blob is None else decode_json(blob)

    async def get_group(self, group_id: str) -> list[JsonValue]:
        return list((await self.items(group_id)).values())

    async def items(self, group_id: str) -> dict[str, JsonValue]:
        keys, values = await self._redis.run(self._items, self._keys(group_id))
        return {
            key.decode(): decode_json(value)
            for key, value in zip(keys, values, strict=True)
            if value is not None
        }

    async def clear(self, group_id: str) -> None:
        await self._redis.run(self._clear, self._keys(group_id), [group_id])

    async def groups(self) -> list[str]:
        members = await self._redis.execute("SMEMBERS", self._groups_key)
        return sorted(member.decode() for member in members)

    async def close(self) -> None:
        return None
