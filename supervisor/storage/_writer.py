"""The single writer: one thread, one connection, group commit.

Callers submit callables (``conn -> result``) from any event loop. The thread
takes everything queued at that moment, runs it in one transaction with a
SAVEPOINT around each callable (so one failure undoes and fails only its own
work), commits once, and only then resolves the callers' futures. A burst of
emits therefore costs one commit, and nobody is told "done" before it is.

A write that finds the writer idle (nothing queued or being committed) may instead run at once
on the caller's thread (``try_now``), on the same connection under the same lock: no hand-over
to the thread and back, which cost a write 0.3-1 ms (two wake-ups, and the GIL to win back from a
busy event loop; bench/RESULTS.md, issue 14). The caller is an event loop, which must never wait
for another process's lock: in WAL mode the connection's busy timeout is 0 for good (a busy
``BEGIN IMMEDIATE`` there queues the write instead), and the writer thread waits for a busy
``BEGIN`` by itself, up to the timeout the connection was opened with; in WAL mode that ``BEGIN``
is the one statement of a write that can wait for a lock. Without WAL (a file system that
refuses it) a commit would also wait for readers, so every write goes to the thread. Checkpoints,
which sync the database file, stay on the writer thread: the connection does not checkpoint by
itself, and a write on the caller's thread is refused while one is due.

When a checkpoint is due, one rule for every file: after ``CHECKPOINT_EVERY`` commits, or after a
commit of the writer thread that left the ``-wal`` file larger than ``WAL_LIMIT_PAGES`` frames,
whichever comes first. A commit on the caller's thread writes a few pages (at most ``MAX_GROUP_NOW``
small writes; motia.db's state, streams, queue), so the count bounds those, and it costs the loop no
``stat``; the writer thread's commits may be of any size (the traces file's: segments of whole traces
and prunes, ~200+ pages each, where 256 of them grew the WAL to ~220 MB; a bulk write of motia.db),
so the thread also looks at the file's size (one ``stat``). A checkpoint lets the next write restart
the WAL from its start, and ``PRAGMA journal_size_limit`` (the same size) makes SQLite truncate the
file back to it then: a WAL that once grew larger (a process killed with a 220 MB one) shrinks after
the next checkpoint, and it otherwise stays near the limit (plus one commit). This is SQLite's own
autocheckpoint rule (1,000 frames), kept off the event loop. A reader still in the old WAL keeps it
from restarting: the file then stays past the limit and the thread checkpoints after each of its
commits (as SQLite would) until it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], T]

logger = logging.getLogger("motia.storage")

# Caps one transaction so a flood of writers still sees commits at a steady pace.
MAX_BATCH = 2048
#: commits between two checkpoints at most (a commit on the caller's thread writes a few pages)
CHECKPOINT_EVERY = 256
#: frames the ``-wal`` file may hold before the writer thread checkpoints, and what SQLite truncates it
#: back to after one (``journal_size_limit``): SQLite's own autocheckpoint, ~4 MB of 4 KiB pages
WAL_LIMIT_PAGES = 1000
#: pauses between two tries of a busy BEGIN in the writer thread, ms (SQLite's own busy handler's)
BUSY_PAUSES_MS = (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100)


@dataclass(slots=True)
class WriteJob:
    """A write for ``submit_group`` or ``try_now_group``: ``fn`` and the future its caller awaits (the
    writer settles it with ``fn``'s result or exception)."""

    fn: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Outcome:
    future: asyncio.Future[Any]
    value: Any
    error: BaseException | None


class WriterClosedError(RuntimeError):
    pass


class GroupCommitWriter:
    def __init__(self, conn: sqlite3.Connection, name: str) -> None:
        # The connection must be in autocommit mode (isolation_level=None): this class
        # issues BEGIN/SAVEPOINT/COMMIT itself.
        self._conn = conn
        self._jobs: queue.SimpleQueue[WriteJob | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        #: jobs submitted and not committed yet (guarded by _lock): a write runs at once only when none
        self._pending = 0
        #: held while the connection is in use, by the thread or by a caller's ``try_now``
        self._conn_lock = threading.Lock()
        self._since_checkpoint = 0
        self._busy_timeout = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        #: WAL: writes may run on the caller's thread, and the connection waits for no lock (module doc)
        self._wal = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
        if self._wal:
            conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # the thread checkpoints (see the module doc)
        #: the ``-wal`` file and the size past which the thread checkpoints (None: not in WAL mode)
        self._wal_file: str | None = None
        self._wal_limit = 0
        if self._wal:
            main_file = str(conn.execute("PRAGMA database_list").fetchone()[2])
            if main_file:  # "" for a temporary or in-memory database, which has no -wal file
                self._wal_file = main_file + "-wal"
                page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
                self._wal_limit = WAL_LIMIT_PAGES * (page_size + 24)  # a frame: its header, its page
                conn.execute(f"PRAGMA journal_size_limit = {self._wal_limit}")
        self.commits = 0
        """Transactions committed so far (a group counts once), for metrics and tests."""
        # Daemon: if the process exits without close(), unfinished callers were never
        # told their write committed, so nothing acknowledged is lost.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: WriteFn[T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        # The lock makes "not closed" and "queued before the stop marker" one step, so a
        # write racing close() either runs or is refused, never left waiting forever.
        with self._lock:
            if self._closed:
                raise WriterClosedError("the database is closed")
            self._pending += 1
            self._jobs.put(WriteJob(fn, future))
        return future

    def try_now(self, fn: WriteFn[T]) -> tuple[bool, T | None]:
        """Run ``fn`` in a transaction of its own on the calling thread, if the writer is idle: (True,
        its result) once committed, its exception if it failed (rolled back). (False, None): not run
        (writes queued or being committed, a checkpoint due, the database locked by another process,
        closed, not in WAL mode); ``submit`` it instead."""
        if not self._wal or not self._conn_lock.acquire(blocking=False):
            return False, None
        try:
            with self._lock:
                if self._pending or self._closed or self._since_checkpoint >= CHECKPOINT_EVERY:
                    return False, None
            conn = self._conn
            try:  # busy_timeout 0: another process's lock refuses it at once, and the write queues
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return False, None
            try:
                value = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self.commits += 1
            self._since_checkpoint += 1
            return True, value
        finally:
            self._conn_lock.release()

    def try_now_group(self, jobs: list[WriteJob]) -> bool:
        """Run ``jobs`` as one group commit on the calling thread (an event loop's), as ``try_now`` runs
        one write, and settle their futures (each its own result or error, as in the writer thread);
        False: not run, for the reasons ``try_now`` gives (``submit_group`` them instead)."""
        if not self._wal or not self._conn_lock.acquire(blocking=False):
            return False
        try:
            with self._lock:
                if self._pending or self._closed or self._since_checkpoint >= CHECKPOINT_EVERY:
                    return False
            try:  # busy_timeout 0: another process's lock refuses it at once, and the writes queue
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error:  # locked, or worse: the writer thread waits, or reports it to each
                return False
            outcomes = self._commit_begun(jobs)
            self._since_checkpoint += 1
        finally:
            self._conn_lock.release()
        _settle(outcomes)
        return True

    def submit_group(self, jobs: list[WriteJob]) -> None:
        """Queue ``jobs``, in order, for the writer thread (``submit``'s, with their futures made)."""
        with self._lock:
            if not self._closed:
                self._pending += len(jobs)
                for job in jobs:
                    self._jobs.put(job)
                return
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(WriterClosedError("the database is closed"))

    def close(self) -> None:
        """Stop accepting writes, finish the queued ones, and join the thread (blocking)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        try:
            while True:
                batch, stop = self._next_batch()
                if batch:
                    with self._conn_lock:
                        outcomes = self._commit(batch)
                        self._since_checkpoint += 1
                    with self._lock:
                        self._pending -= len(batch)
                    self._resolve(outcomes)
                    # After the callers are told: a checkpoint syncs the file, no caller waits for it.
                    # Meanwhile writes queue here (try_now refuses while one is due).
                    if self._since_checkpoint >= CHECKPOINT_EVERY or self._wal_past_limit():
                        with self._conn_lock:
                            self._checkpoint()
                if stop:
                    return
        finally:
            with self._conn_lock:
                # The last connection to close checkpoints the WAL: let that one wait as it would have.
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout}")
                self._conn.close()

    def _wal_past_limit(self) -> bool:
        if self._wal_file is None:
            return False
        try:
            return os.stat(self._wal_file).st_size > self._wal_limit
        except OSError:  # no -wal file (yet): nothing to checkpoint
            return False

    def _checkpoint(self) -> None:
        self._since_checkpoint = 0
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the next one tries again; nothing committed depends on it
            logger.warning("SQLite checkpoint failed: %s", exc)

    def _next_batch(self) -> tuple[list[WriteJob], bool]:
        first = self._jobs.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _commit(self, batch: list[WriteJob]) -> list[_Outcome]:
        try:
            self._begin()
        except Exception as exc:
            return self._failed(batch, exc)
        return self._commit_begun(batch)

    def _commit_begun(self, batch: list[WriteJob]) -> list[_Outcome]:
        """Run ``batch`` in the transaction just begun, and commit it."""
        conn = self._conn
        # A job alone in its transaction needs no savepoint: its failure rolls the transaction back.
        # That is most writes on an idle server, two statements fewer per commit.
        alone = len(batch) == 1
        outcomes: list[_Outcome] = []
        try:
            for job in batch:
                if not alone:
                    conn.execute("SAVEPOINT job")
                try:
                    value = job.fn(conn)
                except Exception as exc:
                    if alone:
                        conn.execute("ROLLBACK")
                        return [_Outcome(job.future, None, exc)]
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append(_Outcome(job.future, None, exc))
                else:
                    if not alone:
                        conn.execute("RELEASE job")
                    outcomes.append(_Outcome(job.future, value, None))
            conn.execute("COMMIT")
            self.commits += 1
        except Exception as exc:
            return self._failed(batch, exc)
        return outcomes

    def _failed(self, batch: list[WriteJob], exc: Exception) -> list[_Outcome]:
        # The transaction itself failed (disk full, I/O error, a callable that broke
        # the savepoint): nothing in it is durable, so every caller gets the error.
        logger.error("SQLite write transaction of %d job(s) failed: %s", len(batch), exc)
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                logger.exception("SQLite rollback failed")
        return [_Outcome(job.future, None, exc) for job in batch]

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting up to the busy timeout for another process's write lock: in WAL
        mode the connection does not wait by itself (busy_timeout 0, for ``try_now``)."""
        waited = 0
        for pause in itertools.chain(BUSY_PAUSES_MS, itertools.repeat(BUSY_PAUSES_MS[-1])):
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = (exc.sqlite_errorcode & 0xFF) == sqlite3.SQLITE_BUSY
                if not (self._wal and busy) or waited >= self._busy_timeout:
                    raise
            pause = min(pause, self._busy_timeout - waited)
            time.sleep(pause / 1000)
            waited += pause

    def _resolve(self, outcomes: list[_Outcome]) -> None:
        # One wake-up per event loop for the whole group rather than one per caller.
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome.future.get_loop(), []).append(outcome)
        for loop, group in by_loop.items():
            # RuntimeError: the caller's loop is closed; no one is left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, group)


def _settle(outcomes: list[_Outcome]) -> None:
    for outcome in outcomes:
        if outcome.future.cancelled():
            continue
        if outcome.error is not None:
            outcome.future.set_exception(outcome.error)
        else:
            outcome.future.set_result(outcome.value)
