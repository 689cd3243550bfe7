"""Where the supervisor's extra CPU with tracing on goes, in counts the machine's load does not change.

Usage: .venv/bin/python bench/tracing_supervisor_counts.py [--requests 6000] [--rounds 2] [--lang py]
       [--strace] [--wrk SECONDS] [--pin] [--baseline DIR]
       [--variant NAME:KEY=VALUE,...]

Two ``motia start`` servers of the trivial api step (tracing on, ``MOTIA_TRACING=false``), loaded in
alternating rounds by the same keep-alive client as ``tracing_overhead.py --instructions`` (16
connections; ``--wrk S``: wrk at 32 connections for S seconds instead, i.e. at saturation). Per request,
over each round: the supervisor's read and write system calls (``/proc/PID/io``), its voluntary and
involuntary context switches and time slices (every thread's ``status`` and ``schedstat``), its minor
page faults, its garbage collections by generation and the time they took (a ``sitecustomize``
hook, ``gc.callbacks``), the same switches for its trace writer; and, for the record only (they
depend on the load), its user and kernel CPU. ``--pin``: the supervisor alone on CPU 0, what it
started and the load generator on CPU 1 (nothing of ours preempts it or shares its core's caches).
``--strace``: one more round per mode under ``strace -c -f`` of the supervisor, every system call per
request by name. ``--baseline DIR``: one more server running DIR's code (a ``git archive``), tracing
on; ``--variant NAME:KEY=VALUE``: one more with tracing on and this environment.
(bench/RESULTS.md, session 11: the supervisor's side of tracing.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from load import run_wrk
from projects import write_bench_project
from servers import Server, free_port, motia_argv, running
from tracing_overhead import _requests, trace_writers

HOOK = """\
import gc, json, os, signal, sys, time
_out = os.environ.get("MOTIA_BENCH_GC")
if _out and "start" in sys.argv:
    _runs = [0, 0, 0]
    _seconds = [0.0]
    _on = [False]
    _began = [0.0]
    def _callback(phase, info):
        if not _on[0]:
            return
        if phase == "start":
            _began[0] = time.perf_counter()
            generation = info["generation"]
            _runs[generation] += 1
        else:
            _seconds[0] += time.perf_counter() - _began[0]
    gc.callbacks.append(_callback)
    def _on_signal(signum, frame):
        if signum == signal.SIGUSR1:
            _runs[:] = [0, 0, 0]
            _seconds[0] = 0.0
            _on[0] = True
        else:
            _on[0] = False
            with open(_out, "w") as out:
                json.dump({"runs": _runs, "seconds": _seconds[0], "threshold": gc.get_threshold()}, out)
    signal.signal(signal.SIGUSR1, _on_signal)
    signal.signal(signal.SIGUSR2, _on_signal)
"""


def thread_counts(pid: int) -> dict[str, float]:
    """Context switches and time slices summed over the threads of ``pid``."""
    totals = {"voluntary": 0.0, "involuntary": 0.0, "slices": 0.0, "run_ns": 0.0, "wait_ns": 0.0}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
            run_ns, wait_ns, slices = (task / "schedstat").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                totals["voluntary"] += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                totals["involuntary"] += int(line.split()[1])
        totals["run_ns"] += int(run_ns)
        totals["wait_ns"] += int(wait_ns)
        totals["slices"] += int(slices)
    return totals


def snapshot(pid: int, writers: list[int]) -> dict[str, float]:
    proc = psutil.Process(pid)
    io = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    times = proc.cpu_times()
    counts = thread_counts(pid)
    # the machine's: guest time the hypervisor gave to others (``steal``) and idle time, in µs
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    shot = {
        "machine_idle_us": float(cpu[4]) * tick_us,
        "machine_steal_us": float(cpu[8]) * tick_us,
        "syscr": float(io["syscr"]),
        "syscw": float(io["syscw"]),
        "minflt": float(stat[7]),
        "user_us": times.user * 1e6,
        "system_us": times.system * 1e6,
        **counts,
    }
    for writer in writers:
        for key, value in thread_counts(writer).items():
            shot[f"writer_{key}"] = shot.get(f"writer_{key}", 0.0) + value
    return shot


def pin(server: Server) -> None:
    """Every thread of the supervisor on CPU 0, every process it started on CPU 1."""
    subprocess.run(["taskset", "-a", "-p", "-c", "0", str(server.proc.pid)], check=True, capture_output=True)
    for child in server.tree()[1:]:
        subprocess.run(["taskset", "-a", "-p", "-c", "1", str(child.pid)], check=True, capture_output=True)


def one_round(server: Server, path: str, requests: int, wrk: float, gc_file: Path) -> dict[str, float]:
    pid = server.proc.pid
    writers = [writer.pid for writer in trace_writers(server)]
    os.kill(pid, signal.SIGUSR1)
    before = snapshot(pid, writers)
    if wrk:
        served = int(run_wrk(f"http://127.0.0.1:{server.port}{path}", 32, wrk)["requests"])
    else:
        asyncio.run(_requests(server.port, path, requests))
        served = requests
    after = snapshot(pid, writers)
    os.kill(pid, signal.SIGUSR2)
    time.sleep(0.3)
    collected = json.loads(gc_file.read_text())
    per = {key: (after[key] - before[key]) / served for key in before}
    for generation, runs in enumerate(collected["runs"]):
        per[f"gc{generation}"] = runs / served
    per["gc_us"] = collected["seconds"] * 1e6 / served
    per["requests"] = served
    return per


def straced(server: Server, path: str, requests: int, out: Path) -> dict[str, float]:
    """System calls per request by name, ``strace -c -f`` of the supervisor over ``requests``."""
    tracer = subprocess.Popen(
        ["strace", "-c", "-f", "-o", str(out), "-p", str(server.proc.pid)], stderr=subprocess.DEVNULL
    )
    time.sleep(1.0)
    asyncio.run(_requests(server.port, path, requests))
    tracer.send_signal(signal.SIGINT)
    tracer.wait(30)
    calls: dict[str, float] = {}
    for line in out.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            calls[fields[-1]] = int(fields[3]) / requests
    return calls


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--lang", default="py")
    parser.add_argument("--wrk", type=float, default=0.0, help="seconds of wrk per round instead")
    parser.add_argument("--strace", action="store_true")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the supervisor alone on CPU 0; its runners, trace writer and the load on CPU 1",
    )
    parser.add_argument("--baseline", type=Path)
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME:KEY=VALUE[,KEY=VALUE]: one more server, tracing on, with this environment",
    )
    args = parser.parse_args()
    path = f"/{args.lang}/hello"
    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="motia-tracing-counts-") as tmp:
        hook = Path(tmp) / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
        servers: dict[str, Server] = {}
        gc_files: dict[str, Path] = {}
        modes: list[tuple[str, dict[str, str], Path | None]] = [
            ("off", {"MOTIA_TRACING": "false"}, None),
            ("on", {}, None),
        ]
        if args.baseline:
            modes.append(("base", {}, args.baseline.resolve()))
        for variant in args.variant:
            name, _, assignments = variant.partition(":")
            modes.append((name, dict(item.split("=", 1) for item in assignments.split(",") if item), None))
        for mode, env, code in modes:
            project = write_bench_project(Path(tmp) / mode)
            gc_files[mode] = Path(tmp) / f"gc-{mode}.json"
            python_path = os.pathsep.join(
                filter(None, [str(code) if code else "", str(hook), env.get("PYTHONPATH", "")])
            )
            port = free_port()
            servers[mode] = Server.spawn(
                mode,
                motia_argv(project, port, code),
                port,
                {**env, "PYTHONPATH": python_path, "MOTIA_BENCH_GC": str(gc_files[mode])},
                cwd=project,
            )
        results: dict[str, list[dict[str, float]]] = {mode: [] for mode in servers}
        with running(list(servers.values())):
            for server in servers.values():
                server.wait_ready(path, timeout=120)
                asyncio.run(_requests(server.port, path, 2000))
            if args.pin:
                for server in servers.values():
                    pin(server)
                os.sched_setaffinity(0, {1})  # the load generator (this process, or wrk)
            time.sleep(1.0)
            for round_no in range(args.rounds):
                order = list(servers) if round_no % 2 == 0 else list(reversed(servers))
                for mode in order:
                    per = one_round(servers[mode], path, args.requests, args.wrk, gc_files[mode])
                    results[mode].append(per)
                    print(f"round {round_no} {mode}: " + json.dumps({k: round(v, 3) for k, v in per.items()}))
            if args.strace:
                for mode, server in servers.items():
                    calls = straced(server, path, args.requests, Path(tmp) / f"strace-{mode}")
                    top = sorted(calls.items(), key=lambda item: -item[1])
                    print(f"strace {mode}: " + ", ".join(f"{name} {n:.3f}" for name, n in top))
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    keys = [key for key in results["off"][0] if key != "requests"]
    print("\n| per request | " + " | ".join(results) + " |")
    print("| --- |" + " ---: |" * len(results))
    for key in keys:
        cells = [" / ".join(f"{per[key]:.3g}" for per in rounds) for rounds in results.values()]
        print(f"| {key} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
