"""Stream items in Redis, and the change feed every supervisor's clients are served from.

Layout (``p`` is the configured prefix; ``<s>`` a stream name prefixed by its length, so that
names with colons cannot collide):

- ``p stream:<s>:<group>``: hash, item id -> item JSON;
- ``p stream-order:<s>:<group>``: sorted set, item id -> creation number (groups list in creation
  order, an update keeps its place); ``p stream-seq`` the counter;
- ``p stream-groups:<s>``: set, the stream's groups that hold items (what ``groups`` lists);
- ``p stream-stamp:<s>:<group>``: the group's last message timestamp (expires after a minute:
  only stamps of the current millisecond can collide); ``p stream-stamp-floor`` the highest
  wall-clock millisecond seen, so stamps never go back with Redis's clock;
- channel ``p streams``: every change and custom event, as JSON with its timestamp.

Every call is one command (most of them a script) on the connection's shared lane. Each write is
one script that changes the item, takes the next timestamp of the group from Redis's clock and
publishes the change, so every supervisor receives the changes of a group in the order they were
committed, stamped from one clock: a WebSocket client on supervisor A sees a write made under
supervisor B like one made under A, and a client that moves to another supervisor (SSE
``Last-Event-ID``) keeps comparable timestamps.

A write returns once its own change has come back through the feed, so that the writer's
listeners (its clients, its hub) have seen it, as with the local stores.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

import orjson
from redis.commands.core import AsyncScript

from supervisor.storage import JsonObject, JsonValue, RedisConnection, decode_json

from ._change import StreamChange, StreamListener
from ._store import make_item

_logger = logging.getLogger("motia.streams")

ECHO_TIMEOUT_S = 2.0

_STAMP = """
local function stamp()
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local floor = tonumber(redis.call('GET', KEYS[4]) or '0')
  if now < floor then now = floor else redis.call('SET', KEYS[4], now) end
  local last = tonumber(redis.call('GET', KEYS[3]) or '0')
  if last >= now then now = last + 1 end
  redis.call('SET', KEYS[3], now, 'PX', 60000)
  return string.format('%d', now)
end
local function publish(kind, data)
  local s = stamp()
  local message = '{"t":' .. s .. ',"k":"' .. kind .. '",' .. ARGV[2] .. ',"d":' .. data .. '}'
  redis.call('PUBLISH', ARGV[1], message)
  return s
end
"""

_PUT = (
    _STAMP
    + """
local created = redis.call('HSET', KEYS[1], ARGV[3], ARGV[4]) == 1
if created then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5]), ARGV[3])
  redis.call('SADD', KEYS[6], ARGV[5])
end
publish(created and 'create' or 'update', ARGV[4])
return created and 1 or 0
"""
)

_DELETE = (
    _STAMP
    + """
local old = redis.call('HGET', KEYS[1], ARGV[3])
if not old then return false end
redis.call('HDEL', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[6], ARGV[4]) end
publish('delete', old)
return old
"""
)

_SEND = _STAMP + "\nreturn publish('event', ARGV[3])\n"
_SYNC_STAMP = _STAMP + "\nreturn stamp()\n"

_GROUP = """
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local out = {}
for start = 1, #ids, 1000 do
  local batch = redis.call('HMGET', KEYS[1], unpack(ids, start, math.min(start + 999, #ids)))
  for i = 1, #batch do if batch[i] then out[#out + 1] = batch[i] end end
end
return out
"""

_GROUPS = """
local names = redis.call('SMEMBERS', KEYS[1])
local sizes = {}
for i = 1, #names do sizes[i] = redis.call('HLEN', ARGV[1] .. names[i]) end
return {names, sizes}
"""


class RedisStreamStore:
    """Items and their change feed on a shared ``RedisConnection``; the connection's owner closes it."""

    def __init__(self, redis: RedisConnection) -> None:
        self._redis = redis
        self._channel = redis.key("streams")
        self._floor_key = redis.key("stream-stamp-floor")
        self._seq_key = redis.key("stream-seq")
        self._put = redis.script(_PUT)
        self._delete = redis.script(_DELETE)
        self._send = redis.script(_SEND)
        self._sync_stamp = redis.script(_SYNC_STAMP)
        self._group = redis.script(_GROUP)
        self._groups = redis.script(_GROUPS)
        self._tokens = itertools.count()
        self._echoes: dict[str, asyncio.Future[None]] = {}
        self._listener: StreamListener | None = None
        self._on_gap: Callable[[], None] | None = None

    # -- the StreamStore contract --------------------------------------------------------------

    async def set(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> JsonObject:
        return (await self.put(stream, group_id, item_id, data))[0]

    async def put(self, stream: str, group_id: str, item_id: str, data: JsonValue) -> tuple[JsonObject, bool]:
        item, blob = make_item(stream, group_id, item_id, data)
        created = await self._published(self._put, stream, group_id, item_id, [item_id, blob, group_id])
        return item, bool(created)

    async def get(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        blob = await self._redis.execute("HGET", self._items_key(stream, group_id), item_id)
        return None if blob is None else _decode(blob)

    async def get_group(self, stream: str, group_id: str) -> list[JsonObject]:
        keys = [self._items_key(stream, group_id), self._order_key(stream, group_id)]
        return [_decode(blob) for blob in await self._redis.run(self._group, keys)]

    async def delete(self, stream: str, group_id: str, item_id: str) -> JsonObject | None:
        blob = await self._published(self._delete, stream, group_id, item_id, [item_id, group_id])
        return None if blob is None else _decode(blob)

    async def groups(self, stream: str) -> dict[str, int]:
        # the items keys of the stream's groups: its groups' names after this
        items_key_prefix = self._items_key(stream, "")
        names, sizes = await self._redis.run(self._groups, [self._groups_key(stream)], [items_key_prefix])
        found = {name.decode(): int(size) for name, size in zip(names, sizes, strict=True) if size}
        return dict(sorted(found.items()))

    async def close(self) -> None:
        for echo in self._echoes.values():
            echo.cancel()
        self._echoes.clear()

    # -- the shared feed (see streams._store.SharedStreamStore) ---------------------------------

    async def send(self, change: StreamChange) -> None:
        event = orjson.dumps(change.data)
        await self._published(self._send, change.stream, change.group_id, change.item_id, [event])

    async def stamp(self, stream: str, group_id: str) -> int:
        stamp = await self._redis.run(self._sync_stamp, self._stamp_keys(stream, group_id))
        return int(stamp)

    def listen(self, listener: StreamListener, on_gap: Callable[[], None]) -> None:
        self._listener = listener
        self._on_gap = on_gap
        self._redis.on_message(self._channel, self._received)
        self._redis.on_reconnect(self._gap)

    async def listening(self) -> None:
        """Wait until the feed is subscribed (changes published from now on are received)."""
        await self._redis.subscribed()

    # -- internals -------------------------------------------------------------------------------

    def _items_key(self, stream: str, group_id: str) -> str:
        return self._redis.key("stream", f"{len(stream)}", stream, group_id)

    def _order_key(self, stream: str, group_id: str) -> str:
        return self._redis.key("stream-order", f"{len(stream)}", stream, group_id)

    def _groups_key(self, stream: str) -> str:
        return self._redis.key("stream-groups", f"{len(stream)}", stream)

    def _stamp_keys(self, stream: str, group_id: str) -> list[str]:
        stamp_key = self._redis.key("stream-stamp", f"{len(stream)}", stream, group_id)
        return [self._items_key(stream, group_id), self._order_key(stream, group_id), stamp_key,
                self._floor_key, self._seq_key, self._groups_key(stream)]  # fmt: skip

    async def _published(
        self, script: AsyncScript, stream: str, group_id: str, item_id: str | None, args: list[str | bytes]
    ) -> Any:
        """Run a write that publishes a change, and wait until that change came back to this process."""
        token = f"{self._redis.node}/{next(self._tokens)}"
        header = orjson.dumps({"o": token, "s": stream, "g": group_id, "i": item_id})[1:-1]
        listening = self._listener is not None and self._redis.available
        echo = asyncio.get_running_loop().create_future() if listening else None
        if echo is not None:
            self._echoes[token] = echo
        try:
            result = await self._redis.run(
                script, self._stamp_keys(stream, group_id), [self._channel, header, *args]
            )
            if echo is not None and result is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(echo), ECHO_TIMEOUT_S)
                except TimeoutError:
                    _logger.warning(
                        "a stream change did not come back through Redis within %.0fs", ECHO_TIMEOUT_S
                    )
            return result
        finally:
            if echo is not None:
                self._echoes.pop(token, None)

    def _received(self, message: bytes) -> None:
        payload = orjson.loads(message)
        change = StreamChange(
            payload["s"], payload["g"], payload["i"], payload["k"], payload["d"], timestamp=payload["t"]
        )
        if self._listener is not None:
            self._listener(change)
        echo = self._echoes.get(payload["o"])
        if echo is not None and not echo.done():
            echo.set_result(None)

    def _gap(self) -> None:
        """The feed was down: changes may have been missed. Writers waiting for theirs stop waiting."""
        for echo in self._echoes.values():
            if not echo.done():
                echo.set_result(None)
        if self._on_gap is not None:
            self._on_gap()


def _decode(blob: bytes) -> JsonObject:
    item: JsonObject = decode_json(blob)
    return item
