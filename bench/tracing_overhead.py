"""What recording traces and logs costs: the trivial api step with tracing on against tracing off.

Usage: .venv/bin/python bench/tracing_overhead.py [--rounds 6] [--duration 8] [--busy] [--redis] [--json PATH]
       [--baseline DIR ...] [--lang ts|js|py ...] [--together [--processes N]]
       .venv/bin/python bench/tracing_overhead.py --in-process [--rounds 3] [--duration 8]
       .venv/bin/python bench/tracing_overhead.py --instructions 3000 [--runners] [--connections 16]
       [--cache-sim] [--flush-interval S] [--baseline DIR ...] [--lang ...]
       .venv/bin/python bench/tracing_overhead.py --sustained 60 [--rounds 2] [--baseline DIR ...] [--lang py]

Two ``motia start`` servers run the same project (bench/projects.py: one trivial api step per
language), one with ``tracing.enabled`` (the default) and one with ``MOTIA_TRACING=false``. For each
language the two are loaded in alternating rounds (on/off, then off/on, ...) with wrk at 32
connections; the ratio on/off is taken per round, against the run next to it, then the median: the
machine is shared, so only ratios from the same moment mean anything. ``--together``: every language's
servers in each round (rotated), each language's ratio against its own tracing-off run of the round,
so that the languages are compared in the same moments too (session 13: a JS/TS gap between blocks).
``--processes N`` (with ``--together``): N servers per mode, all in each round, and a round's ratio is
the req/s of its N tracing-on runs over its N tracing-off runs: two supervisor processes of the same code
differ by up to ±19 µs of CPU per request for the life of the process (its memory layout, where the
kernel put it), as much as tracing costs, and more rounds of one process per mode do not average that
out (bench/RESULTS.md, session 15: one fast "on" process gave 104.5 %); each process's own CPU per
request is listed after the table.
Also shown: the supervisor's CPU per request (psutil), the steadier measure on a loaded machine, and
its trace writer process's (a child of the supervisor's: it shares the machine's cores with wrk and the
runners). ``--busy`` adds a step that writes state and logs a line per request (what an ordinary handler
does), for information.
After the req/s table, where the 2 cores went per request over each wrk run, by process: the supervisor,
its trace writer (loop thread and SQLite thread), the node and Python runners, wrk, everything else on the
machine (``foreign``: other helpers' work) and, within those, interrupts (loopback TCP's softirqs); the
machine's idle share, the supervisor's share of one core, how long the supervisor's and the runners' loop
threads waited runnable for a core (``/proc/PID/schedstat``) and context switches per request; then, per
mode against tracing off, the req/s ratio beside the ratio of busy CPU per request (what req/s would be if
the cores were saturated) and what each process spends more (bench/RESULTS.md, session 15).
Target (issue 12): tracing costs at most 10 % of the trivial api step's requests/s.

``--redis``: the projects run on a redis-server this script starts (``MOTIA_REDIS_URL``, each on a
database of its own), and a third server records into SQLite (``MOTIA_TRACING_ADAPTER=sqlite``)
next to the one recording into Redis (the default with a Redis URL): what a trace costs in each.

``--in-process`` splits the cost without HTTP, runners or wrk: the recorder's calls for one trivial api
request (start_span, ran_on, end_span, http_response) paced at 1,600 requests/s on an event loop, with
tracing off, with a store that drops every batch (the recorder alone, and what it builds beside it),
with the SQLite store in the process and with the trace writer process (what ``motia`` runs); CPU
per request of the loop's thread, of the process (with the SQLite writer thread) and of the trace
writer process, modes interleaved round by round.

``--instructions N`` counts what the supervisor executes, which the machine's load does not change
(CPU time and req/s do, by ±10-20 % on a shared machine): each server (tracing off, on, and one per
``--baseline``) runs under ``valgrind --tool=callgrind`` (needs valgrind), instrumented only while N
requests of 16 connections are answered, after 1,000 to warm up; reported: instructions per request
and, for tracing on, over tracing off (bench/RESULTS.md, tracing overhead, session 10). valgrind
makes the supervisor the bottleneck, so its loop turns batch requests as at saturation. The trace
writer process (tracing on) runs under callgrind too (valgrind follows the supervisor's children but
the runners, which run natively), instrumented over the same requests: its instructions per request
are reported beside the supervisor's, and the two together against tracing off (what tracing adds to
the 2 cores' work; bench/RESULTS.md, session 11: trace writer). ``bench/writer_instructions.py``
counts the writer alone, fed the recorder's frames. ``--runners``: the node runner runs under callgrind
too (not tsx's esbuild service), instrumented over the same requests, and its instructions per request
are reported beside the others' (JIT and garbage collector included): whether a TS and a JS step cost
the same (bench/RESULTS.md, session 13). At 16 connections the runner's count swings by ±25 % run to
run (how many requests each of its loop turns takes depends on timing); ``--connections 1`` sends the
requests one at a time, which steadies it.

``--cache-sim`` adds callgrind's cache and branch simulation to ``--instructions``: per request, each
process's first-level data cache misses (D1, 32 KiB as this VM's), last-level misses (simulated as
this VM's per-core L2, 512 KiB 8-way: the level a batch of ~1 MB held between flushes spills from;
its 32 MiB L3 would hold it) and mispredicted branches; the callgrind files are kept (``--keep DIR``)
for ``callgrind_annotate``. Each process's caches are simulated as its own, from its own accesses:
what the trace writer does to the runner's or wrk's lines on the other core is not in it, nor the
hardware's prefetching. Under the cache simulation the supervisor serves ~20 req/s, so with the
recorder's ``FLUSH_INTERVAL_S`` its batches hold about ten requests, against ``FLUSH_AT`` (2,000) at the 5,000
req/s of a native run: ``--flush-interval S`` sets every server's interval (so that batches fill to
``FLUSH_AT`` as natively), and the counted requests start after a read that flushes the warm-up's
(bench/RESULTS.md, session 14).

``--sustained S`` asks whether the trace writer keeps up when the machine is saturated for long (e.g.
a ``--baseline`` copy whose writer runs at a lower priority, bench/RESULTS.md, session 12): each
server with tracing on (this checkout and each ``--baseline``), one at a time, loaded by wrk for S
seconds; then the time the read after it takes (what the recorder still held, written), the writer's
CPU per request during the load and after it, and the events the recorder dropped (its log line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from constants import CONNECTIONS, LANGS
from http_bench import bench_http, cpu_seconds
from load import run_wrk
from projects import write_bench_project
from scale_out import redis_server
from servers import Server, free_port, motia_argv, running

BUSY_STEP = """
export const config = { type: 'api', name: 'Busy', path: '/busy', method: 'GET', emits: [] }
export const handler = async (_req: unknown, { state, logger, traceId }: any) => {
  await state.set('busy', traceId, { ok: true })
  logger.info('busy request served')
  return { status: 200, body: { ok: true } }
}
"""
TARGET_MAX_COST = 0.10
WRITER_MODULE = "supervisor.tracing._writer_process"


def trace_writers(server: Server) -> list[psutil.Process]:
    found = []
    for proc in server.tree()[1:]:
        with contextlib.suppress(psutil.Error):
            if WRITER_MODULE in proc.cmdline():
                found.append(proc)
    return found


def node_runners(server: Server) -> list[psutil.Process]:
    found = []
    for proc in server.tree()[1:]:
        with contextlib.suppress(psutil.Error):
            if any(arg.endswith("runner.mjs") for arg in proc.cmdline()):
                found.append(proc)
    return found


def loop_thread_seconds(writers: list[psutil.Process]) -> float:
    """CPU of the writers' main threads (their event loop: decoding, assembling, building rows); the
    rest of their CPU is the SQLite writer thread's (statements, commits, pruning)."""
    total = 0.0
    for proc in writers:
        with contextlib.suppress(psutil.Error):
            total += sum(t.user_time + t.system_time for t in proc.threads() if t.id == proc.pid)
    return total


#: the parts of the whole machine's CPU per request (``--together`` and the default mode): the server's
#: processes by role, wrk, this script and whatever else ran meanwhile (``foreign``)
ROLES = ("supervisor", "writer loop", "writer sqlite", "node runner", "python runner", "other child")


def role_of(server: Server, proc: psutil.Process) -> str:
    if proc.pid == server.proc.pid:
        return "supervisor"
    cmdline = proc.cmdline()
    if WRITER_MODULE in cmdline:
        return "writer"
    if any(arg.endswith("runner.mjs") for arg in cmdline):
        return "node runner"
    if "motia_runner" in cmdline:
        return "python runner"
    return "other child"


@dataclass
class Snapshot:
    """The CPU seconds and context switches (voluntary, involuntary) of a server's processes by role,
    of this script and its waited-for children (wrk), and of the whole machine, at one moment."""

    cpu: dict[str, float]
    switches: dict[str, tuple[int, int]]
    #: seconds each role's main threads waited runnable for a core (``/proc/PID/schedstat``'s run delay)
    waited: dict[str, float]
    me: float
    children: float
    machine: Any
    at: float


def snapshot(server: Server) -> Snapshot:
    cpu = dict.fromkeys(ROLES, 0.0)
    switches = dict.fromkeys(ROLES, (0, 0))
    waited = dict.fromkeys(ROLES, 0.0)
    for proc in server.tree():
        with contextlib.suppress(psutil.Error):
            role = role_of(server, proc)
            times, ctx = proc.cpu_times(), proc.num_ctx_switches()
            if role == "writer":
                loop = sum(t.user_time + t.system_time for t in proc.threads() if t.id == proc.pid)
                cpu["writer loop"] += loop
                cpu["writer sqlite"] += times.user + times.system - loop
                role = "writer loop"  # the process's switches, under its first role
            else:
                cpu[role] += times.user + times.system
            voluntary, involuntary = switches[role]
            switches[role] = (voluntary + ctx.voluntary, involuntary + ctx.involuntary)
            waited[role] += run_delay(proc.pid)
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Snapshot(
        cpu,
        switches,
        waited,
        me.ru_utime + me.ru_stime,
        children.ru_utime + children.ru_stime,
        psutil.cpu_times(),
        time.monotonic(),
    )


def run_delay(pid: int) -> float:
    """Seconds the process's main thread (the supervisor's and the runners' event loop) has spent
    runnable but waiting for a core: what the other processes took from it."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _idle(times: Any) -> float:
    return float(times.idle + getattr(times, "iowait", 0.0))


def whole_machine(before: Snapshot, after: Snapshot, requests: int) -> dict[str, Any]:
    """Per request, between two snapshots: each role's CPU (µs), wrk's, this script's, the machine's
    busy CPU and what of it none of those spent (``foreign``), and context switches per role; the
    machine's idle share of its cores over the wall time (saturated: ~0 %)."""
    per = 1e6 / max(1, requests)
    cpu = {role: (after.cpu[role] - before.cpu[role]) * per for role in ROLES}
    cpu["wrk"] = (after.children - before.children) * per
    cpu["bench script"] = (after.me - before.me) * per
    machine = after.machine
    earlier = before.machine
    guest = getattr(machine, "guest", 0.0) + getattr(machine, "guest_nice", 0.0)
    guest -= getattr(earlier, "guest", 0.0) + getattr(earlier, "guest_nice", 0.0)
    spent = sum(machine) - sum(earlier) - guest
    idle = _idle(machine) - _idle(earlier)
    stolen = getattr(machine, "steal", 0.0) - getattr(earlier, "steal", 0.0)
    busy = (spent - idle - stolen) * per
    cpu["foreign"] = busy - sum(cpu.values())
    # interrupts' time (loopback TCP's softirqs among them), for information: this VM's kernel charges it
    # to the processes interrupted too (quiet, foreign came out as -irq when irq was subtracted as well)
    irq = getattr(machine, "irq", 0.0) + getattr(machine, "softirq", 0.0)
    irq -= getattr(earlier, "irq", 0.0) + getattr(earlier, "softirq", 0.0)
    cpu["irq"] = irq * per
    wall = after.at - before.at
    return {
        "cpu_us_per_req": cpu,
        "busy_us_per_req": busy,
        "idle_pct": 100 * idle / (wall * (os.cpu_count() or 1)),
        # a supervisor at ~100 % of one core is the bottleneck whatever the other core does
        "supervisor_core_pct": 100 * (after.cpu["supervisor"] - before.cpu["supervisor"]) / wall,
        "steal_pct": 100 * stolen / (wall * (os.cpu_count() or 1)),
        "waited_us_per_req": {role: (after.waited[role] - before.waited[role]) * per for role in ROLES},
        "switches_per_req": {
            role: (
                (after.switches[role][0] - before.switches[role][0]) / max(1, requests),
                (after.switches[role][1] - before.switches[role][1]) / max(1, requests),
            )
            for role in ROLES
        },
    }


def load_measuring_writers(servers: dict[str, Server]) -> Any:
    """``run_wrk``, then a read of the server's traces (all it recorded is written), and the CPU per
    request of its trace writer meanwhile (0 without one), and of the writer's loop thread alone; and
    the whole machine's CPU per request over the wrk run (``whole_machine``)."""
    by_port = {server.port: server for server in servers.values()}

    def load(url: str, connections: int, duration: float) -> dict[str, Any]:
        server = by_port[int(url.split(":")[2].split("/")[0])]
        writers = trace_writers(server)
        before, loop_before = cpu_seconds(writers), loop_thread_seconds(writers)
        start = snapshot(server)
        result = run_wrk(url, connections, duration)
        end = snapshot(server)
        # A read flushes: the round's trace work is done (and counted) before the next round starts,
        # rather than slowing it down.
        with contextlib.suppress(OSError, http.client.HTTPException):
            server.get("/__motia/traces?limit=1", timeout=60)
        after, loop_after = cpu_seconds(writers), loop_thread_seconds(writers)
        spent = sum(after[pid] - before.get(pid, 0.0) for pid in after)
        result["writer_cpu_us_per_req"] = spent / max(1, result["requests"]) * 1e6
        result["writer_loop_cpu_us_per_req"] = (loop_after - loop_before) / max(1, result["requests"]) * 1e6
        result["machine"] = whole_machine(start, end, result["requests"])
        return result

    return load


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per wrk run")
    parser.add_argument("--busy", action="store_true", help="also a step with a state write and a log line")
    parser.add_argument("--redis", action="store_true", help="on Redis: traces in Redis and in SQLite")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="also a server with tracing on running the supervisor package found in this directory "
        "(e.g. a `git archive` of an earlier commit, with its supervisor/ and runners/, the checkout's "
        "node_modules and runners/node/node_modules linked in: the supervisor will not start without "
        "its runners' files): an A/B of two versions in one run "
        "(repeatable: one server per directory, named after it)",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="every language's servers in each round (default: one language after the other)",
    )
    parser.add_argument(
        "--lang", choices=LANGS, action="append", default=[], help="only these languages (default all)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="with --together: N servers per mode, pooled per round (see above)",
    )
    parser.add_argument("--in-process", action="store_true", help="the recorder and store alone (see above)")
    parser.add_argument(
        "--instructions", type=int, metavar="N", help="the supervisor's instructions per request (see above)"
    )
    parser.add_argument(
        "--runners", action="store_true", help="with --instructions: the node runner's instructions too"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=INSTRUCTIONS_CONNECTIONS,
        help="with --instructions: requests over this many connections (1: one at a time, which makes the "
        "runner's count steadier: no batching that depends on timing)",
    )
    parser.add_argument(
        "--cache-sim",
        action="store_true",
        help="with --instructions: cache misses and mispredicted branches per request too (see above)",
    )
    parser.add_argument(
        "--flush-interval",
        type=float,
        metavar="S",
        help="with --instructions: every recorder flushes after S s or FLUSH_AT events (see above)",
    )
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="with --instructions: keep the callgrind files in DIR"
    )
    parser.add_argument(
        "--sustained", type=float, metavar="S", help="does the trace writer keep up for S s (see above)"
    )
    args = parser.parse_args()
    if args.in_process:
        return in_process(args.rounds, args.duration)
    if args.instructions:
        return instructions(
            args.instructions,
            args.lang or list(LANGS),
            args.baseline,
            args.runners,
            args.connections,
            Simulation(args.cache_sim, args.flush_interval, args.keep),
        )
    if shutil.which("wrk") is None:  # the modes below load the servers with wrk; ones above do not
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    if args.sustained:
        return sustained(args.sustained, args.rounds, (args.lang or ["py"])[0], args.baseline)
    if args.processes < 1 or (args.processes > 1 and not args.together):
        parser.error("--processes N takes N >= 1, and more than one only with --together")

    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="motia-tracing-bench-"))
        modes: list[tuple[str, dict[str, str]]] = [("on", {}), ("off", {"MOTIA_TRACING": "false"})]
        if args.redis:
            url, _process = stack.enter_context(redis_server(Path(tmp)))
            modes = [
                ("redis", {"MOTIA_REDIS_URL": url[:-1] + "0"}),
                ("off", {"MOTIA_REDIS_URL": url[:-1] + "1", "MOTIA_TRACING": "false"}),
                ("sqlite", {"MOTIA_REDIS_URL": url[:-1] + "2", "MOTIA_TRACING_ADAPTER": "sqlite"}),
            ]
        if not args.redis:
            modes += [(f"base:{code.name}", {"PYTHONPATH": str(code.resolve())}) for code in args.baseline]
        servers = {}
        replicas: dict[str, list[str]] = {}
        for mode, env in modes:
            replicas[mode] = [replica_name(mode, index) for index in range(args.processes)]
            for name in replicas[mode]:
                project = write_bench_project(Path(tmp) / name.replace("#", "-"))
                if args.busy:
                    busy = project / "steps" / "busy.step.ts"
                    busy.write_text(textwrap.dedent(BUSY_STEP), encoding="utf-8")
                port = free_port()
                # started in the project: not in this checkout, whose supervisor/ a process started with
                # ``-m`` would import before a baseline's
                argv = motia_argv(project, port)
                servers[name] = Server.spawn(f"tracing-{name}", argv, port, env, cwd=project)
        with running(list(servers.values())):
            for server in servers.values():
                server.wait_ready("/ts/hello")
            paths = {lang: f"/{lang}/hello" for lang in args.lang or LANGS}
            if args.busy:
                paths["busy"] = "/busy"
            results: dict[str, Any] = {}
            if args.together:
                results = together(paths, servers, replicas, args.rounds, args.duration)
            else:
                for name, path in paths.items():
                    print(f"{name}: {path}, tracing off vs on, {args.rounds} rounds", flush=True)
                    results[name] = bench_http(
                        {"off": (servers["off"], path)}
                        | {mode: (servers[mode], path) for mode, _env in modes if mode != "off"},
                        args.rounds,
                        args.duration,
                        CONNECTIONS,
                        load_measuring_writers(servers),
                        lambda line: print(line, flush=True),
                    )
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    if args.redis:
        report_redis(results)
    else:
        report(results)
        report_machine(results)
        if args.processes > 1:
            report_processes(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


def replica_name(mode: str, index: int) -> str:
    """The server key of a mode's ``index``-th process (``--processes``): the mode itself for the first."""
    return mode if index == 0 else f"{mode}#{index + 1}"


def together(
    paths: dict[str, str],
    servers: dict[str, Server],
    replicas: dict[str, list[str]],
    rounds: int,
    duration: float,
) -> dict[str, Any]:
    """Every step on every server in each round (``--together``), each step's ratios against its own
    tracing-off run of the same round: the steps compared in the same moments, not in blocks minutes
    apart (bench/RESULTS.md, session 13). With several processes per mode (``--processes``), a round's
    ratio is its runs' req/s pooled: the on processes' over the off processes'."""
    print(f"{', '.join(paths)}: tracing off vs on, all in each of {rounds} rounds", flush=True)
    ordered = ["off", *(mode for mode in replicas if mode != "off")]
    # replicas interleaved (off, on, off#2, on#2, ...): the rotation then spreads each mode over the round
    keys = [replicas[mode][index] for index in range(len(replicas["off"])) for mode in ordered]
    summary = bench_http(
        {f"{name} {key}": (servers[key], path) for name, path in paths.items() for key in keys},
        rounds,
        duration,
        CONNECTIONS,
        load_measuring_writers(servers),
        lambda line: print(line, flush=True),
        references=tuple(f"{name} off" for name in paths),
    )
    results: dict[str, Any] = {}
    for name in paths:
        results[name] = {}
        offs = [summary[f"{name} {key}"] for key in replicas["off"]]
        for mode in ordered:
            entries = [summary[f"{name} {key}"] for key in replicas[mode]]
            entry = entries[0] if len(entries) == 1 else pooled(entries)
            if mode != "off":
                vs_off = entry["vs"][f"{name} off"] if len(entries) == 1 else pooled_against(entries, offs)
                entry.update(vs_off)
            entry["processes"] = [
                {"key": key, "rps": each["rps"], "server_cpu_us_per_req": each["server_cpu_us_per_req"]}
                for key, each in zip(replicas[mode], entries, strict=True)
            ]
            results[name][mode] = entry
    return results


def pooled(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """One mode's processes as one: per round the mean of their req/s, then the median of rounds; CPU per
    request the mean of each process's median; their runs one after the other (in the same order for
    every mode, so that ``report_machine`` pairs each with its own round's tracing-off run)."""
    per_round = list(zip(*(entry["runs"] for entry in entries), strict=True))
    return {
        "rps": statistics.median(statistics.fmean(run["rps"] for run in runs) for runs in per_round),
        "p50_ms": statistics.median(run["p50_ms"] for runs in per_round for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for runs in per_round for run in runs),
        "server_cpu_us_per_req": statistics.fmean(entry["server_cpu_us_per_req"] for entry in entries),
        "runner_cpu_us_per_req": statistics.fmean(entry["runner_cpu_us_per_req"] for entry in entries),
        "errors": sum(entry["errors"] for entry in entries),
        "steal_pct": statistics.median(entry["steal_pct"] for entry in entries),
        "foreign_cpu_pct": statistics.median(entry["foreign_cpu_pct"] for entry in entries),
        "runs": [run for entry in entries for run in entry["runs"]],
    }


def pooled_against(entries: list[dict[str, Any]], offs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per round, the on processes' req/s over the off processes' (summed), then the median of rounds."""
    ons = list(zip(*(entry["runs"] for entry in entries), strict=True))
    references = list(zip(*(entry["runs"] for entry in offs), strict=True))
    ratios = [
        sum(run["rps"] for run in on) / sum(run["rps"] for run in off)
        for on, off in zip(ons, references, strict=True)
    ]
    added_cpu = statistics.fmean(entry["server_cpu_us_per_req"] for entry in entries) - statistics.fmean(
        entry["server_cpu_us_per_req"] for entry in offs
    )
    return {
        "rps_ratio_rounds": ratios,
        "rps_ratio": statistics.median(ratios),
        "added_p50_ms": statistics.median(run["p50_ms"] for on in ons for run in on)
        - statistics.median(run["p50_ms"] for off in references for run in off),
        "added_p99_ms": statistics.median(run["p99_ms"] for on in ons for run in on)
        - statistics.median(run["p99_ms"] for off in references for run in off),
        "added_server_cpu_us_per_req": added_cpu,
    }


def report_processes(results: dict[str, Any]) -> None:
    """Each process's own median req/s and supervisor CPU per request (``--processes``): how far apart
    servers of the same code and mode are."""
    print("\n| step | mode | per process: req/s, supervisor µs/req (medians of rounds) |")
    print("| --- | --- | --- |")
    for name, result in results.items():
        for mode, entry in result.items():
            cells = ", ".join(
                f"{each['key']} {each['rps']:,.0f} / {each['server_cpu_us_per_req']:.0f}"
                for each in entry["processes"]
            )
            print(f"| {name} | {mode} | {cells} |")


def report(results: dict[str, Any]) -> None:
    print()
    print(
        "| step | off req/s | on req/s | on/off (median of rounds) | range "
        "| off srv µs/req | on srv µs/req | on writer µs/req (its loop thread) | foreign |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, result in results.items():
        off, on = result["off"], result["on"]
        ratios = on["rps_ratio_rounds"]
        foreign = statistics.median(run["foreign_cpu_pct"] for run in on["runs"] + off["runs"])
        print(
            f"| {name} | {off['rps']:,.0f} | {on['rps']:,.0f} | {on['rps_ratio']:.1%} | "
            f"{min(ratios):.0%}-{max(ratios):.0%} | {off['server_cpu_us_per_req']:.0f} | "
            f"{on['server_cpu_us_per_req']:.0f} | {_writer_us(on)} | {foreign:.0f} % |"
        )
    for name, result in results.items():
        for mode, base in result.items():
            if not mode.startswith("base:"):
                continue
            print(
                f"| {name} ({mode}) | | {base['rps']:,.0f} | {base['rps_ratio']:.1%} | "
                f"{min(base['rps_ratio_rounds']):.0%}-{max(base['rps_ratio_rounds']):.0%} | | "
                f"{base['server_cpu_us_per_req']:.0f} | {_writer_us(base)} | |"
            )
    trivial = [results[lang]["on"]["rps_ratio"] for lang in LANGS if lang in results]
    verdict = "MET" if min(trivial) >= 1 - TARGET_MAX_COST else "MISSED"
    print(
        f"\ntracing costs at most {TARGET_MAX_COST:.0%} of the trivial api step's req/s: {verdict} ", end=""
    )
    print(f"(worst language {min(trivial):.1%} of tracing off)")


SWITCHED = ("supervisor", "node runner", "python runner", "writer loop")


def _switches(runs: list[dict[str, Any]], role: str) -> str:
    voluntary = statistics.median(run["switches_per_req"][role][0] for run in runs)
    involuntary = statistics.median(run["switches_per_req"][role][1] for run in runs)
    return f"{voluntary:.2f}+{involuntary:.2f}"


def _waited(runs: list[dict[str, Any]], *roles: str) -> str:
    waits = [sum(run.get("waited_us_per_req", {}).get(role, 0.0) for role in roles) for run in runs]
    return f"{statistics.median(waits):.1f}"


def report_machine(results: dict[str, Any]) -> None:
    """Where the 2 cores went per request, by process (medians of rounds, over each wrk run): when the
    machine is saturated (idle ~0 %), req/s is the cores over the busy CPU per request, so on/off is
    off's busy µs over on's, whatever process spends them (bench/RESULTS.md, session 15)."""
    columns = [*ROLES, "wrk", "bench script", "foreign", "irq"]
    print(
        "\n| step | mode | "
        + " | ".join(f"{c} µs/req" for c in columns)
        + " | busy µs/req | idle | steal | supervisor's core | supervisor / runner waited for a core µs/req "
        + "| switches/req (vol+invol): supervisor, node, python, writer |"
    )
    print("| --- | --- |" + " ---: |" * (len(columns) + 6))
    for name, result in results.items():
        for mode, entry in result.items():
            runs = [run["machine"] for run in entry["runs"] if "machine" in run]
            if not runs:
                continue
            cells = [statistics.median(run["cpu_us_per_req"][c] for run in runs) for c in columns]

            print(
                f"| {name} | {mode} | "
                + " | ".join(f"{cell:.1f}" for cell in cells)
                + f" | {statistics.median(run['busy_us_per_req'] for run in runs):.0f}"
                + f" | {statistics.median(run['idle_pct'] for run in runs):.1f} %"
                + f" | {statistics.median(run['steal_pct'] for run in runs):.1f} %"
                + f" | {statistics.median(run['supervisor_core_pct'] for run in runs):.0f} %"
                + f" | {_waited(runs, 'supervisor')} / {_waited(runs, 'node runner', 'python runner')}"
                + f" | {', '.join(_switches(runs, role) for role in SWITCHED)} |"
            )
    print(
        "\n| step | on/off req/s (median of rounds) | off busy / on busy µs per request (median of rounds) "
        "| on - off µs/req by process (median of rounds' differences) |"
    )
    print("| --- | ---: | ---: | --- |")
    for name, result in results.items():
        off = result.get("off")
        if off is None or "machine" not in off["runs"][0]:
            continue
        for mode, entry in result.items():
            if mode == "off":
                continue
            pairs = list(zip(entry["runs"], off["runs"], strict=True))
            predicted = statistics.median(
                b["machine"]["busy_us_per_req"] / r["machine"]["busy_us_per_req"] for r, b in pairs
            )
            deltas = {
                c: statistics.median(
                    r["machine"]["cpu_us_per_req"][c] - b["machine"]["cpu_us_per_req"][c] for r, b in pairs
                )
                for c in [*ROLES, "wrk", "irq", "foreign"]
            }
            deltas["supervisor waited for a core"] = statistics.median(
                r["machine"]["waited_us_per_req"]["supervisor"]
                - b["machine"]["waited_us_per_req"]["supervisor"]
                for r, b in pairs
            )
            print(
                f"| {name} ({mode}) | {entry['rps_ratio']:.1%} | {predicted:.1%} | "
                + ", ".join(f"{c} {value:+.1f}" for c, value in deltas.items())
                + " |"
            )


def _writer_us(result: dict[str, Any]) -> str:
    """The trace writer's CPU per request, and its loop thread's share (medians of rounds)."""
    total = statistics.median(run.get("writer_cpu_us_per_req", 0.0) for run in result["runs"])
    loop = statistics.median(run.get("writer_loop_cpu_us_per_req", 0.0) for run in result["runs"])
    return f"{total:.0f} ({loop:.0f})"


def report_redis(results: dict[str, Any]) -> None:
    print()
    print("| step | off req/s | SQLite traces req/s | Redis traces req/s | SQLite/off | Redis/off "
          "| off srv µs/req | SQLite srv µs/req | Redis srv µs/req |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, result in results.items():
        off, sqlite, redis = result["off"], result["sqlite"], result["redis"]
        print(
            f"| {name} | {off['rps']:,.0f} | {sqlite['rps']:,.0f} | {redis['rps']:,.0f} | "
            f"{sqlite['rps_ratio']:.1%} | {redis['rps_ratio']:.1%} | {off['server_cpu_us_per_req']:.0f} | "
            f"{sqlite['server_cpu_us_per_req']:.0f} | {redis['server_cpu_us_per_req']:.0f} |"
        )


def sustained(seconds: float, rounds: int, lang: str, baselines: list[Path]) -> int:
    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    codes: list[tuple[str, Path | None]] = [("on", None)]
    codes += [(f"base:{code.name}", code) for code in baselines]
    path = f"/{lang}/hello"
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="motia-tracing-sustained-") as tmp:
        servers = {}
        for mode, code in codes:
            project = write_bench_project(Path(tmp) / mode.replace(":", "-"))
            port = free_port()
            env = {"PYTHONPATH": str(code.resolve())} if code else {}
            argv = motia_argv(project, port)
            servers[mode] = Server.spawn(f"sustained-{mode}", argv, port, env, cwd=project)
        with running(list(servers.values())):
            for server in servers.values():
                server.wait_ready(path)
            for round_index in range(rounds):
                order = list(servers) if round_index % 2 == 0 else list(reversed(servers))
                for mode in order:
                    server = servers[mode]
                    writers = trace_writers(server)
                    start = cpu_seconds(writers)
                    result = run_wrk(f"http://127.0.0.1:{server.port}{path}", CONNECTIONS, seconds)
                    loaded = cpu_seconds(writers)
                    asked = time.perf_counter()
                    server.get("/__motia/traces?limit=1", timeout=600)
                    catch_up = time.perf_counter() - asked
                    done = cpu_seconds(writers)
                    requests = max(1, result["requests"])
                    during = sum(loaded[pid] - start.get(pid, 0.0) for pid in loaded) / requests * 1e6
                    after = sum(done[pid] - loaded.get(pid, 0.0) for pid in done) / requests * 1e6
                    dropped = sum(
                        int(match.group(1))
                        for line in server.tail
                        if (match := re.search(r"(\d+) trace and log events dropped", line))
                    )
                    server.tail.clear()
                    row = (
                        f"| {mode} | {result['rps']:,.0f} | {during:.1f} | {after:.1f} | {catch_up:.2f} s "
                        f"| {dropped} | {' / '.join(f'{load:.1f}' for load in os.getloadavg())} |"
                    )
                    print(row, flush=True)
                    rows.append(row)
    print(
        f"\n| code | req/s over {seconds:.0f} s | writer µs/req during the load | after it | the read after "
        "| events dropped | load average |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    print("\n".join(rows))
    return 0


INSTRUCTIONS_WARMUP = 1000
INSTRUCTIONS_CONNECTIONS = 16
#: callgrind's events as ``--cache-sim`` (with ``--branch-sim``) counts them: instructions; first-level
#: data misses on reads and writes; last-level misses on instruction fetches, reads and writes;
#: mispredicted conditional and indirect branches
CACHE_EVENTS = ("Ir", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw", "Bcm", "Bim")
#: callgrind's cache and branch simulation, with this VM's per-core L2 (AMD EPYC: 512 KiB, 8-way,
#: 64-byte lines) as its last level
CACHE_SIM = ("--cache-sim=yes", "--branch-sim=yes", "--LL=524288,8,64")
#: ``python -m supervisor`` with the recorder's flush interval set first (``--flush-interval``)
_FLUSHING_EVERY = (
    "import runpy; from supervisor.tracing import _recorder; _recorder.FLUSH_INTERVAL_S = %r; "
    "runpy.run_module('supervisor', run_name='__main__', alter_sys=True)"
)
#: per process, its callgrind events per request
Counts = dict[str, float]


@dataclass(frozen=True)
class Simulation:
    """How ``--instructions`` runs: with caches and branches simulated (``--cache-sim``), every
    server's recorder flushing after ``flush_interval`` s (None: its own), callgrind's files kept in
    ``keep``."""

    caches: bool = False
    flush_interval: float | None = None
    keep: Path | None = None


def instructions(
    requests: int,
    langs: list[str],
    baselines: list[Path],
    runners: bool = False,
    connections: int = INSTRUCTIONS_CONNECTIONS,
    simulation: Simulation = Simulation(),
) -> int:
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("--instructions needs valgrind (Debian's package valgrind)", file=sys.stderr)
        return 2
    modes: list[tuple[str, dict[str, str]]] = [("off", {"MOTIA_TRACING": "false"}), ("on", {})]
    modes += [(f"base:{code.name}", {"PYTHONPATH": str(code.resolve())}) for code in baselines]
    print(f"load average at the start: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    #: per language and mode: the supervisor's counts per request, its trace writer's, its node runner's
    counts: dict[str, dict[str, tuple[Counts, Counts, Counts]]] = {lang: {} for lang in langs}
    with tempfile.TemporaryDirectory(prefix="motia-tracing-instructions-") as tmp:
        for lang in langs:
            for mode, env in modes:
                workdir = Path(tmp) / f"{lang}-{mode.replace(':', '-')}"
                supervisor, writer, runner = counts[lang][mode] = _instructions_per_request(
                    workdir, lang, env, requests, runners, connections, simulation
                )
                print(
                    f"    {lang} {mode:<14} {supervisor['Ir'] / 1000:8.1f}k instructions/req, "
                    f"its trace writer {writer['Ir'] / 1000:.1f}k, node runner {runner['Ir'] / 1000:.1f}k"
                    f"  (load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
                if simulation.keep is not None:
                    shutil.copytree(
                        workdir,
                        simulation.keep / workdir.name,
                        ignore=shutil.ignore_patterns("project"),
                        dirs_exist_ok=True,
                    )
    print(f"load average at the end: {' / '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(
        "\n| step | mode | supervisor instructions/req | over tracing off | trace writer instructions/req "
        "| both over tracing off | node runner instructions/req |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for lang, by_mode in counts.items():
        off = by_mode["off"][0]["Ir"]
        for mode, (supervisor, writer, runner) in by_mode.items():
            count, written = supervisor["Ir"], writer["Ir"]
            over = both = ""
            if mode != "off":
                over = f"+{(count - off) / 1000:.1f}k ({(count - off) / off:.1%})"
                both = f"+{(count + written - off) / 1000:.1f}k ({(count + written - off) / off:.1%})"
            print(
                f"| {lang} | {mode} | {count / 1000:.1f}k | {over} | {writer['Ir'] / 1000:.1f}k | {both} "
                f"| {runner['Ir'] / 1000:.1f}k |"
            )
    if simulation.caches:
        report_caches(counts)
    return 0


def report_caches(counts: dict[str, dict[str, tuple[Counts, Counts, Counts]]]) -> None:
    """Per request and process: instructions, D1 misses, LL (L2) misses, mispredicted branches; and
    what tracing adds to the supervisor, and to the supervisor and its writer, over tracing off."""
    print(
        "\n| step | mode | process | instructions/req | D1 misses/req (reads+writes) | LL misses/req "
        "(instr.+reads+writes) | mispredicted branches/req |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")

    def row(lang: str, mode: str, process: str, values: Counts, sign: str = "") -> None:
        d1 = values["D1mr"] + values["D1mw"]
        ll = values["ILmr"] + values["DLmr"] + values["DLmw"]
        print(
            f"| {lang} | {mode} | {process} | {sign}{values['Ir'] / 1000:.1f}k | {sign}{d1:,.0f} "
            f"({values['D1mr']:,.0f}+{values['D1mw']:,.0f}) | {sign}{ll:,.0f} ({values['ILmr']:,.0f}+"
            f"{values['DLmr']:,.0f}+{values['DLmw']:,.0f}) | {sign}{values['Bcm'] + values['Bim']:,.0f} |"
        )

    for lang, by_mode in counts.items():
        off = by_mode["off"][0]
        for mode, (supervisor, writer, _runner) in by_mode.items():
            row(lang, mode, "supervisor", supervisor)
            if mode == "off":
                continue
            row(lang, mode, "trace writer", writer)
            row(lang, mode, "supervisor over off", {key: supervisor[key] - off[key] for key in off}, "Δ ")
            row(
                lang,
                mode,
                "supervisor + writer over off",
                {key: supervisor[key] + writer[key] - off[key] for key in off},
                "Δ ",
            )
        for mode, (_supervisor, _writer, runner) in by_mode.items():
            if runner["Ir"]:
                row(lang, mode, "node runner", runner)


def _instructions_per_request(
    workdir: Path,
    lang: str,
    env: dict[str, str],
    requests: int,
    runners: bool = False,
    connections: int = INSTRUCTIONS_CONNECTIONS,
    simulation: Simulation = Simulation(),
) -> tuple[Counts, Counts, Counts]:
    """``motia start`` and its trace writer under callgrind (the runners run natively, or with
    ``runners`` the node runner under callgrind too), instrumented for ``requests``: the events per
    request of each (the writer's 0 when there is none; the node runner's 0 unless counted)."""
    project = write_bench_project(workdir / "project")
    port = free_port()
    simulated = list(CACHE_SIM) if simulation.caches else []
    supervisor = ["-m", "supervisor"]
    if simulation.flush_interval is not None:
        supervisor = ["-c", _FLUSHING_EVERY % simulation.flush_interval]
    argv = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        *simulated,
        f"--callgrind-out-file={workdir / 'callgrind.out.%p'}",
        "--trace-children=yes",
        # the runners run natively: node (and what it starts; with ``runners`` only tsx's esbuild
        # service), and Python's ``-m motia_runner``
        "--trace-children-skip=*esbuild*" if runners else "--trace-children-skip=*node*",
        "--trace-children-skip-by-arg=motia_runner",
        sys.executable,
        *supervisor,
        "start",
        "--project",
        str(project),
        "-p",
        str(port),
    ]
    server = Server.spawn(f"callgrind-{lang}", argv, port, env, cwd=project)
    path = f"/{lang}/hello"
    with running([server], stop_timeout=120):
        server.wait_ready(path, timeout=600)
        asyncio.run(_requests(port, path, INSTRUCTIONS_WARMUP, connections))
        if simulation.flush_interval is None:
            time.sleep(1.0)  # the warm-up's flush
        else:  # a read flushes the warm-up's events: the counted batches start empty
            with contextlib.suppress(OSError, http.client.HTTPException):
                server.get("/__motia/traces?limit=1", timeout=600)
        writers = [writer.pid for writer in trace_writers(server)]
        nodes = [runner.pid for runner in node_runners(server)] if runners else []
        pids = [server.proc.pid, *writers, *nodes]
        for pid in pids:
            subprocess.run(["callgrind_control", "--instr=on", str(pid)], check=True, capture_output=True)
        asyncio.run(_requests(port, path, requests, connections))
        # the last requests' flush (FLUSH_INTERVAL_S), written by a writer under valgrind
        _settled(pids, minimum=3.0)
        for pid in pids:
            subprocess.run(["callgrind_control", "--dump", str(pid)], check=True, capture_output=True)
    counts = {pid: {key: value / requests for key, value in _dumped(workdir, pid).items()} for pid in pids}
    none = dict.fromkeys(counts[server.proc.pid], 0.0)

    def total(of: list[int]) -> Counts:
        return {key: sum(counts[pid][key] for pid in of) for key in none} if of else none

    return counts[server.proc.pid], total(writers), total(nodes)


def _settled(pids: list[int], minimum: float, most: float = 120.0) -> None:
    """Wait ``minimum`` s, then until the processes' CPU time stays put for a second (a writer under
    the cache simulation takes seconds for a batch of 2,000 events), at most ``most`` s."""
    time.sleep(minimum)
    procs = [psutil.Process(pid) for pid in pids]
    deadline = time.monotonic() + most
    before = sum(cpu_seconds(procs).values())
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = sum(cpu_seconds(procs).values())
        if now - before < 0.05:
            return
        before = now


def _dumped(workdir: Path, pid: int) -> dict[str, int]:
    """The totals of the dump asked of ``pid`` (named ``callgrind.out.PID.1``; the exit's has no
    suffix)."""
    return callgrind_totals(sorted(workdir.glob(f"callgrind.out.{pid}.*"))[0])


def callgrind_totals(dumped: Path) -> dict[str, int]:
    """A callgrind file's totals by event: ``Ir``, and with ``CACHE_SIM`` the misses and branches
    (``CACHE_EVENTS``)."""
    names: list[str] = []
    for line in dumped.read_text(errors="replace").splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith(("summary:", "totals:")):
            # callgrind leaves out the trailing zeros
            values = dict(zip(names or ["Ir"], map(int, line.split()[1:]), strict=False))
            return {name: values.get(name, 0) for name in (CACHE_EVENTS if "D1mr" in names else ("Ir",))}
    raise RuntimeError(f"no totals in {dumped}")


def cache_columns(values: dict[str, float]) -> str:
    """Instructions, D1 misses, LL misses, mispredicted branches (``CACHE_EVENTS``), as table cells."""
    d1 = values["D1mr"] + values["D1mw"]
    ll = values["ILmr"] + values["DLmr"] + values["DLmw"]
    return f"{values['Ir'] / 1000:.2f}k | {d1:,.1f} | {ll:,.1f} | {values['Bcm'] + values['Bim']:,.1f}"


async def _requests(port: int, path: str, count: int, connections: int = INSTRUCTIONS_CONNECTIONS) -> None:
    """``count`` GETs of ``path`` over ``connections`` keep-alive connections; each must be a 200."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    left = count

    async def connection() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left > 0:
                left -= 1
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"{path} answered {head.splitlines()[0]!r}")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))


IN_PROCESS_RATE = 1600
IN_PROCESS_MODES = ("off", "recorder", "sqlite", "writer")
#: per run: loop thread µs/req, process µs/req, trace writer process µs/req, loop lag p99 and max (ms)
Sample = tuple[float, float, float, float, float]


def in_process(rounds: int, duration: float) -> int:
    samples: dict[str, list[Sample]] = {mode: [] for mode in IN_PROCESS_MODES}
    modes = len(IN_PROCESS_MODES)
    for round_index in range(rounds):
        order = IN_PROCESS_MODES[round_index % modes :] + IN_PROCESS_MODES[: round_index % modes]
        for mode in order:
            sample = asyncio.run(_paced_recording(mode, duration))
            samples[mode].append(sample)
            loop_us, process_us, writer_us, lag_p99, lag_max = sample
            print(
                f"    round {round_index + 1}/{rounds} {mode:<8} loop thread {loop_us:5.1f} µs/req  "
                f"process {process_us:5.1f} µs/req  writer {writer_us:5.1f} µs/req  "
                f"loop lag p99 {lag_p99:5.2f} ms max {lag_max:5.2f} ms",
                flush=True,
            )
    print(
        "\n| mode | loop thread µs/req | process µs/req | process over off | trace writer µs/req "
        "| loop lag p99 | loop lag max |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    off = statistics.median(sample[1] for sample in samples["off"])
    for mode, values in samples.items():
        columns = zip(*values, strict=True)
        loop_us, process_us, writer_us, lag_p99, lag_max = (statistics.median(column) for column in columns)
        print(
            f"| {mode} | {loop_us:.1f} | {process_us:.1f} | +{process_us - off:.1f} | {writer_us:.1f} "
            f"| {lag_p99:.2f} ms | {lag_max:.2f} ms |"
        )
    return 0


async def _paced_recording(mode: str, duration: float) -> Sample:
    """CPU per request (loop thread, process, trace writer process) of recording trivial api requests
    at IN_PROCESS_RATE, and the loop's lag (how late its 10 ms sleeps end: p99 and max, ms), which
    writes on the loop (SQLite) lengthen. Modes: tracing off; a store that drops every batch (the
    recorder alone); the SQLite store in this process; the trace writer process."""
    from supervisor.core import new_trace_id
    from supervisor.protocol import InvokeResult, TriggerKind
    from supervisor.tracing import (
        Batch,
        Pruned,
        Recorder,
        Retention,
        SqliteTraceStore,
        TraceStore,
        TraceWriter,
    )

    class DroppingStore(SqliteTraceStore):
        async def write(self, batch: Batch) -> None:
            return None

        async def recover(self) -> int:
            return 0

        async def prune(self, retention: Retention, now: float) -> Pruned:
            return Pruned(0, 0)

    with tempfile.TemporaryDirectory(prefix="motia-tracing-bench-") as tmp:
        store: TraceStore | None = None
        if mode == "recorder":
            store = DroppingStore(Path(tmp) / "dropped.db")
        elif mode == "sqlite":
            store = SqliteTraceStore(Path(tmp) / "traces.db")
        elif mode == "writer":
            store = TraceWriter(Path(tmp) / "traces.db")
        recorder = Recorder(store, Retention(10_000, 100_000, 7 * 24 * 3600), Path(tmp))
        await recorder.start()
        writer = psutil.Process(store.pid) if isinstance(store, TraceWriter) and store.pid else None
        done = InvokeResult(1, True, b"{}", None)

        lags: list[float] = []

        async def load(seconds: float) -> int:
            started, count = time.perf_counter(), 0
            while time.perf_counter() - started < seconds:
                for _ in range(IN_PROCESS_RATE // 100):
                    trace_id = new_trace_id()
                    span = recorder.start_span("Hello", "steps/hello.step.ts", TriggerKind.API, trace_id)
                    span.ran_on("node-1", 1)
                    recorder.end_span(span, done)
                    recorder.http_response(trace_id, "Hello", "GET", "/ts/hello", 200)
                    count += 1
                asleep = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - asleep - 0.01)
            return count

        def writer_cpu() -> float:
            if writer is None:
                return 0.0
            times = writer.cpu_times()
            return float(times.user + times.system)

        await load(min(6.0, duration))  # to the steady state: the store at its retention limit
        lags.clear()
        before, loop_before, writer_before = (
            resource.getrusage(resource.RUSAGE_SELF),
            time.thread_time(),
            writer_cpu(),
        )
        count = await load(duration)
        await recorder.flush()
        after, loop_after, writer_after = (
            resource.getrusage(resource.RUSAGE_SELF),
            time.thread_time(),
            writer_cpu(),
        )
        await recorder.stop()
        if store is not None:
            await store.close()
    process = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    lags.sort()
    lag_p99 = lags[int(len(lags) * 0.99)] * 1000
    return (
        (loop_after - loop_before) / count * 1e6,
        process / count * 1e6,
        (writer_after - writer_before) / count * 1e6,
        lag_p99,
        lags[-1] * 1000,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
