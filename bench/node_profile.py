"""Summarise ``node --cpu-prof`` profiles of the node runner: where its busy time goes.

Usage: python bench/node_profile.py PROFILE.cpuprofile [...] [--window START_US END_US] [--top 20]

Self time by where the code is (the runner's own modules one by one, protobuf-es, node's internals by
area, the user's steps, GC), as a share of the busy samples (idle left out). A frame without a script
(a V8 builtin or C++ binding: TextEncoder, JSON.stringify, a write) is charged to its caller's place and
counted apart under "builtins called from ...". ``--window``: only samples taken between two
CLOCK_MONOTONIC times in microseconds (the profile's clock; Python's ``time.monotonic_ns() // 1000``), to
leave out start-up and loading. bench/pet_bench.py --node-profile records such profiles and windows.

The samples are taken on a wall clock, not on CPU time: while the runner is preempted inside a system call
(a ``write`` whose wake-up of the supervisor takes its core) the samples still land there, which is why
"node: net / pipes" (``writeBuffer``) reads 20-25 % under load while ``perf record`` on the same flow puts
the whole write path at ~8 % of the runner's CPU (bench/RESULTS.md, branch noderun). For CPU, use ``perf``
with node's ``--perf-basic-prof-only-functions``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

IDLE = {"(idle)"}
#: (label, substring of a script URL); the first match wins
PLACES: tuple[tuple[str, str], ...] = (
    ("protobuf-es", "@bufbuild/protobuf/"),
    ("zod", "/zod/"),
    ("tsx", "/tsx/"),
    ("other node_modules", "node_modules/"),
    ("node: async_hooks / AsyncLocalStorage", "node:internal/async_hooks"),
    ("node: async_hooks / AsyncLocalStorage", "node:internal/async_local_storage"),
    ("node: async_hooks / AsyncLocalStorage", "node:async_hooks"),
    ("node: promise hooks / microtasks", "node:internal/process/task_queues"),
    ("node: promise hooks / microtasks", "node:internal/process/promises"),
    ("node: streams", "node:internal/streams/"),
    ("node: streams", "node:stream"),
    ("node: net / pipes", "node:net"),
    ("node: net / pipes", "node:internal/stream_base_commons"),
    ("node: timers / immediates", "node:internal/timers"),
    ("node: timers / immediates", "node:timers"),
    ("node: buffer / encoding", "node:buffer"),
    ("node: buffer / encoding", "node:internal/buffer"),
    ("node: buffer / encoding", "node:internal/encoding"),
    ("node: events", "node:events"),
    ("node: other", "node:"),
    ("user steps", "/steps/"),
)


def place(url: str) -> str:
    if "/runners/node/src/" in url:
        return "runner: " + url.rsplit("/runners/node/src/", 1)[1].split("?")[0]
    for label, needle in PLACES:
        if needle in url:
            return label
    return "other script" if url else ""


def charges(profile: dict[str, Any]) -> dict[int, tuple[str, bool]]:
    """Per node of a profile: the place its self time goes to, and whether it is a builtin charged to
    its caller (nodes come parents first)."""
    parent: dict[int, int] = {}
    for node in profile["nodes"]:
        for child in node.get("children", ()):
            parent[child] = node["id"]
    out: dict[int, tuple[str, bool]] = {}
    for node in profile["nodes"]:
        frame = node["callFrame"]
        name: str = frame["functionName"]
        where = place(frame["url"])
        if where:
            out[node["id"]] = (where, False)
        elif name.startswith("(") or node["id"] not in parent or parent[node["id"]] not in out:
            out[node["id"]] = (name or "(root)", False)
        else:
            out[node["id"]] = (out[parent[node["id"]]][0], True)
    return out


def summarise(profiles: list[dict[str, Any]], window: tuple[int, int] | None = None) -> dict[str, Any]:
    self_time: Counter[str] = Counter()
    builtins: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    busy = 0
    for profile in profiles:
        nodes = {node["id"]: node for node in profile["nodes"]}
        charged = charges(profile)
        time = profile["startTime"]
        samples, deltas = profile["samples"], profile["timeDeltas"]
        for index, node_id in enumerate(samples):
            time += deltas[index]
            # a sample's weight is the time until the next one
            weight = deltas[index + 1] if index + 1 < len(deltas) else 0
            if window and not window[0] <= time <= window[1]:
                continue
            frame = nodes[node_id]["callFrame"]
            if frame["functionName"] in IDLE:
                continue
            busy += weight
            where, builtin = charged[node_id]
            self_time[where] += weight
            if builtin:
                builtins[where] += weight
            url = frame["url"].rsplit("/", 1)[-1]
            frames[f"{frame['functionName'] or '(anonymous)'} {url}:{frame['lineNumber'] + 1}"] += weight
    return {"busy_us": busy, "self": self_time, "builtins": builtins, "frames": frames}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--window", nargs=2, type=int, metavar=("START_US", "END_US"))
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    loaded = [json.loads(path.read_text()) for path in args.profiles]
    result = summarise(loaded, tuple(args.window) if args.window else None)
    busy = result["busy_us"] or 1
    print(f"busy {result['busy_us'] / 1000:.0f} ms in {len(loaded)} profile(s)")
    for where, us in result["self"].most_common():
        extra = f" (builtins called from it {100 * result['builtins'][where] / busy:.1f} %)"
        print(f"  {100 * us / busy:5.1f} %  {where}{extra if result['builtins'][where] else ''}")
    print("hottest frames (self):")
    for frame, us in result["frames"].most_common(args.top):
        print(f"  {100 * us / busy:5.1f} %  {frame}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
