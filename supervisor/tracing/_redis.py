"""Traces and logs in Redis, shared by every supervisor of a project: a request served by one is
read from any other's Workbench and JSON API, and a log line recorded under one reaches the live
log followers of all.

Layout (``p`` is the configured prefix followed by ``t:``; times are the recorder's, ids its ids):

- ``p traces``: sorted set, trace id -> start (seconds): listings, newest first, and retention by
  count and age are ranges of it; ``p step:<step>`` the same for the traces a step ran in;
- ``p tr:<trace>``: hash, the trace's summary (``started``, ``updated``, ``kind``, ``name``,
  ``method``, ``path``, ``code``, counters ``open``, ``failures``, ``spans``, ``changes``: the batches
  written of it, added by ``HINCRBY`` so that every supervisor's batch moves it) and, per step that ran
  in it, ``s:<step>`` = ``<first start, ms>|<language>``, per span that failed, ``e:<span>`` = its error
  message and, when it has one, ``c:<span>`` = its innermost cause;
- ``p texts``: hash, trace id -> the texts a text filter finds it by, in lower case: built by the
  first text filter that reads the trace, dropped by the write that adds one more;
- ``p status:running``, ``p status:error``: sorted sets as ``p traces``, of the traces with that
  status; ``p answered:not-2xx`` the same of the api traces answered other than 2xx (``p
  answered-indexed`` says they, and ``p texts``, hold every trace: see "Writers of an earlier
  version" below);
- ``p spans:<trace>`` and ``p ops:<trace>``: hashes, span id -> span JSON, operation id -> JSON
  (``p op-max`` the highest operation id, for ``recover``);
- ``p log``: hash, log line id -> JSON; ``p logs`` (all lines), ``p log-step:<step>`` and
  ``p log-trace:<trace>`` sorted sets of ids (scored by id): a log listing walks the narrowest;
- ``p running:<node>``: set of the ``trace<TAB>span`` a supervisor is running; ``p nodes``: sorted
  set, supervisor -> last heartbeat (ms, Redis's clock); ``p writer-versions``: hash, supervisor ->
  ``WRITER_VERSION`` of its code (none: a version from before it). The running spans of a supervisor not heard
  of for ``node_timeout`` become ``lost``, as the SQLite store's ``recover`` does after a restart;
- channel ``p logs``: every batch's log lines, for the other supervisors' live followers.

Writers of an earlier version (a rolling upgrade): every version heartbeats into ``p nodes``; one from
before ``p writer-versions`` keeps neither the status and answer indexes nor ``p texts`` current. While
one is heard of (``node_timeout``), the others' reads do not trust them (a status or answer filter
walks every trace, a text filter builds each trace's texts); once none is, one supervisor builds the
indexes again and drops ``p texts`` (``answered-indexed`` set), and reads use them again. A build
that an earlier writer's return overlapped is not marked done (``p indexes-gen``).

A batch is one script (one round trip, applied as one unit). Ids come from each supervisor's clock:
two supervisors may give the same id in the same microsecond, and the later line (or operation)
takes the next free id rather than replacing the other.

Recording never waits on Redis nor fails for it: during an outage batches wait in a bounded buffer
(``MAX_PENDING`` records, then new ones are dropped and counted) and are written, in order, once it
is back; reads raise ``RedisUnavailable`` (503).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from supervisor.storage import JsonObject, RedisConnection, RedisUnavailable

from ._query import (
    Facts,
    all_hold,
    answered_code,
    error_messages,
    log_line_facts,
    log_page,
    log_predicates,
    narrowing,
    one_trace,
    row_page,
    trace_page,
    trace_predicates,
    trace_text,
    whole_id,
)
from ._records import (
    AnsweredRanges,
    Batch,
    LogPage,
    LogQuery,
    Pruned,
    Retention,
    TracePage,
    TraceQuery,
    entry_of,
    trace_summary,
)

_logger = logging.getLogger("motia.tracing")

#: records kept while Redis is unreachable, written once it is back; past it, batches are dropped
MAX_PENDING = 50_000
#: entries read per round trip by listings (a filter that matches little reads more rounds), and
#: the most a listing script tests beyond the id (a trace's texts or hash: ~5-30 us each)
PAGE_CHUNK = 500
#: entries read per round trip by a listing by a part of an id after its first ``PAGE_CHUNK``, tested
#: on the id in the script (~0.3-0.4 us each: scripts of ~2 ms, which every other client of the
#: Redis waits out; bench/RESULTS.md, session 19)
ID_CHUNK = 5_000
#: traces or log lines removed per script by retention (each script blocks Redis while it runs)
PRUNE_CHUNK = 500
DEFAULT_NODE_TIMEOUT_S = 15.0
#: what this code keeps current as it writes: 1, the status and answer indexes and ``p texts`` (a
#: writer with a lower one, or none, makes the others build them again once it is gone)
WRITER_VERSION = 1

LogLines = Callable[[list[JsonObject]], None]

_PRELUDE = """
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- as status_of (_records)
local function status_of(open, failures)
  if tonumber(open or '0') > 0 then return 'running' end
  if tonumber(failures or '0') > 0 then return 'error' end
  return 'ok'
end
-- the texts a text filter finds a trace by (``trace_text`` but its id) in its hash's fields, joined
local function texts_of(fields)
  local texts, method, path = {}, nil, nil
  for k = 1, #fields, 2 do
    local name = fields[k]
    local head = string.sub(name, 1, 2)
    if head == 's:' then
      texts[#texts + 1] = string.sub(name, 3)
    elseif head == 'e:' or head == 'c:' or name == 'name' then
      texts[#texts + 1] = fields[k + 1]
    elseif name == 'method' then
      method = fields[k + 1]
    elseif name == 'path' then
      path = fields[k + 1]
    end
  end
  if method and path then texts[#texts + 1] = method .. ' ' .. path end
  return string.lower(table.concat(texts, '\\n'))
end
-- the trace in the index of ``status`` (and in no other: ``was`` is the status it had), by its start
-- ``started``; ``ok``, the status of most, has none (a listing of them walks all traces)
local function move_status(trace, was, status, started)
  if was and was ~= status and was ~= 'ok' then redis.call('ZREM', P .. 'status:' .. was, trace) end
  if status ~= 'ok' then redis.call('ZADD', P .. 'status:' .. status, started, trace) end
end
-- a request answered other than 2xx (``p answered:not-2xx``: a listing by an answer but 2xx walks it)
local function unsuccessful(code)
  local n = tonumber(code)
  return n ~= nil and (n < 200 or n > 299)
end
-- the trace in ``p answered:not-2xx`` (by its start ``started``) if ``code`` is not 2xx, else out of
-- it (``was``: the code it had, nil for none)
local function index_answer(trace, was, code, started)
  if unsuccessful(code) then
    redis.call('ZADD', P .. 'answered:not-2xx', started, trace)
  elseif unsuccessful(was) then
    redis.call('ZREM', P .. 'answered:not-2xx', trace)
  end
end
"""

# ARGV: prefix, node, channel, counts of traces/spans/operations/logs, the writer's version
# (``WRITER_VERSION``), then their fields.
_WRITE = (
    _PRELUDE
    + """
local node, channel = ARGV[2], ARGV[3]
local nt, ns, no, nl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local version = ARGV[8]
local i = 9
-- a record's JSON starts with its id ({"id":N,...}): a taken id moves it to the next free one
local function put(hash, id, json)
  if redis.call('HSETNX', hash, id, json) == 1 then return id, json end
  if redis.call('HGET', hash, id) == json then return id, json end
  local head = '{"id":' .. id
  local n = tonumber(id)
  repeat n = n + 1 until redis.call('HEXISTS', hash, string.format('%d', n)) == 0
  local moved = string.format('%d', n)
  json = '{"id":' .. moved .. string.sub(json, #head + 1)
  redis.call('HSET', hash, moved, json)
  return moved, json
end
-- ``p texts`` keeps what a text filter built of a trace's texts (``_TRACE_CHUNK``): dropped, to be
-- built again, once the trace may have one more (a name, a route, a step, an error message)
local stale = {}
local function add_text(trace)
  if not stale[trace] then
    stale[trace] = true
    redis.call('HDEL', P .. 'texts', trace)
  end
end
local function set_start(tkey, trace, started)
  redis.call('HSET', tkey, 'started', started)
  redis.call('ZADD', P .. 'traces', started, trace)
  for _, field in ipairs(redis.call('HKEYS', tkey)) do
    if string.sub(field, 1, 2) == 's:' then
      redis.call('ZADD', P .. 'step:' .. string.sub(field, 3), started, trace)
    elseif field == 'code' then
      index_answer(trace, nil, redis.call('HGET', tkey, 'code'), started)
    end
  end
end
for _ = 1, nt do
  local trace, started, updated = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local kind, name, method, path, code = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]
  local tkey = P .. 'tr:' .. trace
  local old =
    redis.call('HMGET', tkey, 'started', 'updated', 'kind', 'open', 'failures', 'method', 'path', 'code')
  local was = old[1] and status_of(old[4], old[5])
  local start = old[1]
  if not old[1] or tonumber(started) < tonumber(old[1]) then
    set_start(tkey, trace, started)
    start = started
  end
  if not old[2] or tonumber(updated) > tonumber(old[2]) then redis.call('HSET', tkey, 'updated', updated) end
  if kind ~= '' and not old[3] then
    redis.call('HSET', tkey, 'kind', kind, 'name', name)
    add_text(trace)
  end
  if method ~= '' then redis.call('HSET', tkey, 'method', method) end
  if path ~= '' then redis.call('HSET', tkey, 'path', path) end
  if (method ~= '' and method ~= old[6]) or (path ~= '' and path ~= old[7]) then add_text(trace) end
  if code ~= '' then
    redis.call('HSET', tkey, 'code', code)
    index_answer(trace, old[8], code, start)
  end
  local status = status_of(redis.call('HINCRBY', tkey, 'open', ARGV[i + 8]),
                           redis.call('HINCRBY', tkey, 'failures', ARGV[i + 9]))
  redis.call('HINCRBY', tkey, 'spans', ARGV[i + 10])
  redis.call('HINCRBY', tkey, 'changes', ARGV[i + 11])
  if status ~= was or start ~= old[1] then move_status(trace, was, status, start) end
  i = i + 12
end
local running = P .. 'running:' .. node
for _ = 1, ns do
  local trace, span, step, language, started, status, json, failure, cause =
    ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7],
    ARGV[i + 8]
  local tkey = P .. 'tr:' .. trace
  redis.call('HSET', P .. 'spans:' .. trace, span, json)
  if failure ~= '' then
    redis.call('HSET', tkey, 'e:' .. span, failure)
    if cause ~= '' then redis.call('HSET', tkey, 'c:' .. span, cause) end
    add_text(trace)
  end
  local field = 's:' .. step
  local first = redis.call('HGET', tkey, field)
  if not first then
    local start = redis.call('HGET', tkey, 'started') or string.format('%.17g', tonumber(started) / 1000)
    redis.call('ZADD', P .. 'step:' .. step, start, trace)
  end
  if not first or tonumber(string.match(first, '^[^|]*')) > tonumber(started) then
    redis.call('HSET', tkey, field, started .. '|' .. language)
  end
  if not first then add_text(trace) end
  if status == 'running' then
    redis.call('SADD', running, trace .. '\\t' .. span)
  else
    redis.call('SREM', running, trace .. '\\t' .. span)
  end
  i = i + 9
end
local top = 0
for _ = 1, no do
  local id = put(P .. 'ops:' .. ARGV[i], ARGV[i + 1], ARGV[i + 2])
  if tonumber(id) > top then top = tonumber(id) end
  i = i + 3
end
if top > tonumber(redis.call('GET', P .. 'op-max') or '0') then
  redis.call('SET', P .. 'op-max', string.format('%d', top))
end
local lines = {}
for _ = 1, nl do
  local id, json = put(P .. 'log', ARGV[i], ARGV[i + 3])
  redis.call('ZADD', P .. 'logs', id, id)
  if ARGV[i + 1] ~= '' then redis.call('ZADD', P .. 'log-step:' .. ARGV[i + 1], id, id) end
  if ARGV[i + 2] ~= '' then redis.call('ZADD', P .. 'log-trace:' .. ARGV[i + 2], id, id) end
  lines[#lines + 1] = json
  i = i + 4
end
if ns > 0 then
  redis.call('ZADD', P .. 'nodes', now_ms(), node)
  redis.call('HSET', P .. 'writer-versions', node, version)
end
if #lines > 0 and channel ~= '' then
  redis.call('PUBLISH', channel, '{"o":"' .. node .. '","l":[' .. table.concat(lines, ',') .. ']}')
end
return #lines
"""
)

# KEYS: the index; ARGV: prefix, max, min, offset, count, part of the id ('' for any), a text (''
# for any), a status ('' for any), how many traces are wanted, the status codes a request was answered
# with (ranges ``low-high`` joined by commas, '' for any), '1' to use and keep the texts kept (``p
# texts``; '0': a writer of an earlier version may have left them stale), how many of the entries
# whose id holds the part it tests further (the budget of reads besides the index). It stops at the
# number wanted or once the budget is spent, and returns the score of the last entry it looked at
# and how many entries of the index have that score down to it (where the next chunk starts, those
# of earlier chunks included), 1 if the range has no more, then {member, score, summary fields} per
# trace that may match: not one whose id does not hold the part, none of whose texts (``trace_text``:
# its id, name, method and path, steps' names, error messages) holds the text, ASCII letters in any
# case, whose status (``status_of``) is another, or whose request's code is in none of the ranges
# (tested before its hash is read whole when the ranges take in no 2xx). Narrowing only (the reader
# tests what it gets): string.lower() folds the text and the texts alike, so a text found by
# ``ascii_lower`` is found here too; texts are joined by line breaks, which a text may match across.
# A text is tested on the trace's texts as an earlier text filter kept them (``p texts``, read for a
# whole chunk at once; built and kept where missing) and only a trace that holds it is read whole (a
# trace's ``HGETALL`` and the texts built from it were ~30 us each: bench/RESULTS.md, session 15); a
# status filter but ``ok`` walks the index of its status, an answer filter but 2xx
# ``answered:not-2xx``. A part of an id is tested first, on the members alone (~0.2 us each, where
# members with their scores cost ~0.5 us): a listing by one reads ``ID_CHUNK`` entries per script.
_TRACE_CHUNK = (
    _PRELUDE
    + """
local text = string.lower(ARGV[7])
local keep_texts = ARGV[11] == '1'
-- the trace's id or texts (``p texts``: ``kept``, or built from its hash and kept) hold the text
local function holds_text(trace, kept)
  if string.find(string.lower(trace), text, 1, true) then return true end
  if not kept then
    kept = texts_of(redis.call('HGETALL', P .. 'tr:' .. trace))
    if keep_texts then redis.call('HSET', P .. 'texts', trace, kept) end
  end
  return string.find(kept, text, 1, true) ~= nil
end
local status = ARGV[8]
local function has_status(fields)
  local open, failures = 0, 0
  for k = 1, #fields, 2 do
    if fields[k] == 'open' then
      open = tonumber(fields[k + 1])
    elseif fields[k] == 'failures' then
      failures = tonumber(fields[k + 1])
    end
  end
  if open > 0 then return status == 'running' end
  if failures > 0 then return status == 'error' end
  return status == 'ok'
end
local ranges, takes_2xx = {}, false
for low, high in string.gmatch(ARGV[10], '(%d+)-(%d+)') do
  ranges[#ranges + 1] = {tonumber(low), tonumber(high)}
  if tonumber(low) <= 299 and tonumber(high) >= 200 then takes_2xx = true end
end
local function within(code)
  code = tonumber(code)
  if not code then return false end
  for _, range in ipairs(ranges) do
    if code >= range[1] and code <= range[2] then return true end
  end
  return false
end
-- A filter taking in 2xx holds for most requests (and walks all traces): the code is read from the
-- hash read whole for a match anyway. One naming no 2xx walks ``answered:not-2xx`` (or a smaller
-- index), where it may hold for few: the code alone first, the hash of those it holds for.
local code_first = #ranges > 0 and not takes_2xx
local code_of_hash = #ranges > 0 and takes_2xx
local function hash_code(fields)
  for k = 1, #fields, 2 do
    if fields[k] == 'code' then return fields[k + 1] end
  end
  return nil
end
-- members only: a score made a string costs more than the id's test (read for matches alone)
local found = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', ARGV[4], ARGV[5])
if #found == 0 then return {'0', 0, 1} end
local part, wanted, budget = ARGV[6], tonumber(ARGV[9]), tonumber(ARGV[12])
-- the entries whose id holds the part (plain: no pattern), at most ``budget``: only they are read
local held, stop = {}, #found
for j = 1, #found do
  if part == '' or string.find(found[j], part, 1, true) then
    if #held == budget then
      stop = j - 1
      break
    end
    held[#held + 1] = j
  end
end
local texts = {}
if text ~= '' and #held > 0 and keep_texts then
  local traces = {}
  for k, j in ipairs(held) do traces[k] = found[j] end
  texts = redis.call('HMGET', P .. 'texts', unpack(traces))
end
local matches = {}
for k, j in ipairs(held) do
  local trace = found[j]
  if (text == '' or holds_text(trace, texts[k]))
    and (not code_first or within(redis.call('HGET', P .. 'tr:' .. trace, 'code'))) then
    local fields = redis.call('HGETALL', P .. 'tr:' .. trace)
    if #fields > 0 and (status == '' or has_status(fields))
      and (not code_of_hash or within(hash_code(fields))) then
      matches[#matches + 1] = {trace, redis.call('ZSCORE', KEYS[1], trace), fields}
      if #matches == wanted then
        stop = j
        break
      end
    end
  end
end
-- how many of the index's entries scored ``last`` come before the next chunk, those of earlier
-- chunks included (ranks: the script sees the index as one state)
local last = redis.call('ZSCORE', KEYS[1], found[stop])
local above = redis.call('ZCOUNT', KEYS[1], '(' .. last, '+inf')
local same = redis.call('ZREVRANK', KEYS[1], found[stop]) + 1 - above
local exhausted = (stop == #found and #found < tonumber(ARGV[5])) and 1 or 0
local out = {last, same, exhausted}
for _, match in ipairs(matches) do out[#out + 1] = match end
return out
"""
)

# KEYS: the index; ARGV: prefix, from, to, count, 'asc' or 'desc'. Returns the lines' JSON.
_LOG_CHUNK = (
    _PRELUDE
    + """
local ids
if ARGV[5] == 'asc' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, ARGV[4])
else
  ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, ARGV[4])
end
if #ids == 0 then return {{}, {}} end
return {ids, redis.call('HMGET', P .. 'log', unpack(ids))}
"""
)

_TRACE = (
    _PRELUDE
    + """
local trace = ARGV[2]
local summary = redis.call('HGETALL', P .. 'tr:' .. trace)
if #summary == 0 then return false end
local ids = redis.call('ZRANGE', P .. 'log-trace:' .. trace, 0, -1)
local lines = {}
for start = 1, #ids, 1000 do
  local batch = redis.call('HMGET', P .. 'log', unpack(ids, start, math.min(start + 999, #ids)))
  for j = 1, #batch do if batch[j] then lines[#lines + 1] = batch[j] end end
end
local spans = redis.call('HVALS', P .. 'spans:' .. trace)
return {summary, spans, redis.call('HVALS', P .. 'ops:' .. trace), lines}
"""
)

# ARGV: prefix, cutoff (traces that started before it go), count.
_PRUNE_TRACES = (
    _PRELUDE
    + """
local gone = redis.call('ZRANGEBYSCORE', P .. 'traces', '-inf', '(' .. ARGV[2], 'LIMIT', 0, ARGV[3])
for _, trace in ipairs(gone) do
  local tkey = P .. 'tr:' .. trace
  for _, field in ipairs(redis.call('HKEYS', tkey)) do
    if string.sub(field, 1, 2) == 's:' then
      redis.call('ZREM', P .. 'step:' .. string.sub(field, 3), trace)
    end
  end
  redis.call('DEL', tkey, P .. 'spans:' .. trace, P .. 'ops:' .. trace)
  redis.call('ZREM', P .. 'traces', trace)
  redis.call('HDEL', P .. 'texts', trace)
  redis.call('ZREM', P .. 'status:running', trace)
  redis.call('ZREM', P .. 'status:error', trace)
  redis.call('ZREM', P .. 'answered:not-2xx', trace)
end
return #gone
"""
)

# ARGV: prefix, cutoff (lines with a lower id go), count.
_PRUNE_LOGS = (
    _PRELUDE
    + """
local gone = redis.call('ZRANGEBYSCORE', P .. 'logs', '-inf', '(' .. ARGV[2], 'LIMIT', 0, ARGV[3])
if #gone == 0 then return 0 end
local blobs = redis.call('HMGET', P .. 'log', unpack(gone))
for j, id in ipairs(gone) do
  if blobs[j] then
    local ok, line = pcall(cjson.decode, blobs[j])
    if ok then
      if type(line.step) == 'string' then redis.call('ZREM', P .. 'log-step:' .. line.step, id) end
      if type(line.traceId) == 'string' then redis.call('ZREM', P .. 'log-trace:' .. line.traceId, id) end
    end
  end
end
redis.call('HDEL', P .. 'log', unpack(gone))
redis.call('ZREM', P .. 'logs', unpack(gone))
return #gone
"""
)

# ARGV: prefix, node timeout (ms)[, node]. The supervisors not heard of for that long (or the one
# named), and the spans they were running.
_DEAD_NODES = (
    _PRELUDE
    + """
local dead = {ARGV[3]}
if not ARGV[3] then dead = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', now_ms() - tonumber(ARGV[2])) end
local out = {}
for _, node in ipairs(dead) do
  local spans = redis.call('SMEMBERS', P .. 'running:' .. node)
  local blobs = {}
  for j, member in ipairs(spans) do
    local tab = string.find(member, '\\t', 1, true)
    local trace, span = string.sub(member, 1, tab - 1), string.sub(member, tab + 1)
    blobs[j] = redis.call('HGET', P .. 'spans:' .. trace, span) or false
  end
  out[#out + 1] = {node, spans, blobs}
end
return out
"""
)

# ARGV: prefix, node, then (trace, span, running JSON, lost JSON, 1 to close its work) per span.
_LOSE = (
    _PRELUDE
    + """
local running = P .. 'running:' .. ARGV[2]
local changed = {}
for i = 3, #ARGV, 5 do
  local trace, span = ARGV[i], ARGV[i + 1]
  local spans = P .. 'spans:' .. trace
  if redis.call('HGET', spans, span) == ARGV[i + 2] then
    redis.call('HSET', spans, span, ARGV[i + 3])
    local tkey = P .. 'tr:' .. trace
    local kept = redis.call('EXISTS', tkey) == 1
    -- one change of the trace, however many of its spans it lost (as the SQLite store)
    if kept and not changed[trace] then
      changed[trace] = true
      redis.call('HINCRBY', tkey, 'changes', 1)
    end
    if ARGV[i + 4] == '1' and kept then
      local before = redis.call('HMGET', tkey, 'started', 'open', 'failures')
      local open = redis.call('HINCRBY', tkey, 'open', -1)
      if before[1] then
        move_status(trace, status_of(before[2], before[3]), status_of(open, before[3]), before[1])
      end
    end
  end
  redis.call('SREM', running, trace .. '\\t' .. span)
end
if redis.call('SCARD', running) == 0 then
  redis.call('ZREM', P .. 'nodes', ARGV[2])
  redis.call('HDEL', P .. 'writer-versions', ARGV[2])
end
return 1
"""
)

# ARGV: prefix, rank (from the newest), count. The traces written before the status and answer
# indexes were kept (``status:<status>``, ``answered:not-2xx``) put in theirs; newer traces moving the
# ranks up are done twice, harmlessly.
_INDEX_STATUSES = (
    _PRELUDE
    + """
local traces = redis.call('ZREVRANGE', P .. 'traces', ARGV[2], tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1)
for _, trace in ipairs(traces) do
  local now = redis.call('HMGET', P .. 'tr:' .. trace, 'started', 'open', 'failures', 'code')
  if now[1] then
    move_status(trace, nil, status_of(now[2], now[3]), now[1])
    if now[4] then index_answer(trace, nil, now[4], now[1]) end
  end
end
return #traces
"""
)

# ARGV: prefix, node, its version (``WRITER_VERSION``).
_BEAT = (
    _PRELUDE
    + """
redis.call('ZADD', P .. 'nodes', now_ms(), ARGV[2])
redis.call('HSET', P .. 'writer-versions', ARGV[2], ARGV[3])
return 1
"""
)

# ARGV: prefix, node timeout (ms), the version of this code. How many supervisors heard of within the
# timeout run a lower version (or one from before versions), the generation of the indexes (a build
# is done only if no such writer was seen meanwhile: ``_MARK_INDEXED``), and whether they are built.
# A writer of an earlier version seen: the indexes are not built (``answered-indexed``) any more.
_WRITERS = (
    _PRELUDE
    + """
local live = redis.call('ZRANGEBYSCORE', P .. 'nodes', now_ms() - tonumber(ARGV[2]), '+inf')
local earlier = 0
for _, node in ipairs(live) do
  if tonumber(redis.call('HGET', P .. 'writer-versions', node) or '0') < tonumber(ARGV[3]) then
    earlier = earlier + 1
  end
end
if earlier > 0 then
  redis.call('INCR', P .. 'indexes-gen')
  redis.call('DEL', P .. 'answered-indexed')
end
local built = redis.call('GET', P .. 'answered-indexed') and 1 or 0
return {earlier, redis.call('GET', P .. 'indexes-gen') or '0', built}
"""
)

# ARGV: prefix, the generation the build began at. The indexes built, unless a writer of an earlier
# version was seen since; the texts kept before dropped (such a writer did not drop those it changed).
_MARK_INDEXED = (
    _PRELUDE
    + """
if (redis.call('GET', P .. 'indexes-gen') or '0') ~= ARGV[2] then return 0 end
redis.call('UNLINK', P .. 'texts')
redis.call('SET', P .. 'answered-indexed', '1')
return 1
"""
)


class RedisTraceStore:
    """Traces and logs on a shared ``RedisConnection``; the connection's owner closes it, ``close``
    stops this store's heartbeat."""

    def __init__(self, redis: RedisConnection, node_timeout: float = DEFAULT_NODE_TIMEOUT_S) -> None:
        self._redis = redis
        self._prefix = redis.key("t:")
        self._channel = redis.key("t:logs")
        self._node = redis.node
        #: which supervisor ran a span or logged a line from its runner: supervisors sharing a project
        #: on Redis name their runners alike (node-0 on each); as ``GET /__motia/runners`` says it
        self._supervisor = {"host": socket.gethostname(), "pid": os.getpid()}
        self._node_timeout = node_timeout
        self._write = redis.script(_WRITE)
        self._trace_chunk = redis.script(_TRACE_CHUNK)
        self._log_chunk = redis.script(_LOG_CHUNK)
        self._trace = redis.script(_TRACE)
        self._prune_traces = redis.script(_PRUNE_TRACES)
        self._prune_logs = redis.script(_PRUNE_LOGS)
        self._dead_nodes = redis.script(_DEAD_NODES)
        self._lose = redis.script(_LOSE)
        self._beat = redis.script(_BEAT)
        self._index_statuses = redis.script(_INDEX_STATUSES)
        self._writers = redis.script(_WRITERS)
        self._mark_indexed = redis.script(_MARK_INDEXED)
        #: whether reads use the status and answer indexes and the kept texts: no writer of an
        #: earlier version heard of, and they are built (``_check_writers``, from ``recover`` on)
        self._indexed = True
        #: how many writers of an earlier version were heard of at the last check
        self._earlier = 0
        self._pending: list[Batch] = []
        self._pending_size = 0
        self._dropped = 0
        self._listener: LogLines | None = None
        self._heart: asyncio.Task[None] | None = None

    # -- writes ----------------------------------------------------------------------------------

    async def write(self, batch: Batch) -> None:
        if self._pending and self._redis.available:
            await self._write_pending()
        if self._pending or not self._redis.available:
            self._keep(batch)
            return
        try:
            await self._redis.run(self._write, (), self._arguments(batch))
        except RedisUnavailable:
            self._keep(batch)

    def _keep(self, batch: Batch) -> None:
        size = len(batch) + len(batch.traces)
        if self._pending_size + size > MAX_PENDING:
            if not self._dropped:
                _logger.warning(
                    "Redis is unreachable and %d trace and log records wait for it: dropping new ones",
                    self._pending_size,
                )
            self._dropped += size
            return
        if not self._pending:
            _logger.warning("Redis is unreachable: traces and logs wait in memory until it is back")
        self._pending.append(batch)
        self._pending_size += size

    async def _write_pending(self) -> None:
        while self._pending:
            try:
                await self._redis.run(self._write, (), self._arguments(self._pending[0]))
            except RedisUnavailable:
                return
            done = self._pending.pop(0)
            self._pending_size -= len(done) + len(done.traces)
        if self._dropped:
            _logger.warning(
                "%d trace and log records were dropped while Redis was unreachable", self._dropped
            )
            self._dropped = 0
        else:
            _logger.info("the traces and logs recorded while Redis was unreachable are written")

    def _arguments(self, batch: Batch) -> list[str | bytes | int]:
        args: list[str | bytes | int] = [
            self._prefix,
            self._node,
            self._channel if self._listener is not None else "",
            len(batch.traces),
            len(batch.spans),
            len(batch.operations),
            len(batch.logs),
            WRITER_VERSION,
        ]
        for trace_id, d in batch.traces.items():
            args += [trace_id, repr(d.started_at), repr(d.updated_at), d.kind or "", d.name or "",
                     d.method or "", d.path or "", "" if d.status_code is None else d.status_code,
                     d.open, d.failures, d.spans, d.changes]  # fmt: skip
        supervisor = self._supervisor
        for recorded in batch.spans:
            span = recorded.to_json()
            if span["runner"] is not None:
                span["supervisor"] = supervisor
            # its message, and its innermost cause when it has one
            failure, cause, *_ = [*error_messages([(span["status"], span["error"])]), "", ""]
            args += [span["traceId"], span["spanId"], span["step"], span["language"] or "",
                     repr(span["startedAt"]), span["status"], _encode(span), failure, cause]  # fmt: skip
        for op in batch.operations:
            args += [op["traceId"], op["id"], _encode_with_id(op)]
        for line in batch.logs:
            if line["runner"] is not None:
                line["supervisor"] = supervisor
            args += [line["id"], line["step"] or "", line["traceId"] or "", _encode_with_id(line)]
        return args

    # -- after a restart, and supervisors that died ----------------------------------------------

    async def recover(self) -> int:
        await self._check_writers()
        await self._lose_dead_nodes()
        if self._heart is None:
            self._heart = asyncio.get_running_loop().create_task(self._heartbeat(), name="trace-heartbeat")
        # both in one write on the shared lane (the commands of one loop turn go out together)
        newest, op_max = await asyncio.gather(
            self._score_at("logs", 0), self._redis.execute("GET", self._prefix + "op-max")
        )
        return max(int(newest or 0), int(op_max or 0))

    async def _check_writers(self) -> None:
        """At recovery and each heartbeat: while a supervisor of an earlier version writes (it keeps
        neither the status and answer indexes nor the kept texts current), reads do without them;
        once none is heard of, the indexes are built (for a store written before them too, once) and
        the kept texts dropped, and reads use them again (a status filter walks its index:
        bench/RESULTS.md, session 15; an answer filter but 2xx walks ``answered:not-2xx``)."""
        earlier, generation, built = await self._redis.run(
            self._writers, (), [self._prefix, int(self._node_timeout * 1000), WRITER_VERSION]
        )
        known, self._earlier = self._earlier, int(earlier)
        if earlier:
            if not known:
                _logger.warning(
                    "%d supervisor(s) of an earlier version write traces to this Redis: status, answer "
                    "and text filters walk every trace until none is left",
                    earlier,
                )
            self._indexed = False
            return
        if known:
            _logger.info("no supervisor of an earlier version writes traces any more: indexing them again")
        if not built:
            await self._index_earlier_statuses()
            built = await self._redis.run(self._mark_indexed, (), [self._prefix, generation])
        self._indexed = bool(built)

    async def _index_earlier_statuses(self) -> None:
        """Puts every trace in the status and answer indexes (those in them already, harmlessly)."""
        rank, indexed = 0, PRUNE_CHUNK
        while indexed == PRUNE_CHUNK:
            indexed = int(await self._redis.run(self._index_statuses, (), [self._prefix, rank, PRUNE_CHUNK]))
            rank += indexed

    async def _lose_dead_nodes(self, *only: str) -> int:
        """The running spans of the supervisors not heard of for ``node_timeout`` (or of ``only``)
        become ``lost``."""
        dead = await self._redis.run(
            self._dead_nodes, (), [self._prefix, int(self._node_timeout * 1000), *only]
        )
        lost = 0
        for node, members, blobs in dead:
            args: list[str | bytes] = [self._prefix, node]
            for member, blob in zip(members, blobs, strict=True):
                trace_id, _, span_id = member.decode().partition("\t")
                if not blob:
                    args += [trace_id, span_id, b"", b"", "0"]
                    continue
                span = orjson.loads(blob)
                span["status"] = "lost"
                closes = "0" if span["type"] == "event" else "1"  # deliveries run again and close theirs
                args += [trace_id, span_id, blob, _encode(span), closes]
                lost += 1
            await self._redis.run(self._lose, (), args)
        if lost:
            _logger.info("%d step execution(s) left running by stopped supervisors marked lost", lost)
        return lost

    async def _heartbeat(self) -> None:
        """Tell the other supervisors this one lives (its running spans are not lost), and close the
        spans of those that died."""
        every = self._node_timeout / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self._redis.run(self._beat, (), [self._prefix, self._node, WRITER_VERSION])
                await self._lose_dead_nodes()
                await self._check_writers()
                if self._pending and self._redis.available:
                    await self._write_pending()
            except RedisUnavailable:
                continue
            except Exception:
                _logger.exception("the traces' heartbeat in Redis failed")

    # -- reads -----------------------------------------------------------------------------------

    async def traces(self, query: TraceQuery) -> TracePage:
        exact = whole_id(query)
        if exact is not None:  # its hash, by its key: not a walk over every trace kept (~20 ms at 50,000)
            held: dict[bytes, bytes] = await self._redis.execute("HGETALL", f"{self._prefix}tr:{exact}")
            return row_page(query, _summary(exact, [part for field in held.items() for part in field]))
        # the index and score range narrow what is read; every predicate is tested on what was
        predicates = trace_predicates(query)
        narrowed = narrowing(predicates)
        answered = narrowed.get(("answered", "within"))
        indexed = self._indexed  # else a writer of an earlier version may have left some out
        index = await self._narrowest_index(
            narrowed.get(("steps", "contains")),
            narrowed.get(("status", "eq")) if indexed else None,
            answered if indexed else None,
        )
        ranges = "" if answered is None else ",".join(f"{low}-{high}" for low, high in answered)
        until, before = narrowed.get(("startedAt", "le")), narrowed.get(("key", "lt"))
        tops = [bound for bound in (until, None if before is None else before[0]) if bound is not None]
        top = repr(min(tops)) if tops else "+inf"
        since = narrowed.get(("startedAt", "ge"))
        bottom = "-inf" if since is None else repr(since)
        found: list[JsonObject] = []
        keys: list[tuple[float, str]] = []
        skip = 0
        part = narrowed.get(("traceId", "contains"), "")
        count = PAGE_CHUNK  # then, for a part, ID_CHUNK: a part most ids hold fills a page from the first
        while len(found) <= query.limit:
            chunk = await self._redis.run(
                self._trace_chunk, [index],
                [self._prefix, top, bottom, skip, count, part, narrowed.get(("text", "icontains"), ""),
                 narrowed.get(("status", "eq"), ""), query.limit + 1 - len(found), ranges,
                 "1" if indexed else "0", PAGE_CHUNK],
            )  # fmt: skip
            last, same, exhausted, *matches = chunk
            for member, score, fields in matches:
                trace_id, started = member.decode(), float(score)
                summary = _summary(trace_id, fields)
                if summary is None or not all_hold(predicates, _trace_facts(summary, started, fields)):
                    continue
                found.append(summary)
                keys.append((started, trace_id))
                if len(found) > query.limit:
                    break
            if exhausted:
                break
            skip, top = same, repr(float(last))
            if part:  # found in few: most entries cost the script a test of their id alone
                count = ID_CHUNK
        return trace_page(query, found, keys)

    async def _narrowest_index(
        self, step: str | None, status: str | None, answered: AnsweredRanges | None
    ) -> str:
        """The sorted set of the traces a listing walks: of the step, of the status or of the answers
        other than 2xx asked for (the smallest, several asked for), else all."""
        indexed = status if status in ("running", "error") else None  # ok: most traces, no index
        # 2xx: most answers, no index
        unsuccessful = answered is not None and all(high < 200 or low > 299 for low, high in answered)
        keys = (step and f"step:{step}", indexed and f"status:{indexed}", unsuccessful and "answered:not-2xx")
        indexes = [self._prefix + key for key in keys if key]
        if len(indexes) < 2:
            return indexes[0] if indexes else self._prefix + "traces"
        sizes = await asyncio.gather(*(self._redis.execute("ZCARD", index) for index in indexes))
        return min(zip(sizes, range(len(indexes)), indexes, strict=True))[2]

    async def trace(self, trace_id: str) -> JsonObject | None:
        read = await self._redis.run(self._trace, (), [self._prefix, trace_id])
        if not read:
            return None
        fields, spans, operations, lines = read
        summary = _summary(trace_id, fields)
        if summary is None:
            return None
        events = [*operations, *lines]
        return one_trace(summary, map(orjson.loads, spans), map(orjson.loads, events))

    async def logs(self, query: LogQuery) -> LogPage:
        # the narrowest index and the id range narrow what is read; every predicate is tested on it
        predicates = log_predicates(query)
        narrowed = narrowing(predicates)
        if ("traceId", "eq") in narrowed:
            index = f"log-trace:{narrowed['traceId', 'eq']}"
        elif ("step", "eq") in narrowed:
            index = f"log-step:{narrowed['step', 'eq']}"
        else:
            index = "logs"
        ascending = query.after is not None
        low = "-inf" if ("id", "gt") not in narrowed else f"({narrowed['id', 'gt']}"
        high = "+inf" if ("id", "lt") not in narrowed else f"({narrowed['id', 'lt']}"
        page: list[JsonObject] = []
        chunk_size = max(PAGE_CHUNK, query.limit)
        while len(page) < query.limit:
            start, end = (low, high) if ascending else (high, low)
            ids, blobs = await self._redis.run(
                self._log_chunk, [self._prefix + index],
                [self._prefix, start, end, chunk_size, "asc" if ascending else "desc"],
            )  # fmt: skip
            for blob in blobs:
                if blob is None:
                    continue
                line = orjson.loads(blob)
                if all_hold(predicates, log_line_facts(line)):
                    page.append(line)
                    if len(page) == query.limit:
                        break
            if len(ids) < chunk_size:
                break
            if ascending:
                low = f"({int(ids[-1])}"
            else:
                high = f"({int(ids[-1])}"
        return log_page(query, page)

    # -- retention -------------------------------------------------------------------------------

    async def prune(self, retention: Retention, now: float) -> Pruned:
        if not self._redis.available:
            return Pruned(0, 0)  # the connection's watcher reports the outage; the next prune catches up
        oldest = now - retention.max_age_s
        trace_boundary, log_boundary = await asyncio.gather(
            self._score_at("traces", retention.max_traces - 1),
            self._score_at("logs", retention.max_log_lines - 1),
        )
        # The same cutoffs as the SQLite store: one start time for both trace limits, one id for logs.
        cutoff = oldest if trace_boundary is None else max(oldest, trace_boundary)
        log_cutoff = int(oldest * 1_000_000)
        if log_boundary is not None:
            log_cutoff = max(log_cutoff, int(log_boundary))
        traces = await self._in_chunks(self._prune_traces, repr(cutoff))
        logs = await self._in_chunks(self._prune_logs, str(log_cutoff))
        return Pruned(traces, logs)

    async def _score_at(self, key: str, rank: int) -> float | None:
        """The score of the member of sorted set ``key`` at ``rank`` from the highest, if it has one."""
        found = await self._redis.execute("ZREVRANGE", self._prefix + key, rank, rank, "WITHSCORES")
        return float(found[0][1]) if found else None  # [[member, score]]

    async def _in_chunks(self, script: Any, cutoff: str) -> int:
        total = 0
        while True:
            done = int(await self._redis.run(script, (), [self._prefix, cutoff, PRUNE_CHUNK]))
            total += done
            if done < PRUNE_CHUNK:
                return total

    # -- live logs across supervisors ------------------------------------------------------------

    def listen(self, on_lines: LogLines) -> None:
        """``on_lines`` gets the log lines the other supervisors record, as they write them."""
        self._listener = on_lines
        self._redis.on_message(self._channel, self._received)

    def _received(self, message: bytes) -> None:
        payload = orjson.loads(message)
        if payload["o"] != self._node and self._listener is not None:
            self._listener(payload["l"])

    async def close(self) -> None:
        if self._heart is not None:
            self._heart.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heart
            self._heart = None
        if self._pending and self._redis.available:
            with contextlib.suppress(RedisUnavailable):
                await self._write_pending()
        if self._pending:
            _logger.warning(
                "%d trace and log records recorded while Redis was unreachable are lost",
                self._pending_size,
            )
            return
        # What this supervisor still runs will not end: lost now, as SQLite's recover does at the next
        # start (a supervisor killed instead is found out by the others after node_timeout).
        with contextlib.suppress(RedisUnavailable):
            await self._lose_dead_nodes(self._node)


def _encode(record: JsonObject) -> bytes:
    # As the SQLite store: default=str covers the odd value a log record's extras carry.
    return orjson.dumps(record, default=str)


def _encode_with_id(record: JsonObject) -> bytes:
    """The record's JSON with its id first, where the write script finds it to move it."""
    blob = _encode(record)
    if not blob.startswith(b'{"id":'):
        blob = _encode({"id": record["id"], **record})
    return blob


def _trace_facts(summary: JsonObject, started: float, fields: Sequence[bytes]) -> Facts:
    """A listed trace's fields (``_query``), its start the score it is indexed by; ``fields``: its
    hash (HGETALL's flat list), whose ``e:<span>`` are its failed spans' error messages."""
    facts: dict[str, Any] = {
        "key": (started, summary["traceId"]),
        "traceId": summary["traceId"],
        "startedAt": started,
        "status": summary["status"],
        "answered": answered_code(summary["entry"]),
    }
    steps = [step["name"] for step in summary["steps"]]

    def fact(field: str) -> Any:
        if field == "steps":
            return steps
        if field == "text":
            errors = [
                fields[at + 1].decode()
                for at in range(0, len(fields), 2)
                if fields[at].startswith((b"e:", b"c:"))
            ]
            return trace_text(summary["traceId"], summary["entry"], steps, errors)
        return facts[field]

    return fact


def _summary(trace_id: str, fields: Sequence[bytes]) -> JsonObject | None:
    """A trace's summary from its hash (HGETALL's flat list); None when its row was never written."""
    row: dict[str, str] = {}
    steps: list[tuple[float, str, str]] = []
    for at in range(0, len(fields), 2):
        name, value = fields[at].decode(), fields[at + 1].decode()
        if name.startswith("s:"):
            first, _, language = value.partition("|")
            steps.append((float(first), name[2:], language))
        elif not name.startswith(("e:", "c:")):  # a failed span's error and cause (``_trace_facts``)
            row[name] = value
    if "started" not in row:
        return None
    steps.sort()
    code = row.get("code")
    entry = entry_of(row.get("kind"), row.get("name"), row.get("method"), row.get("path"),
                     None if code is None else int(code))  # fmt: skip
    open_work, failures = int(row.get("open", 0)), int(row.get("failures", 0))
    return trace_summary(
        trace_id,
        float(row["started"]),
        float(row["updated"]),
        entry,
        open_work,
        failures,
        int(row.get("spans", 0)),
        [{"name": name, "language": language} for _first, name, language in steps],
        int(row.get("changes", 0)),
    )
