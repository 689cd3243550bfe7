"""Issue 14, goals 2 and 3, this checkout against a git ref in the same run: the pet app's
``POST /<lang>/pets`` -> pet visible ``in_quarantine`` (bench/pet_bench.py's measure) and emit -> handler
start (bench/emit_bench.py's, on the SQLite queue), rounds alternating the two codes.

Each next to the machine's own cost of the same request pattern, measured in the same rounds
(bench/machine_hops.py: the bare ASGI echo on uvicorn, a chain of as many process wake-ups).

``.venv/bin/python bench/hops_ab.py --baseline-ref main [--rounds 3] [--pets 20] [--emits 100] [--gap 0.05]
[--only pets|emit] [--watch stream|poll] [--json PATH]``; without ``--baseline-ref`` only this checkout is
measured; ``--gap 0``: pets back to back (no idle time before each POST). Pets are seen through their stream
item (pet_bench's ``--watch stream``), which needs ``traceparent`` support: against a baseline older than
that, the run says so and measures both codes by polling GETs (``--watch poll``) instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from constants import LANGS
from emit_bench import bench_emit
from machine_hops import echo_server
from pet_bench import TraceparentIgnored, bench_pets
from projects import write_bench_project
from servers import codes_under_test, motia


def pets(
    code: Path | None, workdir: Path, samples: int, gap: float, watch: str
) -> dict[str, dict[str, float]]:
    result = bench_pets(workdir, samples, warmup=3, gap=gap, code=code, watch=watch)
    return {
        lang: {
            "visible_p50_ms": row["p50_ms"],
            "post_p50_ms": row["post_p50_ms"],
            "echo_p50_ms": row["echo"]["p50_ms"],
            "chain_p50_ms": row["chain"]["p50_ms"],
            "chain_work_p50_ms": row["chain_work"]["p50_ms"],
            "wakeups": row["critical_path"]["wakeups"],
        }
        for lang, row in result.items()
    }


def emits(code: Path | None, workdir: Path, samples: int, echo_port: int) -> dict[str, dict[str, float]]:
    project = write_bench_project(Path(tempfile.mkdtemp(prefix="emit-", dir=workdir)) / "project")
    with motia(project, code=code, ready=tuple(f"/{lang}/hello" for lang in LANGS), name="hops") as server:
        result = bench_emit(server, samples, warmup=10, gap=0.01, echo_port=echo_port)
    return {
        lang: {
            "handler_p50_ms": row["p50_ms"],
            "response_p50_ms": row["emit_response_p50_ms"],
            # the median emit's way: committed (queued) and its subscriber's span begun, ms from the send
            "queued_ms": row["path"].get("queued_ms", float("nan")),
            "span_ms": row["path"].get("span_ms", float("nan")),
            "echo_p50_ms": row["echo"]["p50_ms"],
            "chain_p50_ms": row["chain"]["p50_ms"],
        }
        for lang, row in result.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--baseline-ref")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pets", type=int, default=20, help="pets per language and round")
    parser.add_argument("--emits", type=int, default=100, help="emits per language and round")
    parser.add_argument(
        "--gap", type=float, default=0.05, help="seconds of sleep after each pet (0: back to back)"
    )
    parser.add_argument("--only", choices=("pets", "emit"), help="measure one of the two goals")
    parser.add_argument(
        "--watch", choices=("stream", "poll"), default="stream", help="how a pet is seen (pet_bench.py)"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    results: dict[str, list[dict[str, Any]]] = {}
    watch = args.watch
    with tempfile.TemporaryDirectory(prefix="motia-hops-") as tmp, echo_server(Path(tmp)) as echo:
        codes = codes_under_test(args.baseline_ref, Path(tmp))
        names = list(codes)
        index = 0
        while index < args.rounds:
            for name in names if index % 2 == 0 else names[::-1]:
                row: dict[str, Any] = {}
                if args.only != "emit":
                    try:
                        row["pets"] = pets(codes[name], Path(tmp), args.pets, args.gap, watch)
                    except TraceparentIgnored as exc:  # only the stream watch raises it
                        code = args.baseline_ref if name == "old" else "this checkout"
                        print(f"{name} ({code}): {exc}", flush=True)
                        print(
                            "measuring both codes' pets by polling GETs (--watch poll) from round 1",
                            flush=True,
                        )
                        watch, index, results = "poll", -1, {}
                        break
                if args.only != "pets":
                    row["emit"] = emits(codes[name], Path(tmp), args.emits, echo.port)
                results.setdefault(name, []).append(row)
                print(f"round {index + 1} {name}: {json.dumps(row)}", flush=True)
            index += 1
    load_after = os.getloadavg()
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(
        "medians over rounds (ms); echo, chain: the machine's own cost of the same pattern (machine_hops.py)"
    )
    parts = [part for part in ("pets", "emit") if args.only in (None, part)]
    fields = {
        "pets": ("visible_p50_ms", "post_p50_ms", "echo_p50_ms", "chain_p50_ms"),
        "emit": ("handler_p50_ms", "response_p50_ms", "queued_ms", "span_ms", "echo_p50_ms", "chain_p50_ms"),
    }
    titles = {
        "pets": (f"pet visible p50 ({watch})", "POST p50", "echo", "chain"),
        "emit": ("emit->handler p50", "emit answer p50", "queued", "span begun", "echo", "chain"),
    }
    print(f"{'code':5} {'lang':4} " + " ".join(f"{t:>18}" for part in parts for t in titles[part]))
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for name, rounds in results.items():
        for lang in LANGS:
            medians = {
                f"{part}_{field}": statistics.median(r[part][lang][field] for r in rounds)
                for part in parts
                for field in fields[part]
            }
            summary.setdefault(name, {})[lang] = medians
            print(f"{name:5} {lang:4} " + " ".join(f"{value:>18.2f}" for value in medians.values()))
    if args.json:
        record = {
            "baseline_ref": args.baseline_ref,
            "rounds": args.rounds,
            "gap_s": args.gap,
            "watch": watch,
            "load_before": load_before,
            "load_after": load_after,
            "summary": summary,
            "raw": results,
        }
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
