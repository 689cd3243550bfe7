"""The shared Redis connection every Redis adapter uses (state, streams, queue, cron, traces).

Per supervisor: one connection that short commands and scripts share (``RedisLane``, through
``execute`` and ``run``: no pooled checkout per command), a ``redis.asyncio`` client (a connection
pool) for the rest (pipelines, reads of whole streams), and one pub/sub connection for what other
supervisors announce. The connection is watched: a command that fails for want of Redis marks it
down at once (callers get ``RedisUnavailable``, which the HTTP layer answers with a 503), and a
watcher probes it with backoff, reports the outage once and then while it lasts, and says when it
is back. Whoever keeps something that a gap in the pub/sub feed makes stale (stream clients, the
event bus) registers ``on_reconnect`` to catch up.

Commands carry no timeout of their own (redis-py's timers on the pool wait and on each read cost a
pooled command a fifth of its CPU). A Redis that is alive but does not answer (a stopped process, a
cut network) is found by the watcher instead: its PING on the lane, every ``PROBE_EVERY_S``, has
``answer_within`` seconds (a server busy in a long script answers BUSY meanwhile, so only a silent
one runs out); then every command still waiting is given up with a ``RedisUnavailable`` saying so,
the lane's connection is dropped, and the connection is down until a PING is answered again.
Every connection also has TCP keepalive and a TCP user timeout (``tcp_keepalive``), so that the
kernel drops a pooled one cut off from a Redis that lives on, which the lane's PING cannot see.

Keys all start with the configured prefix, so several projects can share one Redis. Scripts name
keys they compute themselves, which a standalone Redis (and a primary with replicas) accepts and
Redis Cluster does not: the adapters are for a standalone Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis import exceptions as redis_errors
from redis.commands.core import AsyncScript

from ._redis_lane import RedisLane
from ._redis_names import RedisUnavailable, redacted

_logger = logging.getLogger("motia.redis")

MessageHandler = Callable[[bytes], None]

PROBE_EVERY_S = 2.0
#: a PING unanswered this long means a hung Redis (was the per-command socket timeout)
ANSWER_WITHIN_S = 10.0
MAX_CONNECTIONS = 64
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 5.0
PUBSUB_CLOSE_S = 1.0
PUBSUB_READ_S = 0.5
#: TCP keepalive on every connection: the first probe after this much silence, then every interval; a
#: peer that answers none of the probes is dropped (idle + interval x probes = 30 s after its last word)
KEEPALIVE_IDLE_S = 15
KEEPALIVE_INTERVAL_S = 5
KEEPALIVE_PROBES = 3
#: data sent and not acknowledged by the peer's kernel for this long drops the connection (Linux)
TCP_USER_TIMEOUT_MS = (KEEPALIVE_IDLE_S + KEEPALIVE_INTERVAL_S * KEEPALIVE_PROBES) * 1000
_LOST = (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError)


class _Silent(Exception):
    """Redis accepted our bytes and did not answer (the watcher's PING ran out of time)."""


def tcp_keepalive(url: str) -> dict[str, Any]:
    """redis-py's connection options that make the kernel find a connection whose peer is gone.

    The watcher's PING runs on the lane's connection only: a pooled one (pub/sub, pipelines) cut off
    from a Redis that lives on (a network cut, a NAT or load balancer that forgot an idle flow) would
    wait on its read forever, as commands carry no socket timeout. Keepalive probes find an idle one
    (and keep middleboxes' idle timers, often 4-10 min, from firing); ``TCP_USER_TIMEOUT`` finds one
    with a command in flight, which keepalive does not probe (retransmissions would go on for ~15
    min). Both count only the peer kernel's acknowledgements, which a busy (a long script) or stopped
    (SIGSTOP) redis-server still sends: those are the watcher's to find, never these. A unix socket
    has no such states (and redis-py refuses the options there).
    """
    if urlsplit(url).scheme == "unix":
        return {}
    wanted = {
        # Linux's names (macOS calls the idle time TCP_KEEPALIVE); an option the platform lacks is left out
        "TCP_KEEPIDLE" if hasattr(socket, "TCP_KEEPIDLE") else "TCP_KEEPALIVE": KEEPALIVE_IDLE_S,
        "TCP_KEEPINTVL": KEEPALIVE_INTERVAL_S,
        "TCP_KEEPCNT": KEEPALIVE_PROBES,
        "TCP_USER_TIMEOUT": TCP_USER_TIMEOUT_MS,
    }
    options = {getattr(socket, name): value for name, value in wanted.items() if hasattr(socket, name)}
    return {"socket_keepalive": True, "socket_keepalive_options": options}


class RedisConnection:
    def __init__(self, url: str, prefix: str = "motia:", *, answer_within: float = ANSWER_WITHIN_S) -> None:
        self.url = url
        self.prefix = prefix
        self.answer_within = answer_within
        #: this process among the supervisors sharing the Redis (a consumer in the queue's groups)
        self.node = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        # A bounded pool: a burst of calls waits for a connection instead of opening hundreds.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            # No timers per command (the pool wait's and the read's cost a command a fifth of its
            # CPU, bench/redis_client.py): the watcher finds a silent Redis (module docstring).
            timeout=None,
            socket_connect_timeout=3.0,
            socket_timeout=None,
            health_check_interval=30,
            **tcp_keepalive(url),  # the lane's connection too: it is made with the pool's options
        )
        self.client: aioredis.Redis = aioredis.Redis.from_pool(pool)  # closing the client closes the pool
        self.lane = RedisLane(pool)
        self.available = True
        self._down_since = 0.0
        self._last_error = ""
        self._suspect = asyncio.Event()
        self._closed = False
        self._watcher: asyncio.Task[None] | None = None
        self._handlers: dict[str, MessageHandler] = {}
        self._subscriber: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._reconnect_callbacks: list[Callable[[], None]] = []
        #: the tasks awaiting a command now, and those of them the watcher gave up (a silent Redis)
        self._waiting: set[asyncio.Task[Any]] = set()
        self._given_up: set[asyncio.Task[Any]] = set()

    @classmethod
    async def open(
        cls, url: str, prefix: str = "motia:", *, answer_within: float = ANSWER_WITHIN_S
    ) -> RedisConnection:
        """Connect and check the server answers; ``RedisUnavailable`` says where and why not."""
        connection = cls(url, prefix, answer_within=answer_within)
        try:
            info = await asyncio.wait_for(connection.client.info("server"), answer_within)
        except TimeoutError:
            await connection.client.aclose()
            raise RedisUnavailable(
                f"Redis at {redacted(url)} accepted the connection but did not answer within "
                f"{answer_within:g}s (is the server stopped or overloaded?)"
            ) from None
        except _LOST as exc:
            await connection.client.aclose()
            raise RedisUnavailable(
                f'cannot reach Redis at {redacted(url)}: {exc} (the URL comes from the "redis" section '
                "of motia.config.json or MOTIA_REDIS_URL; is redis-server running there?)"
            ) from None
        except redis_errors.ResponseError as exc:  # e.g. NOAUTH, WRONGPASS
            await connection.client.aclose()
            raise RedisUnavailable(f"Redis at {redacted(url)} refused the connection: {exc}") from None
        version = str(info.get("redis_version", "0"))
        if int(version.split(".")[0]) < 7:
            await connection.client.aclose()
            raise RedisUnavailable(
                f"Redis at {redacted(url)} is version {version}; motia needs Redis 7 or newer"
            )
        _logger.info("connected to Redis %s at %s (keys prefixed %r)", version, redacted(url), prefix)
        connection._watcher = asyncio.get_running_loop().create_task(connection._watch(), name="redis-watch")
        return connection

    @property
    def outage(self) -> str | None:
        """Why Redis cannot be used now (for a 503 and the health check), or None while it can."""
        if self.available:
            return None
        return f"Redis at {redacted(self.url)} is unreachable ({self._last_error}); retrying"

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def script(self, source: str) -> AsyncScript:
        return self.client.register_script(source)

    async def run(self, script: AsyncScript, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> Any:
        """Run ``script`` on the shared lane (loaded first if this Redis does not know it yet)."""
        return await self.call(self._evalsha(script, keys, args))

    async def execute(self, *args: Any) -> Any:
        """One short command on the shared lane; its reply as RESP gives it (bytes, ints, lists)."""
        return await self.call(self.lane.execute(*args))

    async def _evalsha(self, script: AsyncScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return await self.lane.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except redis_errors.NoScriptError:  # a restarted or flushed Redis, or a replica promoted
            loaded = await self.lane.execute("SCRIPT", "LOAD", script.script)
            script.sha = loaded.decode() if isinstance(loaded, bytes) else str(loaded)
            return await self.lane.execute("EVALSHA", script.sha, len(keys), *keys, *args)

    async def call(self, command: Awaitable[Any]) -> Any:
        """Await one command; a lost connection becomes ``RedisUnavailable`` (and is reported).

        Any: redis-py types its replies loosely, callers say what they read."""
        if not self.available:
            if inspect.iscoroutine(command):
                command.close()  # never sent: nothing to await
            raise RedisUnavailable(f"Redis at {redacted(self.url)} is unreachable: {self._last_error}")
        task = asyncio.current_task()
        if task is not None:
            self._waiting.add(task)
        try:
            return await command
        except _LOST as exc:
            self._lost(exc)
            raise RedisUnavailable(f"Redis at {redacted(self.url)} is unreachable: {exc}") from None
        except asyncio.CancelledError:
            if task is not None and task in self._given_up and task.uncancel() == 0:
                raise RedisUnavailable(
                    f"Redis at {redacted(self.url)} stopped answering ({self._last_error}); the command "
                    "was given up, and may still take effect if that Redis resumes"
                ) from None
            raise  # cancelled by its caller (too)
        finally:
            if task is not None:
                self._waiting.discard(task)
                self._given_up.discard(task)

    def _give_up_waiting(self) -> None:
        """Fail every command waiting on a Redis that does not answer (``call`` says why)."""
        for task in self._waiting - self._given_up:
            self._given_up.add(task)
            task.cancel()  # redis-py drops the connection of a command cut short

    # ------------------------------------------------------------------ pub/sub

    def on_message(self, channel: str, handler: MessageHandler) -> None:
        """Call ``handler`` with every message published on ``channel`` (by any supervisor)."""
        new = channel not in self._handlers
        self._handlers[channel] = handler
        if self._watcher is None:
            return
        if self._subscriber is None:
            self._start_subscriber()
        elif new and not self._subscriber.done():
            # A channel added later (the adapters register theirs one by one): listen again, to all.
            self._subscriber.cancel()
            self._start_subscriber()

    async def subscribed(self) -> None:
        """Wait until the pub/sub connection listens to every channel registered so far."""
        await self._subscribed.wait()

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """``callback`` runs each time the connection comes back (pub/sub messages may have been lost)."""
        self._reconnect_callbacks.append(callback)

    def _start_subscriber(self) -> None:
        self._subscribed.clear()
        self._subscriber = asyncio.get_running_loop().create_task(self._subscribe(), name="redis-pubsub")

    async def _subscribe(self) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(*self._handlers)
            self._subscribed.set()
            this = asyncio.current_task()
            # redis-py's blocking read can swallow a cancellation: bounded reads, and a cancelled
            # task (close, or the watcher restarting the feed) stops at the next one.
            while this is None or not this.cancelling():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=PUBSUB_READ_S)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"]
                handler = self._handlers.get(channel.decode() if isinstance(channel, bytes) else channel)
                if handler is not None:
                    try:
                        handler(message["data"])
                    except Exception:
                        _logger.exception("handling a Redis message on %s failed", channel)
        except asyncio.CancelledError:
            raise
        except _LOST as exc:
            self._lost(exc)
        except Exception:
            _logger.exception("the Redis pub/sub listener failed")
            self._lost(RuntimeError("pub/sub listener failed"))
        finally:
            if self._subscriber is asyncio.current_task():  # not when a newer listener replaced it
                self._subscribed.clear()
            # Bounded: redis-py's close of a pub/sub cancelled mid-read can wait forever (and a
            # supervisor that stops must not); the pool's close drops the connection anyway.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), PUBSUB_CLOSE_S)  # type: ignore[no-untyped-call]

    # ------------------------------------------------------------------ the watcher

    def _lost(self, exc: BaseException) -> None:
        if self._closed:  # our own close cut a command short: not an outage
            return
        if isinstance(exc, _Silent):
            self._last_error = f"{exc}: the server is stopped, stuck or cut off"
        else:
            self._last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if self.available:
            self.available = False
            self._down_since = time.monotonic()
            _logger.error(
                "lost the connection to Redis at %s (%s); retrying with backoff, requests that need it "
                "answer 503 meanwhile",
                redacted(self.url),
                self._last_error,
            )
        self._suspect.set()

    async def _watch(self) -> None:
        tries = 0
        while not self._closed:
            if self.available:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._suspect.wait(), PROBE_EVERY_S)
                self._suspect.clear()
            else:
                delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(tries, 10))
                await asyncio.sleep(delay)
            try:
                try:
                    await asyncio.wait_for(self.lane.execute("PING"), self.answer_within)
                except TimeoutError:
                    raise _Silent(f"no answer to a PING within {self.answer_within:g}s") from None
            except redis_errors.ResponseError as exc:
                if not str(exc).startswith("BUSY"):
                    _logger.warning("probing Redis at %s: %s", redacted(self.url), exc)
                continue  # busy in a long script: answering, so not hung
            except (*_LOST, _Silent) as exc:
                tries += 1
                was_available = self.available
                self._lost(exc)
                if isinstance(exc, _Silent):
                    self._give_up_waiting()
                    self.lane.reset(redis_errors.ConnectionError(self._last_error))  # a new one when back
                if not was_available and tries % 4 == 0:
                    _logger.warning(
                        "Redis at %s still unreachable after %.0fs: %s",
                        redacted(self.url),
                        time.monotonic() - self._down_since,
                        self._last_error,
                    )
                if self._subscriber is not None:
                    self._subscriber.cancel()
                continue
            except Exception:
                _logger.exception("probing Redis failed")
                continue
            tries = 0
            if self._subscriber is not None and self._subscriber.done():
                self._start_subscriber()
            if not self.available:
                if self._subscriber is not None and not self._subscriber.done():
                    self._subscriber.cancel()
                if self._handlers:
                    self._start_subscriber()
                    try:
                        await asyncio.wait_for(self._subscribed.wait(), self.answer_within)
                    except TimeoutError:
                        continue  # the probe again decides: silent, lost, or back
                self.available = True
                _logger.warning(
                    "reconnected to Redis at %s after %.1fs",
                    redacted(self.url),
                    time.monotonic() - self._down_since,
                )
                for callback in self._reconnect_callbacks:
                    try:
                        callback()
                    except Exception:
                        _logger.exception("catching up after the Redis outage failed")

    async def close(self) -> None:
        self._closed = True
        for task in (self._watcher, self._subscriber):
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *(t for t in (self._watcher, self._subscriber) if t is not None), return_exceptions=True
        )
        await self.lane.close()
        await self.client.aclose()
