"""End-to-end performance benchmarks of motia-supervisor, all measured in one run.

Usage: .venv/bin/python bench/run.py [--quick] [--profile] [--json PATH]

What it measures (bench/README.md explains each, and the targets):
  a. the baselines, one trivial JSON hello each: FastAPI on uvicorn (the reference of issue 14) and Express
     on Node, from a bench-only environment (bench/competitors.py), bare quart + hypercorn, and a bare ASGI
     callable on hypercorn, on uvicorn (motia's default server) and on granian: req/s and p50/p99 at 32
     keep-alive connections;
  b. a trivial GET api step in TypeScript, JavaScript and Python behind ``motia start``, measured the same
     way, interleaved with the baselines round by round; also at 1 connection (unloaded latency);
  c. emit -> handler-start latency per language (POST /__motia/emit, one at a time), next to the machine's
     own cost of the same pattern (the bare ASGI echo, a chain of as many process wake-ups);
  d. boot time of a 45-step project (15 per language): spawn of ``motia start`` -> first 200 of an api step;
  e. idle RSS of the supervisor plus all its runner processes for that project;
  f. the pet app: POST /<lang>/pets -> the pet visible in_quarantine, seen through its stream item
     (bench/pet_bench.py), 50 ms apart and back to back, each next to the machine's own cost of the same
     pattern (bench/machine_hops.py).

The load generator is wrk (``apt-get install -y wrk``) with one thread, so that it takes as little of the
two cores as possible; without wrk a Python asyncio client is used instead, with a warning: it competes
with the server for the same CPUs, so its numbers are lower and only comparable within the same run.
Everything runs on 127.0.0.1 only. Every server this script starts is stopped by its pid.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baselines import ASGI_SERVERS, asgi_argv, write_baselines
from boot_bench import bench_boot
from competitors import argv as competitor_argv
from competitors import ensure_env, versions
from constants import BENCH, CONNECTIONS, LANGS
from emit_bench import bench_emit
from http_bench import bench_http
from load import run_python_load, run_wrk
from pet_bench import bench_pets
from profiling import profile_http
from projects import write_bench_project
from report import machine, print_report, verdicts
from servers import Server, free_port, motia_argv, native_modules, running
from servers import motia as motia_server
from uptime import print_summary, run_uptime, summarize


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs (~1 min): a smoke test, not a result"
    )
    parser.add_argument("--profile", action="store_true", help="also py-spy the supervisor under api load")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write the JSON")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of the HTTP benchmark")
    parser.add_argument("--duration", type=float, help="seconds per HTTP run")
    parser.add_argument("--emit-samples", type=int, help="emits per language")
    parser.add_argument("--pet-samples", type=int, help="pets created per language (f)")
    parser.add_argument(
        "--python-client", action="store_true", help="use the Python load generator even if wrk exists"
    )
    parser.add_argument(
        "--uptime",
        type=int,
        metavar="REQUESTS",
        help="also goal 4 (bench/uptime.py): REQUESTS requests, 1000000 for the goal (+10-20 min)",
    )
    args = parser.parse_args()

    rounds = args.rounds or (1 if args.quick else 3)
    duration = args.duration or (3.0 if args.quick else 10.0)
    emit_samples = args.emit_samples or (100 if args.quick else 300)
    pet_samples = args.pet_samples or (10 if args.quick else 40)
    warm_boots = 1 if args.quick else 3

    def log(message: str) -> None:
        print(message, flush=True)

    if shutil.which("wrk") and not args.python_client:
        load: Callable[..., dict[str, Any]] = run_wrk
        generator = "wrk -t1"
    else:
        load = run_python_load
        generator = "python asyncio client (NOT comparable with wrk numbers)"
        if not args.python_client:
            log(
                "WARNING: wrk not found (install: apt-get update && apt-get install -y wrk). "
                "Falling back to a Python asyncio client, which competes with the server for the "
                "2 CPUs: req/s will be lower and latencies higher; only ratios within this run mean anything."
            )

    competitors = ensure_env(log)
    results: dict[str, Any] = {
        "machine": {**machine(), "competitors": versions(competitors)},
        "load_generator": generator,
        "config": {
            "quick": args.quick,
            "rounds": rounds,
            "rounds_c1": max(1, rounds - 1),
            "duration_s": duration,
            "connections": CONNECTIONS,
            "emit_samples": emit_samples,
            "pet_samples": pet_samples,
            "warm_boots": warm_boots,
        },
        "api": {},
        "emit": {},
    }
    with tempfile.TemporaryDirectory(prefix="motia-bench-") as tmp:
        workdir = Path(tmp)
        write_baselines(workdir)
        project = write_bench_project(workdir / "project")
        fastapi_port, express_port = free_port(), free_port()
        bare_port, motia_port = free_port(), free_port()
        fastapi = Server.spawn("fastapi", competitor_argv(competitors, "fastapi", fastapi_port), fastapi_port)
        express = Server.spawn("express", competitor_argv(competitors, "express", express_port), express_port)
        bare = Server.spawn("bare", [sys.executable, str(workdir / "bare.py"), str(bare_port)], bare_port)
        asgi: dict[str, Server] = {}
        for name in ASGI_SERVERS:
            port = free_port()
            argv = asgi_argv(name, workdir, port, sys.executable, competitors["python"])
            asgi[name] = Server.spawn(f"asgi-{name}", argv, port, cwd=workdir)
        motia = Server.spawn("motia", motia_argv(project, motia_port), motia_port)
        with running([fastapi, express, bare, *asgi.values(), motia]):
            for server in (fastapi, express, bare, *asgi.values()):
                server.wait_ready("/hello")
            motia.wait_ready("/py/hello")
            results["native_modules"] = native_modules(motia)
            targets = {
                "fastapi": (fastapi, "/hello"),
                "express": (express, "/hello"),
                "bare": (bare, "/hello"),
                **{lang: (motia, f"/{lang}/hello") for lang in LANGS},
                **{f"asgi-{name}": (server, "/hello") for name, server in asgi.items()},
            }
            refs = ("express", "bare", "asgi-uvicorn")
            log(f"[a+b] HTTP, {CONNECTIONS} connections, {rounds} round(s) of {duration:g} s per target")
            results["api"]["c32"] = bench_http(targets, rounds, duration, CONNECTIONS, load, log, refs)
            log("[a+b] HTTP, 1 connection")
            results["api"]["c1"] = bench_http(
                targets, max(1, rounds - 1), min(duration, 5.0), 1, load, log, refs
            )
            log(f"[c] emit -> handler start, {emit_samples} per language (sqlite queue, the default)")
            echo = asgi["uvicorn"].port  # the bare ASGI callable on uvicorn: the machine's own HTTP hop
            results["emit"]["sqlite"] = bench_emit(motia, emit_samples, warmup=20, gap=0.005, echo_port=echo)
            if args.profile:
                log("[profile] py-spy on the supervisor / bare app under the api load")
                profiles: dict[str, Any] = {}
                prof_dir = BENCH / "profiles"
                prof_dir.mkdir(exist_ok=True)
                for name, (server, path) in targets.items():
                    if name == "express":  # py-spy samples Python only
                        continue
                    raw = prof_dir / f"{name}.raw.txt"
                    profiles[name] = profile_http(server, path, max(duration, 15.0), raw, load)
                results["profiles"] = profiles
        if not args.quick:
            memory_project = write_bench_project(workdir / "project-memq", events_adapter="memory")
            with motia_server(memory_project, ready="/py/hello", name="motia-memq") as memq:
                log(f"[c] emit -> handler start, {emit_samples} per language (memory queue)")
                results["emit"]["memory"] = bench_emit(memq, emit_samples, warmup=20, gap=0.005)
        log(f"[f] pet app: POST /<lang>/pets -> in_quarantine, {pet_samples} per language, 50 ms apart")
        results["pets"] = bench_pets(workdir, pet_samples, warmup=5, gap=0.05)
        log(f"[f] pet app: the same, {pet_samples} per language back to back (no idle gap)")
        results["pets_back_to_back"] = bench_pets(workdir, pet_samples, warmup=5, gap=0.0)
        log("[d+e] boot time and idle memory, 45 steps")
        results["boot"] = bench_boot(workdir, warm_boots, idle_wait=2.0 if args.quick else 5.0, log=log)

    if args.uptime:
        log(f"\ngoal 4: {args.uptime:,} requests (bench/uptime.py)")
        timeline, series = run_uptime(args.uptime, slice_s=5.0 if args.quick else 30.0)
        results["uptime"] = {"timeline": timeline, "summary": summarize(timeline), "node_memory": series}
    results["verdicts"] = verdicts(results)
    print_report(results)
    if "uptime" in results:
        print_summary(results["uptime"]["summary"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
