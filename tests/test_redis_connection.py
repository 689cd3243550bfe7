"""The shared Redis connection: every adapter's pub/sub channel is listened to, whenever it registers."""

from __future__ import annotations

import asyncio

from supervisor.storage import RedisConnection
from tests.support.redis_server import RedisServer


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
