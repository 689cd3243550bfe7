"""What a runner attached by hand over gRPC costs against the supervisor's own runner on stdio.

One ``motia start --runner-listen`` over a hello-world api step in JavaScript and in Python. For each
language, rounds alternate: the supervisor's own runner serves (stdio), then a runner started with
``--connect`` attaches and serves (gRPC), then it is killed and the own runner serves again. Each
round measures one connection's sequential latency (the hop's cost, nothing queued) and the req/s
under wrk's 32 connections (or the Python client). Ratios within a round are what to read: the
machine is shared and noisy.

    .venv/bin/python bench/attached_runner.py [--rounds 3] [--duration 5] [--json bench/attached_runner.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from constants import CONNECTIONS, REPO
from load import percentile, run_python_load, run_wrk
from projects import write_bench_project
from report import machine
from servers import Server, free_port, motia_argv, running

LANGUAGES = {"js": "node", "py": "python"}
COOKIE = "bench-cookie"
SEQUENTIAL = 2000


def sequential_ms(port: int, path: str, count: int) -> dict[str, float]:
    """Latency of ``count`` requests one after another on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples = []
    try:
        for _ in range(count):
            began = time.perf_counter_ns()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            samples.append((time.perf_counter_ns() - began) / 1e6)
    finally:
        conn.close()
    samples.sort()
    return {"p50_ms": percentile(samples, 50, True), "p99_ms": percentile(samples, 99, True)}


def attach(lang: str, address: str, project: Path) -> subprocess.Popen[bytes]:
    if LANGUAGES[lang] == "node":
        argv = ["node", str(REPO / "runners" / "node" / "bin" / "runner.mjs")]
    else:
        argv = [sys.executable, "-m", "motia_runner"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "runners" / "python")}
    return subprocess.Popen(
        [*argv, "--connect", address, "--cookie", COOKIE],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_attached(server: Server, pid: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            conn.request("GET", "/__motia/runners")
            rows = json.loads(conn.getresponse().read())["runners"]
        finally:
            conn.close()
        if any(row["pid"] == pid for row in rows):
            return
        time.sleep(0.05)
    raise TimeoutError(f"runner {pid} did not attach within {timeout}s")


def measure(server: Server, path: str, duration: float, load: Any) -> dict[str, Any]:
    result = sequential_ms(server.port, path, SEQUENTIAL)
    loaded = load(f"http://127.0.0.1:{server.port}{path}", CONNECTIONS, duration)
    result["rps"] = loaded["rps"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "attached_runner.json")
    args = parser.parse_args()
    load = run_wrk if shutil.which("wrk") else run_python_load

    root = write_bench_project(Path(tempfile.mkdtemp(prefix="motia-bench-attach-")) / "project")
    port, listen = free_port(), free_port()
    address = f"127.0.0.1:{listen}"
    argv = [*motia_argv(root, port), "--runner-listen", address, "--runner-cookie", COOKIE]
    server = Server.spawn("motia", argv, port)
    rounds: dict[str, list[dict[str, Any]]] = {lang: [] for lang in LANGUAGES}
    with running([server]):
        server.wait_ready("/js/hello")
        for number in range(args.rounds):
            for lang in LANGUAGES:
                path = f"/{lang}/hello"
                stdio = measure(server, path, args.duration, load)
                runner = attach(lang, address, root)
                try:
                    wait_attached(server, runner.pid)
                    grpc = measure(server, path, args.duration, load)
                finally:
                    runner.kill()
                    runner.wait()
                time.sleep(0.5)  # detached: the own runner serves again
                stdio_after = measure(server, path, args.duration, load)
                row = {"stdio": stdio, "grpc": grpc, "stdio_after": stdio_after}
                rounds[lang].append(row)
                print(
                    f"round {number + 1} {lang}: p50 stdio {stdio['p50_ms']:.3f} ms, "
                    f"grpc {grpc['p50_ms']:.3f} ms, stdio again {stdio_after['p50_ms']:.3f} ms; "
                    f"req/s stdio {stdio['rps']:.0f}, grpc {grpc['rps']:.0f}, "
                    f"stdio again {stdio_after['rps']:.0f}",
                    flush=True,
                )
    shutil.rmtree(root.parent, ignore_errors=True)

    summary = {}
    for lang, rows in rounds.items():
        stdio_p50 = [statistics.mean([r["stdio"]["p50_ms"], r["stdio_after"]["p50_ms"]]) for r in rows]
        stdio_rps = [statistics.mean([r["stdio"]["rps"], r["stdio_after"]["rps"]]) for r in rows]
        summary[lang] = {
            "added_p50_ms": statistics.median(
                r["grpc"]["p50_ms"] - s for r, s in zip(rows, stdio_p50, strict=True)
            ),
            "rps_ratio": statistics.median(
                r["grpc"]["rps"] / s for r, s in zip(rows, stdio_rps, strict=True)
            ),
        }
        print(
            f"{lang}: an attached gRPC runner adds {summary[lang]['added_p50_ms']:.3f} ms at p50 "
            f"(sequential) and serves {summary[lang]['rps_ratio']:.2f}x the stdio runner's req/s "
            f"(median of {len(rows)} rounds)"
        )
    args.json.write_text(
        json.dumps({"machine": machine(), "rounds": rounds, "summary": summary}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
