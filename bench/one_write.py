"""Issue 14, goals 1 and 3: what the server costs per answer under two codes, with nothing behind it.

The ASGI front's answer (``http/_asgi.py``'s ``_send``: a JSON body, its content-length) served by uvicorn
as ``cli/_uvicorn.py`` configures it (uvloop, httptools, the protocol subclass), once with a git ref's code
(A) and once with this checkout's (B), next to the same callable on plain uvicorn (bench-only env, as
``run.py``'s "bare ASGI on uvicorn" row), rounds interleaved: req/s, p50 and server CPU per request at 32
connections and at 1. No runner, no step, no tracing: only the server's own share.

``.venv/bin/python bench/one_write.py --a-ref c2ed09f [--rounds 4] [--duration 6] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from baselines import write_baselines
from competitors import ensure_env
from constants import REPO
from http_bench import bench_http
from load import run_wrk
from report import machine
from servers import Server, extract, free_port, running

FRONT_ON_MOTIA_UVICORN = """
import sys
from pathlib import Path

import uvloop

from supervisor.cli._listen import listen
from supervisor.cli._uvicorn import _Server, uvicorn_config
from supervisor.http._asgi import _send
from supervisor.http._response import HttpResponse
from supervisor.settings import Settings

ANSWER = HttpResponse.json(200, {"ok": True})


async def app(scope, receive, send):
    await _send(send, ANSWER, scope["method"])


async def main():
    server = _Server(uvicorn_config(app, Settings(project_root=Path.cwd(), mode="start")))
    server.config.lifespan = "off"
    await server.serve(sockets=[listen("127.0.0.1", int(sys.argv[1]))])


uvloop.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--a-ref", required=True, help="A runs this git ref's code (B: this checkout's)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    competitors = ensure_env(print)
    results: dict[str, Any] = {"machine": machine(), "config": vars(args) | {"json": str(args.json)}}
    with tempfile.TemporaryDirectory(prefix="motia-one-write-") as tmp:
        workdir = Path(tmp)
        write_baselines(workdir)
        script = workdir / "front_on_motia_uvicorn.py"
        script.write_text(FRONT_ON_MOTIA_UVICORN, encoding="utf-8")
        codes = {"A": extract(args.a_ref, workdir / "code-a"), "B": REPO}
        ports = {name: free_port() for name in ("uvicorn", "A", "B")}
        bench_python = str(Path(competitors["python"]))
        servers = {
            "uvicorn": Server.spawn(
                "uvicorn",
                [bench_python, str(workdir / "asgi_uvicorn.py"), str(ports["uvicorn"])],
                ports["uvicorn"],
                cwd=workdir,
            ),
            **{
                name: Server.spawn(
                    name,
                    [sys.executable, str(script), str(ports[name])],
                    ports[name],
                    {"PYTHONPATH": str(code)},
                    cwd=code,
                )
                for name, code in codes.items()
            },
        }
        with running(list(servers.values())):
            for server in servers.values():
                server.wait_ready("/")
            targets = {name: (server, "/") for name, server in servers.items()}
            for connections in (32, 1):
                print(f"[{connections} connections] {args.rounds} rounds of {args.duration:g} s", flush=True)
                results[f"c{connections}"] = bench_http(
                    targets, args.rounds, args.duration, connections, run_wrk, print
                )
    _print(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def _print(results: dict[str, Any]) -> None:
    load = ", ".join(f"{x:.1f}" for x in results["machine"]["load_avg_at_start"])
    print(f"\n=== one write ({results['machine']['date']}; load average at start {load})")
    for key in ("c32", "c1"):
        runs = {name: row["runs"] for name, row in results[key].items()}
        print(f"  {key}: {'':<8}{'req/s':>9}{'p50 ms':>9}{'srv us/req':>12}{'foreign %':>11}")
        for name, rows in runs.items():
            print(
                f"  {'':<4}{name:<8}{statistics.median(r['rps'] for r in rows):9.0f}"
                f"{statistics.median(r['p50_ms'] for r in rows):9.3f}"
                f"{statistics.median(r['server_cpu_us_per_req'] for r in rows):12.1f}"
                f"{statistics.median(r['foreign_cpu_pct'] for r in rows):11.0f}"
            )
        pairs = list(zip(runs["B"], runs["A"], strict=True))
        ratios = ", ".join(f"{b['rps'] / a['rps'] * 100:.1f}%" for b, a in pairs)
        cpu = ", ".join(f"{b['server_cpu_us_per_req'] - a['server_cpu_us_per_req']:+.1f}" for b, a in pairs)
        print(f"    B/A req/s per round: {ratios}; B-A srv us/req per round: {cpu}")


if __name__ == "__main__":
    sys.exit(main())
