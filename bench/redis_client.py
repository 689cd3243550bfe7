"""The CPU one state call costs the supervisor on Redis, by client setting, in one process and one run.

Usage: .venv/bin/python bench/redis_client.py [--rounds 5] [--calls 4000] [--concurrency 1,32]
       [--json PATH]

The api step of ``bench/scale_out.py`` makes one ``state.set`` and one ``state.get`` per request;
here the Redis state store's two commands (its set script and an HGET) run in a loop
(``concurrency`` loops at once, as concurrent requests do) on a redis-server this script starts,
through the variants below, rotated round by round so that the machine's noise hits all alike.
Measured: this process's CPU (user + system) per set+get pair, which is what the supervisor pays
per request on top of SQLite's in-process state.

Variants (the first three: each command a pooled redis-py command, as the store made them before the lane):

- ``timeouts``: the pool as it was, a 10 s socket timeout on every read and a 10 s pool wait;
- ``no socket timeout``: reads without a timeout (the connection's watcher finds a silent Redis);
- ``no timeouts``: neither (the watcher also ends waits for a pool connection on a silent Redis);
- ``... +hiredis``: the same with redis-py's hiredis parser (when the hiredis package is installed);
- ``lane``, ``lane +hiredis``: the store as it is, on the connection's shared lane (one connection,
  commands written at once, replies matched in order by one reader: ``storage/_redis_lane.py``);
- ``raw RESP``: one hand-written HSET and HGET per pair on asyncio streams, no client library: the floor.

Then a stream item read (``streams.get``: one HGET and the item's decoding) per call, in the same
rounds: ``stream get, pooled`` as the stream store made it before (a pooled redis-py command on the
connection's own pool), ``stream get, lane`` as it is (the shared lane).

Then one large reply: ``getGroup`` of ``--group`` items on the lane, with redis-py's Python parser
and with hiredis's (the loop is blocked for as long as it takes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import redis.asyncio as aioredis  # noqa: E402
from redis._parsers import _AsyncRESP2Parser  # noqa: E402
from redis.asyncio.connection import DefaultParser  # noqa: E402
from report import machine  # noqa: E402
from scale_out import redis_server  # noqa: E402

from supervisor.state import RedisStateStore  # noqa: E402
from supervisor.storage import RedisConnection, decode_json, encode_json  # noqa: E402
from supervisor.storage._redis_lane import RedisLane  # noqa: E402
from supervisor.streams import RedisStreamStore  # noqa: E402

HIREDIS = DefaultParser is not _AsyncRESP2Parser and DefaultParser.__name__ == "_AsyncHiredisParser"
BASE = {"max_connections": 64, "socket_connect_timeout": 3.0, "health_check_interval": 30}
VARIANTS: dict[str, dict[str, Any]] = {
    "timeouts": {"timeout": 10.0, "socket_timeout": 10.0},
    "no socket timeout": {"timeout": 10.0, "socket_timeout": None},
    "no timeouts": {"timeout": None, "socket_timeout": None},
}


def variants() -> dict[str, dict[str, Any] | None]:
    chosen: dict[str, dict[str, Any] | None] = {}
    for name, options in VARIANTS.items():
        chosen[name] = {**BASE, **options, "parser_class": _AsyncRESP2Parser}
        if HIREDIS:
            chosen[f"{name} +hiredis"] = {**BASE, **options, "parser_class": DefaultParser}
    chosen["lane"] = {"socket_timeout": None, "parser_class": _AsyncRESP2Parser, "lane": True}
    if HIREDIS:
        chosen["lane +hiredis"] = {"socket_timeout": None, "parser_class": DefaultParser, "lane": True}
    chosen["raw RESP"] = None
    return chosen


async def _pairs(call: Callable[[int], Awaitable[None]], calls: int, concurrency: int) -> float:
    """CPU seconds per call of ``call`` (``calls`` in all, ``concurrency`` at once)."""

    async def loop(worker: int) -> None:
        for n in range(calls // concurrency):
            await call(worker * calls + n)

    await asyncio.gather(*(loop(w) for w in range(concurrency)))  # warm: connections, scripts
    began = time.process_time()
    await asyncio.gather(*(loop(w) for w in range(concurrency)))
    return (time.process_time() - began) / (calls // concurrency * concurrency)


async def measure_client(url: str, options: dict[str, Any], calls: int, concurrency: int) -> float:
    """The store's two commands as it made them before the lane: each a pooled redis-py command."""
    connection = await RedisConnection.open(url, f"bench:{time.monotonic_ns()}:")
    old = connection.client
    connection.client = aioredis.Redis.from_pool(aioredis.BlockingConnectionPool.from_url(url, **options))
    await old.aclose()
    store = RedisStateStore(connection)  # its keys and script, run here through the client
    script = connection.client.register_script(store._set.script)
    keys = [*store._keys("bench"), store._seq_key]

    async def pair(n: int) -> None:
        key = str(n % 100)
        blob = encode_json({"ok": True}, "bench")
        await connection.call(script(keys=keys, args=[key, blob, "bench"]))
        decode_json(await connection.call(connection.client.hget(keys[0], key)))

    try:
        return await _pairs(pair, calls, concurrency)
    finally:
        await connection.close()


async def measure_lane(url: str, options: dict[str, Any], calls: int, concurrency: int) -> float:
    """The store as it is: every call on the connection's shared lane (here with ``options``' parser)."""
    connection = await RedisConnection.open(url, f"bench:{time.monotonic_ns()}:")
    await connection.lane.close()
    connection.lane = RedisLane(aioredis.BlockingConnectionPool.from_url(url, **options))
    store = RedisStateStore(connection)

    async def pair(n: int) -> None:
        await store.set("bench", str(n % 100), {"ok": True})
        await store.get("bench", str(n % 100))

    try:
        return await _pairs(pair, calls, concurrency)
    finally:
        await connection.close()


STREAM_GETS = ("stream get, pooled", "stream get, lane")


async def measure_stream_get(url: str, variant: str, calls: int, concurrency: int) -> float:
    """One stream item read per call, as a pooled redis-py command or through the store (the lane)."""
    connection = await RedisConnection.open(url, f"bench:{time.monotonic_ns()}:")
    store = RedisStreamStore(connection)
    pet = {"name": "Rex", "species": "dog", "age": 3, "tags": ["friendly", "vaccinated"]}
    await asyncio.gather(*(store.set("pets", "all", str(n), pet) for n in range(100)))
    items_key = store._items_key("pets", "all")

    async def pooled(n: int) -> None:
        decode_json(await connection.call(connection.client.hget(items_key, str(n % 100))))

    async def lane(n: int) -> None:
        await store.get("pets", "all", str(n % 100))

    try:
        return await _pairs(pooled if variant.endswith("pooled") else lane, calls, concurrency)
    finally:
        await store.close()
        await connection.close()


async def measure_raw(url: str, calls: int, concurrency: int) -> float:
    """Two hand-written round trips per pair (HSET and HGET), one connection per worker."""
    host, port = url.removeprefix("redis://").split("/")[0].split(":")
    streams = [await asyncio.open_connection(host, int(port)) for _ in range(concurrency)]

    def command(*args: bytes) -> bytes:
        return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

    async def pair(n: int) -> None:
        reader, writer = streams[n // calls]
        key = b"%d" % (n % 100)
        writer.write(command(b"HSET", b"raw", key, b'{"ok":true}'))
        await reader.readline()
        writer.write(command(b"HGET", b"raw", key))
        await reader.readline()
        await reader.readline()

    try:
        return await _pairs(pair, calls, concurrency)
    finally:
        for _, writer in streams:
            writer.close()


async def measure_group(url: str, parser_class: type, size: int, reads: int) -> float:
    """CPU seconds of the cheapest of ``reads`` ``getGroup`` calls on a group of ``size`` items (lane)."""
    connection = await RedisConnection.open(url, f"bench:{time.monotonic_ns()}:")
    await connection.lane.close()
    options = {"socket_timeout": None, "parser_class": parser_class}
    connection.lane = RedisLane(aioredis.BlockingConnectionPool.from_url(url, **options))
    store = RedisStateStore(connection)
    try:
        pet = {"name": "Rex", "species": "dog", "age": 3, "tags": ["friendly", "vaccinated"]}
        await asyncio.gather(*(store.set("pets", str(n), pet | {"id": n}) for n in range(size)))
        best = float("inf")
        for _ in range(reads):
            began = time.process_time()
            await store.get_group("pets")
            best = min(best, time.process_time() - began)
        return best
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--concurrency", default="1,32")
    parser.add_argument("--group", type=int, default=10_000, help="items of the getGroup read (0: none)")
    parser.add_argument("--json", type=Path, default=BENCH / "redis_client.json")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    info = machine()
    chosen = variants()
    results: dict[str, dict[int, list[float]]] = {
        name: {c: [] for c in levels} for name in (*chosen, *STREAM_GETS)
    }
    with (
        tempfile.TemporaryDirectory(prefix="motia-redis-client-") as tmp,
        redis_server(Path(tmp)) as (url, _),
    ):
        for round_index in range(args.rounds):
            for name, options in chosen.items():
                for level in levels:
                    if options is None:
                        cpu = asyncio.run(measure_raw(url, args.calls, level))
                    elif options.get("lane"):
                        lane = {key: value for key, value in options.items() if key != "lane"}
                        cpu = asyncio.run(measure_lane(url, lane, args.calls, level))
                    else:
                        cpu = asyncio.run(measure_client(url, options, args.calls, level))
                    results[name][level].append(cpu * 1e6)
            for name in STREAM_GETS:
                for level in levels:
                    cpu = asyncio.run(measure_stream_get(url, name, args.calls, level))
                    results[name][level].append(cpu * 1e6)
            print(f"round {round_index + 1} done", flush=True)
        parsers = {"python": _AsyncRESP2Parser} | ({"hiredis": DefaultParser} if HIREDIS else {})
        group = {
            name: asyncio.run(measure_group(url, parser_class, args.group, 15)) * 1e3
            for name, parser_class in parsers.items()
            if args.group
        }
    median = {name: {c: statistics.median(runs) for c, runs in by.items()} for name, by in results.items()}
    base = median["timeouts"]
    print("\nµs of CPU per state.set + state.get pair (median of rounds), and against 'timeouts'")
    print(f"{'variant':28s}" + "".join(f" {'c=' + str(c):>8s} {'x':>5s}" for c in levels))
    for name, by in median.items():
        if name not in STREAM_GETS:
            print(f"{name:28s}" + "".join(f" {by[c]:8.1f} {by[c] / base[c]:5.2f}" for c in levels))
    pooled = median[STREAM_GETS[0]]
    print("\nµs of CPU per stream item get (median of rounds), and against the pooled one")
    for name in STREAM_GETS:
        by = median[name]
        print(f"{name:28s}" + "".join(f" {by[c]:8.1f} {by[c] / pooled[c]:5.2f}" for c in levels))
    for name, ms in group.items():
        print(f"getGroup of {args.group:,} items on the lane, {name} parser: {ms:.1f} ms of CPU (best of 15)")
    record = {"machine": info, "args": vars(args) | {"json": str(args.json)}, "runs": results}
    args.json.write_text(json.dumps(record | {"median": median, "group_ms": group}, indent=2) + "\n")


if __name__ == "__main__":
    main()
