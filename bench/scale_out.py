"""Supervisors on one Redis next to the SQLite default, in the same run: api req/s and events/s.

Usage: .venv/bin/python bench/scale_out.py [--rounds 2] [--duration 8] [--events 2000] [--json PATH]
       [--setups sqlite,"redis x1"]

Three setups of one project, each round in turn (so the machine's noise hits all of them alike):

- ``sqlite``: one ``motia start`` on the embedded default (state, streams and queue in SQLite);
- ``redis x1``: one ``motia start`` on a redis-server this script starts (``MOTIA_REDIS_URL``);
- ``redis x2``: two ``motia start`` on that same Redis, the load split between them (as behind a
  load balancer).

Measured per setup:

- **api req/s**: ``GET /state`` (a JavaScript api step that writes one state key and reads it back,
  the trivial step on state) under wrk, one thread and 32 connections in all (two wrk of 16, one per
  supervisor, for ``redis x2``);
- **CPU per api request** (µs, during the wrk run): the supervisors' own processes (``srv``), their
  runners (``run``) and redis-server (``redis``), which on 2 cores is what bounds req/s;
- **events/s**: ``POST /burst`` emits N events from a step (one request, so the client costs
  nothing; one emit after another, as a handler would), a JavaScript event step writes one state
  key per event, and the clock stops when
  ``GET /count`` (the group's size) reaches N: emit to handled, end to end.

The machine has 2 cores shared with the load generator, so a second supervisor on the same machine
adds processes, not CPU: ``redis x2`` shows the cost of sharing through Redis, not the gain of a
second machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from http_bench import cpu_seconds  # noqa: E402
from load import parse_wrk  # noqa: E402
from report import machine  # noqa: E402
from servers import Server, free_port, motia_argv  # noqa: E402

SETUPS = ("sqlite", "redis x1", "redis x2")

FILES = {
    "steps/state.step.js": """
        exports.config = { type: 'api', name: 'State', path: '/state', method: 'GET', emits: [] }
        exports.handler = async (_req, { state }) => {
          await state.set('bench', 'k', { ok: true })
          return { status: 200, body: await state.get('bench', 'k') }
        }
    """,
    "steps/burst.step.js": """
        exports.config = { type: 'api', name: 'Burst', path: '/burst', method: 'POST', emits: ['job'] }
        exports.handler = async (req, { emit }) => {
          const { from, count } = req.body
          for (let n = from; n < from + count; n++) await emit({ topic: 'job', data: { n } })
          return { status: 200, body: { emitted: count } }
        }
    """,
    "steps/job.step.js": """
        exports.config = { type: 'event', name: 'Job', subscribes: ['job'], emits: [] }
        exports.handler = async (input, { state }) => { await state.set('done', String(input.n), true) }
    """,
    "steps/count.step.js": """
        exports.config = { type: 'api', name: 'Count', path: '/count', method: 'GET', emits: [] }
        exports.handler = async (_req, { state }) =>
          ({ status: 200, body: { count: (await state.getGroup('done')).length } })
    """,
}


def write_project(root: Path, config: dict[str, Any]) -> Path:
    for relative, source in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    (root / "motia.config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[tuple[str, psutil.Process]]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (scripts/setup installs it)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
            "--appendonly", "no", "--loglevel", "warning"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout != b"PONG\n":
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _post(port: int, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _get(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return json.loads(response.read())


def start(name: str, project: Path, env: dict[str, str]) -> Server:
    port = free_port()
    server = Server.spawn(name, motia_argv(project, port), port, env)
    server.wait_ready("/__motia/health", timeout=90)
    return server


def measure(
    servers: list[Server], duration: float, events: int, redis: psutil.Process | None
) -> dict[str, float]:
    # warm up every runner and connection, then the api load split evenly over the supervisors
    for server in servers:
        for _ in range(20):
            _get(server.port, "/state")
    roots = [psutil.Process(server.proc.pid) for server in servers]
    runners = [proc for server in servers for proc in server.tree()[1:]]
    watched = roots + runners + ([redis] if redis is not None else [])
    before = cpu_seconds(watched)
    connections = 32 // len(servers)
    procs = [
        subprocess.Popen(  # one wrk per supervisor, as many connections in all as bench/run.py
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{round(duration)}s",
                "--timeout",
                "5s",
                "--latency",
                f"http://127.0.0.1:{server.port}/state",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for server in servers
    ]
    outputs = [proc.communicate(timeout=duration + 60)[0] for proc in procs]
    spent = {pid: seconds - before.get(pid, 0.0) for pid, seconds in cpu_seconds(watched).items()}
    runs = [parse_wrk(output) for output in outputs]
    rps = sum(run["rps"] for run in runs)
    errors = sum(run["errors"] for run in runs)
    requests: int = max(1, sum(run["requests"] for run in runs))

    def us_per_request(procs: list[psutil.Process]) -> float:
        return sum(spent.get(proc.pid, 0.0) for proc in procs) / requests * 1e6

    # events: one burst per supervisor, counted through the first
    per = events // len(servers)
    began = time.monotonic()
    for index, server in enumerate(servers):
        _post(server.port, "/burst", {"from": index * per, "count": per})
    emitted = time.monotonic() - began
    deadline = time.monotonic() + 300
    while _get(servers[0].port, "/count")["count"] < per * len(servers):
        if time.monotonic() > deadline:
            raise TimeoutError("the events were not all handled within 300 s")
        time.sleep(0.02)
    elapsed = time.monotonic() - began
    return {
        "api_rps": rps,
        "api_errors": errors,
        "api_p50_ms": statistics.fmean(run.get("p50_ms", 0.0) for run in runs),
        "srv_us": us_per_request(roots),
        "run_us": us_per_request(runners),
        "redis_us": us_per_request([redis]) if redis is not None else 0.0,
        "events_per_s": per * len(servers) / elapsed,
        "emit_s": emitted,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=BENCH / "scale_out.json")
    parser.add_argument(
        "--setups", default=",".join(SETUPS), help=f"a comma-separated choice among {', '.join(SETUPS)}"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    setups = [setup.strip() for setup in args.setups.split(",")]
    if "sqlite" not in setups or "redis x1" not in setups or not set(setups) <= set(SETUPS):
        raise SystemExit(f"--setups: sqlite and redis x1 are needed (the ratio), others among {SETUPS}")

    info = machine()  # the load before the runs
    results: dict[str, list[dict[str, float]]] = {setup: [] for setup in setups}
    with (
        tempfile.TemporaryDirectory(prefix="motia-scale-out-") as tmp,
        redis_server(Path(tmp)) as (url, redis),
    ):
        for round_index in range(args.rounds):
            for setup in setups:
                root = Path(tmp) / f"{setup.replace(' ', '-')}-{round_index}"
                if setup == "sqlite":
                    project = write_project(root, {"shutdownGraceSeconds": 1})
                    env: dict[str, str] = {}
                    count = 1
                else:
                    prefix = f"bench:{uuid.uuid4().hex[:8]}:"  # a fresh keyspace per run
                    project = write_project(root, {"shutdownGraceSeconds": 1, "redis": {"prefix": prefix}})
                    env = {"MOTIA_REDIS_URL": url}
                    count = 2 if setup.endswith("x2") else 1
                servers = [start(f"{setup}#{n}", project, env) for n in range(count)]
                try:
                    result = measure(
                        servers, args.duration, args.events, None if setup == "sqlite" else redis
                    )
                finally:
                    for server in servers:
                        server.stop()
                results[setup].append(result)
                print(
                    f"round {round_index + 1} {setup:9s} "
                    + " ".join(f"{k}={v:.1f}" for k, v in result.items())
                )

    summary = {
        setup: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for setup, runs in results.items()
    }
    base = summary["sqlite"]
    header = (
        "setup",
        "api req/s",
        "x sqlite",
        "p50 ms",
        "srv µs",
        "run µs",
        "redis µs",
        "events/s",
        "x sqlite",
    )
    print("\n{:10s} {:>10s} {:>9s} {:>7s} {:>7s} {:>7s} {:>8s} {:>9s} {:>9s}".format(*header))
    for setup, row in summary.items():
        api, events = row["api_rps"], row["events_per_s"]
        print(
            f"{setup:10s} {api:10.0f} {api / base['api_rps']:9.2f} {row['api_p50_ms']:7.2f}"
            f" {row['srv_us']:7.0f} {row['run_us']:7.0f} {row['redis_us']:8.0f}"
            f" {events:9.0f} {events / base['events_per_s']:9.2f}"
        )
    ratio = summary["redis x1"]["api_rps"] / base["api_rps"]
    print(f"\nredis x1 api req/s = {ratio:.0%} of sqlite's (target: at least 80%)")
    args.json.write_text(
        json.dumps(
            {
                "machine": info,
                "args": vars(args) | {"json": str(args.json)},
                "runs": results,
                "median": summary,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
