"""Supervisor memory with a large queue backlog, and the drain rate, against a baseline checkout.

Usage: .venv/bin/python bench/queue_backlog.py [--sizes 100000 1000000] [--baseline-ref main]
                                               [--baseline-max 100000] [--drain 20000] [--rounds 3]
                                               [--json PATH]

Two measurements, each for this checkout ("new") and, with ``--baseline-ref``, for that git ref
("old", extracted with ``git archive`` into a temporary directory and run with the same
interpreter and node_modules):

- **backlog memory**: a project whose only event step never finishes, with N events of 2 KB
  queued in ``.motia/motia.db`` before ``motia start``. Reported: the supervisor's RSS
  (the supervisor process alone, not its runners) once ready and its peak over the next 5 s,
  against the same project with an empty queue (idle); and the time to ready. N = 0 is idle.
  The old code loads every pending row at start-up, so it is only run up to ``--baseline-max``.
- **drain rate**: N events of 2 KB queued, a step that returns at once; events/s from the
  first event leaving the queue to the queue being empty (COUNT(*) polled every 20 ms from
  the server's launch), so start-up, which differs, is left out; launch-to-empty is reported
  too (the old code decodes the whole backlog during start-up, the new one as it drains),
  and the supervisor's CPU time per event over the drain, which the machine's noise
  disturbs less than wall time. Rounds alternate old and new.

Events are written straight into the queue table before the server starts, by the code under
test's own schema (its ``SqliteDatabase`` creates the file), so both read the same kind of backlog.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from report import machine  # noqa: E402
from servers import codes_under_test, motia  # noqa: E402

PAYLOAD_BYTES = 2048
CONFIG = {"shutdownGraceSeconds": 1}

BLOCKED_STEP = """
exports.config = { type: 'event', name: 'Backlog', subscribes: ['bulk'], emits: [] }
exports.handler = () => new Promise(() => {})  // never finishes: the backlog stays queued
"""
FAST_STEP = """
exports.config = { type: 'event', name: 'Backlog', subscribes: ['bulk'], emits: [] }
exports.handler = async () => {}
"""


def make_project(root: Path, code: Path | None, step: str, events: int) -> Path:
    (root / "steps").mkdir(parents=True)
    (root / "steps" / "backlog.step.js").write_text(step, encoding="utf-8")
    (root / "motia.config.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    db = root / ".motia" / "motia.db"
    # The code under test creates the file with its own schema.
    create = "import sys; from supervisor.storage import SqliteDatabase; SqliteDatabase(sys.argv[1])"
    subprocess.run([sys.executable, "-c", create, str(db)], cwd=code or REPO, check=True)
    fill(db, events)
    return root


def fill(db: Path, events: int) -> None:
    pad = "x" * (PAYLOAD_BYTES - 40)
    now = time.time()
    conn = sqlite3.connect(db)
    try:
        conn.execute("BEGIN")
        batch = 50_000
        for start in range(0, events, batch):
            rows = [
                ("bulk", "Backlog", json.dumps({"n": n, "pad": pad}).encode(), f"trace-{n}", None, now)
                for n in range(start, min(events, start + batch))
            ]
            conn.executemany(
                "INSERT INTO queue_deliveries "
                "(topic, subscriber, data, trace_id, message_group_id, available_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


@contextlib.contextmanager
def server(code: Path | None, project: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, float]]:
    """``motia start`` of ``code`` once healthy (start-up with a large backlog takes a while)."""
    with motia(project, code=code, timeout=600, interval=0.02, stop_timeout=60, name="backlog") as started:
        yield started.proc, started.port, started.ready_s


def rss_mb(pid: int) -> float:
    rss: int = psutil.Process(pid).memory_info().rss
    return rss / (1024 * 1024)


def backlog_memory(code: Path | None, root: Path, events: int) -> dict[str, Any]:
    project = make_project(root, code, BLOCKED_STEP, events)
    with server(code, project) as (proc, _port, ready_s):
        at_ready = rss_mb(proc.pid)
        samples = []
        for _ in range(25):
            time.sleep(0.2)
            samples.append(rss_mb(proc.pid))
    return {"events": events, "ready_s": ready_s, "rss_ready_mb": at_ready, "rss_peak_mb": max(samples)}


def drain(code: Path | None, root: Path, events: int) -> dict[str, Any]:
    project = make_project(root, code, FAST_STEP, events)
    db = project / ".motia" / "motia.db"
    seen: list[tuple[float, int, float]] = []
    launched = time.monotonic()
    with server(code, project) as (proc, _port, ready_s):
        supervisor = psutil.Process(proc.pid)
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            while not seen or seen[-1][1]:
                left = conn.execute("SELECT COUNT(*) FROM queue_deliveries").fetchone()[0]
                cpu = supervisor.cpu_times()
                seen.append((time.monotonic(), left, cpu.user + cpu.system))
                if time.monotonic() - launched > 600:
                    raise TimeoutError("the queue did not drain")
                time.sleep(0.02)
        finally:
            conn.close()
    # From the last sample with the whole backlog still there, to the first with none.
    start = max(i for i, (_, left, _) in enumerate(seen) if left == seen[0][1])
    (began, _, cpu_began), (emptied, _, cpu_emptied) = seen[start], seen[-1]
    return {
        "events": events,
        "ready_s": ready_s,
        "drain_s": emptied - began,
        "events_per_s": events / (emptied - began),
        "cpu_us_per_event": 1e6 * (cpu_emptied - cpu_began) / events,
        # Start-up included: the baseline reads the whole backlog then, the new code as it goes.
        "launch_to_empty_s": emptied - launched,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--baseline-ref", help="git ref to compare with (e.g. main)")
    parser.add_argument(
        "--baseline-max", type=int, default=100_000, help="largest backlog given to the baseline"
    )
    parser.add_argument("--drain", type=int, default=20_000, help="events in each drain round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": machine(), "memory": {}, "drain": {}}
    with tempfile.TemporaryDirectory(prefix="motia-backlog-") as tmp:
        work = Path(tmp)
        codes = codes_under_test(args.baseline_ref, work)
        runs = iter(range(1_000_000))

        def fresh() -> Path:
            return work / f"run-{next(runs)}"

        for name, code in codes.items():
            sizes = [0, *(n for n in args.sizes if name == "new" or n <= args.baseline_max)]
            measured = [backlog_memory(code, fresh(), n) for n in sizes]
            idle = measured[0]["rss_peak_mb"]
            for entry in measured:
                entry["over_idle_mb"] = entry["rss_peak_mb"] - idle
                print(
                    f"memory  {name:<4} {entry['events']:>9,} queued: ready in {entry['ready_s']:6.2f} s, "
                    f"RSS {entry['rss_ready_mb']:6.1f} MB at ready, peak {entry['rss_peak_mb']:6.1f} MB "
                    f"({entry['over_idle_mb']:+.1f} MB over idle)",
                    flush=True,
                )
            results["memory"][name] = measured

        for round_ in range(args.rounds):
            order = list(codes) if round_ % 2 == 0 else list(reversed(codes))
            for name in order:
                entry = drain(codes[name], fresh(), args.drain)
                results["drain"].setdefault(name, []).append(entry)
                print(
                    f"drain   {name:<4} round {round_ + 1}: {entry['events']:,} events in "
                    f"{entry['drain_s']:.2f} s = {entry['events_per_s']:,.0f} events/s, "
                    f"supervisor CPU {entry['cpu_us_per_event']:.0f} us/event "
                    f"(ready in {entry['ready_s']:.2f} s, "
                    f"launch to empty {entry['launch_to_empty_s']:.2f} s)",
                    flush=True,
                )
    rates = {
        name: statistics.median(entry["events_per_s"] for entry in entries)
        for name, entries in results["drain"].items()
    }
    results["drain_median_events_per_s"] = rates
    if "old" in rates:
        ratio = rates["new"] / rates["old"]
        print(f"drain median: new {rates['new']:,.0f} / old {rates['old']:,.0f} events/s = {ratio:.0%}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
