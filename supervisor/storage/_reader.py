"""Reads on their own connections: in a small thread pool, or for a lookup by key, on the caller's thread.

In WAL mode readers do not wait for the writer and see the last committed state;
each read callable of the pool runs inside one read transaction so that several
SELECTs in it see the same snapshot.

A lookup of one row by its key (``state.get``, the hottest read a handler makes) costs a few
µs in SQLite and ~100-150 µs as a round trip through a worker thread (two thread wake-ups and
the GIL handed back and forth; bench/context_calls.py): ``LookupReader`` runs it on the
calling thread instead, on a connection of that thread that never waits for a lock (one
that would gets the pool's answer instead).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class LookupBusy(Exception):
    """The lookup would have had to wait for a lock (WAL recovery, a schema change)."""


class ReadPool:
    def __init__(self, connect: Callable[[], sqlite3.Connection], threads: int, name: str) -> None:
        self._connect = connect
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    def close(self) -> None:
        """Wait for queued reads, then close every connection (blocking)."""
        self._executor.shutdown(wait=True)
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._thread_connection()
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    def _thread_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn


class LookupReader:
    """Single-statement reads on the calling thread's own read connection, without waiting.

    Only for reads bounded by an index lookup: whatever ``fn`` does blocks the caller (an event
    loop) for as long as it takes. Each statement is its own snapshot (autocommit).
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(conn)`` now; raises ``LookupBusy`` instead of waiting for a lock."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
        try:
            return fn(conn)
        except sqlite3.OperationalError as exc:
            if (exc.sqlite_errorcode & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise LookupBusy(str(exc)) from None
            raise

    def _open(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise LookupBusy("the database is closing")
            conn = self._connect()
            # Never wait on the caller's thread: a lock held elsewhere sends the read to the pool.
            conn.execute("PRAGMA busy_timeout = 0")
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._connections:
                conn.close()
            self._connections.clear()
