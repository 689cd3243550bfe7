"""The traces file's WAL stays small (supervisor/storage/_writer.py, its module doc): the trace writer's
commits are large (whole traces' segments, ~200+ pages each), and 256 of them between two checkpoints
grew ``traces.db-wal`` to ~220 MB beside a 4.5 MB ``traces.db``. The writer thread checkpoints once the
file is past ``WAL_LIMIT_PAGES`` frames, and SQLite truncates it back to that after a checkpoint."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

from supervisor.storage import _writer
from supervisor.tracing import Batch, SqliteTraceStore, TraceDelta, TraceQuery
from tests.test_trace_store_contract import span

T0 = 1_800_000_000.0
#: whole traces per written batch: a commit of ~100+ pages, as a busy trace writer's are
TRACES_PER_BATCH = 400


def whole_traces(first: int) -> Batch:
    """``TRACES_PER_BATCH`` finished api requests, each whole in this batch."""
    batch = Batch()
    for n in range(first, first + TRACES_PER_BATCH):
        trace_id = f"trace-{n:08d}"
        start = T0 + n / 1000
        delta = TraceDelta(start, start + 0.01, kind="api", name="Hello", method="GET", path="/ts/hello")
        delta.status_code, delta.spans = 200, 1
        batch.traces[trace_id] = delta
        batch.spans.append(span(trace_id, f"{n:016x}", "Hello", start))
    return batch


def wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def wal_limit(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return _writer.WAL_LIMIT_PAGES * (page_size + 24)


async def test_a_trace_store_written_with_many_whole_traces_keeps_its_wal_near_the_limit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "traces.db"
    store = await SqliteTraceStore.open(path)
    limit = wal_limit(path)
    largest = 0
    try:
        for n in range(100):
            await store.write(whole_traces(n * TRACES_PER_BATCH))
            largest = max(largest, wal_size(path))
    finally:
        await store.close()
    # 100 commits, under CHECKPOINT_EVERY; what they wrote (in the file once the close checkpointed it)
    # is more than twice the limit: had only the count made checkpoints, the WAL would hold all of it
    assert path.stat().st_size > 2 * limit, path.stat().st_size
    # the limit, plus the one commit that went past it
    assert largest < 2 * limit, (largest, limit)


#: a process that grew the traces file's WAL far past the limit and died without closing it (as one of
#: an earlier version could: 256 large commits between two checkpoints, and nothing truncated it)
GROW_AND_DIE = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("BEGIN")
conn.execute("CREATE TABLE filler (b BLOB)")
conn.executemany("INSERT INTO filler VALUES (?)", ((os.urandom(4000),) for _ in range(int(sys.argv[2]))))
conn.execute("DROP TABLE filler")
conn.execute("COMMIT")
os._exit(0)  # no close: the -wal file stays, as a killed process leaves it
"""


async def test_an_oversized_wal_left_by_an_earlier_process_shrinks_after_the_next_checkpoint(
    tmp_path: Path,
) -> None:
    path = tmp_path / "traces.db"
    store = await SqliteTraceStore.open(path)
    await store.close()
    limit = wal_limit(path)
    pages = 5 * limit // 4000
    grow = [sys.executable, "-c", GROW_AND_DIE, str(path), str(pages)]
    await asyncio.to_thread(subprocess.run, grow, check=True)
    assert wal_size(path) > 4 * limit

    store = await SqliteTraceStore.open(path)
    try:
        # the first commit finds the file past the limit: the thread checkpoints; the next one restarts
        # the WAL from its start, and SQLite truncates the file to the limit
        await store.write(whole_traces(0))
        await store.write(whole_traces(TRACES_PER_BATCH))
        assert wal_size(path) <= limit
        assert len((await store.traces(TraceQuery())).traces) > 0
    finally:
        await store.close()
