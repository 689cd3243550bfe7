"""A/B of one lever: two ``motia start`` processes that differ only by environment variables, measured
interleaved (A, B, A, B ...) in one run next to FastAPI on uvicorn, so a busy machine's drift hits both.

    .venv/bin/python bench/ab.py --b MOTIA_EVENT_LOOP=uvloop --a MOTIA_EVENT_LOOP=asyncio --rounds 4
    .venv/bin/python bench/ab.py --a MOTIA_HTTP_SERVER=hypercorn --b MOTIA_HTTP_SERVER=uvicorn
    .venv/bin/python bench/ab.py --a-ref integ      # A: a git ref's code (servers.extract), B: this checkout

Per language: api req/s and p50 at 32 connections (B/A per round, then the median; the supervisor's and
the runners' CPU per request), and emit -> handler start p50 on the SQLite queue (rounds of emits, A then
B). Writes bench/ab.json (or --json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from competitors import argv as competitor_argv
from competitors import ensure_env, versions
from constants import BENCH, CONNECTIONS, LANGS, REPO
from emit_bench import bench_emit
from http_bench import bench_http
from load import run_wrk
from projects import write_bench_project
from report import machine
from servers import Server, extract, free_port, motia_argv, running


def _env(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key] = value
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--a", nargs="*", default=[], metavar="KEY=VALUE", help="environment of A")
    parser.add_argument("--b", nargs="*", default=[], metavar="KEY=VALUE", help="environment of B")
    parser.add_argument("--a-ref", help="A runs this git ref's code (B: this checkout's)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--emit-rounds", type=int, default=4)
    parser.add_argument("--emit-samples", type=int, default=100, help="per language per round")
    parser.add_argument("--json", type=Path, default=BENCH / "ab.json")
    args = parser.parse_args()
    env_a, env_b = _env(args.a), _env(args.b)

    def log(message: str) -> None:
        print(message, flush=True)

    competitors = ensure_env(log)
    results: dict[str, Any] = {
        "machine": {**machine(), "competitors": versions(competitors)},
        "a": {**env_a, **({"code": args.a_ref} if args.a_ref else {})},
        "b": env_b,
        "config": vars(args) | {"json": str(args.json)},
    }
    with tempfile.TemporaryDirectory(prefix="motia-ab-") as tmp:
        workdir = Path(tmp)
        ports = {name: free_port() for name in ("fastapi", "A", "B")}
        fastapi = Server.spawn(
            "fastapi", competitor_argv(competitors, "fastapi", ports["fastapi"]), ports["fastapi"]
        )
        code_a = extract(args.a_ref, workdir / "code-a") if args.a_ref else None
        argv_a = motia_argv(write_bench_project(workdir / "a"), ports["A"], code_a)
        argv_b = motia_argv(write_bench_project(workdir / "b"), ports["B"])
        servers = {
            "A": Server.spawn("A", argv_a, ports["A"], env_a, cwd=code_a or REPO),
            "B": Server.spawn("B", argv_b, ports["B"], env_b),
        }
        with running([fastapi, *servers.values()]):
            fastapi.wait_ready("/hello")
            for server in servers.values():
                server.wait_ready("/py/hello")
            targets: dict[str, tuple[Server, str]] = {"fastapi": (fastapi, "/hello")}
            for lang in LANGS:
                for variant in ("A", "B"):
                    targets[f"{variant}:{lang}"] = (servers[variant], f"/{lang}/hello")
            log(f"[api] {CONNECTIONS} connections, {args.rounds} rounds of {args.duration:g} s, interleaved")
            api = bench_http(targets, args.rounds, args.duration, CONNECTIONS, run_wrk, log)
            results["api"] = api
            log(f"[emit] {args.emit_rounds} rounds of {args.emit_samples} per language, A then B")
            emits: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
            for round_index in range(args.emit_rounds):
                order = ("A", "B") if round_index % 2 == 0 else ("B", "A")
                for variant in order:
                    emits[variant].append(
                        bench_emit(servers[variant], args.emit_samples, warmup=10, gap=0.005)
                    )
            results["emit_rounds"] = emits
    summary = _summarise(results)
    results["summary"] = summary
    _print(results)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON written to {args.json}")
    return 0


def _summarise(results: dict[str, Any]) -> dict[str, Any]:
    api = results["api"]
    out: dict[str, Any] = {}
    for lang in LANGS:
        a_runs, b_runs = api[f"A:{lang}"]["runs"], api[f"B:{lang}"]["runs"]
        pairs = list(zip(b_runs, a_runs, strict=True))
        out[lang] = {
            "b_over_a_rps": statistics.median(b["rps"] / a["rps"] for b, a in pairs),
            "b_over_a_rps_rounds": [b["rps"] / a["rps"] for b, a in pairs],
            "b_minus_a_p50_ms": statistics.median(b["p50_ms"] - a["p50_ms"] for b, a in pairs),
            "a_vs_fastapi": api[f"A:{lang}"]["rps_ratio"],
            "b_vs_fastapi": api[f"B:{lang}"]["rps_ratio"],
            "a_added_p50_ms": api[f"A:{lang}"]["added_p50_ms"],
            "b_added_p50_ms": api[f"B:{lang}"]["added_p50_ms"],
            "a_srv_us": api[f"A:{lang}"]["server_cpu_us_per_req"],
            "b_srv_us": api[f"B:{lang}"]["server_cpu_us_per_req"],
            "a_runner_us": api[f"A:{lang}"]["runner_cpu_us_per_req"],
            "b_runner_us": api[f"B:{lang}"]["runner_cpu_us_per_req"],
            "a_emit_p50_ms": statistics.median(r[lang]["p50_ms"] for r in results["emit_rounds"]["A"]),
            "b_emit_p50_ms": statistics.median(r[lang]["p50_ms"] for r in results["emit_rounds"]["B"]),
        }
    return out


def _print(results: dict[str, Any]) -> None:
    m = results["machine"]
    load = ", ".join(f"{x:.1f}" for x in m["load_avg_at_start"])
    print(
        f"\n=== A/B ({m['date']}; load average at start {load})"
        f"\n  A: {results['a'] or '(defaults)'}\n  B: {results['b'] or '(defaults)'}"
    )
    fastapi = results["api"]["fastapi"]
    print(
        f"  FastAPI/uvicorn: {fastapi['rps']:.0f} req/s, p50 {fastapi['p50_ms']:.2f} ms, "
        f"{fastapi['server_cpu_us_per_req']:.0f} us/req; foreign load median "
        f"{statistics.median(r['foreign_cpu_pct'] for r in fastapi['runs']):.0f}%"
    )
    print(
        f"  {'lang':<5}{'B/A req/s':>10}{'range':>14}{'B-A p50':>9}{'A/fastapi':>11}{'B/fastapi':>11}"
        f"{'A +p50':>8}{'B +p50':>8}{'A srv us':>10}{'B srv us':>10}{'A run us':>10}{'B run us':>10}"
        f"{'A emit':>8}{'B emit':>8}"
    )
    for lang, row in results["summary"].items():
        spread = row["b_over_a_rps_rounds"]
        r = row
        print(
            f"  {lang:<5}{r['b_over_a_rps'] * 100:9.1f}%{min(spread) * 100:7.1f}-{max(spread) * 100:5.1f}%"
            f"{r['b_minus_a_p50_ms']:+9.2f}{r['a_vs_fastapi'] * 100:10.1f}%{r['b_vs_fastapi'] * 100:10.1f}%"
            f"{r['a_added_p50_ms']:+8.2f}{r['b_added_p50_ms']:+8.2f}{r['a_srv_us']:10.0f}{r['b_srv_us']:10.0f}"
            f"{r['a_runner_us']:10.0f}{r['b_runner_us']:10.0f}{r['a_emit_p50_ms']:8.2f}{r['b_emit_p50_ms']:8.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
