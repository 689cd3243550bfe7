"""The durable queue in Redis, shared by every supervisor of a project (``EventQueue`` contract).

Layout (``q`` is the configured prefix followed by ``q:``):

- ``q d:<id>``: hash, one delivery (topic, subscriber, data, trace, group, attempts, due time,
  last error, isolate, fifo; ``entry`` while it sits in a ready stream, ``held`` while it waits
  behind its FIFO lane's head). Ids come from ``q seq`` (INCRBY), so they increase and are never
  reused; ``q all`` (sorted by id) lists the pending ones for inspection.
- ``q ready`` and ``q ready-iso``: Redis Streams of the deliveries that may run now (isolated ones
  apart, as they run under their own limit), each with the consumer group ``motia``. Every
  supervisor is a consumer: ``XREADGROUP`` hands an entry to exactly one of them, ``XACK`` (and
  ``XDEL``) after success. One stream per kind rather than per subscriber: the bus asks for "the
  next N runnable deliveries of any step", which is one ``XREADGROUP COUNT N`` here.
- ``q delayed`` and ``q delayed-iso``: sorted sets (by due time) of deliveries waiting for a delay or
  a retry backoff; a claim moves the due ones into the ready stream first.
- ``q lane:<subscriber>:<group>``: list, a FIFO lane in order. Only its head is ever in a ready
  stream or the delayed set, whichever supervisor runs it: the next one enters when the head is
  acked or dead-lettered, so a message group runs one at a time across all supervisors.
- ``q dead``: the dead letters, a stream of their own (``q dead-index`` maps a dead letter's id,
  the id its delivery had, to its entry).
- ``q wake``: pub/sub channel; a write that leaves a delivery for others to take announces it, so
  an idle supervisor does not wait for its next timer.

Claims are the consumer group's pending entries (PEL). A supervisor refreshes the idle time of
those it runs every third of ``consumer_timeout`` (``XCLAIM`` to itself); entries idle longer than
that belong to a supervisor that died, or are claims whose answer this one never got (given up on a
silent Redis that ran them when it resumed), and the next claim takes them over with
``XAUTOCLAIM``. A supervisor that stops puts what it still held back into the stream at once.

Every change is one Lua script, so a delivery, its lane and its stream entry never disagree, and
two supervisors never both take a lane's head. Every call, reads included, is one command on the
connection's shared lane.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from supervisor.storage import JsonValue, RedisConnection, RedisUnavailable, decode_json

from ._queue import encode_event_data, unknown
from ._types import DeadLetter, Delivery, Target

_logger = logging.getLogger("motia.queue")

DEFAULT_CONSUMER_TIMEOUT_S = 15.0

_PRELUDE = """
local P = ARGV[1]
local GROUP = 'motia'
local FIELDS = {'topic', 'sub', 'data', 'trace', 'grp', 'att', 'at', 'err', 'iso', 'fifo', 'held'}
local function dkey(id) return P .. 'd:' .. id end
local function ready(iso) if iso == '1' then return P .. 'ready-iso' end return P .. 'ready' end
local function delayed(iso) if iso == '1' then return P .. 'delayed-iso' end return P .. 'delayed' end
local function lane(sub, grp)
  if grp then return P .. 'lane:' .. #sub .. ':' .. sub .. ':=' .. grp end
  return P .. 'lane:' .. #sub .. ':' .. sub .. ':-'
end
local function ensure(stream)
  if redis.call('EXISTS', stream) == 0 then
    redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM')
  end
end
-- nothing in the stream waits for the group: a read now returns what is added next
local function caught_up(stream)
  ensure(stream)
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local name, last
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    if name == GROUP then
      return #redis.call('XRANGE', stream, '(' .. last, '+', 'COUNT', 1) == 0
    end
  end
  return false
end
-- put a delivery where it can be claimed: the ready stream if due, else the delayed set
local function runnable(id, iso, at, now)
  if tonumber(at) <= tonumber(now) then
    local stream = ready(iso)
    ensure(stream)
    local entry = redis.call('XADD', stream, '*', 'd', id)
    redis.call('HSET', dkey(id), 'entry', entry)
    return entry
  end
  redis.call('ZADD', delayed(iso), at, id)
  return false
end
-- take a delivery out of the ready stream (or the delayed set)
local function unqueue(id, iso, entry)
  if entry then
    local stream = ready(iso)
    redis.call('XACK', stream, GROUP, entry)
    redis.call('XDEL', stream, entry)
    redis.call('HDEL', dkey(id), 'entry')
  else
    redis.call('ZREM', delayed(iso), id)
  end
end
local function describe(id, claimed)
  local row = redis.call('HMGET', dkey(id), unpack(FIELDS))
  table.insert(row, 1, id)
  row[#row + 1] = claimed and '1' or '0'
  return row
end
-- the lane of a FIFO delivery that leaves it (acked, dead-lettered); returns its new head, if any
local function leave_lane(id, sub, grp)
  local key = lane(sub, grp)
  if redis.call('LINDEX', key, 0) ~= id then
    redis.call('LREM', key, 1, id)
    return false
  end
  redis.call('LPOP', key)
  local head = redis.call('LINDEX', key, 0)
  if not head then return false end
  redis.call('HDEL', dkey(head), 'held')
  return head
end
-- a delivery that leaves the queue for good (acked, dead-lettered): out of its stream, its keys and
-- its FIFO lane; returns the lane's new head with that one's isolate flag and due time, if any
local function remove(id, iso, entry, fifo, sub, grp)
  unqueue(id, iso, entry)
  redis.call('DEL', dkey(id))
  redis.call('ZREM', P .. 'all', id)
  if fifo ~= '1' then return false end
  local head = leave_lane(id, sub, grp)
  if not head then return false end
  local h = redis.call('HMGET', dkey(head), 'iso', 'at')
  return head, h[1], h[2]
end
"""

_ENQUEUE = (
    _PRELUDE
    + """
local now, claim, me = ARGV[2], ARGV[3] == '1', ARGV[4]
local topic, data, trace, has_grp, grp = ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1', ARGV[9]
local n = tonumber(ARGV[10])
if not has_grp then grp = false end
local first = redis.call('INCRBY', P .. 'seq', n) - n
local stream = ready('0')
local direct = claim and caught_up(stream)
local out, added, delayed_any = {}, {}, false
for i = 1, n do
  local sub, at, fifo = ARGV[8 + 3 * i], ARGV[9 + 3 * i], ARGV[10 + 3 * i]
  local id = tostring(first + i)
  local key = dkey(id)
  redis.call('HSET', key, 'topic', topic, 'sub', sub, 'data', data, 'trace', trace, 'att', 0, 'at', at,
             'iso', '0', 'fifo', fifo)
  if grp then redis.call('HSET', key, 'grp', grp) end
  redis.call('ZADD', P .. 'all', id, id)
  local held = fifo == '1' and redis.call('RPUSH', lane(sub, grp), id) > 1
  if held then
    redis.call('HSET', key, 'held', '1')
  else
    local entry = runnable(id, '0', at, now)
    if entry then added[entry] = i else delayed_any = true end
  end
  out[i] = {id, '0', held and '1' or '0'}
end
local count = 0
for _ in pairs(added) do count = count + 1 end
if count > 0 and direct then
  local got = redis.call('XREADGROUP', 'GROUP', GROUP, me, 'COUNT', count, 'STREAMS', stream, '>')
  if got then
    for _, entry in ipairs(got[1][2]) do
      local i = added[entry[1]]
      if i then out[i][2] = '1'; added[entry[1]] = nil; count = count - 1 end
    end
  end
end
if count > 0 or delayed_any then redis.call('PUBLISH', P .. 'wake', '') end
return out
"""
)

_CLAIM = (
    _PRELUDE
    + """
local now, limit, iso, me, min_idle = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local stream = ready(iso)
ensure(stream)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed(iso), '-inf', now, 'LIMIT', 0, limit)) do
  redis.call('ZREM', delayed(iso), id)
  if redis.call('EXISTS', dkey(id)) == 1 then runnable(id, iso, now, now) end
end
local out, mine, taken_back = {}, {}, {}
local function take(entry)
  local id = entry[2][2]
  if redis.call('HGET', dkey(id), 'entry') == entry[1] then
    out[#out + 1] = describe(id, true)
    if mine[entry[1]] then taken_back[#taken_back + 1] = id end
  else  -- its delivery moved on (acked, retried) since: a stale entry
    redis.call('XACK', stream, GROUP, entry[1])
    redis.call('XDEL', stream, entry[1])
  end
end
local swept = true
if min_idle > 0 then
  -- idle claims of this supervisor's own: claims whose answer it never got (see RedisEventQueue._kept)
  for _, p in ipairs(redis.call('XPENDING', stream, GROUP, 'IDLE', min_idle, '-', '+', limit, me)) do
    mine[p[1]] = true
  end
  local start = '0-0'
  for _ = 1, 10 do
    local r = redis.call('XAUTOCLAIM', stream, GROUP, me, min_idle, start, 'COUNT', limit - #out)
    start = r[1]
    for _, entry in ipairs(r[2]) do take(entry) end
    if start == '0-0' or #out >= limit then break end
  end
  swept = start == '0-0'
end
local taken_over = #out
mine = {}
if #out < limit then
  local got = redis.call('XREADGROUP', 'GROUP', GROUP, me, 'COUNT', limit - #out, 'STREAMS', stream, '>')
  if got then for _, entry in ipairs(got[1][2]) do take(entry) end end
end
return {swept and 1 or 0, out, taken_over, taken_back}
"""
)

_ACK = (
    _PRELUDE
    + """
local now, me, claim_next = ARGV[2], ARGV[3], ARGV[4] == '1'
local out, announce = {}, false
for i = 5, #ARGV do
  local id = ARGV[i]
  local row = redis.call('HMGET', dkey(id), 'entry', 'iso', 'fifo', 'sub', 'grp')
  if row[2] then
    local head, head_iso, head_at = remove(id, row[2], row[1], row[3], row[4], row[5])
    if head then
      local direct = claim_next and caught_up(ready(head_iso))
      local entry = runnable(head, head_iso, head_at, now)
      local claimed = false
      if entry and direct then
        local got = redis.call('XREADGROUP', 'GROUP', GROUP, me, 'COUNT', 1, 'STREAMS', ready(head_iso), '>')
        claimed = got and got[1][2][1][1] == entry
      end
      if not claimed then announce = true end
      out[#out + 1] = describe(head, claimed)
    end
  end
end
if announce then redis.call('PUBLISH', P .. 'wake', '') end
return out
"""
)

_RETRY = (
    _PRELUDE
    + """
local now, id, attempts, at, err, isolate = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local row = redis.call('HMGET', dkey(id), 'entry', 'iso', 'held')
if not row[2] then return 0 end
unqueue(id, row[2], row[1])
local iso = (row[2] == '1' or isolate == '1') and '1' or '0'
redis.call('HSET', dkey(id), 'att', attempts, 'at', at, 'err', err, 'iso', iso)
if row[3] ~= '1' then
  runnable(id, iso, at, now)
  redis.call('PUBLISH', P .. 'wake', '')
end
return 1
"""
)

_DEAD = (
    _PRELUDE
    + """
local id, attempts, err, failed_at = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local row = redis.call('HMGET', dkey(id), 'entry', 'iso', 'fifo', 'sub', 'grp', 'topic', 'data', 'trace')
if not row[2] then return false end
local fields = {'id', id, 'topic', row[6], 'sub', row[4], 'data', row[7], 'trace', row[8], 'att', attempts,
                'err', err, 'failed', failed_at, 'fifo', row[3]}
if row[5] then fields[#fields + 1] = 'grp'; fields[#fields + 1] = row[5] end
local entry = redis.call('XADD', P .. 'dead', '*', unpack(fields))
redis.call('HSET', P .. 'dead-index', id, entry)
local head, head_iso, head_at = remove(id, row[2], row[1], row[3], row[4], row[5])
if head then
  runnable(head, head_iso, head_at, failed_at)
  redis.call('PUBLISH', P .. 'wake', '')
end
return {row[6], row[4], row[7], row[8], row[5]}
"""
)

_REPLAY = (
    _PRELUDE
    + """
local now, mode, arg = ARGV[2], ARGV[3], ARGV[4]
local function replay(entry)
  local f = {}
  local values = entry[2]
  for i = 1, #values, 2 do f[values[i]] = values[i + 1] end
  redis.call('XDEL', P .. 'dead', entry[1])
  redis.call('HDEL', P .. 'dead-index', f['id'])
  local id = tostring(redis.call('INCR', P .. 'seq'))
  local key = dkey(id)
  redis.call('HSET', key, 'topic', f['topic'], 'sub', f['sub'], 'data', f['data'], 'trace', f['trace'],
             'att', 0, 'at', now, 'iso', '0', 'fifo', f['fifo'])
  local grp = f['grp'] or false
  if grp then redis.call('HSET', key, 'grp', grp) end
  redis.call('ZADD', P .. 'all', id, id)
  if f['fifo'] == '1' and redis.call('RPUSH', lane(f['sub'], grp), id) > 1 then
    redis.call('HSET', key, 'held', '1')
  else
    runnable(id, '0', now, now)
  end
  return id
end
local out = {}
if mode == 'one' then
  local entry = redis.call('HGET', P .. 'dead-index', arg)
  if not entry then return false end
  local found = redis.call('XRANGE', P .. 'dead', entry, entry)
  if #found == 0 then return false end
  local id = replay(found[1])
  redis.call('PUBLISH', P .. 'wake', '')
  return {describe(id, false)}
end
local start = '-'
while true do
  local batch = redis.call('XRANGE', P .. 'dead', start, '+', 'COUNT', 500)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local values, sub = entry[2], nil
    for i = 1, #values, 2 do if values[i] == 'sub' then sub = values[i + 1] end end
    if mode == 'all' or sub == arg then out[#out + 1] = describe(replay(entry), false) end
  end
  start = '(' .. batch[#batch][1]
end
if #out > 0 then redis.call('PUBLISH', P .. 'wake', '') end
return out
"""
)

_PURGE = (
    _PRELUDE
    + """
local mode, arg = ARGV[2], ARGV[3]
if mode == 'one' then
  local entry = redis.call('HGET', P .. 'dead-index', arg)
  if not entry then return 0 end
  redis.call('XDEL', P .. 'dead', entry)
  redis.call('HDEL', P .. 'dead-index', arg)
  return 1
end
local count, start = 0, '-'
while true do
  local batch = redis.call('XRANGE', P .. 'dead', start, '+', 'COUNT', 500)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local values, sub, id = entry[2], nil, nil
    for i = 1, #values, 2 do
      if values[i] == 'sub' then sub = values[i + 1] elseif values[i] == 'id' then id = values[i + 1] end
    end
    if mode == 'all' or sub == arg then
      redis.call('XDEL', P .. 'dead', entry[1])
      redis.call('HDEL', P .. 'dead-index', id)
      count = count + 1
    end
  end
  start = '(' .. batch[#batch][1]
end
return count
"""
)

_PENDING = (
    _PRELUDE
    + """
local out = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'all', 0, -1)) do out[#out + 1] = describe(id, false) end
return out
"""
)

# Put this consumer's pending entries back at the end of their stream (``release``), or reset the
# idle time of those whose deliveries it holds (ARGV[4..]) so that nobody takes them over (``refresh``).
_MINE = (
    _PRELUDE
    + """
local me, mode = ARGV[2], ARGV[3]
local kept = {}
for i = 4, #ARGV do kept[ARGV[i]] = true end
local count = 0
for _, iso in ipairs({'0', '1'}) do
  local stream = ready(iso)
  ensure(stream)
  local mine = redis.call('XPENDING', stream, GROUP, '-', '+', 100000, me)
  for _, p in ipairs(mine) do
    local entry = p[1]
    if mode == 'refresh' then
      local found = redis.call('XRANGE', stream, entry, entry)
      if #found > 0 and kept[found[1][2][2]] then
        redis.call('XCLAIM', stream, GROUP, me, 0, entry, 'JUSTID')
        count = count + 1
      end
    else
      count = count + 1
      local found = redis.call('XRANGE', stream, entry, entry)
      redis.call('XACK', stream, GROUP, entry)
      redis.call('XDEL', stream, entry)
      if #found > 0 then
        local id = found[1][2][2]
        if redis.call('HGET', dkey(id), 'entry') == entry then
          local fresh = redis.call('XADD', stream, '*', 'd', id)
          redis.call('HSET', dkey(id), 'entry', fresh)
        end
      end
    end
  end
end
if mode == 'release' and count > 0 then redis.call('PUBLISH', P .. 'wake', '') end
return count
"""
)

# Whether entries of some consumer sit idle past the timeout (a dead supervisor's), and the consumers
# that hold nothing and have been gone for long (removed, so the group does not grow forever).
_ABANDONED = (
    _PRELUDE
    + """
local min_idle, forget_after, me = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local others, own = 0, 0
for _, iso in ipairs({'0', '1'}) do
  local stream = ready(iso)
  ensure(stream)
  for _, p in ipairs(redis.call('XPENDING', stream, GROUP, 'IDLE', min_idle, '-', '+', 100)) do
    if p[2] == me then own = own + 1 else others = others + 1 end
  end
  for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', stream, GROUP)) do
    local name, pending, idle
    for i = 1, #c, 2 do
      if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1]
      elseif c[i] == 'idle' then idle = c[i + 1] end
    end
    if pending == 0 and idle > forget_after then redis.call('XGROUP', 'DELCONSUMER', stream, GROUP, name) end
  end
end
return {others, own}
"""
)


# The earliest due time after ARGV[2] in each delayed set that has one.
_NEXT_DUE = """
local out = {}
for _, name in ipairs({'delayed', 'delayed-iso'}) do
  local first = redis.call('ZRANGEBYSCORE', ARGV[1] .. name, ARGV[2], '+inf', 'LIMIT', 0, 1, 'WITHSCORES')
  if first[2] then out[#out + 1] = first[2] end
end
return out
"""

# One dead letter's fields (as XRANGE lists them), by the id its delivery had.
_DEAD_ONE = """
local entry = redis.call('HGET', ARGV[1] .. 'dead-index', ARGV[2])
if not entry then return false end
local found = redis.call('XRANGE', ARGV[1] .. 'dead', entry, entry)
if #found == 0 then return false end
return found[1][2]
"""


def _fields(values: Sequence[bytes]) -> dict[str, bytes]:
    """A stream entry's fields, from the flat list of names and values Redis answers."""
    return {values[i].decode(): values[i + 1] for i in range(0, len(values), 2)}


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()


def _listed(deliveries: Sequence[Delivery]) -> str:
    return ", ".join(f"{d.id} ({d.subscriber})" for d in deliveries)


def _delivery(row: Sequence[Any]) -> Delivery:
    ident, topic, sub, data, trace, group, attempts, at, error, iso, _fifo, held, claimed = row
    return Delivery(
        int(ident), topic.decode(), sub.decode(), decode_json(data), trace.decode(), _text(group),
        int(attempts), float(at), _text(error), iso == b"1", claimed == b"1", held == b"1",
    )  # fmt: skip


class RedisEventQueue:
    """The queue on a shared ``RedisConnection``; the connection's owner closes the connection."""

    def __init__(self, redis: RedisConnection, consumer_timeout: float = DEFAULT_CONSUMER_TIMEOUT_S) -> None:
        self._redis = redis
        self._prefix = redis.key("q:")
        self._me = redis.node
        self._consumer_timeout = consumer_timeout
        self._enqueue = redis.script(_ENQUEUE)
        self._claim = redis.script(_CLAIM)
        self._ack = redis.script(_ACK)
        self._retry = redis.script(_RETRY)
        self._dead = redis.script(_DEAD)
        self._replay = redis.script(_REPLAY)
        self._purge = redis.script(_PURGE)
        self._pending = redis.script(_PENDING)
        self._mine = redis.script(_MINE)
        self._abandoned = redis.script(_ABANDONED)
        self._next_due = redis.script(_NEXT_DUE)
        self._dead_one = redis.script(_DEAD_ONE)
        self._wake: Callable[[], None] | None = None
        self._sweep = {False: False, True: False}  # a claim should look for abandoned entries
        self._unacked: list[int] = []  # acks that failed for want of Redis, written when it is back
        # The deliveries this supervisor was handed and has not let go (acked, retried, dead-lettered):
        # only their claims are kept alive. One it was never told of (a claim given up on a silent
        # Redis that ran it when it resumed) goes idle and is taken over like a dead supervisor's.
        self._kept: set[int] = set()
        self._keeper: asyncio.Task[None] | None = None

    # -- the contract ----------------------------------------------------------------------

    async def enqueue(
        self,
        topic: str,
        data: JsonValue,
        trace_id: str,
        targets: Sequence[Target],
        message_group_id: str | None = None,
        *,
        claim: bool = False,
    ) -> list[Delivery]:
        if not targets:
            return []
        blob = encode_event_data(topic, data)
        now = time.time()
        due = [now + target.delay_seconds for target in targets]
        args: list[Any] = [
            self._prefix, repr(now), "1" if claim else "0", self._me, topic, blob, trace_id,
            "0" if message_group_id is None else "1", message_group_id or "", len(targets),
        ]  # fmt: skip
        for target, at in zip(targets, due, strict=True):
            args += [target.subscriber, repr(at), "1" if target.fifo else "0"]
        rows = await self._redis.run(self._enqueue, (), args)
        deliveries = [
            Delivery(
                int(ident), topic, target.subscriber, data, trace_id, message_group_id, 0, at, None,
                claimed=claimed == b"1", held=held == b"1",
            )
            for (ident, claimed, held), target, at in zip(rows, targets, due, strict=True)
        ]  # fmt: skip
        self._kept.update(delivery.id for delivery in deliveries if delivery.claimed)
        return deliveries

    async def claim(self, limit: int, now: float, *, isolated: bool = False) -> list[Delivery]:
        if limit <= 0:
            return []
        sweep = self._sweep[isolated]
        min_idle = int(self._consumer_timeout * 1000) if sweep else 0
        args = [self._prefix, repr(now), limit, "1" if isolated else "0", self._me, min_idle]
        swept, rows, taken_over, taken_back = await self._redis.run(self._claim, (), args)
        if sweep and swept:
            self._sweep[isolated] = False
        claimed = [_delivery(row) for row in rows]
        self._kept.update(delivery.id for delivery in claimed)
        own = {int(ident) for ident in taken_back}
        others = [d for d in claimed[:taken_over] if d.id not in own]
        if others:
            _logger.info(
                "took over %d deliveries from a supervisor that stopped answering: %s",
                len(others),
                _listed(others),
            )
        if own:
            _logger.info(
                "took back %d deliveries that Redis had handed to this supervisor in a claim whose "
                "answer never reached it (lost on the way back, or given up on while Redis did not "
                "answer): %s",
                len(own),
                _listed([d for d in claimed[:taken_over] if d.id in own]),
            )
        return claimed

    async def next_due(self, after: float) -> float | None:
        found = await self._redis.run(self._next_due, (), [self._prefix, f"({after!r}"])
        return min(float(at) for at in found) if found else None

    async def release_claims(self) -> int:
        released: int = await self._redis.run(self._mine, (), [self._prefix, self._me, "release"])
        self._kept.clear()
        return released

    async def ack(self, delivery_id: int, *, claim_next: bool = False) -> Delivery | None:
        promoted = await self._acked([delivery_id], claim_next)
        return promoted[0] if promoted else None

    async def ack_all(self, delivery_ids: Sequence[int]) -> list[Delivery]:
        return await self._acked(delivery_ids, claim_next=False)

    async def _acked(self, delivery_ids: Sequence[int], claim_next: bool) -> list[Delivery]:
        args = [self._prefix, repr(time.time()), self._me, "1" if claim_next else "0", *delivery_ids]
        try:
            rows = await self._redis.run(self._ack, (), args)
        except RedisUnavailable:
            # Written once Redis is back (the next FIFO heads are announced then). Until then the
            # entries stay this consumer's claims, so nobody runs them again.
            self._unacked.extend(delivery_ids)
            return []
        self._kept.difference_update(delivery_ids)
        promoted = [_delivery(row) for row in rows]
        self._kept.update(head.id for head in promoted if head.claimed)
        return promoted

    async def schedule_retry(
        self, delivery_id: int, attempts: int, available_at: float, error: str, *, isolate: bool = False
    ) -> None:
        args = [self._prefix, repr(time.time()), delivery_id, attempts, repr(available_at), error,
                "1" if isolate else "0"]  # fmt: skip
        retried = await self._redis.run(self._retry, (), args)
        self._kept.discard(delivery_id)
        if not retried:
            raise unknown("pending delivery", delivery_id)

    async def dead_letter(self, delivery_id: int, attempts: int, error: str) -> DeadLetter:
        failed_at = time.time()
        args = [self._prefix, delivery_id, attempts, error, repr(failed_at)]
        row = await self._redis.run(self._dead, (), args)
        self._kept.discard(delivery_id)
        if not row:
            raise unknown("pending delivery", delivery_id)
        topic, sub, data, trace, group = row
        return DeadLetter(
            delivery_id, topic.decode(), sub.decode(), decode_json(data), trace.decode(), _text(group),
            attempts, error, failed_at,
        )  # fmt: skip

    async def pending(self) -> list[Delivery]:
        return [_delivery(row) for row in await self._redis.run(self._pending, (), [self._prefix])]

    async def dead_letters(self, subscriber: str | None = None, limit: int | None = None) -> list[DeadLetter]:
        letters: list[DeadLetter] = []
        start = "-"
        while limit is None or len(letters) < limit:
            batch = await self._redis.execute("XRANGE", self._prefix + "dead", start, "+", "COUNT", 500)
            if not batch:
                break
            for _, values in batch:
                fields = _fields(values)
                if subscriber is None or fields["sub"].decode() == subscriber:
                    letters.append(_dead_letter(fields))
            start = "(" + batch[-1][0].decode()
        return letters if limit is None else letters[:limit]

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        rows = await self._redis.run(
            self._replay, (), [self._prefix, repr(time.time()), "one", dead_letter_id]
        )
        if not rows:
            raise unknown("dead letter", dead_letter_id)
        return _delivery(rows[0])

    async def get_dead_letter(self, dead_letter_id: int) -> DeadLetter | None:
        values = await self._redis.run(self._dead_one, (), [self._prefix, dead_letter_id])
        return None if values is None else _dead_letter(_fields(values))

    async def replay_dead_letters(self, subscriber: str | None = None) -> list[Delivery]:
        mode, arg = ("all", "") if subscriber is None else ("sub", subscriber)
        rows = await self._redis.run(self._replay, (), [self._prefix, repr(time.time()), mode, arg])
        return [_delivery(row) for row in rows]

    async def purge_dead_letter(self, dead_letter_id: int) -> None:
        if not await self._redis.run(self._purge, (), [self._prefix, "one", dead_letter_id]):
            raise unknown("dead letter", dead_letter_id)

    async def purge_dead_letters(self, subscriber: str | None = None) -> int:
        mode, arg = ("all", "") if subscriber is None else ("sub", subscriber)
        count: int = await self._redis.run(self._purge, (), [self._prefix, mode, arg])
        return count

    def watch(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` when deliveries may have become runnable through another supervisor (its
        emits, retries and acks, a dead one's claims to take over), and keep this one's claims alive."""
        self._wake = wake
        self._redis.on_message(self._prefix + "wake", lambda _message: wake())
        self._redis.on_reconnect(self._on_reconnect)
        if self._keeper is None:
            self._keeper = asyncio.get_running_loop().create_task(self._keep(), name="redis-queue-keeper")

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None
        if self._redis.available:
            try:
                await self._write_unacked()
                released = await self.release_claims()  # the others take them at once, not after the timeout
                if released:
                    _logger.info(
                        "handed %d unfinished deliveries back to the queue for the other supervisors",
                        released,
                    )
            except RedisUnavailable:
                pass

    # -- keeping claims alive, finding abandoned ones ----------------------------------------

    async def take_over_abandoned(self) -> int:
        """Look for deliveries held past the timeout, by a dead supervisor or by this one in a claim
        whose answer it never got; the next claims take them."""
        forget_after = int(self._consumer_timeout * 1000 * 20)
        args = [self._prefix, int(self._consumer_timeout * 1000), forget_after, self._me]
        others, own = await self._redis.run(self._abandoned, (), args)
        if others:
            _logger.warning("taking over deliveries held by a supervisor that stopped answering")
        if own:
            _logger.warning(
                "taking back deliveries that Redis handed to this supervisor in a claim whose answer "
                "never reached it"
            )
        if others or own:
            self._sweep = {False: True, True: True}
        return int(others) + int(own)

    async def refresh_claims(self) -> int:
        """Reset the idle time of the claims of the deliveries this supervisor holds, so that nobody
        takes them over (any other of its claims is left to go idle: ``_kept``)."""
        args = [self._prefix, self._me, "refresh", *self._kept]
        refreshed: int = await self._redis.run(self._mine, (), args)
        return refreshed

    async def _keep(self) -> None:
        interval = self._consumer_timeout / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._write_unacked()
                await self.refresh_claims()
                await self.take_over_abandoned()
                # Also catches due times set by others and any wake lost in a pub/sub gap.
                if self._wake is not None:
                    self._wake()
            except RedisUnavailable:
                continue  # reported by the connection; tried again at the next tick
            except Exception:
                _logger.exception("keeping the event queue's claims alive failed")

    async def _write_unacked(self) -> None:
        if not self._unacked:
            return
        ids, self._unacked = self._unacked, []
        try:
            await self._redis.run(self._ack, (), [self._prefix, repr(time.time()), self._me, "0", *ids])
        except RedisUnavailable:
            self._unacked = ids + self._unacked
            raise
        self._kept.difference_update(ids)

    def _on_reconnect(self) -> None:
        asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            await self._write_unacked()
        except RedisUnavailable:
            return
        if self._wake is not None:
            self._wake()


def _dead_letter(fields: dict[str, bytes]) -> DeadLetter:
    return DeadLetter(
        int(fields["id"]), fields["topic"].decode(), fields["sub"].decode(), decode_json(fields["data"]),
        fields["trace"].decode(), _text(fields.get("grp")), int(fields["att"]), fields["err"].decode(),
        float(fields["failed"]),
    )  # fmt: skip
