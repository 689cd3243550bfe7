"""SqliteDatabase: group commit, per-callable failure isolation, durability, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.storage import Migration, SchemaError, SqliteDatabase, WriterClosedError
from supervisor.storage import _database as database_module
from supervisor.storage import _writer as writer_module

TABLE = (Migration(1, "a scratch table", ("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)",)),)


def insert(k: str, v: int) -> Callable[[sqlite3.Connection], int]:
    def fn(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (k, v))
        return v

    return fn


def insert_noting_thread(ran_on: list[int], k: str, v: int) -> Callable[[sqlite3.Connection], int]:
    """``insert``, noting in ``ran_on`` the thread it ran on (the event loop's or the writer's)."""

    def fn(conn: sqlite3.Connection) -> int:
        ran_on.append(threading.get_ident())
        return insert(k, v)(conn)

    return fn


def count(conn: sqlite3.Connection) -> int:
    n: int = conn.execute("SELECT count(*) FROM t").fetchone()[0]
    return n


async def test_creates_parent_dir_and_uses_wal(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(tmp_path / ".motia" / "motia.db", migrations=TABLE)
    try:
        mode = await db.read(lambda conn: conn.execute("PRAGMA journal_mode").fetchone()[0])
        assert mode == "wal"
        assert (tmp_path / ".motia" / "motia.db").exists()
    finally:
        await db.close()


async def test_write_then_read_sees_committed_rows(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    try:
        assert await db.write(insert("a", 1)) == 1
        assert await db.read(count) == 1
    finally:
        await db.close()


async def test_a_failing_callable_fails_only_its_caller(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (k, v) VALUES ('partial', 0)")
        raise ValueError("boom")

    try:
        results = await asyncio.gather(
            db.write(insert("a", 1)),
            db.write(half_then_fail),
            db.write(insert("a", 2)),  # duplicate key
            db.write(insert("b", 3)),
            return_exceptions=True,
        )
        assert results[0] == 1 and results[3] == 3
        assert isinstance(results[1], ValueError)
        assert isinstance(results[2], sqlite3.IntegrityError)
        rows = await db.read(lambda conn: conn.execute("SELECT k, v FROM t ORDER BY k").fetchall())
        assert rows == [("a", 1), ("b", 3)]
    finally:
        await db.close()


async def test_a_burst_of_writes_shares_few_commits(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    threads: set[int] = set()

    def counted(i: int) -> Callable[[sqlite3.Connection], None]:
        def fn(conn: sqlite3.Connection) -> None:
            threads.add(threading.get_ident())
            conn.execute("INSERT INTO t (k, v) VALUES (?, ?)", (str(i), i))

        return fn

    try:
        # Hold the writer thread busy so the burst queues up behind it. A write may run on the loop's
        # own thread when the writer is idle: the blocker is a bulk write, which never does.
        gate = threading.Event()
        first = asyncio.ensure_future(db.write(insert("first", 0)))
        blocker = asyncio.ensure_future(db.write(lambda conn: gate.wait(5), bulk=True))
        await asyncio.sleep(0.01)
        assert first.done() and not blocker.done()
        burst = [asyncio.ensure_future(db.write(counted(i))) for i in range(500)]
        await asyncio.sleep(0.01)
        before = db.commits
        gate.set()
        await asyncio.gather(blocker, *burst)
        assert await db.read(count) == 501
        assert threads == {db_writer_thread(db)}  # the whole burst waited for the writer thread
        assert db.commits - before == 2  # the blocker's group, then the whole burst in one
    finally:
        await db.close()


def db_writer_thread(db: SqliteDatabase) -> int | None:
    return next((t.ident for t in threading.enumerate() if t.name.endswith(f":{db.path.name}")), None)


async def test_a_write_that_finds_the_writer_idle_commits_on_the_callers_thread(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    ran_on: list[int] = []
    record = insert_noting_thread(ran_on, "a", 1)

    def fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (k, v) VALUES ('b', 2)")
        raise ValueError("boom")

    try:
        before = db.commits
        assert await db.write(record) == 1
        assert ran_on == [threading.get_ident()] and db.commits == before + 1
        await asyncio.sleep(0)  # the next loop turn
        with pytest.raises(ValueError, match="boom"):
            await db.write(fail)  # rolled back, raised to its caller
        # committed: another connection sees it at once
        assert await db.read(lambda conn: conn.execute("SELECT k FROM t").fetchall()) == [("a",)]
    finally:
        await db.close()


async def test_a_bulk_write_commits_in_the_writer_thread_though_the_writer_is_idle(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    ran_on: list[int] = []

    def record(conn: sqlite3.Connection) -> int:
        ran_on.append(threading.get_ident())
        conn.executemany("INSERT INTO t (k, v) VALUES (?, ?)", ((str(n), n) for n in range(10_000)))
        return 1

    try:
        assert await db.write(record, bulk=True) == 1
        assert ran_on == [db_writer_thread(db)]
        assert await db.read(count) == 10_000
    finally:
        await db.close()


async def test_the_few_writes_of_one_loop_turn_after_the_first_share_a_commit_on_the_loops_thread(
    tmp_path: Path,
) -> None:
    """Handlers whose calls arrive together: no hand-over to the writer thread and back for the second
    and third writes, one commit for both right after the turn, each failure its own."""
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    threads: list[int] = []

    def fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (k, v) VALUES ('failed', 9)")
        raise ValueError("boom")

    try:
        await asyncio.sleep(0)
        before = db.commits
        writes = [db.write(insert_noting_thread(threads, str(i), i)) for i in range(3)]
        results = await asyncio.gather(*writes[:2], db.write(fail), writes[2], return_exceptions=True)
        assert results[:2] == [0, 1] and isinstance(results[2], ValueError) and results[3] == 2
        assert threads == [threading.get_ident()] * 3
        assert db.commits - before == 2  # the first at once, the others together
        assert await db.read(lambda conn: conn.execute("SELECT k FROM t ORDER BY k").fetchall()) == [
            ("0",),
            ("1",),
            ("2",),
        ]
    finally:
        await db.close()


async def test_a_write_made_while_a_turns_writes_wait_commits_after_them(tmp_path: Path) -> None:
    """Writes keep their order: one made in the next turn, before the last turn's writes are committed,
    waits behind them rather than committing first (the same key, written three times)."""
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)

    def put(v: int) -> Callable[[sqlite3.Connection], int]:
        def fn(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO t (k, v) VALUES ('k', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", (v,)
            )
            return v

        return fn

    try:
        await asyncio.sleep(0)
        assert await db.write(put(1)) == 1  # at once, on this thread: the turn's one transaction
        third = asyncio.ensure_future(db.write(put(3)))  # starts in the next turn, before the second commits
        assert await db.write(put(2)) == 2  # waits for the turn's end
        assert await third == 3
        assert await db.read(lambda conn: conn.execute("SELECT v FROM t WHERE k = 'k'").fetchone()[0]) == 3
    finally:
        await db.close()


async def test_the_writes_of_one_loop_turn_after_the_first_share_a_commit_in_the_writer_thread(
    tmp_path: Path,
) -> None:
    """A burst (more than MAX_GROUP_NOW) shares its commit off the loop."""
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    threads: list[int] = []

    try:
        before = db.commits
        await asyncio.gather(*(db.write(insert_noting_thread(threads, str(i), i)) for i in range(100)))
        assert await db.read(count) == 100
        assert threads[0] == threading.get_ident()  # the first, at once
        assert set(threads[1:]) == {db_writer_thread(db)}
        assert db.commits - before <= 3  # the first, then the rest in one group (or two)
    finally:
        await db.close()


async def test_a_write_does_not_wait_on_the_loop_for_another_processs_lock(tmp_path: Path) -> None:
    path = tmp_path / "db"
    db = SqliteDatabase(path, migrations=TABLE)
    other = sqlite3.connect(path, isolation_level=None)
    ran_on: list[int] = []
    record = insert_noting_thread(ran_on, "late", 1)

    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        pending = asyncio.ensure_future(db.write(record))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(0.05)
        assert loop.time() - started < 2  # the loop was not held for the lock's busy timeout (5 s)
        assert not pending.done() and ran_on == []  # waiting in the writer thread, not on the loop
        other.execute("ROLLBACK")
        await asyncio.wait_for(pending, 5)
        assert ran_on == [db_writer_thread(db)]
    finally:
        other.close()
        await db.close()


async def test_a_write_whose_lock_stays_taken_past_the_busy_timeout_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer thread waits for another process's lock as the connection's busy timeout says
    (the connection itself waits for nothing, for the writes on the loop), then gives up."""
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "db"
    db = SqliteDatabase(path, migrations=TABLE)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.wait_for(db.write(insert("a", 1)), 5)
        assert 0.15 < loop.time() - started < 4
        other.execute("ROLLBACK")
        assert await db.write(insert("b", 2)) == 2
        assert await db.read(count) == 1
    finally:
        other.close()
        await db.close()


def test_without_wal_no_write_runs_on_the_callers_thread(tmp_path: Path) -> None:
    """A file system that refuses WAL: a commit would wait for readers, so nothing runs on the loop."""
    conn = sqlite3.connect(tmp_path / "db", isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    writer = writer_module.GroupCommitWriter(conn, "test-writer")
    try:
        assert writer.try_now(insert("a", 1)) == (False, None)
        assert int(conn.execute("PRAGMA busy_timeout").fetchone()[0]) == 5000
    finally:
        writer.close()


async def test_the_writer_thread_checkpoints_so_writes_on_the_loop_do_not_grow_the_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The connection does not checkpoint by itself (a checkpoint syncs the file: never on the loop);
    # every CHECKPOINT_EVERY commits a write goes through the writer thread, which checkpoints.
    monkeypatch.setattr(writer_module, "CHECKPOINT_EVERY", 4)
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    ran_on: list[int] = []

    try:
        for i in range(60):
            await db.write(insert_noting_thread(ran_on, str(i), i))
            await asyncio.sleep(0)  # each write in a loop turn of its own
        here = threading.get_ident()
        assert ran_on.count(here) >= 30  # most at once, on the loop's thread
        assert set(ran_on) - {here} == {db_writer_thread(db)}  # the others in the writer thread
        page_size = await db.read(lambda conn: conn.execute("PRAGMA page_size").fetchone()[0])
        # 60 commits of at least one page each, had nothing checkpointed the WAL (it restarts after one)
        assert (tmp_path / "db-wal").stat().st_size < 30 * (page_size + 24)
        assert await db.read(count) == 60
    finally:
        await db.close()


async def test_a_database_that_is_not_durable_writes_only_in_its_writer_thread(tmp_path: Path) -> None:
    # The traces file: background batches that no caller waits on stay off the event loop.
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE, durable=False)
    ran_on: list[int] = []
    record = insert_noting_thread(ran_on, "a", 1)

    try:
        await db.write(record)
        assert ran_on == [db_writer_thread(db)]
    finally:
        await db.close()


async def test_close_drains_queued_writes_and_refuses_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "db"
    db = SqliteDatabase(path, migrations=TABLE)
    pending = [asyncio.ensure_future(db.write(insert(str(i), i))) for i in range(50)]
    await asyncio.sleep(0)
    await db.close()
    await asyncio.gather(*pending)
    with pytest.raises(WriterClosedError):
        await db.write(insert("late", 0))
    reopened = SqliteDatabase(path, migrations=TABLE)
    try:
        assert await reopened.read(count) == 50
    finally:
        await reopened.close()


async def test_migrations_run_once_and_refuse_a_newer_file(tmp_path: Path) -> None:
    path = tmp_path / "db"
    two = (*TABLE, Migration(2, "an index", ("CREATE INDEX t_v ON t (v)",)))
    await (SqliteDatabase(path, migrations=two)).close()
    await (SqliteDatabase(path, migrations=two)).close()  # no "index already exists"
    with pytest.raises(SchemaError, match="newer version"):
        SqliteDatabase(path, migrations=TABLE)


def test_migration_versions_must_follow_list_order(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="expected 1"):
        SqliteDatabase(tmp_path / "db", migrations=(Migration(2, "skips one", ()),))


def value_of(k: str) -> Callable[[sqlite3.Connection], int | None]:
    def fn(conn: sqlite3.Connection) -> int | None:
        row = conn.execute("SELECT v FROM t WHERE k = ?", (k,)).fetchone()
        return None if row is None else int(row[0])

    return fn


async def test_a_lookup_runs_on_the_calling_thread_and_sees_the_last_commit(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    threads: list[int] = []

    def traced(conn: sqlite3.Connection) -> int | None:
        threads.append(threading.get_ident())
        return value_of("a")(conn)

    try:
        assert await db.lookup(traced) is None
        await db.write(insert("a", 1))
        assert await db.lookup(traced) == 1
        await db.write(lambda conn: conn.execute("UPDATE t SET v = 2 WHERE k = 'a'"))
        assert await db.lookup(traced) == 2
        assert threads == [threading.get_ident()] * 3
    finally:
        await db.close()


async def test_a_lookup_that_would_wait_for_a_lock_is_read_in_the_pool_instead(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "db", migrations=TABLE)
    await db.write(insert("a", 1))
    holder = sqlite3.connect(tmp_path / "db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    holder.execute("UPDATE t SET v = 5 WHERE k = 'a'")
    threads: list[int] = []

    def locking_read(conn: sqlite3.Connection) -> int | None:
        threads.append(threading.get_ident())
        if len(threads) == 1:  # the first try, on the calling thread: SQLite answers busy
            with contextlib.closing(sqlite3.connect(tmp_path / "db", timeout=0)) as other:
                other.execute("BEGIN IMMEDIATE")
        return value_of("a")(conn)

    try:
        assert await db.lookup(locking_read) == 1  # the last commit, read by a worker thread
        assert len(threads) == 2
        assert threads[0] == threading.get_ident() != threads[1]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await db.close()
