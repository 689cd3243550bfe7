"""The single writer: one thread, one connection, group commit.

Callers submit callables (``conn -> result``) from any event loop. The thread
takes everything queued at that moment, runs it in one transaction with a
SAVEPOINT around each callable (so one failure undoes and fails only its own
work), commits once, and only then resolves the callers' futures. A burst of
emits therefore costs one commit, and nobody is told "done" before it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], T]

logger = logging.getLogger("motia.storage")

# Caps one transaction so a flood of writers still sees commits at a steady pace.
MAX_BATCH = 2048


@dataclass(slots=True)
class _Job:
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
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
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
            self._jobs.put(_Job(fn, future))
        return future

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
                    self._resolve(self._commit(batch))
                if stop:
                    return
        finally:
            self._conn.close()

    def _next_batch(self) -> tuple[list[_Job], bool]:
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

    def _commit(self, batch: list[_Job]) -> list[_Outcome]:
        conn = self._conn
        # A job alone in its transaction needs no savepoint: its failure rolls the transaction back.
        # That is most writes on an idle server, two statements fewer per commit.
        alone = len(batch) == 1
        outcomes: list[_Outcome] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
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
            # The transaction itself failed (disk full, I/O error, a callable that broke
            # the savepoint): nothing in it is durable, so every caller gets the error.
            logger.error("SQLite write transaction of %d job(s) failed: %s", len(batch), exc)
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    logger.exception("SQLite rollback failed")
            return [_Outcome(job.future, None, exc) for job in batch]
        return outcomes

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
