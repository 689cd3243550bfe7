"""Summarise a ``py-spy record --format raw`` profile: where a server's CPU time goes.

Usage: python bench/profile_summary.py PROFILE.raw.txt [--top 25]

(bench/run.py --profile records one per benchmark target, with ``--full-filenames``.)

Prints, as a share of all sampled non-idle stacks (py-spy leaves out idle threads):
- self time by package of the innermost Python frame. C extensions (orjson, protobuf's upb, the
  ``_asyncio`` accelerator) have no frame of their own: their time counts for the Python frame that
  called them;
- inclusive time of the frames worth watching (our request path, quart, hypercorn, the event loop);
- the hottest innermost frames.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# (label, substring of the frame's file path); the first match wins, so specific before general.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("ours: supervisor/http", "supervisor/http/"),
    ("ours: supervisor/runners", "supervisor/runners/"),
    ("protobuf: supervisor/protocol (encode/decode)", "supervisor/protocol/"),
    ("ours: supervisor/core", "supervisor/core/"),
    ("ours: supervisor/queue", "supervisor/queue/"),
    ("ours: supervisor/storage", "supervisor/storage/"),
    ("ours: supervisor/logs", "supervisor/logs/"),
    ("ours: supervisor (other)", "supervisor/"),
    ("protobuf", "google/protobuf/"),
    ("quart", "quart/"),
    ("werkzeug", "werkzeug/"),
    ("flask (quart's base)", "flask/"),
    ("blinker (quart signals)", "blinker/"),
    ("hypercorn", "hypercorn/"),
    ("h11", "h11/"),
    ("uvicorn", "uvicorn/"),
    ("starlette", "starlette/"),
    ("fastapi", "fastapi/"),
    ("pydantic", "pydantic"),
    ("uvloop", "uvloop/"),
    ("asyncio", "asyncio/"),
    ("selectors", "selectors.py"),
    ("logging", "logging/"),
    ("uuid", "uuid.py"),
    ("wsgiref (Date header)", "wsgiref/"),
    ("sqlite3", "sqlite3/"),
    ("threading/queue", "threading.py"),
    ("typing/abc/weakref", "typing.py"),
    ("typing/abc/weakref", "abc"),
    ("typing/abc/weakref", "_weakrefset.py"),
    ("bench app", "bare.py"),
)

# Coarse groups for the one-line summary in run.py.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hypercorn+h11", ("hypercorn", "h11")),
    (
        "quart+werkzeug+flask+blinker",
        ("quart", "werkzeug", "flask (quart's base)", "blinker (quart signals)"),
    ),
    ("uvicorn+starlette+fastapi", ("uvicorn", "starlette", "fastapi", "pydantic")),
    ("asyncio loop", ("asyncio", "selectors", "uvloop")),
    ("ours", ("ours:",)),
    ("protobuf (incl. supervisor/protocol)", ("protobuf",)),
)

# (label, function-name substring, file-path substring): inclusive share of stacks holding such a frame.
WATCH: tuple[tuple[str, str, str], ...] = (
    ("supervisor api() route (ours, whole)", "api", "supervisor/http/_app.py"),
    ("  _run_api_step", "_run_api_step", "supervisor/http/_app.py"),
    ("    Runtime.invoke -> RunnerPool.invoke", "RunnerPool.invoke", "supervisor/runners/_pool.py"),
    ("    RunnerConnection.invoke", "RunnerConnection.invoke", "supervisor/runners/_connection.py"),
    ("      encode_invoke (protobuf)", "encode_invoke", "supervisor/protocol/_messages.py"),
    ("      asyncio.wait_for + shield (api timeout)", "wait_for", "asyncio/tasks.py"),
    ("      stdin pipe write", "_UnixWritePipeTransport.write", "asyncio/unix_events.py"),
    ("    Router.match", "Router.match", "supervisor/routing/_router.py"),
    ("    new_trace_id (uuid4)", "new_trace_id", "supervisor/core/_trace.py"),
    ("    handler_response / json_response", "_response", "supervisor/http/_response.py"),
    ("    collapse (headers, query)", "collapse", "supervisor/http/_request.py"),
    ("    request.get_data", "get_data", "quart/wrappers/request.py"),
    ("RunnerConnection._read_frames (runner -> us)", "RunnerConnection._read_frames", "_connection.py"),
    ("  decode_runner_message (protobuf)", "decode_runner_message", "supervisor/protocol/_messages.py"),
    ("RunnerPool._watch (heartbeat, psutil)", "RunnerPool._watch", "supervisor/runners/_pool.py"),
    ("quart Quart.handle_request", "Quart.handle_request", "quart/app.py"),
    ("quart Quart.full_dispatch_request", "Quart.full_dispatch_request", "quart/app.py"),
    ("quart request/app context push+pop", "Context.p", "quart/ctx.py"),
    ("quart ASGIHTTPConnection._create_request_from_scope", "_create_request_from_scope", "quart/asgi.py"),
    ("quart ASGIHTTPConnection._send_response", "ASGIHTTPConnection._send_response", "quart/asgi.py"),
    ("hypercorn H11Protocol.handle (request parse)", "H11Protocol.handle", "hypercorn/protocol/h11.py"),
    (
        "hypercorn H11Protocol.stream_send (response write)",
        "H11Protocol.stream_send",
        "hypercorn/protocol/h11.py",
    ),
    ("asyncio socket transport write/read", "_SelectorSocketTransport.", "asyncio/selector_events.py"),
    ("asyncio Task.__step (coroutine resumption)", "Task.__step", "asyncio/tasks.py"),
    ("logging (any)", "", "logging/__init__.py"),
    ("sqlite writer thread", "GroupCommitWriter._run", "supervisor/storage/_writer.py"),
)


def _split(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame)
    return (match.group("func"), match.group("file")) if match else (frame, "")


def collapsed_stacks(path: Path) -> Iterator[tuple[list[tuple[str, str]], int]]:
    """The stacks of a collapsed profile (py-spy's raw format: ``frame;frame;... count`` a line),
    each as its frames (function, file), outermost first, and how many samples it holds."""
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            yield [_split(frame) for frame in stack.split(";")], int(count_text)


def _category(path: str) -> str:
    for label, needle in CATEGORIES:
        if needle in path:
            return label
    return "other: " + Path(path).name if path else "other"


def _watched(func: str, path: str, label_func: str, label_path: str) -> bool:
    if label_path not in path:
        return False
    if not label_func:
        return True
    # quart/py-spy print nested functions as ".api" or "create_app.<locals>.api"
    return func == label_func or func.endswith("." + label_func) or label_func in func


def summarise_data(path: Path, top: int = 25) -> dict[str, Any]:
    self_by_category: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for parsed, count in collapsed_stacks(path):
        total += count
        func, file = parsed[-1]
        self_by_category[_category(file)] += count
        leaf[f"{func} ({Path(file).parent.name}/{Path(file).name})" if file else func] += count
        for label, label_func, label_path in WATCH:
            if any(_watched(f, p, label_func, label_path) for f, p in parsed):
                inclusive[label] += count
    share = (lambda n: 100.0 * n / total) if total else (lambda n: 0.0)
    groups = {
        name: share(sum(n for label, n in self_by_category.items() if label.startswith(prefixes)))
        for name, prefixes in GROUPS
    }
    grouped = sum(groups.values())
    groups["other (stdlib etc.)"] = 100.0 - grouped if total else 0.0
    return {
        "samples": total,
        "groups": groups,
        "self_by_category": {label: share(n) for label, n in self_by_category.most_common()},
        "inclusive": {label: share(inclusive[label]) for label, _, _ in WATCH},
        "top_frames": {frame: share(n) for frame, n in leaf.most_common(top)},
    }


def render(data: dict[str, Any]) -> str:
    out = [f"{data['samples']} samples (non-idle, all threads)", "", "self time by group:"]
    out += [f"  {value:5.1f}%  {label}" for label, value in data["groups"].items()]
    out += ["", "self time by package of innermost frame:"]
    out += [f"  {value:5.1f}%  {label}" for label, value in data["self_by_category"].items()]
    out += ["", "inclusive time of watched frames:"]
    out += [f"  {value:5.1f}%  {label}" for label, value in data["inclusive"].items()]
    out += ["", "top innermost frames:"]
    out += [f"  {value:5.1f}%  {frame}" for frame, value in data["top_frames"].items()]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(render(summarise_data(args.profile, args.top)))


if __name__ == "__main__":
    main()
