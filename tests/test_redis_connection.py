"""The shared Redis connection: every adapter's pub/sub channel is listened to, whenever it registers;
a Redis that stops answering (SIGSTOP) fails what waits on it, by name, and is used again once it answers;
every TCP connection to it has keepalive and a user timeout, so a cut one is dropped by the kernel."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from redis.exceptions import DataError, ResponseError

from supervisor.state import RedisStateStore
from supervisor.storage import RedisConnection, RedisUnavailable
from supervisor.storage._redis import (
    KEEPALIVE_IDLE_S,
    KEEPALIVE_INTERVAL_S,
    KEEPALIVE_PROBES,
    TCP_USER_TIMEOUT_MS,
)
from tests.support.redis_server import RedisServer, redis_server_binary


async def test_a_channel_registered_after_the_listener_started_is_listened_to_too(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    connection = await RedisConnection.open(redis_server.url, redis_prefix)
    try:
        first: asyncio.Queue[bytes] = asyncio.Queue()
        later: asyncio.Queue[bytes] = asyncio.Queue()
        connection.on_message(redis_prefix + "first", first.put_nowait)
        await connection.subscribed()
        connection.on_message(redis_prefix + "later", later.put_nowait)  # as the queue's, after the streams'
        await connection.subscribed()
        await connection.client.publish(redis_prefix + "later", b"to the later one")
        await connection.client.publish(redis_prefix + "first", b"to the first one")
        assert await asyncio.wait_for(later.get(), 5) == b"to the later one"
        assert await asyncio.wait_for(first.get(), 5) == b"to the first one"
    finally:
        await connection.close()


async def test_a_redis_that_stops_answering_fails_the_waiting_commands_and_serves_again_once_resumed(
    own_redis: RedisServer, redis_prefix: str
) -> None:
    connection = await RedisConnection.open(own_redis.url, redis_prefix, answer_within=1.0)
    try:
        state = RedisStateStore(connection)
        heard: asyncio.Queue[bytes] = asyncio.Queue()
        connection.on_message(redis_prefix + "news", heard.put_nowait)
        back = asyncio.Event()
        connection.on_reconnect(back.set)
        await connection.subscribed()
        await state.set("pets", "1", {"name": "Rex"})

        own_redis.pause()  # alive, its port accepts, nothing answers
        try:
            # bounded here only so that a regression fails instead of hanging the run
            with pytest.raises(RedisUnavailable) as waiting:
                await asyncio.wait_for(state.get("pets", "1"), 30)
            message = str(waiting.value)
            assert own_redis.url in message, message
            assert "no answer to a PING within 1s" in message, message
            assert "given up" in message, message
            assert not connection.available
            with pytest.raises(RedisUnavailable, match="no answer to a PING within 1s"):
                await asyncio.wait_for(state.set("pets", "2", {"name": "Tom"}), 1)  # at once while down
        finally:
            own_redis.resume()

        # the same server, not restarted: the connection is used again, pub/sub included
        await asyncio.wait_for(back.wait(), 30)
        assert connection.available
        assert await state.get("pets", "1") == {"name": "Rex"}
        await connection.client.publish(redis_prefix + "news", b"back")
        assert await asyncio.wait_for(heard.get(), 5) == b"back"
    finally:
        own_redis.resume()
        await connection.close()


async def test_a_command_its_caller_cancels_on_a_silent_redis_is_cancelled_not_failed(
    own_redis: RedisServer, redis_prefix: str
) -> None:
    connection = await RedisConnection.open(own_redis.url, redis_prefix, answer_within=5.0)
    try:
        state = RedisStateStore(connection)
        await state.set("pets", "1", {"name": "Rex"})
        own_redis.pause()
        waiting = asyncio.get_running_loop().create_task(state.get("pets", "1"))
        await asyncio.sleep(0.2)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        own_redis.resume()
        assert await asyncio.wait_for(state.get("pets", "1"), 10) == {"name": "Rex"}
    finally:
        own_redis.resume()
        await connection.close()


async def test_a_redis_that_accepts_but_does_not_answer_at_start_is_named(
    own_redis: RedisServer, redis_prefix: str
) -> None:
    own_redis.pause()
    try:
        with pytest.raises(RedisUnavailable, match="did not answer within 1s") as refused:
            await asyncio.wait_for(RedisConnection.open(own_redis.url, redis_prefix, answer_within=1.0), 30)
        assert own_redis.url in str(refused.value)
    finally:
        own_redis.resume()


async def test_concurrent_commands_on_the_shared_lane_each_get_their_own_reply(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    connection = await RedisConnection.open(redis_server.url, redis_prefix)
    try:
        keys = [f"{redis_prefix}n{n}" for n in range(300)]
        await asyncio.gather(*(connection.execute("SET", key, n) for n, key in enumerate(keys)))
        # one of them cancelled by its caller while the others wait behind it: its reply is dropped
        gets = [asyncio.ensure_future(connection.execute("GET", key)) for key in keys]
        await asyncio.sleep(0)  # each has written its command and waits for its reply
        gets[7].cancel()
        replies = await asyncio.gather(*gets, return_exceptions=True)
        assert isinstance(replies[7], asyncio.CancelledError)
        expected = [str(n).encode() for n in range(300)]
        assert replies[:7] + replies[8:] == expected[:7] + expected[8:]
        # an error answers its own caller only, whether Redis or redis-py's encoder raised it
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await connection.execute("HGET", keys[0], "field")
        with pytest.raises(DataError):
            await connection.execute("SET", keys[0], {"not": "encodable"})
        assert await asyncio.wait_for(connection.execute("GET", keys[1]), 10) == b"1"  # still in step
    finally:
        await connection.close()


async def test_a_script_the_server_forgot_is_loaded_again(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    connection = await RedisConnection.open(redis_server.url, redis_prefix)
    try:
        script = connection.script("return redis.call('INCR', KEYS[1])")
        key = redis_prefix + "counter"
        assert await connection.run(script, [key]) == 1
        await connection.execute("SCRIPT", "FLUSH")  # as a restarted or failed-over Redis has
        assert await connection.run(script, [key]) == 2
    finally:
        await connection.close()


async def test_a_restarted_redis_is_used_again_through_a_new_lane_connection(
    own_redis: RedisServer, redis_prefix: str, tmp_path: Path
) -> None:
    connection = await RedisConnection.open(own_redis.url, redis_prefix)
    try:
        back = asyncio.Event()
        connection.on_reconnect(back.set)
        await connection.execute("SET", redis_prefix + "k", "v")
        own_redis.stop()
        with pytest.raises(RedisUnavailable, match="unreachable"):
            await connection.execute("GET", redis_prefix + "k")
        restarted = RedisServer(tmp_path / "redis", redis_server_binary(), port=own_redis.port)
        try:
            await asyncio.wait_for(back.wait(), 30)
            assert await connection.execute("GET", redis_prefix + "k") is None  # a fresh server: no save
            await connection.execute("SET", redis_prefix + "k", "again")
            assert await connection.execute("GET", redis_prefix + "k") == b"again"
        finally:
            restarted.stop()
    finally:
        await connection.close()


def _tcp_options(sock: socket.socket) -> dict[str, int]:
    found = {"SO_KEEPALIVE": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)}
    for name in ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT"):
        if hasattr(socket, name):
            found[name] = sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, name))
    return found


async def test_the_lane_and_the_pooled_connections_have_tcp_keepalive_and_a_user_timeout(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    connection = await RedisConnection.open(redis_server.url, redis_prefix)
    pool = connection.client.connection_pool
    try:
        await connection.execute("PING")  # opens the lane's connection
        lane = connection.lane._link
        assert lane is not None
        pooled = await pool.get_connection()  # type: ignore[no-untyped-call]  # as pub/sub and pipelines do
        try:
            sockets = {"lane": lane.connection._writer, "pooled": pooled._writer}
            expected = {"SO_KEEPALIVE": 1, "TCP_KEEPIDLE": KEEPALIVE_IDLE_S, "TCP_KEEPINTVL": KEEPALIVE_INTERVAL_S,
                        "TCP_KEEPCNT": KEEPALIVE_PROBES, "TCP_USER_TIMEOUT": TCP_USER_TIMEOUT_MS}  # fmt: skip
            for name, writer in sockets.items():
                assert writer is not None, name
                found = _tcp_options(writer.transport.get_extra_info("socket"))
                assert found == {key: value for key, value in expected.items() if key in found}, name
                assert "TCP_KEEPIDLE" in found and "TCP_USER_TIMEOUT" in found  # Linux, where CI runs
        finally:
            await pool.release(pooled)
    finally:
        await connection.close()


async def test_a_redis_reached_through_a_unix_socket_serves_commands_and_pub_sub(
    tmp_path: Path, redis_prefix: str
) -> None:
    server = RedisServer(tmp_path / "redis", redis_server_binary(), unix_socket=True)
    try:
        assert server.unix_url is not None
        connection = await RedisConnection.open(server.unix_url, redis_prefix)  # no TCP options there
        try:
            heard: asyncio.Queue[bytes] = asyncio.Queue()
            connection.on_message(redis_prefix + "news", heard.put_nowait)
            await connection.subscribed()
            await RedisStateStore(connection).set("pets", "1", {"name": "Rex"})
            assert await RedisStateStore(connection).get("pets", "1") == {"name": "Rex"}
            await connection.client.publish(redis_prefix + "news", b"over the socket")
            assert await asyncio.wait_for(heard.get(), 5) == b"over the socket"
        finally:
            await connection.close()
    finally:
        server.stop()
