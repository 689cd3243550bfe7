"""The pet flow on warmed-up runners: each process's CPU per pet and the pet's p50, in alternating rounds.

A runner's first pets run code V8 is still compiling (it tiers a function up after enough calls): its
CPU per pet is about twice what it is after a few hundred pets. Here each round's server first runs
``--warmup`` pets of every language, then measures ``--samples`` more per language (each language measured
first in turn: the node runner's code is shared by TS and JS), so an A/B (``--baseline-ref REF``: REF's code
from ``git archive``, rounds alternating with this checkout's) compares steady states. The pet is seen
``in_quarantine`` by GETs (``pet_bench.py --watch poll``); ``pet_bench.py --warmup`` watches its stream.

Usage: ``cd bench && ../.venv/bin/python pet_steady.py --baseline-ref REF --rounds 4 --langs ts,js``
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from http_bench import cpu_seconds
from pet_bench import NO_OPENAI, _polled_pet, cpu_ms_by_role, measuring_order, write_pet_project
from servers import codes_under_test, motia


def measure(workdir: Path, code: Path | None, langs: list[str], warmup: int, samples: int) -> dict[str, Any]:
    """Per language: ``warmup`` pets, then ``samples`` pets back to back, their p50 and CPU ms per pet."""
    project = write_pet_project(Path(tempfile.mkdtemp(prefix="pet-app-", dir=workdir)))
    out: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(motia(project, code=code, env=dict(NO_OPENAI), name="pets"))
        post = stack.enter_context(
            contextlib.closing(http.client.HTTPConnection("127.0.0.1", server.port, 10))
        )
        poll = stack.enter_context(
            contextlib.closing(http.client.HTTPConnection("127.0.0.1", server.port, 10))
        )
        # every language warmed before any is measured: the node runner's code is shared by TS and JS
        for lang in langs:
            for n in range(warmup):
                _polled_pet(post, poll, lang, n)
        for lang in langs:
            procs = server.tree()
            before = cpu_seconds(procs)
            visible = [_polled_pet(post, poll, lang, warmup + n)["visible_ms"] for n in range(samples)]
            cpu = cpu_ms_by_role(procs, server.proc.pid, before)
            out[lang] = {
                "p50_ms": statistics.median(visible),
                "cpu_ms_per_pet": {role: ms / samples for role, ms in sorted(cpu.items())},
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--baseline-ref", help="a git ref measured against this checkout, rounds alternating")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=300, help="pets per language before measuring")
    parser.add_argument("--samples", type=int, default=200, help="pets per language measured")
    parser.add_argument("--langs", default="ts,js,py")
    args = parser.parse_args()
    langs = args.langs.split(",")
    load_before = os.getloadavg()[0]
    rows: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-pets-") as tmp:
        codes = codes_under_test(args.baseline_ref, Path(tmp))
        names = list(codes)
        for round_index in range(args.rounds):
            for name in names if round_index % 2 == 0 else names[::-1]:
                order = measuring_order(round_index, langs)
                result = measure(Path(tmp), codes[name], order, args.warmup, args.samples)
                rows.setdefault(name, []).append(result)
                for lang, row in result.items():
                    cpu = ", ".join(f"{role} {ms:.2f}" for role, ms in row["cpu_ms_per_pet"].items())
                    print(
                        f"round {round_index + 1} {name} {lang}: p50 {row['p50_ms']:6.2f} ms;"
                        f" CPU ms per pet: {cpu} (load {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
    print(f"\nload average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    for name, results in rows.items():
        for lang in langs:
            per_round = [r[lang] for r in results]
            roles = sorted({role for r in per_round for role in r["cpu_ms_per_pet"]})
            cpu = ", ".join(
                f"{role} {statistics.median(r['cpu_ms_per_pet'].get(role, 0.0) for r in per_round):.2f}"
                for role in roles
            )
            p50 = statistics.median(r["p50_ms"] for r in per_round)
            print(
                f"{name:4s} {lang}: pet p50 {p50:6.2f} ms (median of {len(per_round)} rounds);"
                f" CPU ms per pet: {cpu}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
