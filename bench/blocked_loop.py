"""One Python handler blocking its runner's event loop: what the other Python requests see, per design.

Usage: .venv/bin/python bench/blocked_loop.py [--baseline-ref main] [--block 8] [--rounds 3]
                                             [--duration 10] [--json PATH]

The options measured (each a ``motia start`` of the same project, Python steps only):

- ``old``: ``--baseline-ref`` (git archive), one runner: Pongs come from the loop; a loop blocked 10 s
  gets the runner killed.
- ``thread``: this checkout, one runner, no spares: Pongs from the reader thread, nothing to route to.
- ``pool2``: this checkout, ``poolSize: 2``, no spares: new work routed away from the stalled runner.
- ``spare``: this checkout's default, one runner and up to 2 spares started while every loop is stalled.
- ``offloop``: this checkout, one runner, no spares, and every ``async def`` handler run on one of 8
  event loops in threads of their own instead of the runner's loop (a patch loaded by a step file of
  the bench project: the design measured, not shipped).

Two measurements per option, rounds interleaved:

- **while blocked**: ``POST /block`` (``async def`` + ``time.sleep(--block)``), then 4 clients send
  ``GET /fast`` back to back until it answers; their latency and status, and the blocked request's own.
- **steady**: ``wrk -c32`` on ``GET /fast`` with nothing blocked, for ``--duration`` s: what the design
  costs every request.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from http_bench import cpu_seconds  # noqa: E402
from load import percentile, run_wrk  # noqa: E402
from report import machine  # noqa: E402
from servers import extract, motia  # noqa: E402

BLOCK = """
import time
config = {"type": "api", "name": "Block", "path": "/block", "method": "POST", "emits": []}
async def handler(req, context):
    time.sleep(BLOCK_SECONDS)  # a synchronous SDK call inside async def
    return {"status": 200, "body": {"ok": True}}
"""

FAST = """
config = {"type": "api", "name": "Fast", "path": "/fast", "method": "GET", "emits": []}
async def handler(req, context):
    return {"status": 200, "body": {"ok": True}}
"""

# The off-loop design: every async handler runs on one of 8 event loops, each in a thread of its own.
OFF_LOOP_PATCH = """
import asyncio
import contextvars
import itertools
import threading

from motia_runner import invoke

config = {"type": "noop", "name": "OffLoopPatch", "virtualEmits": [], "virtualSubscribes": []}


def _loop_in_thread():
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="offloop", daemon=True).start()
    return loop


_loops = itertools.cycle([_loop_in_thread() for _ in range(8)])
_original = invoke.Invoker.call


async def _call(self, fn, args):
    if not invoke.is_async(fn):
        return await _original(self, fn, args)
    arity = invoke.positional_arity(fn)
    if arity is not None:
        args = args[:arity]
    context = contextvars.copy_context()
    future = context.run(asyncio.run_coroutine_threadsafe, fn(*args), next(_loops))
    return await asyncio.wrap_future(future)


invoke.Invoker.call = _call
"""

OPTIONS: dict[str, dict[str, Any]] = {
    "old": {"config": {}, "patch": False},
    "thread": {"config": {"runners": {"python": {"spareRunners": 0}}}, "patch": False},
    "pool2": {"config": {"runners": {"python": {"poolSize": 2, "spareRunners": 0}}}, "patch": False},
    "spare": {"config": {}, "patch": False},
    "offloop": {"config": {"runners": {"python": {"spareRunners": 0}}}, "patch": True},
}


def make_project(root: Path, option: str, block_seconds: float) -> Path:
    steps = root / "steps"
    steps.mkdir(parents=True)
    (steps / "block_step.py").write_text(
        BLOCK.replace("BLOCK_SECONDS", repr(block_seconds)), encoding="utf-8"
    )
    (steps / "fast_step.py").write_text(FAST, encoding="utf-8")
    if OPTIONS[option]["patch"]:
        (steps / "offloop_patch_step.py").write_text(OFF_LOOP_PATCH, encoding="utf-8")
    config = {"shutdownGraceSeconds": 1, **OPTIONS[option]["config"]}
    (root / "motia.config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


@contextlib.contextmanager
def server(code: Path | None, project: Path) -> Iterator[tuple[psutil.Process, str]]:
    with motia(project, code=code, ready="/fast", timeout=120, interval=0.05, stop_timeout=60) as started:
        yield psutil.Process(started.proc.pid), f"http://127.0.0.1:{started.port}"


def request(url: str, method: str = "GET", timeout: float = 60) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=timeout) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.monotonic() - started


def while_blocked(url: str, clients: int = 4) -> dict[str, Any]:
    with concurrent.futures.ThreadPoolExecutor(clients + 1) as pool:
        blocked = pool.submit(request, f"{url}/block", "POST")
        time.sleep(0.1)  # the blocking request reaches the runner first

        def client() -> list[tuple[int, float]]:
            seen = []
            while not blocked.done():
                seen.append(request(f"{url}/fast", timeout=30))
            return seen

        answers = [answer for part in pool.map(lambda _i: client(), range(clients)) for answer in part]
        block_status, block_s = blocked.result()
    latencies = sorted(seconds * 1000 for _status, seconds in answers)
    return {
        "block_status": block_status,
        "block_s": block_s,
        "fast_requests": len(answers),
        "fast_errors": sum(1 for status, _ in answers if status != 200),
        "fast_p50_ms": percentile(latencies, 0.5, presorted=True),
        "fast_p99_ms": percentile(latencies, 0.99, presorted=True),
        "fast_max_ms": latencies[-1] if latencies else 0.0,
    }


def runners_rss_mb(supervisor: psutil.Process) -> float:
    total = 0
    for child in supervisor.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total / (1024 * 1024)


def measure(code: Path | None, root: Path, option: str, block: float, duration: float) -> dict[str, Any]:
    project = make_project(root, option, block)
    with server(code, project) as (supervisor, url):
        runners = supervisor.children(recursive=True)
        before = cpu_seconds([supervisor]), cpu_seconds(runners)
        steady = run_wrk(f"{url}/fast", 32, duration)
        after = cpu_seconds([supervisor]), cpu_seconds(runners)
        served = max(1, steady["requests"])
        for name, index in (("supervisor", 0), ("runners", 1)):
            spent = sum(after[index].values()) - sum(before[index].values())
            steady[f"{name}_cpu_us_per_req"] = 1e6 * spent / served
        blocked = while_blocked(url)
        blocked["runners_rss_mb_after"] = runners_rss_mb(supervisor)
    return {"steady": steady, "blocked": blocked}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline-ref", help="git ref of the old design (e.g. main)")
    parser.add_argument("--block", type=float, default=8.0, help="seconds the handler blocks (old: < 10)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of wrk per steady run")
    parser.add_argument("--options", nargs="*", default=list(OPTIONS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    options = [option for option in args.options if option != "old" or args.baseline_ref]

    results: dict[str, Any] = {
        "machine": machine(),
        "args": vars(args) | {"json": str(args.json)},
        "runs": {},
    }
    with tempfile.TemporaryDirectory(prefix="motia-blocked-") as tmp:
        work = Path(tmp)
        old = extract(args.baseline_ref, work / "baseline") if args.baseline_ref else None
        runs = iter(range(1_000_000))
        for round_ in range(args.rounds):
            order = options[round_ % len(options) :] + options[: round_ % len(options)]
            for option in order:
                code = old if option == "old" and old is not None else None
                entry = measure(code, work / f"run-{next(runs)}", option, args.block, args.duration)
                entry["load_avg"] = os.getloadavg()[0]
                results["runs"].setdefault(option, []).append(entry)
                steady, blocked = entry["steady"], entry["blocked"]
                print(
                    f"round {round_ + 1} {option:<8} steady {steady['rps']:7,.0f} req/s "
                    f"p50 {steady['p50_ms']:6.2f} ms"
                    f" runner CPU {steady['runners_cpu_us_per_req']:4.0f} us/req"
                    f" | blocked {blocked['block_status']} in {blocked['block_s']:5.2f} s; /fast "
                    f"{blocked['fast_requests']:5} answers, {blocked['fast_errors']} errors, "
                    f"p50 {blocked['fast_p50_ms']:8.1f} ms, p99 {blocked['fast_p99_ms']:8.1f} ms, "
                    f"max {blocked['fast_max_ms']:8.1f} ms | runners {blocked['runners_rss_mb_after']:.0f} MB"
                    f" | load {entry['load_avg']:.1f}",
                    flush=True,
                )
    summary = {}
    base = results["runs"].get("thread")
    for option, entries in results["runs"].items():
        summary[option] = {
            "steady_rps": statistics.median(e["steady"]["rps"] for e in entries),
            "steady_p50_ms": statistics.median(e["steady"]["p50_ms"] for e in entries),
            "steady_runner_cpu_us_per_req": statistics.median(
                e["steady"]["runners_cpu_us_per_req"] for e in entries
            ),
            "steady_supervisor_cpu_us_per_req": statistics.median(
                e["steady"]["supervisor_cpu_us_per_req"] for e in entries
            ),
            "blocked_fast_p50_ms": statistics.median(e["blocked"]["fast_p50_ms"] for e in entries),
            "blocked_fast_max_ms": statistics.median(e["blocked"]["fast_max_ms"] for e in entries),
            "blocked_fast_requests": statistics.median(e["blocked"]["fast_requests"] for e in entries),
            "blocked_fast_errors": statistics.median(e["blocked"]["fast_errors"] for e in entries),
            "block_statuses": [e["blocked"]["block_status"] for e in entries],
            "runners_rss_mb": statistics.median(e["blocked"]["runners_rss_mb_after"] for e in entries),
        }
        if base:
            # Per round, against the same round's "thread" run (the same code with nothing to route to).
            ratios = [
                e["steady"]["rps"] / b["steady"]["rps"]
                for e, b in zip(entries, base, strict=False)
                if b["steady"]["rps"]
            ]
            summary[option]["steady_rps_vs_thread"] = statistics.median(ratios) if ratios else None
    results["summary"] = summary
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
