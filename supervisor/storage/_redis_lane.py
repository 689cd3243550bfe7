"""One Redis connection that every short command shares: written at once, replies matched in order.

A pooled redis-py command checks a connection out, sends, reads and checks it back in, with its
bookkeeping each time; on this machine that costs the supervisor ~80 µs of CPU per command, several
times the round trip itself. Here concurrent callers queue their commands on one connection (Redis
answers in the order it reads), the commands of one turn of the event loop go out in one write, and
one reader task hands each reply to the caller next in line: a multiplexed, auto-pipelined
connection, as node-redis and Lettuce keep by default.

For short commands and scripts only: nothing that blocks (``BLPOP``, ``XREAD BLOCK``), subscribes or
needs a connection of its own (``MULTI``/``WATCH``), which stay on the pool. A caller that stops
waiting (cancelled) keeps its place in line: its reply is read and dropped. The connection is
opened with the pool's settings (redis-py does the handshake: TLS, AUTH, SELECT), and when it fails
every caller still waiting gets the error; the next command opens a new one.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import redis.asyncio as aioredis
from redis import exceptions as redis_errors
from redis.asyncio.connection import AbstractConnection

#: past this many bytes not yet taken by the socket, a writer waits (Redis reads slower than we write)
WRITE_HIGH_WATER = 1 << 20


class _Link:
    """One open connection of the lane, with the callers waiting on it in the order they wrote."""

    def __init__(self, connection: AbstractConnection, writer: asyncio.StreamWriter) -> None:
        self.connection = connection
        self.writer = writer
        self.waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        #: commands queued this turn of the loop, written together at its end (one send, one read)
        self.outbox: list[bytes] = []
        self.reader: asyncio.Task[None] | None = None
        self.closed = False

    def flush(self) -> None:
        if self.outbox and not self.closed:
            self.writer.writelines(self.outbox)
        self.outbox = []


class RedisLane:
    def __init__(self, pool: aioredis.ConnectionPool) -> None:
        self._pool = pool
        self._link: _Link | None = None
        self._opening: asyncio.Task[_Link] | None = None

    async def execute(self, *args: Any) -> Any:
        """Send one command; its reply (a ``ResponseError`` raised), as redis-py parses it."""
        link = self._link or await self._open()
        if link.closed:  # reset while we waited for it to open
            raise redis_errors.ConnectionError("the Redis connection was closed")
        if link.writer.transport.get_write_buffer_size() > WRITE_HIGH_WATER:
            await link.writer.drain()
            if link.closed:
                raise redis_errors.ConnectionError("the Redis connection was closed")
        packed = link.connection.pack_command(*args)  # before taking a place: it may raise (DataError)
        loop = asyncio.get_running_loop()
        reply = loop.create_future()
        link.waiting.append(reply)
        if not link.outbox:
            loop.call_soon(link.flush)
        link.outbox.extend(packed)
        return await reply

    async def _open(self) -> _Link:
        # One opening for all callers, in a task of its own: a caller that stops waiting does not end
        # it for the others, and ``reset`` ends it (a silent server can hold redis-py's handshake).
        if self._opening is None:
            self._opening = asyncio.get_running_loop().create_task(self._connect(), name="redis-lane-open")
        return await asyncio.shield(self._opening)

    async def _connect(self) -> _Link:
        connection = self._pool.make_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.connect()
        except BaseException:
            if connection._writer is not None:  # cut short in the handshake (reset): not left open
                connection._writer.transport.abort()
            raise
        finally:
            if self._opening is asyncio.current_task():
                self._opening = None
        # redis-py's own writes await (a drain each): the lane writes on its stream itself, so that
        # the commands go out in the order their callers queued for the replies
        writer = connection._writer
        if writer is None:
            raise redis_errors.ConnectionError("the Redis connection closed while opening")
        link = _Link(connection, writer)
        link.reader = asyncio.get_running_loop().create_task(self._read(link), name="redis-lane")
        self._link = link
        return link

    async def _read(self, link: _Link) -> None:
        waiting = link.waiting
        try:
            while True:
                try:
                    reply = await link.connection.read_response()  # the pool's socket_timeout: none
                except redis_errors.ResponseError as exc:
                    answered = waiting.popleft()
                    if not answered.done():
                        answered.set_exception(exc)
                    continue
                answered = waiting.popleft()
                if not answered.done():
                    answered.set_result(reply)
        except asyncio.CancelledError:
            self._close(link, redis_errors.ConnectionError("the Redis connection was closed"))
            raise
        except Exception as exc:
            self._close(link, exc)

    def reset(self, error: BaseException) -> None:
        """Drop the connection; every caller still waiting gets ``error`` (the next command reconnects)."""
        opening, self._opening = self._opening, None
        if opening is not None:
            opening.cancel()
        if self._link is not None:
            self._close(self._link, error)

    def _close(self, link: _Link, error: BaseException) -> None:
        if self._link is link:
            self._link = None
        if link.closed:
            return
        link.closed = True
        if link.reader is not None and link.reader is not asyncio.current_task():
            link.reader.cancel()
        link.writer.transport.abort()  # at once, even with bytes unsent
        for reply in link.waiting:
            if not reply.done():
                reply.set_exception(error)
        link.waiting.clear()

    async def close(self) -> None:
        link = self._link
        self.reset(redis_errors.ConnectionError("the Redis connection was closed"))
        if link is not None and link.reader is not None:
            await asyncio.gather(link.reader, return_exceptions=True)
