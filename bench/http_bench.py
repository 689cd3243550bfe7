"""a+b. HTTP throughput and latency, interleaved with the baseline round by round, with CPU per request."""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import psutil
from servers import Server

if TYPE_CHECKING:  # psutil.cpu_times()'s type: not exported, so named from a private module, for mypy only
    from psutil._ntuples import scputimes


def cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    seconds: dict[int, float] = {}
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            seconds[proc.pid] = times.user + times.system
    return seconds


def _busy(times: scputimes) -> float:
    idle = times.idle + getattr(times, "iowait", 0.0)
    guest = getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)  # already in user/nice
    return float(sum(times)) - idle - guest


def measure_http(
    server: Server, path: str, connections: int, duration: float, load: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """One load run, plus the CPU the server (and, for motia, its runners) spent per request."""
    procs = server.tree()
    me = psutil.Process()
    before = cpu_seconds(procs)
    machine_before, me_before, wall_before = psutil.cpu_times(), me.cpu_times(), time.monotonic()
    result = load(f"http://127.0.0.1:{server.port}{path}", connections, duration)
    machine_after, me_after, wall = psutil.cpu_times(), me.cpu_times(), time.monotonic() - wall_before
    after = cpu_seconds(procs)
    # Noise indicators. steal: CPU the hypervisor gave to another guest. foreign: CPU used on this machine
    # by anything but the server tree, this script and the load generator (our waited-for child).
    spent = sum(machine_after) - sum(machine_before)
    stolen = getattr(machine_after, "steal", 0.0) - getattr(machine_before, "steal", 0.0)
    result["steal_pct"] = 100 * stolen / spent if spent > 0 else 0.0
    ours = sum(after.values()) - sum(before.get(pid, 0.0) for pid in after)
    ours += sum(me_after) - sum(me_before)  # user, system, children_user, children_system (wrk)
    foreign = _busy(machine_after) - _busy(machine_before) - ours
    result["foreign_cpu_pct"] = max(0.0, 100 * foreign / (wall * (os.cpu_count() or 1)))
    requests = max(1, result["requests"])
    root = server.proc.pid
    server_cpu = after.get(root, 0.0) - before.get(root, 0.0)
    children = sum(after[pid] - before.get(pid, 0.0) for pid in after if pid != root)
    result["server_cpu_us_per_req"] = server_cpu / requests * 1e6
    result["runner_cpu_us_per_req"] = children / requests * 1e6
    return result


def bench_http(
    servers: dict[str, tuple[Server, str]],
    rounds: int,
    duration: float,
    connections: int,
    load: Callable[..., dict[str, Any]],
    log: Callable[[str], None],
    references: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Interleave the targets round by round (order rotated), so drift on a noisy machine hits all alike.

    Ratios and deltas are taken against the first target (the baseline) and, under ``vs``, against each
    of ``references`` too."""
    names = list(servers)
    for name in names:  # warm-up: JIT, caches, connection setup
        server, path = servers[name]
        measure_http(server, path, connections, min(2.0, duration), load)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_index in range(rounds):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        for name in order:
            server, path = servers[name]
            result = measure_http(server, path, connections, duration, load)
            runs[name].append(result)
            log(
                f"    round {round_index + 1}/{rounds} {name:<14} c={connections:<3} "
                f"{result['rps']:8.0f} req/s  "
                f"p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
                f"server cpu {result['server_cpu_us_per_req']:5.0f} us/req  "
                f"foreign load {result['foreign_cpu_pct']:4.1f}%"
            )
    baseline = names[0]
    summary: dict[str, Any] = {}
    for name in names:
        results = runs[name]
        entry: dict[str, Any] = {
            "rps": statistics.median(r["rps"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "server_cpu_us_per_req": statistics.median(r["server_cpu_us_per_req"] for r in results),
            "runner_cpu_us_per_req": statistics.median(r["runner_cpu_us_per_req"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "steal_pct": statistics.median(r["steal_pct"] for r in results),
            "foreign_cpu_pct": statistics.median(r["foreign_cpu_pct"] for r in results),
            "runs": results,
        }
        if name != baseline:
            entry.update(_against(results, runs[baseline]))
        entry["vs"] = {ref: _against(results, runs[ref]) for ref in references if ref != name}
        summary[name] = entry
    return summary


def _against(results: list[dict[str, Any]], reference: list[dict[str, Any]]) -> dict[str, Any]:
    """Per round (against the reference's run next to it), then the median."""
    pairs = list(zip(results, reference, strict=True))
    ratios = [r["rps"] / b["rps"] for r, b in pairs]
    return {
        "rps_ratio_rounds": ratios,
        "rps_ratio": statistics.median(ratios),
        "added_p50_ms": statistics.median(r["p50_ms"] - b["p50_ms"] for r, b in pairs),
        "added_p99_ms": statistics.median(r["p99_ms"] - b["p99_ms"] for r, b in pairs),
        "added_server_cpu_us_per_req": statistics.median(
            r["server_cpu_us_per_req"] - b["server_cpu_us_per_req"] for r, b in pairs
        ),
    }
