"""The recorder's instructions per trivial api request, alone: its calls and its flush's frame.

Usage: .venv/bin/python bench/recorder_instructions.py [--requests 20000] [--batch 500] [--root DIR ...]
       [--cache-sim] [--assemble store|exporting]

The recorder's calls for one trivial api request (start_span, ran_on, end_span, http_response, as
the supervisor makes them) are made ``--batch`` times between flushes, encoding as it does for the
trace writer process, and each flush's events are framed as ``TraceWriter.record`` frames them
(``_wire.record_request``). The process runs under ``valgrind --tool=callgrind`` twice, with
``--requests`` and with none (the same set-up: trace ids made beforehand, imports, the event loop);
the difference over ``--requests`` is the recorder's instructions per request, which the machine's
load does not change (bench/RESULTS.md, session 12: recorder instructions). ``--root DIR`` counts the
``supervisor`` package in DIR (e.g. a ``git archive`` of another commit) too, for an A/B.
``--cache-sim``: D1 and LL misses and mispredicted branches per request too (``tracing_overhead.py
--instructions --cache-sim``'s simulation: bench/RESULTS.md, session 14). ``--assemble``: the recorder as
for a store living in the supervisor (memory, Redis: events not encoded, nor framed) and each flush's
events assembled and cut beside it as ``LocalSink`` does (``store``; ``exporting``: for an
OpenTelemetry exporter too), the store's and the exporter's own work left out: the recorder's and the
assembler's instructions together.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from tracing_overhead import CACHE_SIM, cache_columns, callgrind_totals
from writer_instructions import capturing_recorder

HERE = Path(__file__).resolve()


async def _requests(count: int, batch: int, total: int, assemble: str | None) -> None:
    from supervisor.protocol import InvokeResult, TriggerKind
    from supervisor.tracing import Retention, _wire
    from supervisor.tracing._assembler import Assembler

    trace_ids = [f"{index:032x}" for index in range(total)]
    assembler = Assembler(exporting=assemble == "exporting")
    with tempfile.TemporaryDirectory() as tmp:
        retention = Retention(max_traces=10_000, max_log_lines=10_000, max_age_s=3600)
        recorder, batches = capturing_recorder(Path(tmp), retention, encoding=assemble is None)
        await recorder.start()
        result = InvokeResult(1, True, b"{}", None)
        start_span, end_span, http_response = recorder.start_span, recorder.end_span, recorder.http_response
        for first in range(0, count, batch):
            for trace_id in trace_ids[first : min(first + batch, count)]:
                span = start_span(
                    "Hello",
                    "steps/hello_step.py",
                    TriggerKind.API,
                    trace_id,
                    "",
                    parent_span_id=None,
                    remote_parent=False,
                    delivery_id=None,
                    attempt=1,
                )
                span.ran_on("python#1", 4242)
                end_span(span, result)
                http_response(trace_id, "Hello", "GET", "/py/hello", 200)
            await recorder.flush()
            for events in batches:
                if assemble is None:  # framed as ``TraceWriter.record`` frames them
                    _wire.record_request(1, events)
                else:  # as ``TracePipeline.take`` takes them
                    assembler.apply(events)
                    assembler.cut()
            batches.clear()
        await recorder.stop()


def _total(
    root: Path, count: int, batch: int, total: int, cache_sim: bool = False, assemble: str | None = None
) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                *(CACHE_SIM if cache_sim else ()),
                f"--callgrind-out-file={out}",
                sys.executable,
                str(HERE),
                "--run",
                str(count),
                "--batch",
                str(batch),
                "--total",
                str(total),
                "--root",
                str(root),
                *(["--assemble", assemble] if assemble else []),
            ],
            check=True,
            capture_output=True,
        )
        return callgrind_totals(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--root", type=Path, action="append", default=[])
    parser.add_argument("--cache-sim", action="store_true", help="misses and mispredictions too")
    parser.add_argument("--assemble", choices=["store", "exporting"], help="assembled beside it too")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        sys.path.insert(0, str(args.root[0]))
        asyncio.run(_requests(args.run, args.batch, args.total, args.assemble))
        return
    if args.cache_sim:
        print("| code | instructions/req | D1 misses/req | LL misses/req | mispredicted branches/req |")
        print("| --- | ---: | ---: | ---: | ---: |")
    for root in [HERE.parent.parent, *args.root]:
        counted = (args.batch, args.requests, args.cache_sim, args.assemble)
        base = _total(root.resolve(), 0, *counted)
        loaded = _total(root.resolve(), args.requests, *counted)
        per_request = {event: (loaded[event] - base[event]) / args.requests for event in loaded}
        if args.cache_sim:
            print(f"| {root} | {cache_columns(per_request)} |", flush=True)
        else:
            print(f"{root}: {per_request['Ir'] / 1000:.2f}k instructions/request", flush=True)


if __name__ == "__main__":
    main()
