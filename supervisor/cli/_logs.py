"""``motia logs``: a running server's log lines, filtered, and ``--follow`` to keep printing new ones."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from supervisor.cli._client import (
    CannotUseServer,
    ServerAnswered,
    ServerUnreachable,
    call,
    failed,
    query,
    server_events,
)
from supervisor.cli._traces import whole_trace_id
from supervisor.logs import LEVEL_NAMES, PrettyFormatter, level_number

PATH = "/__motia/logs"
#: how long ``--follow`` keeps trying to reach a server that went away unannounced, before giving up
RECONNECT_FOR_S = 10.0
#: the pause before trying again after a failed or empty stream, until the server says (``retry:``)
RETRY_S = 0.5


def add_command(commands: Any, client_options: Callable[[argparse.ArgumentParser], None]) -> None:
    logs = commands.add_parser(
        "logs",
        help="log lines of a running server (filters; --follow for new ones)",
        description="Print the last log lines of a running server, oldest first, as `motia dev` prints "
        "them; with --follow, keep printing new ones until interrupted.",
    )
    logs.add_argument(
        "-n", "--lines", type=int, default=100, help="how many past lines to print (default 100)"
    )
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--level", choices=LEVEL_NAMES, help="this level and above")
    logs.add_argument("--step", help="only the lines of this step")
    logs.add_argument(
        "--trace", help="only the lines of this trace (its id, or part of one as log lines print it)"
    )
    logs.add_argument(
        "--runner",
        help="only the lines of this runner (its id, node-0), or of every runner of a kind (node, python)",
    )
    logs.add_argument(
        "--grep",
        help="only lines whose message or metadata (its JSON) contains this text (ignoring ASCII case)",
    )
    logs.add_argument("--json", action="store_true", help="one JSON object per line")
    client_options(logs)
    logs.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.lines < 0:
        print("motia logs: --lines must be 0 or more", file=sys.stderr)
        return 2
    filters = {
        "level": args.level,
        "step": args.step,
        "traceId": args.trace,
        "runner": args.runner,
        "q": args.grep,
    }
    printer = _Printer(args.json, functools.cache(lambda: _own_supervisor(args)))
    try:
        if args.trace:  # the logs match whole ids: a part (as log lines print it) is completed as the
            # trace API completes it; one of no trace recorded is refused as `motia traces` refuses it,
            # unless lines of it are kept still (its trace pruned before them): those are printed
            status, found = whole_trace_id(args.host, args.port, args.trace)
            if status == 200:
                filters["traceId"] = found
            elif status != 404 or not _logged(args, args.trace):
                return failed("logs", found)
        last: int | None = None
        if args.lines:
            status, body = call(
                args.host, args.port, "GET", PATH + query(**filters, limit=min(args.lines, 1000))
            )
            if status != 200:
                return failed("logs", body)
            lines = list(reversed(body["logs"]))
            for line in lines:
                printer.show(line)
            if lines:
                last = lines[-1]["id"]
        if args.follow:
            return _follow(args, filters, printer, last, reached=bool(args.lines))
    except KeyboardInterrupt:
        return 0
    return 0


def _logged(args: argparse.Namespace, trace_id: str) -> bool:
    """Whether the server keeps a log line of the trace ``trace_id``."""
    status, body = call(args.host, args.port, "GET", PATH + query(traceId=trace_id, limit=1))
    return status == 200 and bool(body["logs"])


def _follow(
    args: argparse.Namespace, filters: dict[str, Any], printer: _Printer, last: int | None, reached: bool
) -> int:
    """New lines as they come; when the stream ends (the server cut a slow reader, or is stopping),
    reconnect and resume after the last line printed, none lost or printed twice. A stream that
    brought no line is asked for again after the ``retry:`` delay the server gave; one that brought
    some, at once. A server that ended the stream saying it is stopping is waited for, however long
    until it is back (a restart), its health asked each such delay; one line on stderr says so. A port
    that refused the first connection (``reached``: the server answered before) or another server on
    it is said at once; so is motia's refusal of the stream (a 4xx: ``run`` says it as the past lines')."""
    retry_s = RETRY_S

    def on_retry(ms: int) -> None:
        nonlocal retry_s
        retry_s = ms / 1000

    lost_since: float | None = None
    while True:
        path = f"{PATH}/stream" + query(**filters, after=last)
        delivered = stopping = False
        try:
            for event in server_events(
                args.host, args.port, path, None if last is None else str(last), on_retry=on_retry
            ):
                lost_since = None
                delivered = reached = True
                if event.event == "log":
                    line = json.loads(event.data)
                    printer.show(line)
                    last = line["id"]
                elif event.event == "stopping":
                    stopping = True
        except (ServerUnreachable, ServerAnswered) as exc:  # another server on the port (NotMotia): said
            if _lasting(exc, reached):
                raise
            lost_since = lost_since or time.monotonic()
            if time.monotonic() - lost_since > RECONNECT_FOR_S:
                raise
            time.sleep(retry_s)
            continue
        reached = True
        if stopping:
            print(
                f"motia logs: the server on {args.host}:{args.port} is stopping; "
                "following again once it is back (Ctrl-C to quit)",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(retry_s)
            while _health(args) in (None, "stopping"):
                time.sleep(retry_s)
        elif not delivered:
            time.sleep(retry_s)


def _lasting(problem: ServerUnreachable | ServerAnswered, reached: bool) -> bool:
    """Whether asking again would not change ``problem``: nothing listened on the port from the first
    try (``reached``: a server answered before), or motia refused the request (tracing off, a bad
    filter: a 4xx)."""
    if isinstance(problem, ServerAnswered):
        return problem.status < 500
    return problem.refused and not reached


def _health(args: argparse.Namespace) -> str | None:
    """What the server's health says (ok, degraded or stopping); None when no motia answers."""
    try:
        _, body = call(args.host, args.port, "GET", "/__motia/health")
    except CannotUseServer:
        return None
    return body.get("status") if isinstance(body, dict) else None


def _own_supervisor(args: argparse.Namespace) -> object:
    """Which supervisor the server asked is (``GET /__motia/runners``'s ``supervisor``: host and pid);
    None when it does not say."""
    try:
        status, body = call(args.host, args.port, "GET", "/__motia/runners")
    except CannotUseServer:
        return None
    return body.get("supervisor") if status == 200 and isinstance(body, dict) else None


def _runner_of(line: dict[str, Any], own_supervisor: Callable[[], object]) -> str | None:
    """The runner a line names, as ``motia dev`` prints it (``node-0``); another supervisor's runner
    (supervisors sharing a project on Redis each name theirs ``node-0``) with which one:
    ``node-0@HOST:PID``. ``own_supervisor`` is asked only for a line that names a supervisor (Redis)."""
    runner = line.get("runner")
    supervisor = line.get("supervisor")
    if not runner or not isinstance(supervisor, dict) or supervisor == own_supervisor():
        return runner
    return f"{runner}@{supervisor.get('host')}:{supervisor.get('pid')}"


class _Printer:
    def __init__(self, as_json: bool, own_supervisor: Callable[[], object]) -> None:
        self._json = as_json
        self._formatter = PrettyFormatter(color=sys.stdout.isatty())
        #: which supervisor the server asked is (``_runner_of``): asked once, when a line needs it
        self._own_supervisor = own_supervisor

    def show(self, line: dict[str, Any]) -> None:
        if self._json:
            print(json.dumps(line, ensure_ascii=False), flush=True)
            return
        created = line["time"] / 1000
        record = logging.makeLogRecord(
            {
                "name": line.get("logger") or "motia",
                "levelno": level_number(line["level"]) or logging.INFO,
                "levelname": line["level"].upper(),
                "msg": line["message"],
                "created": created,
                "msecs": (created - int(created)) * 1000,
                "step": line.get("step"),
                "trace_id": line.get("traceId"),
                "runner": _runner_of(line, self._own_supervisor),
                "meta": line.get("meta"),
            }
        )
        print(self._formatter.format(record), flush=True)
