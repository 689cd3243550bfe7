"""The trace writer's work per trivial api request, in one process, without HTTP or a child process.

Usage: .venv/bin/python bench/writer_path.py [--requests 20000] [--batch 500] [--rounds 5] [--root DIR]

The recorder's calls for one trivial api request (start_span, ran_on, end_span, http_response) are
made ``--batch`` times between flushes, the recorder encoding each answered START as it does for the
trace writer process; each flush's events are framed as the supervisor frames them
(``TraceWriter.record``) and, as the trace writer process does, decoded and taken by a
``TracePipeline`` over the SQLite store (retention 10,000 traces: pruned as it goes). Reported per
request, min and median of rounds: the recorder's CPU (the supervisor's share: its calls, the flush
and the frame), the writer's loop-thread CPU (decoding, assembling, building rows; the young
generation's threshold set as the writer process sets it) and the process's CPU beyond both (the
SQLite thread).

``--root DIR`` runs the ``supervisor`` package found in DIR (e.g. a ``git archive`` of another branch):
run it once per checkout, interleaved, for an A/B.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _round(requests: int, batch: int) -> tuple[float, float, float]:
    from supervisor.protocol import InvokeResult, TriggerKind
    from supervisor.tracing import Recorder, Retention, _wire
    from supervisor.tracing._pipeline import TracePipeline
    from supervisor.tracing._sqlite import SqliteTraceStore

    with tempfile.TemporaryDirectory() as tmp:
        retention = Retention(max_traces=10_000, max_log_lines=10_000, max_age_s=3600)
        store = await SqliteTraceStore.open(Path(tmp) / "traces.db")
        pipeline = TracePipeline(store, None, retention)
        await pipeline.recover()
        frames: list[bytes] = []

        class Capture:
            async def start(self) -> int:
                return 0

            async def record(self, events: list[tuple[Any, ...]]) -> None:
                # as ``TraceWriter.record`` sends them (a checkout before the ninth pass: as they are)
                record_request = getattr(_wire, "record_request", None)
                if record_request is not None:
                    frames.append(record_request(1, events))
                    return
                inlined = getattr(_wire, "inlined", None)
                frames.append(_wire.request(1, "record", events if inlined is None else inlined(events)))

            async def stop(self) -> None:
                return None

        recorder = Recorder(None, retention, Path(tmp), exporter=_NoExport())
        recorder._sink = Capture()  # type: ignore[assignment]
        recorder._encoding = True  # as with the trace writer process (``Recorder._encoding``)
        await recorder.start()
        result = InvokeResult(1, True, b"{}", None)
        record_cpu = writer_loop_cpu = process_cpu = 0.0
        for flush in range(requests // batch):
            frames.clear()
            started = time.thread_time()
            for index in range(batch):
                trace_id = f"{flush:016x}{index:016x}"  # each request a trace of its own
                span = recorder.start_span("Hello", "steps/hello_step.py", TriggerKind.API, trace_id)
                span.ran_on("python#1", 4242)
                recorder.end_span(span, result)
                recorder.http_response(trace_id, "Hello", "GET", "/py/hello", 200)
            await recorder.flush()
            record_cpu += time.thread_time() - started
            gc.disable()  # as the writer process runs (``_writer_process.GC_EVERY_S``)
            process_started, loop_started = _process_cpu(), time.thread_time()
            for data in frames:
                _, _, args = _wire.decode(data[_wire.HEADER.size :])
                await pipeline.take(*_wire.ARGUMENTS["record"](args))
            writer_loop_cpu += time.thread_time() - loop_started
            process_cpu += _process_cpu() - process_started
            gc.enable()
        await recorder.stop()
        await store.close()
    done = requests // batch * batch
    return record_cpu / done * 1e6, writer_loop_cpu / done * 1e6, (process_cpu - writer_loop_cpu) / done * 1e6


class _NoExport:
    def export(self, spans: Any) -> None:
        return None

    def shutdown(self) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    rounds = [asyncio.run(_round(args.requests, args.batch)) for _ in range(args.rounds)]
    names = ("recorder", "writer loop thread", "writer SQLite thread")
    for name, values in zip(names, zip(*rounds, strict=True), strict=True):
        print(f"{name:>22}: min {min(values):5.1f}  median {statistics.median(values):5.1f} µs/request")
    print(f"{'writer total':>22}: median {statistics.median(a + b for _, a, b in rounds):5.1f} µs/request")


if __name__ == "__main__":
    main()
