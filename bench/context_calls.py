"""Context-call round trip: what one ``await state.get`` / ``state.set`` / ``emit`` made by a handler
costs, per language, on SQLite (the default) and on the memory adapters, in the same run.

One api step per language, ``GET /cc/<lang>?op=OP&n=N``, makes N calls of OP one after the other
(each awaited) and answers how long they took by its own clock (``process.hrtime`` /
``time.perf_counter_ns``), so HTTP is not in the number; ``op=none`` makes no call. The client also
times each request: ``request n=0`` is the baseline of the same run (a request that makes no call),
and ``request +N calls`` what N calls add to it end to end. An emit goes to a no-op event step of
the same language, so it is enqueued (and on SQLite committed) as a real one is; its handler runs
meanwhile, as it would.

The CPU columns are what each call costs the supervisor and the language's runner (psutil, over the
measured requests, minus the n=0 request's): unlike latency, they hold on a loaded machine.

``.venv/bin/python bench/context_calls.py [--rounds 3] [--calls 50] [--requests 15]
[--adapters sqlite,memory] [--baseline-ref main] [--json PATH]``; each round starts one ``motia start``
per adapter (and per code, with ``--baseline-ref``: that ref's code, from git archive, in the same
rounds), alternating their order; the table shows the median over rounds of each round's median.
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

import psutil
from constants import LANGS, REPO
from load import percentile
from projects import _render, _write_step
from servers import Server, codes_under_test, motia

OPS = ("none", "state.get", "state.set", "emit")

# The TypeScript and JavaScript steps are one source: the handler's body, with the module syntax and
# the parameter types of each around it.
NODE_CALLS = """
{head}
  const op = String(req.queryParams.op ?? 'none')
  const n = Number(req.queryParams.n ?? 0)
  const started = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    if (op === 'state.get') await state.get('cc', 'k')
    else if (op === 'state.set') await state.set('cc', 'k', { i })
    else if (op === 'emit') await emit({ topic: 'cc.{lang}', data: { i } })
  }
  const ns = Number(process.hrtime.bigint() - started)
  return { status: 200, body: { ns } }
}
{tail}"""
NODE_CONFIG = "{ type: 'api', name: '{name}', path: '/cc/{lang}', method: 'GET', emits: ['cc.{lang}'] }"

CALL_STEP = {
    "ts": NODE_CALLS.replace(
        "{head}",
        f"export const config = {NODE_CONFIG}\n"
        "export const handler = async (req: any, { state, emit }: any) => {",
    ).replace("{tail}", ""),
    "js": NODE_CALLS.replace(
        "{head}", f"const config = {NODE_CONFIG}\nconst handler = async (req, {{ state, emit }}) => {{"
    ).replace("{tail}", "module.exports = { config, handler }\n"),
    "py": """
        import time

        config = {
            "type": "api", "name": "{name}", "path": "/cc/{lang}", "method": "GET", "emits": ["cc.{lang}"],
        }


        async def handler(req, context):
            query = req.get("queryParams", {})
            op = str(query.get("op", "none"))
            n = int(query.get("n", 0) or 0)
            started = time.perf_counter_ns()
            for i in range(n):
                if op == "state.get":
                    await context.state.get("cc", "k")
                elif op == "state.set":
                    await context.state.set("cc", "k", {"i": i})
                elif op == "emit":
                    await context.emit({"topic": "cc.{lang}", "data": {"i": i}})
            return {"status": 200, "body": {"ns": time.perf_counter_ns() - started}}
    """,
}

SINK_STEP = {
    "ts": """
        export const config = { type: 'event', name: '{name}', subscribes: ['cc.{lang}'], emits: [] }
        export const handler = async () => {}
    """,
    "js": """
        const config = { type: 'event', name: '{name}', subscribes: ['cc.{lang}'], emits: [] }
        const handler = async () => {}
        module.exports = { config, handler }
    """,
    "py": """
        config = {"type": "event", "name": "{name}", "subscribes": ["cc.{lang}"], "emits": []}


        async def handler(input_data, context):
            return None
    """,
}

MEMORY = {
    "MOTIA_STATE_ADAPTER": "memory",
    "MOTIA_STREAMS_ADAPTER": "memory",
    "MOTIA_EVENTS_ADAPTER": "memory",
}


def write_project(root: Path) -> Path:
    steps = root / "steps"
    steps.mkdir(parents=True)
    for lang in LANGS:
        name = lang.capitalize()
        _write_step(steps, lang, f"{lang}_calls", _render(CALL_STEP[lang], name=f"{name}Calls", lang=lang))
        _write_step(steps, lang, f"{lang}_sink", _render(SINK_STEP[lang], name=f"{name}Sink", lang=lang))
    (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    return root


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[float, float]:
    """(request ms end to end, the handler's own ns for its calls)"""
    sent = time.perf_counter_ns()
    conn.request("GET", path)
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter_ns() - sent
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {data[:200]!r}")
    return elapsed / 1e6, float(json.loads(data)["ns"])


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def _processes(server: Server) -> dict[str, list[psutil.Process]]:
    """The supervisor and the runners of each language, by the names the results use."""
    tree = server.tree()
    runners = tree[1:]
    node = [p for p in runners if "runner.mjs" in " ".join(p.cmdline())]
    python = [p for p in runners if "motia_runner" in " ".join(p.cmdline())]
    return {"supervisor": tree[:1], "ts": node, "js": node, "py": python}


def measure(
    server: Server, calls: int, requests: int, warmup: int, gap: float
) -> dict[str, dict[str, float]]:
    """Per ``lang:op``: the handler's µs per call (median over requests), the request's p50 (ms), and
    the CPU per request of the supervisor and of the language's runner (µs, over the measured requests)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    processes = _processes(server)
    out: dict[str, dict[str, float]] = {}
    try:
        for lang in LANGS:
            for op in OPS:
                n = 0 if op == "none" else calls
                path = f"/cc/{lang}?op={op}&n={n}"
                for _ in range(warmup):
                    _get(conn, path)
                per_call_us: list[float] = []
                request_ms: list[float] = []
                cpu_before = {k: sum(map(_cpu_seconds, v)) for k, v in processes.items()}
                for _ in range(requests):
                    ms, ns = _get(conn, path)
                    request_ms.append(ms)
                    if n:
                        per_call_us.append(ns / n / 1e3)
                    if op == "emit":
                        time.sleep(gap)  # the emitted events' handlers drain between requests
                cpu = {k: sum(map(_cpu_seconds, v)) - cpu_before[k] for k, v in processes.items()}
                out[f"{lang}:{op}"] = {
                    "call_us": percentile(per_call_us, 0.5) if per_call_us else 0.0,
                    "request_ms": percentile(request_ms, 0.5),
                    "supervisor_cpu_us": cpu["supervisor"] / requests * 1e6,
                    "runner_cpu_us": cpu[lang] / requests * 1e6,
                }
    finally:
        conn.close()
    return out


def run_server(
    code: Path | None, workdir: Path, env: dict[str, str], args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """``motia start`` of this checkout, or of ``code`` (an extracted git ref), on a fresh project."""
    project = write_project(Path(tempfile.mkdtemp(prefix="cc-", dir=workdir)))
    ready = tuple(f"/cc/{lang}?op=none&n=0" for lang in LANGS)
    with motia(project, code=code, env=env, ready=ready, name="context-calls") as server:
        return measure(server, args.calls, args.requests, args.warmup, args.gap)


FIELDS = ("call_us", "request_ms", "supervisor_cpu_us", "runner_cpu_us")


def summarise(results: list[dict[str, dict[str, float]]], calls: int) -> dict[str, dict[str, float]]:
    """Medians over rounds; CPU per call is the CPU per request over the n=0 request's, per call."""
    summary: dict[str, dict[str, float]] = {}
    for key in results[0]:
        row = {field: statistics.median(r[key][field] for r in results) for field in FIELDS}
        lang, op = key.split(":", 1)
        if op != "none":
            for field in ("supervisor_cpu_us", "runner_cpu_us"):
                per_call = [(r[key][field] - r[f"{lang}:none"][field]) / calls for r in results]
                row[field.replace("_us", "_per_call_us")] = statistics.median(per_call)
        summary[key] = row
    return summary


def print_table(summaries: dict[str, dict[str, dict[str, float]]]) -> None:
    print(
        f"{'code':8} {'adapter':8} {'lang':4} {'op':10} {'µs/call':>8} {'request ms':>10} {'x n=0':>6}"
        f" {'sup CPU µs/call':>15} {'runner CPU µs/call':>18}"
    )
    for name, summary in summaries.items():
        code, adapter = name.split(":")
        for lang in LANGS:
            base = summary[f"{lang}:none"]["request_ms"]
            for op in OPS:
                row = summary[f"{lang}:{op}"]
                if op == "none":
                    head = f"{code:8} {adapter:8} {lang:4} {op:10}"
                    print(f"{head} {'-':>8} {row['request_ms']:>10.2f} {'1.0':>6}")
                    continue
                print(
                    f"{code:8} {adapter:8} {lang:4} {op:10} {row['call_us']:>8.0f} {row['request_ms']:>10.2f}"
                    f" {row['request_ms'] / base:>6.1f} {row['supervisor_cpu_per_call_us']:>15.0f}"
                    f" {row['runner_cpu_per_call_us']:>18.0f}"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=50, help="calls per request (default 50)")
    parser.add_argument("--requests", type=int, default=15, help="measured requests per language and op")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between emit requests")
    parser.add_argument("--adapters", default="sqlite,memory")
    parser.add_argument("--baseline-ref", help="git ref to measure too, in the same rounds (e.g. main)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    adapters = [a.strip() for a in args.adapters.split(",") if a.strip()]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="motia-cc-") as tmp:
        codes = codes_under_test(args.baseline_ref, Path(tmp))
        runs = [(code, adapter) for adapter in adapters for code in codes]
        rounds: dict[str, list[dict[str, dict[str, float]]]] = {f"{c}:{a}": [] for c, a in runs}
        for index in range(args.rounds):
            for code, adapter in runs if index % 2 == 0 else runs[::-1]:
                env = MEMORY if adapter == "memory" else {}
                result = run_server(codes[code], Path(tmp), env, args)
                rounds[f"{code}:{adapter}"].append(result)
                calls = {k: round(v["call_us"]) for k, v in result.items() if not k.endswith(":none")}
                print(f"round {index + 1} {code} {adapter}: µs/call {calls}", flush=True)
    load_after = os.getloadavg()
    summaries = {name: summarise(results, args.calls) for name, results in rounds.items()}
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"{args.calls} calls per request; CPU per call: the request's CPU minus the n=0 request's, / calls")
    print_table(summaries)
    if args.json:
        record = {
            "calls_per_request": args.calls,
            "rounds": args.rounds,
            "baseline_ref": args.baseline_ref,
            "load_before": load_before,
            "load_after": load_after,
            "summary": summaries,
        }
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
