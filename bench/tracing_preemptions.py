"""How often the trace writer takes the CPU from the supervisor, counted by the kernel's scheduler.

Usage: .venv/bin/python bench/tracing_preemptions.py [--rounds 3] [--duration 5] [--lang py]
       [--baseline DIR ...]

req/s on a shared 2-core machine moves ±30 % round to round (bench/RESULTS.md, session 12), far more
than what the trace writer's share of the cores is worth; what it does to the supervisor can be
counted instead. Servers with tracing on (this checkout and each ``--baseline`` DIR, e.g. a copy of the
code whose trace writer runs at another priority) are loaded by wrk in alternating rounds while
``perf record -e sched:sched_switch -a`` records every context switch of the machine. Per 1,000
requests: how often the supervisor's event loop thread was switched out while runnable (preempted) and
by whom (the trace writer's threads, the runners, wrk, anything else), how long it then waited to run
again, how often it got its CPU from the writer (``from_writer``: they shared that core), and the
writer's CPU time (its threads' time on a CPU between switches). Needs ``perf``
and a kernel that lets it read scheduler tracepoints (root).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from constants import CONNECTIONS
from load import run_wrk
from projects import write_bench_project
from servers import Server, free_port, motia_argv, running
from tracing_overhead import trace_writers

SWITCH = re.compile(
    r"\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch: prev_comm=.* prev_pid=(\d+) prev_prio=\d+ "
    r"prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) next_prio=\d+"
)


def thread_ids(pid: int) -> set[int]:
    with contextlib.suppress(OSError):
        return {int(task) for task in os.listdir(f"/proc/{pid}/task")}
    return set()


def switches(data: Path) -> list[tuple[int, float, int, str, str, int]]:
    """(cpu, time, prev pid, prev state, next command, next pid) of every recorded switch, in time
    order."""
    script = subprocess.run(
        ["perf", "script", "-i", str(data), "-F", "cpu,time,event,trace"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = []
    for line in script.splitlines():
        match = SWITCH.search(line)
        if match:
            cpu, at, prev, state, command, nxt = match.groups()
            found.append((int(cpu), float(at), int(prev), state, command, int(nxt)))
    found.sort(key=lambda switch: switch[1])
    return found


def who(pid: int, command: str, writer: set[int], runners: set[int]) -> str:
    if pid in writer:
        return "writer"
    if pid in runners:
        return "runner"
    return "wrk" if command == "wrk" else "other"


def one_round(server: Server, path: str, duration: float, workdir: Path) -> dict[str, float]:
    supervisor = server.proc.pid
    writer = {tid for proc in trace_writers(server) for tid in thread_ids(proc.pid)}
    ours = {tid for proc in server.tree()[1:] for tid in thread_ids(proc.pid)} - writer
    data = workdir / "sched.data"
    recorder = subprocess.Popen(
        ["perf", "record", "-q", "-e", "sched:sched_switch", "-a", "-o", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    result = run_wrk(f"http://127.0.0.1:{server.port}{path}", CONNECTIONS, duration)
    recorder.send_signal(2)
    recorder.wait(60)
    # the round's trace work written before the next round (``tracing_overhead.load_measuring_writers``)
    with contextlib.suppress(OSError):
        server.get("/__motia/traces?limit=1", timeout=60)
    by: Counter[str] = Counter()
    waited = 0.0
    writer_ran = 0.0
    #: the supervisor got a CPU the writer was on (it woke, or was waiting, where the writer ran)
    from_writer = 0
    out_since: float | None = None
    on_cpu: dict[int, tuple[int, float]] = {}  # cpu -> (pid, since)
    for cpu, at, prev, state, command, nxt in switches(data):
        was = on_cpu.get(cpu)
        if was is not None and was[0] == prev and prev in writer:
            writer_ran += at - was[1]
        on_cpu[cpu] = (nxt, at)
        if prev == supervisor and state.startswith("R"):
            by[who(nxt, command, writer, ours)] += 1
            out_since = at
        if nxt == supervisor and prev in writer:
            from_writer += 1
        if nxt == supervisor and out_since is not None:
            waited += at - out_since
            out_since = None
    per = 1000 / max(1, result["requests"])
    return {
        "rps": result["rps"],
        "preempted": sum(by.values()) * per,
        "by_writer": by["writer"] * per,
        "by_runner": by["runner"] * per,
        "by_wrk": by["wrk"] * per,
        "by_other": by["other"] * per,
        "from_writer": from_writer * per,
        "waited_ms": waited * 1000 * per,
        "writer_ms": writer_ran * 1000 * per,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--lang", default="py")
    parser.add_argument("--baseline", type=Path, action="append", default=[])
    args = parser.parse_args()
    path = f"/{args.lang}/hello"
    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    codes: list[tuple[str, Path | None]] = [("on", None)]
    codes += [(f"base:{code.name}", code.resolve()) for code in args.baseline]
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode, _code in codes}
    with tempfile.TemporaryDirectory(prefix="motia-tracing-preemptions-") as tmp:
        servers = {}
        for mode, code in codes:
            project = write_bench_project(Path(tmp) / mode.replace(":", "-"))
            port = free_port()
            env = {"PYTHONPATH": str(code)} if code else {}
            argv = motia_argv(project, port)
            servers[mode] = Server.spawn(f"preempt-{mode}", argv, port, env, cwd=project)
        with running(list(servers.values())):
            for server in servers.values():
                server.wait_ready(path)
                run_wrk(f"http://127.0.0.1:{server.port}{path}", CONNECTIONS, 2)
            for round_index in range(args.rounds):
                order = list(servers) if round_index % 2 == 0 else list(reversed(servers))
                for mode in order:
                    per = one_round(servers[mode], path, args.duration, Path(tmp))
                    results[mode].append(per)
                    print(f"    round {round_index + 1} {mode:<14} " + "  ".join(
                        f"{key} {value:.1f}" for key, value in per.items()
                    ), flush=True)  # fmt: skip
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    keys = list(next(iter(results.values()))[0])
    print("\n| per 1,000 requests (medians of rounds) | " + " | ".join(results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for key in keys:
        cells = [f"{statistics.median(run[key] for run in runs):.1f}" for runs in results.values()]
        print(f"| {key} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
