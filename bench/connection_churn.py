"""What short connections cost the supervisor: N connections of one request each, closed by the
client, against ``motia start``, for this checkout and a baseline git ref.

Usage: .venv/bin/python bench/connection_churn.py [--connections 10000] [--clients 8]
                                                  [--baseline-ref main] [--rounds 2] [--json PATH]

Each round starts a fresh ``motia start`` of a one-step project (``GET /ping``, a Python api step),
warms it with 1,000 connections, then opens ``--connections`` more, ``--clients`` at a time, each
sending one request, reading the response and closing. Reported for the supervisor process alone
(not its runners): RSS before the churn, right after it and 5 s later; its open file descriptors and
the connections its clients closed that it still holds (CLOSE_WAIT) right after; and connections per
second. Rounds alternate old and new; the baseline runs from a ``git archive`` with the same
interpreter and node_modules (servers.extract).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from queue_backlog import rss_mb, server  # noqa: E402
from report import machine  # noqa: E402
from servers import codes_under_test  # noqa: E402

STEP = """
config = {"type": "api", "name": "Ping", "path": "/ping", "method": "GET", "emits": []}

async def handler(req, context):
    return {"status": 200, "body": {"ok": True}}
"""
REQUEST = b"GET /ping HTTP/1.1\r\nhost: bench\r\n\r\n"
WARM_UP = 1_000


def make_project(root: Path) -> Path:
    (root / "steps").mkdir(parents=True)
    (root / "steps" / "ping_step.py").write_text(STEP, encoding="utf-8")
    return root


async def one_connection(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(REQUEST)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
    finally:
        writer.close()  # the client closes: the case hypercorn held on to
        await writer.wait_closed()


async def churn(port: int, connections: int, clients: int) -> float:
    """Seconds taken for ``connections`` one-request connections, ``clients`` at a time."""
    left = iter(range(connections))

    async def client() -> None:
        for _ in left:
            await one_connection(port)

    began = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.monotonic() - began


def held(process: psutil.Process) -> tuple[int, int]:
    """(open file descriptors, connections in CLOSE_WAIT)."""
    waiting = sum(1 for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_CLOSE_WAIT)
    return process.num_fds(), waiting


def measure(code: Path | None, root: Path, connections: int, clients: int) -> dict[str, Any]:
    project = make_project(root)
    with server(code, project) as (proc, port, _ready_s):
        supervisor = psutil.Process(proc.pid)
        asyncio.run(churn(port, WARM_UP, clients))
        time.sleep(1)
        rss_before = rss_mb(proc.pid)
        fds_before, _ = held(supervisor)
        seconds = asyncio.run(churn(port, connections, clients))
        rss_after = rss_mb(proc.pid)
        fds_after, close_wait = held(supervisor)
        time.sleep(5)
        rss_later = rss_mb(proc.pid)
    return {
        "connections": connections,
        "per_s": connections / seconds,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "rss_5s_later_mb": rss_later,
        "grown_mb": rss_after - rss_before,
        "fds_before": fds_before,
        "fds_after": fds_after,
        "close_wait_after": close_wait,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8, help="connections open at once")
    parser.add_argument("--baseline-ref", help="git ref to compare with (e.g. main)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": machine(), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="motia-churn-") as tmp:
        work = Path(tmp)
        codes = codes_under_test(args.baseline_ref, work)
        for round_ in range(args.rounds):
            order = list(codes) if round_ % 2 == 0 else list(reversed(codes))
            for name in order:
                entry = measure(codes[name], work / f"run-{round_}-{name}", args.connections, args.clients)
                results["runs"].setdefault(name, []).append(entry)
                print(
                    f"{name:<4} round {round_ + 1}: {entry['connections']:,} connections at "
                    f"{entry['per_s']:,.0f}/s; RSS {entry['rss_before_mb']:.1f} -> "
                    f"{entry['rss_after_mb']:.1f} MB "
                    f"({entry['grown_mb']:+.1f} MB), {entry['rss_5s_later_mb']:.1f} MB 5 s later; "
                    f"fds {entry['fds_before']} -> {entry['fds_after']}, "
                    f"CLOSE_WAIT {entry['close_wait_after']:,}",
                    flush=True,
                )
    summary = {
        name: {
            "grown_mb": statistics.median(e["grown_mb"] for e in entries),
            "per_s": statistics.median(e["per_s"] for e in entries),
        }
        for name, entries in results["runs"].items()
    }
    results["median"] = summary
    for name, values in summary.items():
        print(
            f"median {name}: {values['grown_mb']:+.1f} MB over the churn, "
            f"{values['per_s']:,.0f} connections/s"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
