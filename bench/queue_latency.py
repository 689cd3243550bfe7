"""Publish -> handler-start latency of the EventBus, on the memory and the SQLite queue.

Usage: python bench/queue_latency.py [--events 2000]

Two measurements per queue:
- sequential: publish one event, wait until its handler has started, repeat. This is
  the latency one emit sees on an idle system (for SQLite: one group commit).
- burst: publish every event at once (asyncio.gather), as a flurry of emits would;
  group commit shares transactions, so this shows throughput and queueing latency.
The handler does nothing, so the numbers are the bus's and the queue's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from supervisor.queue import (
    Delivery,
    EventBus,
    EventQueue,
    MemoryEventQueue,
    QueuePolicy,
    SqliteEventQueue,
)
from supervisor.storage import SqliteDatabase

POLICY = QueuePolicy()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, latencies_us: list[float], elapsed: float) -> None:
    p50, p99 = percentile(latencies_us, 0.50), percentile(latencies_us, 0.99)
    print(
        f"  {name:<10} p50 {p50:8.1f} us   p99 {p99:8.1f} us"
        f"   mean {statistics.fmean(latencies_us):8.1f} us   {len(latencies_us) / elapsed:9.0f} events/s"
    )


async def run(queue: EventQueue, events: int) -> None:
    sent: dict[int, int] = {}
    started: dict[int, int] = {}
    arrived = asyncio.Event()
    burst_done = asyncio.Event()
    burst_size = events

    async def deliver(delivery: Delivery) -> None:
        n = delivery.data["n"]
        started[n] = time.perf_counter_ns()
        arrived.set()
        if n >= burst_size and len(started) == 200 + 2 * burst_size:
            burst_done.set()

    bus = EventBus(queue, deliver, lambda step: POLICY)
    await bus.start()

    async def publish(n: int) -> None:
        sent[n] = time.perf_counter_ns()
        await bus.publish("bench", {"n": n}, "trace", ["handler"])

    # Warm up (imports, first connections, JIT-less caches).
    for n in range(-200, 0):
        arrived.clear()
        await publish(n)
        await arrived.wait()

    begin = time.perf_counter()
    for n in range(events):
        arrived.clear()
        await publish(n)
        await arrived.wait()
    report("sequential", [(started[n] - sent[n]) / 1000 for n in range(events)], time.perf_counter() - begin)

    offset = events
    begin = time.perf_counter()
    await asyncio.gather(*(publish(offset + n) for n in range(events)))
    await burst_done.wait()
    burst = [(started[offset + n] - sent[offset + n]) / 1000 for n in range(events)]
    report("burst", burst, time.perf_counter() - begin)
    await bus.stop()


async def with_memory(events: int) -> None:
    await run(MemoryEventQueue(), events)


async def with_sqlite(events: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = await SqliteDatabase.open(Path(tmp) / ".motia" / "motia.db")
        try:
            await run(SqliteEventQueue(db), events)
        finally:
            await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    benches: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
        ("memory", with_memory),
        ("sqlite", with_sqlite),
    ]
    print(f"publish -> handler start, {args.events} events, Python {sys.version.split()[0]}")
    for name, bench in benches:
        print(f"{name}:")
        await bench(args.events)


if __name__ == "__main__":
    asyncio.run(main())
