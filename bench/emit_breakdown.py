"""Issue 14, goal 3: where one emit's way to its handler goes, step by step.

Runs an instrumented copy of a git ref's code (``git archive``, marks inserted by exact text replacement
into the copy only; a replacement that no longer matches stops the run, naming it): each mark is
``time.monotonic_ns()`` (CLOCK_MONOTONIC, the client's and the handlers' clock), written to a file one
line per emit, joined with the client's send, the 200 and the handler's first statement
(bench/emit_bench.py's measure). Emits one at a time, ``--gap`` apart, per language.

``.venv/bin/python bench/emit_breakdown.py [--ref HEAD] [--emits 100] [--gap 0.01] [--json PATH]``

The marks themselves cost ~1 µs each (an import lookup and a dict store); the frame's mark writes one
line to a file (a syscall) after the Invoke frame is written.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from constants import LANGS, REPO
from projects import write_bench_project
from servers import extract, motia

_PROBE = """
import os, time
_FD = os.open(os.environ["EMIT_PROBE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
marks: dict[str, int] = {}
reads = [0]
def mark(name: str) -> None:
    marks[name] = time.monotonic_ns()
def flush(trace: str) -> None:
    os.write(_FD, (trace + " " + " ".join(f"{k}={v}" for k, v in marks.items()) + "\\n").encode())
    marks.clear()
"""
_S = "from supervisor import _probe; _probe.mark"
_R = "from motia_runner import _probe"

#: (file, text, text with its mark): inserted in the order of the emit's way
_MARKS: list[tuple[str, str, str]] = [
    (
        "supervisor/http/_asgi.py",
        '            if method == "POST" and self._emit is not None and path in EMIT_PATHS:\n',
        '            if method == "POST" and self._emit is not None and path in EMIT_PATHS:\n'
        f"                {_S}('asgi')\n",
    ),
    (
        "supervisor/http/_asgi.py",
        "            response = await answer_emit(emit, raw)\n",
        f"            {_S}('body')\n            response = await answer_emit(emit, raw)\n",
    ),
    (
        "supervisor/http/_emit.py",
        "        count = await emit(\n",
        f"        {_S}('parsed')\n        count = await emit(\n",
    ),
    (
        "supervisor/queue/_bus.py",
        "        reserved = len(targets) if claim else 0\n",
        f"        reserved = len(targets) if claim else 0\n        {_S}('published')\n",
    ),
    (
        "supervisor/queue/_sqlite.py",
        "            rows = []\n            for target in targets:\n",
        f"            {_S}('in_transaction')\n            rows = []\n            for target in targets:\n",
    ),
    (
        "supervisor/storage/_writer.py",
        '                value = fn(conn)\n                conn.execute("COMMIT")\n',
        f"                value = fn(conn)\n                {_S}('inserted')\n"
        f"                conn.execute(\"COMMIT\")\n                {_S}('committed')\n",
    ),
    (
        "supervisor/http/_asgi.py",
        '            response = server_failed(exc, f"POST {path}", self._invoker.expose_errors)\n'
        '        await _send(send, response, "POST", extra)\n',
        '            response = server_failed(exc, f"POST {path}", self._invoker.expose_errors)\n'
        f"        {_S}('answer_built')\n"
        '        await _send(send, response, "POST", extra)\n'
        f"        {_S}('answer_written')\n",
    ),
    (
        "supervisor/http/_asgi.py",
        '    await send({"type": "http.response.start", "status": response.status, "headers": headers})\n'
        "    # a HEAD response",
        '    await send({"type": "http.response.start", "status": response.status, "headers": headers})\n'
        f"    {_S}('head_written')\n"
        "    # a HEAD response",
    ),
    (
        "supervisor/queue/_bus.py",
        "        attempt = delivery.attempts + 1\n        policy = self._policy(delivery.subscriber)\n",
        f"        {_S}('attempt')\n"
        "        attempt = delivery.attempts + 1\n        policy = self._policy(delivery.subscriber)\n",
    ),
    (
        "supervisor/core/_runtime.py",
        "            result = await runner.invoke(\n",
        f"            {_S}('span_begun')\n            result = await runner.invoke(\n",
    ),
    (
        "supervisor/runners/_connection.py",
        "        try:\n            self._send(frame)\n"
        "            try:\n                result = await future\n",
        f"        try:\n            {_S}('frame_built')\n            self._send(frame)\n"
        "            _probe.mark('frame_written'); _probe.flush(trace_id)\n"
        "            try:\n                result = await future\n",
    ),
    # the Python runner: its read (see _RUNNER_READ), then its loop taking the Invoke
    (
        "runners/python/motia_runner/session.py",
        "        info = InvocationInfo(invoke.invocation_id, invoke.trace_id, invoke.step_name)\n",
        f"        {_R}; _probe.mark('runner_loop'); _probe.flush('R ' + invoke.trace_id)\n"
        "        info = InvocationInfo(invoke.invocation_id, invoke.trace_id, invoke.step_name)\n",
    ),
]

#: the Python runner's read, as the code has it (one of them must match): on a reader thread (before
#: 2026-11-30), or on the loop (transport.FrameReader._read)
_RUNNER_READ: list[tuple[str, str, str]] = [
    (
        "runners/python/motia_runner/transport.py",
        f"{indent}data = os.read(self._fd, 1 << 16)\n",
        f"{indent}data = os.read(self._fd, 1 << 16)\n{indent}{_R}; _probe.mark('runner_read')\n",
    )
    for indent in (" " * 16, " " * 12)
]

ORDER = [
    "client_sent",
    "asgi",
    "body",
    "parsed",
    "published",
    "in_transaction",
    "inserted",
    "committed",
    "answer_built",
    "head_written",
    "answer_written",
    "attempt",
    "span_begun",
    "frame_built",
    "frame_written",
    "runner_read",
    "runner_loop",
    "handler",
]


def instrumented_copy(ref: str, into: Path) -> Path:
    code = extract(ref, into)
    (code / "supervisor/_probe.py").write_text(_PROBE, encoding="utf-8")
    (code / "runners/python/motia_runner/_probe.py").write_text(_PROBE, encoding="utf-8")
    for alternatives in [*([mark] for mark in _MARKS), _RUNNER_READ]:
        for rel, old, new in alternatives:
            path = code / rel
            text = path.read_text(encoding="utf-8")
            if text.count(old) == 1:
                path.write_text(text.replace(old, new), encoding="utf-8")
                break
        else:
            raise SystemExit(f"{rel}: the text to mark is not there once any more: {old!r}")
    return code


def run(code: Path, samples: int, gap: float, workdir: Path) -> list[dict[str, Any]]:
    probe = workdir / "marks.log"
    project = write_bench_project(workdir / "project")
    rows: list[dict[str, Any]] = []
    env = {"EMIT_PROBE": str(probe)}
    ready = tuple(f"/{lang}/hello" for lang in LANGS)
    with motia(project, code=code, env=env, ready=ready, name="breakdown") as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        seq = 0
        for lang in LANGS:
            for index in range(10 + samples):
                seq += 1
                body = json.dumps({"topic": f"bench.{lang}", "data": {"seq": seq}}).encode()
                sent = time.monotonic_ns()
                conn.request("POST", "/__motia/emit", body, {"content-type": "application/json"})
                response = conn.getresponse()
                answer = response.read()
                answered = time.monotonic_ns()
                started = server.wait_mark(f"{lang.capitalize()}Rec", seq, timeout=10)
                if index >= 10:
                    trace = json.loads(answer)["traceId"]
                    row = {"lang": lang, "trace": trace, "client_sent": sent, "handler": started}
                    rows.append({**row, "client_answered": answered})
                time.sleep(gap)
        conn.close()
    marks: dict[str, dict[str, int]] = {}
    for line in probe.read_text(encoding="utf-8").splitlines():
        head, *fields = line.split()
        trace = fields.pop(0) if head == "R" else head
        marks.setdefault(trace, {}).update({k: int(v) for k, v in (f.split("=") for f in fields)})
    # With the answer written after the Invoke frame, an emit's answer marks are in the next emit's line,
    # before that emit's own arrival: each line's answer marks belong to it only if they follow its arrival.
    answer_marks = ("answer_built", "head_written", "answer_written")
    for row, after in zip(rows, [*rows[1:], None], strict=True):
        row.update(marks.get(row["trace"], {}))
        for key in answer_marks:
            if key in row and row[key] < row.get("asgi", 0):
                del row[key]
        later = marks.get(after["trace"], {}) if after is not None else {}
        for key in answer_marks:
            if key not in row and key in later and later[key] < later.get("asgi", 0):
                row[key] = later[key]
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per language: each mark's median µs from the client's send, and the 200's."""
    out: dict[str, dict[str, float]] = {}
    for lang in LANGS:
        mine = [r for r in rows if r["lang"] == lang]
        out[lang] = {
            key: statistics.median((r[key] - r["client_sent"]) / 1e3 for r in mine if key in r)
            for key in [*ORDER[1:], "client_answered"]
            if any(key in r for r in mine)
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD")
    parser.add_argument("--emits", type=int, default=100, help="emits per language")
    parser.add_argument("--gap", type=float, default=0.01, help="seconds between two emits")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="motia-emit-breakdown-") as tmp:
        code = instrumented_copy(args.ref, Path(tmp) / "code")
        rows = run(code, args.emits, args.gap, Path(tmp))
    load_after = os.getloadavg()
    table = summary(rows)
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}; {REPO} at {args.ref}"
    )
    print("µs from the client's send, median per mark (the 200: client_answered)")
    for lang, marks in table.items():
        print(f"{lang}: " + ", ".join(f"{key} {value:.0f}" for key, value in marks.items()))
    if args.json:
        record = {"ref": args.ref, "load_before": load_before, "load_after": load_after, "summary": table}
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
