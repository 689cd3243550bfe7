"""Issue 14, goal 4: flat with uptime. The trivial api step (one per language, requests spread over the
three) served for ``--requests`` (default 1,000,000) requests by one ``motia start``; what a request
costs after the first 1,000 against after the last, and the memory of every process over the run.

The load is wrk (one thread, ``--connections`` keep-alive connections) in slices of ``--slice``
seconds until the count is reached. Between slices, with no other load: a probe of ``--probe``
sequential requests on one connection, round robin over the languages (its p50 and p99 are the
latency the goal compares: at one connection, they are not queueing behind the load), and the RSS
of the supervisor and of each runner. The first probe runs after 1,000 warm-up requests.

The Node runner logs its ``process.memoryUsage()`` every second (``MOTIA_NODE_MEMORY_LOG``, off
outside this bench): each checkpoint records its V8 heap (used and total) and its memory outside
the heap (external, array buffers), and the JSON keeps the whole series, to tell V8 sizing its heap
to the load from a leak. ``--heap-snapshots DIR`` also has the Node runner write a heap snapshot
(``--heapsnapshot-signal``) after the first slice and at the end, to diff in DevTools' Memory tab
(each one forces a full GC, pauses the runner while no load runs, and grows its RSS by some 50 MB
that it keeps: a run with snapshots tells nothing of RSS, run it apart).

``.venv/bin/python bench/uptime.py [--requests 1000000] [--connections 8] [--slice 30] [--probe 1000]
[--json bench/uptime.json] [--heap-snapshots DIR]`` (~10 min at ~2,000 req/s; not in CI).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from constants import LANGS
from load import percentile, run_python_load, run_wrk
from projects import write_bench_project
from servers import Server, free_port, motia_argv, running

WARMUP = 1_000
HEAP_SNAPSHOT_SIGNAL = signal.SIGUSR2
MB = 2**20


def probe(port: int, requests: int) -> dict[str, float]:
    """p50/p99 (ms) of ``requests`` sequential GETs on one keep-alive connection, over the languages."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples: list[float] = []
    try:
        for index in range(requests):
            path = f"/{LANGS[index % len(LANGS)]}/hello"
            sent = time.perf_counter_ns()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            samples.append((time.perf_counter_ns() - sent) / 1e6)
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
    finally:
        conn.close()
    samples.sort()
    return {"p50_ms": percentile(samples, 0.5, True), "p99_ms": percentile(samples, 0.99, True)}


def memory(server: Server) -> dict[str, float]:
    """RSS (MB) of the supervisor and of each runner, by role."""
    out: dict[str, float] = {}
    tree = server.tree()
    for index, process in enumerate(tree):
        try:
            rss = process.memory_info().rss / 2**20
            cmd = " ".join(process.cmdline())
        except psutil.Error:
            continue
        if index == 0:
            role = "supervisor"
        elif "runner.mjs" in cmd:
            role = "node"
        elif "motia_runner" in cmd:
            role = "python"
        else:
            continue  # esbuild and other helpers
        out[role] = out.get(role, 0.0) + rss
    return out


def node_runner(server: Server) -> psutil.Process | None:
    for process in server.tree():
        try:
            if "runner.mjs" in " ".join(process.cmdline()):
                return process
        except psutil.Error:
            continue
    return None


def node_memory(log: Path) -> dict[str, float]:
    """The Node runner's last logged ``process.memoryUsage()``, in MB (empty before its first line)."""
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    if not lines:
        return {}
    last = json.loads(lines[-1])
    return {key: last[key] / MB for key in ("rss", "heapTotal", "heapUsed", "external", "arrayBuffers")}


def node_memory_series(log: Path, started_wall: float) -> list[dict[str, float]]:
    """Every logged line: seconds since the first probe, and each figure in MB."""
    series = []
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        entry = {"t_s": round(record["t"] - started_wall, 1)}
        entry.update({key: round(record[key] / MB, 2) for key in record if key not in ("t", "pid")})
        series.append(entry)
    return series


def heap_snapshot(server: Server, project: Path, into: Path, label: str) -> Path | None:
    """Has the Node runner write a heap snapshot (into its cwd, the project) and moves it ``into``."""
    runner = node_runner(server)
    if runner is None:
        return None
    before = set(project.glob("*.heapsnapshot"))
    runner.send_signal(HEAP_SNAPSHOT_SIGNAL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        written = set(project.glob("*.heapsnapshot")) - before
        if written:
            path = written.pop()
            size = -1
            while size != path.stat().st_size:  # written in chunks: done once it stops growing
                size = path.stat().st_size
                time.sleep(1.0)
            into.mkdir(parents=True, exist_ok=True)
            return Path(shutil.move(path, into / f"node-{label}.heapsnapshot"))
        time.sleep(0.2)
    raise TimeoutError("the node runner wrote no heap snapshot within 120 s")


def load_slice(port: int, connections: int, seconds: float) -> int:
    """Requests served by one slice of load, spread over the languages (one wrk per language)."""
    served = 0
    for lang in LANGS:
        url = f"http://127.0.0.1:{port}/{lang}/hello"
        if shutil.which("wrk"):
            result = run_wrk(url, connections, seconds / len(LANGS))
        else:
            result = run_python_load(url, connections, seconds / len(LANGS))
        if result.get("errors"):
            raise RuntimeError(f"{result['errors']} failed requests to {url}")
        served += int(result["requests"])
    return served


def run_uptime(
    requests: int = 1_000_000,
    connections: int = 8,
    slice_s: float = 30.0,
    probe_requests: int = 1_000,
    heap_snapshots: Path | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, float]]]:
    """The timeline (after the warm-up and after each slice: the probe's p50/p99, every process's RSS
    and the Node runner's memory) and the Node runner's memory logged every second."""
    timeline: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="motia-uptime-") as tmp:
        project = write_bench_project(Path(tmp) / "project")
        memory_log = Path(tmp) / "node-memory.jsonl"
        env = {"MOTIA_NODE_MEMORY_LOG": str(memory_log)}
        if heap_snapshots is not None:
            options = os.environ.get("NODE_OPTIONS", "")
            env["NODE_OPTIONS"] = f"{options} --heapsnapshot-signal={HEAP_SNAPSHOT_SIGNAL.name}".strip()
        port = free_port()
        server = Server.spawn("uptime", motia_argv(project, port), port, env)
        with running([server]):
            for lang in LANGS:
                server.wait_ready(f"/{lang}/hello")
            started = time.monotonic()
            started_wall = time.time()
            probe(port, WARMUP)
            served = WARMUP

            def checkpoint() -> None:
                nonlocal served
                loadavg = os.getloadavg()[0]
                entry: dict[str, Any] = {
                    "requests": served,
                    "elapsed_s": round(time.monotonic() - started, 1),
                    **probe(port, probe_requests),
                    "rss_mb": memory(server),
                    "node_mb": node_memory(memory_log),
                    "load": loadavg,
                }
                timeline.append(entry)
                served += probe_requests
                rss = ", ".join(f"{role} {mb:.0f}" for role, mb in entry["rss_mb"].items())
                node = entry["node_mb"]
                heap = (
                    f"  node heap {node['heapUsed']:.1f}/{node['heapTotal']:.1f} ext {node['external']:.1f}"
                    if node
                    else ""
                )
                print(
                    f"{entry['requests']:>9,} requests {entry['elapsed_s']:>7.0f} s"
                    f"  p50 {entry['p50_ms']:.2f} ms  p99 {entry['p99_ms']:.2f} ms"
                    f"  RSS MB: {rss}{heap}  load {loadavg:.1f}",
                    flush=True,
                )

            checkpoint()
            while served < requests:
                served += load_slice(port, connections, slice_s)
                checkpoint()
                if heap_snapshots is not None and len(timeline) == 2:
                    heap_snapshot(server, project, heap_snapshots, f"first-{served}")
            if heap_snapshots is not None:
                heap_snapshot(server, project, heap_snapshots, f"end-{served}")
            series = node_memory_series(memory_log, started_wall)
    return timeline, series


def summarize(timeline: list[dict[str, Any]]) -> dict[str, Any]:
    """Goal 4's numbers: the last p50 against the first probe's (``p50_ratio``, the goal's measure),
    and against the probe after the first slice (``p50_ratio_settled``: the first probe runs before any
    load, when nothing has warmed up under it, so an end faster than the start is no surprise); each
    process's RSS at the end against after the first slice (once every path has run under load)."""
    first, last = timeline[0], timeline[-1]
    settled = timeline[min(1, len(timeline) - 1)]
    return {
        "first_requests": first["requests"],
        "settled_requests": settled["requests"],
        "last_requests": last["requests"],
        "p50_first_ms": first["p50_ms"],
        "p50_settled_ms": settled["p50_ms"],
        "p50_last_ms": last["p50_ms"],
        "p50_ratio": last["p50_ms"] / first["p50_ms"],
        "p50_ratio_settled": last["p50_ms"] / settled["p50_ms"],
        "rss_change": {role: mb / settled["rss_mb"].get(role, mb) - 1 for role, mb in last["rss_mb"].items()},
        "node_mb_settled": settled.get("node_mb", {}),
        "node_mb_last": last.get("node_mb", {}),
    }


def print_summary(summary: dict[str, Any]) -> None:
    print(f"\np50 after {summary['first_requests']:,} requests (the first probe, before any load) ", end="")
    print(f"{summary['p50_first_ms']:.2f} ms; after the first slice of load ", end="")
    print(f"({summary['settled_requests']:,} requests) {summary['p50_settled_ms']:.2f} ms; ", end="")
    print(f"after {summary['last_requests']:,}: {summary['p50_last_ms']:.2f} ms")
    print(f"p50 at the end: {summary['p50_ratio']:.0%} of the first probe's (goal 4's measure: ", end="")
    print(f"within 10 %, at most 110 %), {summary['p50_ratio_settled']:.0%} of the first slice's")
    for role, change in summary["rss_change"].items():
        print(f"RSS {role}: {change:+.0%} from after the first slice to the end (the goal: within 10 %)")
    settled, last = summary["node_mb_settled"], summary["node_mb_last"]
    for key in ("rss", "heapTotal", "heapUsed", "external", "arrayBuffers"):
        if key in settled and key in last:
            print(f"node {key}: {settled[key]:.1f} -> {last[key]:.1f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slice", type=float, default=30.0, help="seconds of load between probes")
    parser.add_argument("--probe", type=int, default=1_000, help="sequential requests per probe")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--heap-snapshots", type=Path, help="write Node heap snapshots into this folder")
    args = parser.parse_args()
    timeline, series = run_uptime(
        args.requests, args.connections, args.slice, args.probe, args.heap_snapshots
    )
    summary = summarize(timeline)
    print_summary(summary)
    if args.json:
        document = {"timeline": timeline, "summary": summary, "node_memory": series}
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
