"""``motia runners``: the runners of a running server, its own and those attached by hand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from supervisor.cli._client import call, print_json, print_table

PATH = "/__motia/runners"
COLUMNS = ("ID", "TRANSPORT", "PID", "UPTIME", "RESTARTS", "MEMORY", "IN FLIGHT", "DEBUGGER", "STEPS")


def add_command(commands: Any, client_options: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = commands.add_parser("runners", help="runners of a running server: pid, transport, steps, work")
    parser.add_argument("--json", action="store_true", help="print the server's JSON answer")
    client_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    status, answer = call(args.host, args.port, "GET", PATH)
    if status != 200 or not isinstance(answer, dict):
        print(f"motia runners: the server answered {status}: {answer}", file=sys.stderr)
        return 1
    if args.json:
        print_json(answer)
        return 0
    rows = [COLUMNS, *(_row(runner) for runner in answer["runners"])]
    print_table(rows)
    return 0


def _row(runner: dict[str, Any]) -> tuple[str, ...]:
    steps = runner["steps"]
    memory = runner["memoryMb"]
    restarts = runner["restarts"]
    transport = runner["transport"] + (f" ({runner['peer']})" if runner.get("peer") else "")
    return (
        runner["id"],
        transport,
        str(runner["pid"] or "-"),
        _duration(runner["uptimeSeconds"]),
        "-" if restarts is None else str(restarts),
        "-" if memory is None else f"{memory:.0f} MB",
        str(runner["inFlight"]),
        runner.get("inspector") or "-",
        ", ".join(steps) if steps is not None else f"all {runner['kind']} steps",
    )


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
