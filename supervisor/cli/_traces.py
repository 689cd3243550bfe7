"""``motia traces [ID]``: a running server's traces, newest first, or one trace step by step."""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import sys
import urllib.parse
from collections.abc import Callable
from typing import Any

from supervisor.cli._client import call, failed, print_json, print_table, query
from supervisor.protocol import error_line
from supervisor.tracing import parse_answered

PATH = "/__motia/traces"
STATUSES = ("running", "ok", "error")
MARKS = {"ok": "ok", "error": "ERROR", "running": "running", "lost": "lost"}


def add_command(commands: Any, client_options: Callable[[argparse.ArgumentParser], None]) -> None:
    traces = commands.add_parser(
        "traces",
        help="traces of a running server, or one trace (its id, or part of it)",
        description="Without ID: the newest traces, one line each. With ID (or part of one, such as the "
        "8 characters log lines print): every step execution of that trace in every language, with its "
        "state and stream operations, emits, retries and log lines, in time order.",
    )
    traces.add_argument("id", nargs="?", metavar="ID", help="a trace id, or part of one")
    traces.add_argument("--step", help="only traces in which this step ran")
    traces.add_argument("--status", choices=STATUSES, help="only traces with this status")
    traces.add_argument(
        "--answered",
        metavar="CODES",
        type=_answered,
        help="only requests answered with one of these HTTP statuses: codes (404), classes (4xx) or "
        "ranges (400-499), comma-separated; e.g. '4xx,5xx' for the requests that failed",
    )
    traces.add_argument(
        "--grep",
        metavar="TEXT",
        help="only traces whose name (e.g. 'POST /pets'), id, a step's name or a failed step's error "
        "message holds TEXT, in any case",
    )
    traces.add_argument("--limit", type=int, default=20, help="how many traces to list (default 20)")
    traces.add_argument("--json", action="store_true", help="print the server's JSON answer")
    client_options(traces)
    traces.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return _one(args) if args.id else _list(args)


def _list(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 500:
        print("motia traces: --limit must be from 1 to 500", file=sys.stderr)
        return 2
    filters = query(
        step=args.step, status=args.status, answered=args.answered, text=args.grep, limit=args.limit
    )
    status, body = call(args.host, args.port, "GET", PATH + filters)
    if status != 200:
        return failed("traces", body)
    if args.json:
        print_json(body)
        return 0
    traces = body["traces"]
    if not traces:
        print("no traces")
        return 0
    rows = [("TRACE ID", "STARTED", "DURATION", "STATUS", "ENTRY", "STEPS")]
    for trace in traces:
        steps = ", ".join(step["name"] for step in trace["steps"])
        rows.append(
            (
                trace["traceId"],
                _clock(trace["startedAt"]),
                _duration(trace["durationMs"]),
                MARKS.get(trace["status"], trace["status"]),
                _entry(trace["entry"]),
                steps,
            )
        )
    print_table(rows)
    return 0


def _one(args: argparse.Namespace) -> int:
    # the server finds a trace by any part of its id too, and names the ids an ambiguous part is in
    status, body = call(args.host, args.port, "GET", f"{PATH}/{urllib.parse.quote(args.id, safe='')}")
    if status != 200:
        return failed("traces", body)
    if args.json:
        print_json(body)
        return 0
    for line in describe(body):
        print(line)
    return 0


def whole_trace_id(host: str, port: int, part: str) -> tuple[int, Any]:
    """The id of the trace ``part`` is (a part of), as the server finds it (``GET /__motia/traces/ID``):
    200 and the id, or the server's error answer (404: none; 409: ambiguous, naming the candidates)."""
    status, body = call(host, port, "GET", f"{PATH}/{urllib.parse.quote(part, safe='')}")
    return status, body["traceId"] if status == 200 else body


def describe(trace: dict[str, Any]) -> list[str]:
    """The trace as text: a header, then its spans and events in time order, events under their step."""
    steps = ", ".join(f"{step['name']} ({step['language']})" for step in trace["steps"])
    lines = [
        f"trace {trace['traceId']}  {MARKS.get(trace['status'], trace['status'])}  {_entry(trace['entry'])}"
        f"  {_duration(trace['durationMs'])}",
        f"steps: {steps or '-'}",
        "",
    ]
    start = trace["startedAt"]
    timeline: list[tuple[float, int, dict[str, Any]]] = [
        (span["startedAt"], 0, span) for span in trace["spans"]
    ]
    timeline += [(event["time"], 1, event) for event in trace["events"]]
    for at, kind, item in sorted(timeline, key=lambda entry: (entry[0], entry[1])):
        offset = _offset(at - start).rjust(12)
        if kind == 0:
            lines.extend(_span_lines(offset, item))
        else:
            lines.extend(_indented(f"{offset}      ", _event_text(item), 20))
    return lines


def _indented(first: str, text: str, indent: int) -> list[str]:
    """``text`` after ``first``, its further lines (a multi-line message) indented under it."""
    head, *rest = text.splitlines() or [""]
    return [first + head, *(" " * indent + line for line in rest)]


def _span_lines(offset: str, span: dict[str, Any]) -> list[str]:
    where = span["runner"] or "no runner"  # the core answered (a body refused before the step ran)
    if span["pid"]:
        where += f" pid {span['pid']}"
    supervisor = span.get("supervisor")  # on Redis, whose runner: each supervisor has a node-0
    if supervisor:
        where += f" of supervisor pid {supervisor['pid']} on {supervisor['host']}"
    attempt = f"  attempt {span['attempt']}" if span["type"] == "event" else ""
    topic = f" <- {span['topic']}" if span["topic"] else ""
    answer = f" -> {span['statusCode']}" if span.get("statusCode") else ""
    lines = [
        f"{offset}  {span['step']} [{span['type']}{topic}{answer}] {span['language']}, {where}{attempt}  "
        f"{_duration(span['durationMs'])}  {MARKS.get(span['status'], span['status'])}"
    ]
    error = span.get("error")
    if error:
        location = error.get("location")
        at = f" at {location['file']}:{location['line']}" if location else ""
        said = f"{error['name']}: {error['message']}"
        lines.extend(
            _indented(" " * 16, error_line(error["name"], error["message"], error.get("cause")) + at, 18)
        )
        stack = error.get("stack") or ""
        if stack.startswith(said):  # a JavaScript stack opens with the error's name and message
            stack = stack[len(said) :]
        lines.extend(f"{' ' * 18}{text}" for text in stack.splitlines() if text.strip())
    return lines


def _event_text(event: dict[str, Any]) -> str:
    kind = event["type"]
    step = f"[{event['step']}] " if event.get("step") else ""
    failed_with = f"  failed: {event['error']}" if event.get("error") else ""
    if kind == "log":
        meta = (
            f" {json.dumps(event['meta'], ensure_ascii=False)}" if event.get("meta") not in (None, {}) else ""
        )
        return f"{step}{event['level'].upper()} {event['message']}{meta}"
    if kind == "emit":
        targets = ", ".join(delivery["step"] for delivery in event["deliveries"]) or "no subscriber"
        dropped = f" (dropped: {event['dropped']})" if event.get("dropped") else ""
        return f"{step}emit {event['topic']} -> {targets}{dropped}{failed_with}"
    if kind in ("state", "stream"):
        return f"{step}{_operation(event)}{failed_with}"
    if kind == "delivery":
        attempt = f", attempt {event['attempt']}" if event.get("attempt") else ""
        again = f", again at {_clock(event['retryAt'])}" if event.get("retryAt") else ""
        error = f": {event['error']}" if event.get("error") else ""
        return f"{step}delivery {event['name']} (topic {event.get('topic')}{attempt}{again}){error}"
    return f"{step}{event.get('name', kind)}{failed_with}"


def _operation(event: dict[str, Any]) -> str:
    """A state or stream operation: its call, where it went, the size of the value it carried (as the
    Workbench's trace view writes it: supervisor/http/workbench/operations.js)."""
    parts = (
        (event.get("stream"), event.get("group"), event.get("itemId"))
        if event["type"] == "stream"
        else (event.get("group"), event.get("key"))
    )
    where = "/".join(str(part) for part in parts if part is not None and part != "")
    size = f" ({event['size']} B)" if event.get("size") else ""
    return f"{event['name']} {where}{size}"


def _answered(spec: str) -> str:
    """``--answered`` as given, once it parses as the server parses it (its error, said here)."""
    try:
        parse_answered(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return spec


def _entry(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "-"
    if entry["type"] == "api":
        answered = f" -> {entry['statusCode']}" if entry.get("statusCode") else ""
        return f"{entry.get('method') or ''} {entry.get('path') or entry['step']}{answered}".strip()
    if entry["type"] == "emit":
        return f"emit {entry['topic']}"
    return f"{entry['type']} {entry.get('step')}"


def _duration(ms: float | None) -> str:
    """How long a trace or a step took: 0.42 ms, 12.3 ms, 1.50 s, from a minute on in minutes (a
    replay spread a trace over minutes: 7 min 54 s, not 474.45 s), from an hour on in hours (2 h 5
    min); the unit goes by the rounded figure; one still running, … (here "..." means cut short). The
    Workbench writes it so too (``tookText`` in supervisor/http/workbench/durations.js), ties rounded
    away from zero as there."""
    if ms is None:  # still running: how long is not known yet
        return "…"
    hundredths = _rounded(ms, "0.01")
    if hundredths < 1:
        return f"{hundredths} ms"
    tenths = _rounded(ms, "0.1")
    if tenths < 1000:
        return f"{tenths} ms"
    seconds = _rounded(ms / 1000, "0.01")
    if seconds < 60:
        return f"{seconds} s"
    whole = int(_rounded(ms / 1000, "1"))
    hours, minutes = whole // 3600, whole // 60 % 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {whole % 60} s"


def _offset(ms: float) -> str:
    """How long after the trace's start: in seconds from one on, as a replayed dead letter's attempt
    minutes later read +432.674 s, not +432674.3 ms. The Workbench's trace view writes it so too
    (``offsetText`` in supervisor/http/workbench/durations.js): a tie rounded away from zero, as
    JavaScript's toFixed does (a float's exact value; Python's format would round it to even)."""
    tenths = _rounded(ms, "0.1")
    return f"+{tenths} ms" if tenths < 1000 else f"+{_rounded(ms / 1000, '0.001')} s"


def _rounded(value: float, places: str) -> decimal.Decimal:
    return decimal.Decimal(value).quantize(decimal.Decimal(places), rounding=decimal.ROUND_HALF_UP)


def _clock(epoch_ms: float) -> str:
    return datetime.datetime.fromtimestamp(epoch_ms / 1000).strftime("%H:%M:%S.%f")[:-3]
