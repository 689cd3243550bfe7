"""The trace writer process's instructions per trivial api request, counted by callgrind: what the
writer executes does not depend on the machine's load (its CPU time does, by ±10-20 % on a shared
machine).

Usage: .venv/bin/python bench/writer_instructions.py [--requests 20000] [--batch 500] [--straddling 0]
       [--root DIR ...] [--cache-sim]

The recorder's calls for one trivial api request (start_span, ran_on, end_span, http_response) are
made ``--batch`` times between flushes, as in bench/writer_path.py, and each flush's events framed as
the supervisor frames them (``TraceWriter.record``). ``--straddling N``: N requests of each batch
are still running at its flush (their START goes in it, their end and response in the next), as
under load the requests in flight at each flush (up to the connections: 16-32 of a batch of up to
2,000 at full speed, about a fifth of the requests under valgrind); such a trace is kept as rows,
not in a segment. The real trace writer process
(``python -m supervisor.tracing._writer_process``, over a new traces.db, assembling with retention of
10,000 traces: it prunes as it goes) runs under ``valgrind --tool=callgrind``; it is sent the frames one
at a time, each after the answer to the one before (as the recorder sends them), a quarter of them
to warm up and the rest instrumented. Reported: instructions per request of its loop thread (reading,
decoding, assembling, building rows and blobs) and of the rest (SQLite's writer thread).

``--root DIR`` (repeatable): also the ``supervisor`` package found in DIR (e.g. a ``git archive`` of
another commit), fed the same frames: an A/B of two versions in one run. ``--cache-sim``: D1 and LL
misses and mispredicted branches per request too, the process's threads together (``tracing_overhead.py
--instructions --cache-sim``'s simulation: bench/RESULTS.md, session 14).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tracing_overhead import CACHE_SIM, cache_columns, callgrind_totals

REPO = Path(__file__).resolve().parents[1]
RETENTION = {"max_traces": 10_000, "max_log_lines": 10_000, "max_age_s": 3600.0}


def capturing_recorder(
    directory: Path, retention: Any, *, encoding: bool = True
) -> tuple[Any, list[list[Any]]]:
    """A ``Recorder`` that encodes its events as for the trace writer process (``encoding``; else as
    for a store the supervisor writes itself, Redis) and keeps each flush's events (what it would hand
    the writer's sink) in the list returned beside it; nothing exported."""
    from supervisor.tracing import Recorder

    batches: list[list[Any]] = []

    class Capture:
        async def start(self) -> int:
            return 0

        async def record(self, events: list[tuple[Any, ...]]) -> None:
            batches.append(list(events))

        async def stop(self) -> None:
            return None

    class NoExport:
        def export(self, spans: Any) -> None:
            return None

        def shutdown(self) -> None:
            return None

    recorder = Recorder(None, retention, directory, exporter=NoExport())
    recorder._sink = Capture()  # type: ignore[assignment]
    recorder._encoding = encoding  # as with the trace writer process (``Recorder._encoding``)
    return recorder, batches


async def _recorded_batches(
    requests: int, batch: int, straddling: int, logs: int = 0, ops: int = 0
) -> list[list[Any]]:
    """Each flush's events, as the recorder hands them to the trace writer's sink; each request makes
    ``ops`` state writes and logs ``logs`` lines while it runs (as a runner's calls reach the recorder)."""
    import logging
    import time

    from supervisor.protocol import ContextCall, InvokeResult, TriggerKind
    from supervisor.tracing import Retention

    with tempfile.TemporaryDirectory() as tmp:
        recorder, batches = capturing_recorder(Path(tmp), Retention(**RETENTION))  # type: ignore[arg-type]
        await recorder.start()
        result = InvokeResult(1, True, b"{}", None)
        running: list[tuple[Any, str]] = []

        def answer(span: Any, trace_id: str) -> None:
            recorder.end_span(span, result)
            recorder.http_response(trace_id, "Hello", "GET", "/py/hello", 200)

        for flush in range(requests // batch):
            for span, trace_id in running:
                answer(span, trace_id)
            running = []
            for index in range(batch):
                trace_id = f"{flush:016x}{index:016x}"  # each request a trace of its own
                span = recorder.start_span("Hello", "steps/hello_step.py", TriggerKind.API, trace_id)
                span.ran_on("python#1", 4242)
                for op in range(ops):
                    call = ContextCall(op, 1, trace_id, "Hello", "state.set", b"")
                    recorder.context_call(
                        call, ["pets", f"{index}-{op}", {"ok": True}], None, time.time(), None
                    )
                for line in range(logs):
                    recorder.log_record(
                        logging.makeLogRecord(
                            {
                                "name": "motia.step",
                                "levelno": logging.INFO,
                                "levelname": "INFO",
                                "msg": f"handled request {index} ({line})",
                                "step": "Hello",
                                "trace_id": trace_id,
                                "runner": "python#1",
                                "meta": {"index": index},
                            }
                        )
                    )
                if index < batch - straddling:
                    answer(span, trace_id)
                else:
                    running.append((span, trace_id))
            await recorder.flush()
        await recorder.stop()
    return batches


class _Writer:
    """A trace writer process under callgrind (natively: ``native``), spoken to synchronously."""

    def __init__(
        self, root: Path, workdir: Path, simulation: Sequence[str] = (), *, native: bool = False
    ) -> None:
        self.out = workdir / "callgrind.out"
        env = {**os.environ, "PYTHONPATH": str(root)}
        callgrind = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            *simulation,
            "--separate-threads=yes",
            f"--callgrind-out-file={self.out}",
        ]
        self.proc = subprocess.Popen(
            [
                *([] if native else callgrind),
                sys.executable,
                "-P",
                "-m",
                "supervisor.tracing._writer_process",
                str(workdir / "traces.db"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=workdir,
        )
        self._ids = iter(range(1, 1 << 30))
        self._answer()  # ready

    def _answer(self) -> Any:
        import orjson

        assert self.proc.stdout is not None
        head = self.proc.stdout.read(4)
        if len(head) < 4:
            raise RuntimeError("the trace writer exited")
        _id, ok, result = orjson.loads(self.proc.stdout.read(int.from_bytes(head, "big")))
        if not ok:
            raise RuntimeError(f"the trace writer failed: {result}")
        return result

    def ask(self, frame: bytes) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(frame)
        self.proc.stdin.flush()
        return self._answer()

    def next_id(self) -> int:
        return next(self._ids)

    def callgrind(self, *args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(self.proc.pid)], check=True, capture_output=True)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=300)


def _thread_totals(out: Path) -> list[dict[str, int]]:
    """The events of each thread in the dump asked for (``--separate-threads``: a file each)."""
    return [
        callgrind_totals(dumped)
        for dumped in sorted(out.parent.glob(out.name + ".*"))
        if dumped.name.endswith("-01") or "-" in dumped.name.rsplit(".", 1)[-1]
    ]


def measure(
    root: Path, batches: list[list[Any]], workdir: Path, simulation: Sequence[str] = ()
) -> tuple[dict[str, float], dict[str, float]]:
    """Loop-thread and other threads' events per request of the writer running ``root`` (``Ir``, and
    with ``simulation`` the misses and branches)."""
    from supervisor.tracing import _wire

    workdir.mkdir(parents=True)
    writer = _Writer(root, workdir, simulation)
    try:
        writer.ask(_wire.request(writer.next_id(), "assemble", RETENTION))
        writer.ask(_wire.request(writer.next_id(), "recover"))
        warm = len(batches) // 4
        for events in batches[:warm]:
            writer.ask(_wire.record_request(writer.next_id(), events))
        writer.callgrind("--instr=on")
        for events in batches[warm:]:
            writer.ask(_wire.record_request(writer.next_id(), events))
        writer.callgrind("--dump")
    finally:
        writer.close()
    totals = _thread_totals(writer.out)
    if not totals:
        raise RuntimeError(f"no callgrind dump in {workdir}")
    requests = sum(len(events) for events in batches[warm:])
    # the main thread's file first (-01); the rest are SQLite's writer thread and asyncio's helpers
    loop = {event: count / requests for event, count in totals[0].items()}
    rest = {event: sum(thread[event] for thread in totals[1:]) / requests for event in totals[0]}
    return loop, rest


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--straddling", type=int, default=0, help="requests of a batch running at its flush")
    parser.add_argument("--root", type=Path, action="append", default=[], help="also this checkout's writer")
    parser.add_argument("--cache-sim", action="store_true", help="misses and mispredictions too")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("needs valgrind (Debian's package valgrind)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    started = time.monotonic()
    batches = asyncio.run(_recorded_batches(args.requests, args.batch, args.straddling))
    roots = {"this checkout": REPO, **{str(root): root.resolve() for root in args.root}}
    simulation = CACHE_SIM if args.cache_sim else ()
    if args.cache_sim:
        print(
            "| writer | loop thread instructions/req | other threads | total | total D1 misses/req "
            "| total LL misses/req | total mispredicted branches/req |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    else:
        print("| writer | loop thread instructions/req | other threads | total |")
        print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="motia-writer-instructions-") as tmp:
        for number, (name, root) in enumerate(roots.items()):
            loop, rest = measure(root, batches, Path(tmp) / str(number), simulation)
            both = {event: loop[event] + rest[event] for event in loop}
            cells = cache_columns(both) if args.cache_sim else f"{both['Ir'] / 1000:.1f}k"
            print(f"| {name} | {loop['Ir'] / 1000:.2f}k | {rest['Ir'] / 1000:.1f}k | {cells} |", flush=True)
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(
        f"({time.monotonic() - started:.0f} s; {args.requests} requests in batches of {args.batch}, "
        f"{args.straddling} of each running at its flush)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
