"""The machine a run was on, the verdict per target, and the printed report."""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

from constants import CONNECTIONS, LANGS, TARGETS


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break

    def version(argv: list[str]) -> str:
        try:
            return (
                subprocess.run(argv, capture_output=True, text=True, timeout=10)
                .stdout.strip()
                .splitlines()[0]
            )
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    return {
        "date": subprocess.run(["date"], capture_output=True, text=True).stdout.strip(),
        "utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "load_avg_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "node": version(["node", "--version"]),
        "wrk": version(["wrk", "--version"]) if shutil.which("wrk") else None,
    }


def _verdict(value: float, target: str, met: bool) -> dict[str, Any]:
    return {"value": value, "target": target, "met": met}


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    api = results["api"]["c32"]
    api1 = results["api"].get("c1", {})
    emit = results["emit"]["sqlite"]
    boot = results["boot"]
    pets = results.get("pets", {})
    ratio_min, added_max = TARGETS["api_rps_ratio_fastapi_min"], TARGETS["api_added_p50_ms_max"]
    quart_ratio_min, pet_max = TARGETS["api_rps_ratio_min"], TARGETS["pet_quarantine_p50_ms_max"]
    emit_max, boot_max, rss_max = (
        TARGETS["emit_p50_ms_max"],
        TARGETS["boot_s_max"],
        TARGETS["idle_rss_mb_max"],
    )
    out: dict[str, Any] = {}
    for lang in LANGS:
        ratio = api[lang]["rps_ratio"]
        out[f"api_{lang}_rps_ratio_fastapi"] = _verdict(ratio, f">= {ratio_min:.2f}", ratio >= ratio_min)
        quart_ratio = api[lang]["vs"]["bare"]["rps_ratio"]
        out[f"api_{lang}_rps_ratio_quart"] = _verdict(
            quart_ratio, f">= {quart_ratio_min:.2f}", quart_ratio >= quart_ratio_min
        )
        added = api[lang]["added_p50_ms"]
        out[f"api_{lang}_added_p50_ms_c32"] = _verdict(added, f"<= {added_max}", added <= added_max)
        if lang in api1:
            added1 = api1[lang]["added_p50_ms"]
            out[f"api_{lang}_added_p50_ms_c1"] = _verdict(added1, f"<= {added_max}", added1 <= added_max)
        p50 = emit[lang]["p50_ms"]
        out[f"emit_{lang}_p50_ms"] = _verdict(p50, f"<= {emit_max}", p50 <= emit_max)
        if lang in pets:
            visible = pets[lang]["p50_ms"]
            out[f"pet_{lang}_quarantine_p50_ms"] = _verdict(visible, f"<= {pet_max}", visible <= pet_max)
    worst = boot["worst_s"]
    out["boot_45_steps_s"] = _verdict(worst, f"<= {boot_max} (worst boot)", worst <= boot_max)
    rss = boot["memory"]["rss_mb"]
    out["idle_rss_mb"] = _verdict(rss, f"< {rss_max:g}", rss < rss_max)
    uptime = results.get("uptime", {}).get("summary")
    if uptime:
        ratio = uptime["p50_ratio"]
        out["uptime_p50_ratio"] = _verdict(ratio, "<= 1.10", ratio <= 1.10)
        for role, change in uptime["rss_change"].items():
            out[f"uptime_rss_{role}"] = _verdict(change, "within ±10 %", abs(change) <= 0.10)
    return out


def print_report(results: dict[str, Any]) -> None:
    m = results["machine"]
    print(
        f"\n=== motia-supervisor bench  ({m['date']}; {m['nproc']} x {m['cpu_model']}; "
        f"load average at start {', '.join(f'{x:.1f}' for x in m['load_avg_at_start'])}; "
        f"load via {results['load_generator']})"
    )
    if m.get("competitors"):
        print("  baselines: " + ", ".join(f"{k} {v}" for k, v in m["competitors"].items()))
    for proc in results.get("native_modules", []):
        upb, uvloop = ("yes" if proc[key] else "no" for key in ("protobuf_upb", "uvloop"))
        print(f"  motia process {proc['cmd'][:60]:<60} protobuf upb: {upb}, uvloop: {uvloop}")
    for key, title in (("c32", f"{CONNECTIONS} keep-alive connections"), ("c1", "1 connection (unloaded)")):
        table = results["api"].get(key)
        if not table:
            continue
        rounds = results["config"]["rounds_c1" if key == "c1" else "rounds"]
        print(f"\nHTTP GET, {title}; medians of {rounds} interleaved rounds")
        print(
            "  (ratio, +p50, +p99, range: against FastAPI/uvicorn; vs express, vs quart, vs uvicorn: req/s"
            " ratios, the last against the bare ASGI callable on uvicorn)"
        )
        print(
            f"  {'target':<22}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'+p50':>8}{'p99 ms':>9}{'+p99':>8}"
            f"{'srv us/req':>12}{'runner us/req':>15}{'ratio range':>15}{'vs express':>12}{'vs quart':>10}"
            f"{'vs uvicorn':>12}{'foreign':>9}"
        )
        for name, row in table.items():
            label = {
                "fastapi": "FastAPI/uvicorn",
                "express": "Express/Node",
                "bare": "bare quart",
            }.get(name, f"bare ASGI {name[5:]} *" if name.startswith("asgi-") else f"api step {name}")
            ratio = f"{row['rps_ratio'] * 100:6.1f}%" if "rps_ratio" in row else "      -"
            dp50 = f"{row['added_p50_ms']:+8.2f}" if "added_p50_ms" in row else "       -"
            dp99 = f"{row['added_p99_ms']:+8.2f}" if "added_p99_ms" in row else "       -"
            spread = row.get("rps_ratio_rounds")
            span = f"{min(spread) * 100:5.1f}-{max(spread) * 100:5.1f}%" if spread else "-"
            vs = row.get("vs", {})
            express = f"{vs['express']['rps_ratio'] * 100:6.1f}%" if "express" in vs else "-"
            quart = f"{vs['bare']['rps_ratio'] * 100:6.1f}%" if "bare" in vs else "-"
            uvicorn = f"{vs['asgi-uvicorn']['rps_ratio'] * 100:6.1f}%" if "asgi-uvicorn" in vs else "-"
            print(
                f"  {label:<22}{row['rps']:9.0f}{ratio:>8}{row['p50_ms']:9.2f}{dp50}"
                f"{row['p99_ms']:9.2f}{dp99}"
                f"{row['server_cpu_us_per_req']:12.0f}{row['runner_cpu_us_per_req']:15.0f}"
                f"{span:>15}{express:>12}{quart:>10}{uvicorn:>12}{row['foreign_cpu_pct']:8.1f}%"
            )
    for adapter, table in results["emit"].items():
        print(f"\nemit -> handler start ({adapter} event queue), one at a time")
        print(
            f"  {'lang':<6}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'min ms':>9}{'emit 200 p50':>14}"
            f"{'echo p50':>10}{'x echo':>8}{'chain p50':>11}{'x chain':>9}"
            f"{'median: queued, span, handler':>31}"
        )
        for lang, row in table.items():
            machine_cols = (
                f"{row['echo']['p50_ms']:10.2f}{row['x_echo']:8.1f}{row['chain']['p50_ms']:11.2f}"
                f"{row['x_chain']:9.1f}"
                if "echo" in row
                else ""
            )
            path = row.get("path", {})
            way = ", ".join(f"{path[k]:.2f}" for k in ("queued_ms", "span_ms", "handler_ms") if k in path)
            print(
                f"  {lang:<6}{row['samples']:5d}{row['p50_ms']:9.2f}{row['p90_ms']:9.2f}{row['p99_ms']:9.2f}"
                f"{row['min_ms']:9.2f}{row['emit_response_p50_ms']:14.2f}{machine_cols}{way:>31}"
            )
    for key, how in (("pets", "50 ms apart"), ("pets_back_to_back", "back to back")):
        if not results.get(key):
            continue
        first: dict[str, Any] = next(iter(results[key].values()), {})
        watch = first.get("watch", "poll")
        seen = "its petCreation stream item" if watch == "stream" else "GET /<lang>/pets/:id"
        print(f"\npet app: POST /<lang>/pets -> {seen} shows in_quarantine, one pet at a time, {how}")
        # GET rtt: the round trip of one poll; a pet seen through its stream item is not polled
        polled = watch == "poll"
        rtt_head = f"{'GET rtt p50':>13}" if polled else ""
        print(
            f"  {'lang':<6}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}{'min ms':>9}{'POST p50':>10}{rtt_head}"
            f"{'wake-ups':>10}{'echo p50':>10}{'x echo':>8}{'chain p50':>11}{'x chain':>9}"
            f"{'+work p50':>11}{'x +work':>9}"
        )
        for lang, row in results[key].items():
            machine_cols = (
                f"{row['critical_path']['wakeups']:10d}{row['echo']['p50_ms']:10.2f}{row['x_echo']:8.1f}"
                f"{row['chain']['p50_ms']:11.2f}{row['x_chain']:9.1f}"
                f"{row['chain_work']['p50_ms']:11.2f}{row['x_chain_work']:9.1f}"
                if "echo" in row
                else ""
            )
            rtt = f"{row['poll_rtt_p50_ms']:13.2f}" if polled else ""
            print(
                f"  {lang:<6}{row['samples']:5d}{row['p50_ms']:9.2f}{row['p90_ms']:9.2f}{row['min_ms']:9.2f}"
                f"{row['post_p50_ms']:10.2f}{rtt}{machine_cols}"
            )
    boot = results["boot"]
    warm = boot["warm_median_s"]
    print(
        f"\nboot, 45 steps: cold {boot['cold_s']:.3f} s"
        + (f", warm median {warm:.3f} s" if warm is not None else "")
        + " (spawn of motia start -> first 200)"
    )
    memory = boot["memory"]
    print(f"idle memory, 45 steps: RSS {memory['rss_mb']:.1f} MB (PSS {memory['pss_mb']:.1f} MB)")
    for proc in memory["processes"]:
        print(f"    {proc['rss_mb']:7.1f} MB  pid {proc['pid']:<7} {proc['cmd'][:70]}")
    if results.get("profiles"):
        print(
            "\nprofile of the server under the api load, 32 conns (share of non-idle samples; est. us/req):"
        )
        for name, prof in results["profiles"].items():
            if "error" in prof:
                print(f"  {name}: {prof['error']}")
                continue
            groups = ", ".join(
                f"{label} {share:.0f}% ({prof['groups_us_per_req'][label]:.0f} us)"
                for label, share in prof["groups"].items()
            )
            print(f"  {name:<5} {prof['load']['server_cpu_us_per_req']:4.0f} us/req: {groups}")
    print(
        "\n* bare ASGI: a raw ASGI callable, no framework, on each server; not a target: what the server"
        " alone costs (on uvicorn, the server motia ships)."
    )
    print(
        "  echo / chain: the machine's own cost of the same request pattern (the bare ASGI callable on"
        " uvicorn; a chain of as many process wake-ups as the flow's critical path; +work: the same"
        " chain with 300 us of work per hop), bench/machine_hops.py."
    )
    print("\ntargets:")
    for name, verdict in results["verdicts"].items():
        print(
            f"  {'MET ' if verdict['met'] else 'MISS'}  {name:<28} {verdict['value']:9.3f}"
            f"  (target {verdict['target']})"
        )
