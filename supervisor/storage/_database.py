"""``SqliteDatabase``: the one place the project opens SQLite files.

Layout: one writer thread with its own connection (group commit, see
``_writer``) and a small pool of read connections (see ``_reader``). WAL lets
readers and the writer proceed without waiting on each other.

Durability, exactly: in WAL mode a COMMIT appends the transaction's pages to the ``-wal`` file with
``pwrite`` and, at ``synchronous = NORMAL`` (every connection of a durable file), returns without an
``fsync``. Once ``pwrite`` has returned the bytes are the kernel's (its page cache), and a process's
death, SIGKILL included, does not take them back: the next open replays the WAL. So "committed before
the caller is told" is all that an acknowledged write surviving ``kill -9`` of the supervisor needs,
and no sync is on that path. What NORMAL adds over OFF is the syncs of a checkpoint (the WAL before its
pages are copied back, then the database file): an OS crash or power loss can then drop only the
transactions committed since the last one, never corrupt the file. One emit to one subscriber, traced
with strace (bench/RESULTS.md, session 11): one commit on the event loop's thread, three WAL frames (six
``pwrite64``: a 24-byte header and a 4,096-byte page each), six ``fcntl`` locks, no ``fsync``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ._migrations import Migration, apply_migrations
from ._reader import LookupBusy, LookupReader, ReadPool
from ._schema import MIGRATIONS
from ._writer import GroupCommitWriter, WriteJob

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
#: the most writes of one loop turn (after its first) committed together on the loop's thread at the
#: turn's end; a larger burst shares a commit in the writer thread instead, off the loop
MAX_GROUP_NOW = 16


class SqliteDatabase:
    """A SQLite file with one group-committing writer and non-blocking reads.

    Opening is synchronous (it creates the file and runs migrations); from a
    running event loop prefer ``await SqliteDatabase.open(path)``.
    """

    def __init__(
        self,
        path: Path,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        read_threads: int = 2,
        durable: bool = True,
    ) -> None:
        """``durable=False``: commits are not synced at all (``synchronous = OFF``): a crash of the
        process still loses nothing committed, one of the machine may lose the last commits or corrupt
        the file. For data that is not worth a sync (traces and logs), never the queue or state."""
        self.path = Path(path)
        self._synchronous = "NORMAL" if durable else "OFF"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect(read_only=False)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            apply_migrations(conn, migrations, str(self.path))
        except BaseException:
            conn.close()
            raise
        self._writer = GroupCommitWriter(conn, name=f"motia-sqlite-writer:{self.path.name}")
        self._reads = ReadPool(
            lambda: self._connect(read_only=True), read_threads, name=f"motia-sqlite-read:{self.path.name}"
        )
        self._lookups = LookupReader(lambda: self._connect(read_only=True))
        self._closed = False
        #: a write may run on the caller's thread (``write``): in the durable file only, whose writes
        #: (state, streams, the queue) each have a handler or a request waiting on them; the traces file
        #: is written in background batches, which stay off the event loop
        self._writes_now = durable
        #: no write ran on the loop's thread yet in this loop turn
        self._now_free = True
        #: the writes of this loop turn after its first, committed together when the turn ends
        self._later: list[WriteJob] = []

    @classmethod
    async def open(
        cls, path: Path, *, migrations: Sequence[Migration] = MIGRATIONS, durable: bool = True
    ) -> SqliteDatabase:
        return await asyncio.to_thread(cls, path, migrations=migrations, durable=durable)

    @property
    def commits(self) -> int:
        """Write transactions committed since open; a group of writes counts once."""
        return self._writer.commits

    async def write(self, fn: Callable[[sqlite3.Connection], T], *, bulk: bool = False) -> T:
        """Run ``fn(conn)`` as one write (group commit, ``_writer``); returns once it is committed.

        ``fn`` must not commit, roll back or touch the event loop. If it raises, its own
        changes are rolled back and the exception is raised here; other callers in the
        same group are unaffected. Cancelling the await does not cancel the write.

        In a durable database, the first write of a loop turn that finds the writer idle runs at
        once, on this thread (``GroupCommitWriter.try_now``); the others of the turn are committed
        together right after the turn, on this thread too when the writer is still idle and they are
        few (``MAX_GROUP_NOW``), else in the writer thread: no hand-over to the thread and back for
        the two or three writes of handlers whose calls arrive together. Commits keep the order of
        the writes. ``bulk``: a write of unbounded size (every dead letter replayed or purged at
        once) always runs in the writer thread, which holds the event loop up for nothing.
        """
        if self._writes_now and not bulk:
            if self._later or not self._now_free:
                # After this turn's transaction on this thread, or behind writes that wait for it.
                # call_soon runs the commit first among the next turn's callbacks: neither asyncio nor
                # uvloop runs a callback after the others of the current turn within it. Under uvloop a
                # turn's callbacks run before its poll, so for writes made by what a read brought (a
                # runner's context calls) nothing read since comes first; the calls' tasks, which start
                # after it in that turn, find their writes committed and answer there
                # (supervisor.eager.Resumed).
                loop = asyncio.get_running_loop()
                future: asyncio.Future[T] = loop.create_future()
                if not self._later:
                    loop.call_soon(self._commit_later)
                self._later.append(WriteJob(fn, future))
                return await future
            done, value = self._writer.try_now(fn)
            if done:
                # One transaction per loop turn on this thread; the rest of the turn's writes wait
                # for its end (_commit_later).
                self._now_free = False
                asyncio.get_running_loop().call_soon(self._free_now)
                return value  # type: ignore[return-value]  # fn's result, None included
        elif self._later:  # a bulk write queues behind the writes still waiting for this turn's end
            self._commit_later(on_loop=False)
        return await self._writer.submit(fn)

    def _free_now(self) -> None:
        self._now_free = True

    def _commit_later(self, *, on_loop: bool = True) -> None:
        """The writes of the last loop turn after its first: one commit on this thread if the writer is
        idle and they are few, else queued in order for the writer thread. Until they are, every
        write of this turn waits behind them, so commits keep the order of the writes."""
        jobs, self._later = self._later, []
        if not jobs:  # already queued, behind a bulk write
            return
        if on_loop and len(jobs) <= MAX_GROUP_NOW and self._writer.try_now_group(jobs):
            self._now_free = False
            asyncio.get_running_loop().call_soon(self._free_now)
        else:
            self._writer.submit_group(jobs)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` on a read connection in a worker thread, in one snapshot."""
        return await self._reads.run(fn)

    async def lookup(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)``, one SELECT of a few rows by an index, on the calling thread: no worker
        thread hop. Anything that may scan or return much belongs in ``read``. A lookup that would
        wait for a lock goes to ``read`` instead."""
        try:
            return self._lookups.run(fn)
        except LookupBusy:
            return await self._reads.run(fn)

    async def close(self) -> None:
        """Finish queued writes and reads, then close every connection. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._commit_later(on_loop=False)  # the writes still waiting for their turn's end go first
        await asyncio.to_thread(self._close_blocking)

    def _close_blocking(self) -> None:
        self._reads.close()
        self._lookups.close()
        # The writer's connection closes last: the last connection to close checkpoints
        # the WAL into the main file.
        self._writer.close()

    def _connect(self, *, read_only: bool) -> sqlite3.Connection:
        # isolation_level=None: transactions are explicit (BEGIN/COMMIT) in the writer and
        # reader; check_same_thread=False: each connection is used by one thread at a time,
        # but is opened and closed from another.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        return conn
