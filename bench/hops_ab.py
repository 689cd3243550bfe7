"""Issue 14, goals 2 and 3, this checkout against a git ref in the same run: the pet app's
``POST /<lang>/pets`` -> pet visible ``in_quarantine`` (bench/pet_bench.py's measure) and emit -> handler
start (bench/emit_bench.py's, on the SQLite queue), rounds alternating the two codes.

``.venv/bin/python bench/hops_ab.py --baseline-ref main [--rounds 3] [--pets 20] [--emits 100]
[--json PATH]``; without ``--baseline-ref`` only this checkout is measured.
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

from constants import LANGS
from emit_bench import bench_emit
from load import percentile
from pet_bench import NO_OPENAI, _one_pet, write_pet_project
from projects import write_bench_project
from queue_backlog import extract
from servers import Server, free_port, motia_argv, running


def spawn(code: Path | None, project: Path, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    if code is None:
        return Server.spawn("hops", motia_argv(project, port), port, env=env)
    argv = [sys.executable, "-m", "supervisor", "start", "--project", str(project), "-p", str(port)]
    return Server.spawn("hops-baseline", argv, port, env=env, cwd=code)


def pets(code: Path | None, workdir: Path, samples: int) -> dict[str, dict[str, float]]:
    project = write_pet_project(Path(tempfile.mkdtemp(prefix="pets-", dir=workdir)))
    server = spawn(code, project, NO_OPENAI)
    out: dict[str, dict[str, float]] = {}
    with running([server]):
        server.wait_ready("/__motia/health")
        post = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        poll = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            for lang in LANGS:
                runs = []
                for n in range(3 + samples):
                    result = _one_pet(post, poll, lang, n)
                    if n >= 3:
                        runs.append(result)
                    time.sleep(0.05)  # the enrichment agent and the stream writes finish
                out[lang] = {
                    "visible_p50_ms": percentile([r["visible_ms"] for r in runs], 0.5),
                    "post_p50_ms": percentile([r["post_ms"] for r in runs], 0.5),
                }
        finally:
            post.close()
            poll.close()
    return out


def emits(code: Path | None, workdir: Path, samples: int) -> dict[str, dict[str, float]]:
    project = write_bench_project(Path(tempfile.mkdtemp(prefix="emit-", dir=workdir)) / "project")
    server = spawn(code, project)
    with running([server]):
        for lang in LANGS:
            server.wait_ready(f"/{lang}/hello")
        result = bench_emit(server, samples, warmup=10, gap=0.01)
    return {lang: {"handler_p50_ms": row["p50_ms"], "response_p50_ms": row["emit_response_p50_ms"]}
            for lang, row in result.items()}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--baseline-ref")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pets", type=int, default=20, help="pets per language and round")
    parser.add_argument("--emits", type=int, default=100, help="emits per language and round")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-hops-") as tmp:
        codes: dict[str, Path | None] = {"new": None}
        if args.baseline_ref:
            codes = {"old": extract(args.baseline_ref, Path(tmp) / "baseline"), **codes}
        names = list(codes)
        for index in range(args.rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                row = {
                    "pets": pets(codes[name], Path(tmp), args.pets),
                    "emit": emits(codes[name], Path(tmp), args.emits),
                }
                results.setdefault(name, []).append(row)
                print(f"round {index + 1} {name}: {json.dumps(row)}", flush=True)
    load_after = os.getloadavg()
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print("medians over rounds (ms)")
    head = f"{'code':5} {'lang':4} {'pet visible p50':>16} {'POST p50':>9}"
    print(f"{head} {'emit->handler p50':>18} {'emit answer p50':>16}")
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for name, rounds in results.items():
        for lang in LANGS:
            row = {
                field: statistics.median(r[part][lang][field] for r in rounds)
                for part, field in (
                    ("pets", "visible_p50_ms"),
                    ("pets", "post_p50_ms"),
                    ("emit", "handler_p50_ms"),
                    ("emit", "response_p50_ms"),
                )
            }
            summary.setdefault(name, {})[lang] = row
            print(
                f"{name:5} {lang:4} {row['visible_p50_ms']:>16.2f} {row['post_p50_ms']:>9.2f}"
                f" {row['handler_p50_ms']:>18.2f} {row['response_p50_ms']:>16.2f}"
            )
    if args.json:
        record = {"baseline_ref": args.baseline_ref, "rounds": args.rounds, "load_before": load_before,
                  "load_after": load_after, "summary": summary, "raw": results}  # fmt: skip
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
