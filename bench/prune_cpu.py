"""The SQLite trace store's prune: CPU per trace pruned, by how many traces came since the last prune
(bench/RESULTS.md, session 23: the trace writer's CPU per request).

Usage: .venv/bin/python bench/prune_cpu.py [--overshoot 2048 --overshoot 4096 ...] [--prunes 6] [--rounds 3]

A store is filled to the default retention (10,000 traces) with trivial api requests, each a whole
trace, written as the trace writer writes them (the recorder's frames of 2,048 requests, assembled and
committed by a ``TracePipeline`` that never prunes by itself); then, ``--prunes`` times, ``--overshoot``
more traces are written and the store pruned back to 10,000. Reported: the process's CPU time in those
prunes (the SQLite thread's job: the queries, the deletes, the segment index) per trace pruned, the
median of ``--rounds`` rounds per overshoot, overshoots taking turns. At steady state a trace pruned is a
request: this is the prune's share of the writer's CPU per request, at a prune every ``--overshoot``
traces (``_pipeline.PRUNE_AFTER_SHARE`` of ``maxTraces``, or the commit that passes it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from writer_instructions import _recorded_batches

REPO = Path(__file__).resolve().parents[1]
#: requests per frame, as ``writer_cpu.py`` sends them by default (a commit's worth: ``COMMIT_AT``)
FRAME = 2048
KEEP = 10_000


async def prune_cpu(overshoot: int, prunes: int) -> float:
    """µs of CPU per trace pruned, over ``prunes`` prunes of ``overshoot`` traces each."""
    from supervisor.tracing import _wire
    from supervisor.tracing._pipeline import TracePipeline
    from supervisor.tracing._records import Retention
    from supervisor.tracing._sqlite import SqliteTraceStore

    frames_each = max(1, overshoot // FRAME)
    batches = await _recorded_batches(FRAME * (KEEP // FRAME + 1 + frames_each * prunes), FRAME, 0)
    frames = iter(batches)

    async def commit(pipeline: TracePipeline, events: list[Any]) -> None:
        payload = _wire.record_request(1, events)[_wire.HEADER.size :]
        _, _, args = _wire.decode(payload)
        pipeline.apply(args[0], _wire.events_json(payload, len(args[0])))
        await pipeline.commit()

    keep = Retention(KEEP, 100_000, 3600)
    with tempfile.TemporaryDirectory(prefix="motia-prune-cpu-") as tmp:
        store = await SqliteTraceStore.open(Path(tmp) / "traces.db")
        try:
            pipeline = TracePipeline(store, None, Retention(1 << 40, 1 << 40, 1e12))  # prunes only here
            for _ in range(KEEP // FRAME + 1):
                await commit(pipeline, next(frames))
            await store.prune(keep, time.time())
            spent, pruned = 0.0, 0
            for _ in range(prunes):
                for _ in range(frames_each):
                    await commit(pipeline, next(frames))
                started = time.process_time()
                done = await store.prune(keep, time.time())
                spent += time.process_time() - started
                pruned += done.traces
        finally:
            await store.close()
    return spent / pruned * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--overshoot", type=int, action="append", default=[])
    parser.add_argument("--prunes", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    overshoots: list[int] = args.overshoot or [FRAME, 2 * FRAME]
    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}", flush=True)
    samples: dict[int, list[float]] = {overshoot: [] for overshoot in overshoots}
    for round_index in range(args.rounds):
        for overshoot in overshoots:
            cpu = asyncio.run(prune_cpu(overshoot, args.prunes))
            samples[overshoot].append(cpu)
            print(f"    round {round_index + 1}/{args.rounds} every {overshoot}: {cpu:.2f} µs/trace pruned")
    print("\n| prune every | µs of CPU per trace pruned (median) | runs |")
    print("| ---: | ---: | --- |")
    for overshoot, cpus in samples.items():
        runs = ", ".join(f"{cpu:.2f}" for cpu in cpus)
        print(f"| {overshoot:,} traces | {statistics.median(cpus):.2f} | {runs} |")
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
