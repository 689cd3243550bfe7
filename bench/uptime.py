"""Goal 4 of issue 14, flat with uptime: does a server that has answered 1,000,000 requests answer as
fast as a fresh one, and does its memory stay flat?

Usage: .venv/bin/python bench/uptime.py [--requests 1000000] [--minutes 10] [--json PATH]

One ``motia start`` (the *aged* server: the trivial api step in each language, bench/projects.py) is
loaded with wrk at 32 connections in 5 s segments, the languages in turn, until it has answered
``--requests`` requests and run ``--minutes`` minutes, whichever comes last. Its RSS (supervisor and
each runner) is sampled every 5 s. At the end a *fresh* server of the same project starts, and both
are probed one request at a time, alternating aged / fresh in rounds of 500 requests per language:
the aged p50 against the fresh p50 measured at the same moment, so the machine's load cancels out
(the p50 after 1,000 requests, taken at the start of the run, is shown too, but it is measured at
another moment). Targets: aged p50 within 10 % of fresh; RSS at the end within 10 % of RSS after the
first minute.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from constants import CONNECTIONS, LANGS
from load import percentile, run_wrk
from projects import write_bench_project
from servers import Server, free_port, motia_argv, running

SAMPLE_EVERY_S = 5.0
PROBE_ROUNDS = 8
PROBE_REQUESTS = 500
TARGET = 0.10


def probe(port: int, path: str, requests: int) -> float:
    """p50 in ms of ``requests`` sequential GETs on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies: list[float] = []
    try:
        for _ in range(requests):
            start = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise RuntimeError(f"GET {path} answered {response.status}")
    finally:
        conn.close()
    return percentile(latencies, 0.5)


def rss_mb(server: Server) -> dict[str, float]:
    """RSS per process of the server's tree: the supervisor, then its runners (node-0, python-0, ...)."""
    out: dict[str, float] = {}
    for index, proc in enumerate(server.tree()):
        try:
            if index == 0:
                name = "supervisor"
            else:
                command = proc.name()
                kind = "node" if "node" in command else "python" if "python" in command else command
                name = f"{kind}-{sum(key.startswith(kind) for key in out)}"
            out[name] = proc.memory_info().rss / 2**20
        except psutil.Error:
            continue
    return out


def paired_probe(aged: Server, fresh: Server) -> dict[str, Any]:
    """Aged against fresh, alternating, per language: the median of the per-round p50 ratios."""
    out: dict[str, Any] = {}
    for lang in LANGS:
        path = f"/{lang}/hello"
        ratios, aged_p50s, fresh_p50s = [], [], []
        for round_index in range(PROBE_ROUNDS):
            order = (aged, fresh) if round_index % 2 == 0 else (fresh, aged)
            p50 = {server.name: probe(server.port, path, PROBE_REQUESTS) for server in order}
            aged_p50s.append(p50[aged.name])
            fresh_p50s.append(p50[fresh.name])
            ratios.append(p50[aged.name] / p50[fresh.name])
        out[lang] = {
            "aged_p50_ms": statistics.median(aged_p50s),
            "fresh_p50_ms": statistics.median(fresh_p50s),
            "aged_over_fresh": statistics.median(ratios),
            "ratios": ratios,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1_000_000, help="requests the aged server answers")
    parser.add_argument("--minutes", type=float, default=10.0, help="and at least this long")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="motia-uptime-") as tmp:
        project = write_bench_project(Path(tmp) / "project")
        port = free_port()
        aged = Server.spawn("aged", motia_argv(project, port), port)
        with running([aged]):
            aged.wait_ready("/__motia/health")
            for lang in LANGS:  # the first 1,000 requests, then the p50 after them
                probe(port, f"/{lang}/hello", 1000 // len(LANGS) + 1)
            early = {lang: probe(port, f"/{lang}/hello", PROBE_REQUESTS) for lang in LANGS}
            print("p50 after 1,000 requests (ms):", {k: round(v, 3) for k, v in early.items()}, flush=True)

            started = time.monotonic()
            answered, errors, segments, samples = 0, 0, [], []
            next_sample, lang_index = started, 0
            while answered < args.requests or time.monotonic() - started < args.minutes * 60:
                if time.monotonic() >= next_sample:
                    samples.append({"t_s": time.monotonic() - started, "requests": answered, **rss_mb(aged)})
                    next_sample += SAMPLE_EVERY_S
                lang = LANGS[lang_index % len(LANGS)]
                lang_index += 1
                result = run_wrk(f"http://127.0.0.1:{port}/{lang}/hello", CONNECTIONS, SAMPLE_EVERY_S)
                answered += result["requests"]
                errors += result["errors"]
                segments.append({"lang": lang, "t_s": time.monotonic() - started, **result})
                if len(segments) % 12 == 0:
                    print(
                        f"{time.monotonic() - started:6.0f} s  {answered:>9,} requests  "
                        f"rss {', '.join(f'{k} {v:.0f}' for k, v in rss_mb(aged).items())} MB",
                        flush=True,
                    )
            samples.append({"t_s": time.monotonic() - started, "requests": answered, **rss_mb(aged)})

            fresh_port = free_port()  # the same steps, its own embedded store
            fresh_project = write_bench_project(Path(tmp) / "fresh")
            fresh = Server.spawn("fresh", motia_argv(fresh_project, fresh_port), fresh_port)
            with running([fresh]):
                fresh.wait_ready("/__motia/health")
                for lang in LANGS:  # the fresh server gets its own first 1,000 requests
                    probe(fresh_port, f"/{lang}/hello", 1000 // len(LANGS) + 1)
                paired = paired_probe(aged, fresh)

    after_first_minute = next((s for s in samples if s["t_s"] >= 60), samples[0])
    last = samples[-1]
    rss = {
        name: {
            "after_1_min_mb": after_first_minute[name],
            "end_mb": last[name],
            "min_mb": min(s[name] for s in samples if name in s),
            "max_mb": max(s[name] for s in samples if name in s),
            "end_over_1_min": last[name] / after_first_minute[name],
        }
        for name in last
        if name not in ("t_s", "requests") and name in after_first_minute
    }
    report = {
        "requests": answered,
        "errors": errors,
        "minutes": (time.monotonic() - started) / 60,
        "early_p50_ms": early,
        "paired_probe": paired,
        "rss": rss,
        "samples": samples,
        "segments": segments,
        "machine_load": psutil.getloadavg(),
    }
    print(f"\n{answered:,} requests ({errors} errors) in {report['minutes']:.1f} min")
    print("| language | p50 after 1,000 (start) | aged p50 | fresh p50 (same moment) | aged / fresh | |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    flat = True
    for lang, row in paired.items():
        ok = row["aged_over_fresh"] <= 1 + TARGET  # faster than fresh is flat enough
        flat &= ok
        print(
            f"| {lang} | {early[lang]:.3f} ms | {row['aged_p50_ms']:.3f} ms | {row['fresh_p50_ms']:.3f} ms "
            f"| {row['aged_over_fresh']:.1%} | {'flat' if ok else 'NOT flat'} |"
        )
    print("\n| process | RSS after 1 min | end | min | max | end / 1 min | verdict |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, row in rss.items():
        ok = abs(row["end_over_1_min"] - 1) <= TARGET
        flat &= ok
        print(
            f"| {name} | {row['after_1_min_mb']:.1f} MB | {row['end_mb']:.1f} MB | {row['min_mb']:.1f} | "
            f"{row['max_mb']:.1f} | {row['end_over_1_min']:.1%} | {'flat' if ok else 'NOT flat'} |"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
