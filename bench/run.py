"""End-to-end performance benchmarks of motia-supervisor, all measured in one run.

Usage: .venv/bin/python bench/run.py [--quick] [--profile] [--json PATH]

What it measures (bench/README.md explains each, and the targets):
  a. bare quart + hypercorn hello world: req/s and p50/p99 at 32 keep-alive connections (the baseline);
  b. a trivial GET api step in TypeScript, JavaScript and Python behind ``motia start``, measured the same
     way, interleaved with the baseline round by round; also at 1 connection (unloaded latency);
  c. emit -> handler-start latency per language (POST /__motia/emit, one at a time);
  d. boot time of a 45-step project (15 per language): spawn of ``motia start`` -> first 200 of an api step;
  e. idle RSS of the supervisor plus all its runner processes for that project.

The load generator is wrk (``apt-get install -y wrk``) with one thread, so that it takes as little of the
two cores as possible; without wrk a Python asyncio client is used instead, with a warning: it competes
with the server for the same CPUs, so its numbers are lower and only comparable within the same run.
Everything runs on 127.0.0.1 only. Every server this script starts is stopped by its pid.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
LANGS = ("ts", "js", "py")
CONNECTIONS = 32

TARGETS = {
    "api_rps_ratio_min": 0.70,
    "api_added_p50_ms_max": 1.0,
    "emit_p50_ms_max": 2.0,
    "boot_s_max": 3.0,
    "idle_rss_mb_max": 250.0,
}

# ----------------------------------------------------------------------------- project sources

BARE_APP = """
import asyncio
import logging
import sys

import orjson
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response

app = Quart("bare")


@app.route("/hello", methods=["GET"])
async def hello():
    return Response(orjson.dumps({"ok": True}), status=200, content_type="application/json")


async def main():
    # The same hypercorn settings as supervisor/cli/_serve.py: one worker (in-process serve),
    # no access log, keep-alive 75 s.
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("bare.http")
    config.keep_alive_timeout = 75
    await serve(app, config)


asyncio.run(main())
"""

# Not a target: quart's own share of the baseline. The same hypercorn settings, a raw ASGI callable.
BARE_ASGI_APP = """
import asyncio
import logging
import sys

import orjson
from hypercorn.asyncio import serve
from hypercorn.config import Config

BODY = orjson.dumps({"ok": True})
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


async def main():
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("bare.http")
    config.keep_alive_timeout = 75
    await serve(app, config)


asyncio.run(main())
"""

API_STEP = {
    "ts": """
        export const config = { type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }
        export const handler = async (_req: unknown) => ({ status: 200, body: { ok: true } })
    """,
    "js": """
        const config = { type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }
        const handler = async () => ({ status: 200, body: { ok: true } })
        module.exports = { config, handler }
    """,
    "py": """
        config = {"type": "api", "name": "{name}", "path": "{path}", "method": "GET", "emits": []}


        async def handler(req, context):
            return {"status": 200, "body": {"ok": True}}
    """,
}

# The handler reads CLOCK_MONOTONIC first thing (process.hrtime.bigint / time.monotonic_ns, the same clock
# as the client's time.monotonic_ns), then logs it; the log line reaches us on the supervisor's stdout.
RECORDER_STEP = {
    "ts": """
        export const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        export const handler = async (input: { seq: number }, ctx: any) => {
          const t = process.hrtime.bigint()
          ctx.logger.info('bench-start', { seq: input.seq, t: t.toString() })
        }
    """,
    "js": """
        const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        const handler = async (input, ctx) => {
          const t = process.hrtime.bigint()
          ctx.logger.info('bench-start', { seq: input.seq, t: t.toString() })
        }
        module.exports = { config, handler }
    """,
    "py": """
        import time

        config = {"type": "event", "name": "{name}", "subscribes": ["{topic}"], "emits": []}


        async def handler(input_data, context):
            t = time.monotonic_ns()
            context.logger.info("bench-start", {"seq": input_data["seq"], "t": str(t)})
    """,
}

EVENT_STEP = {
    "ts": """
        export const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        export const handler = async (_input: unknown, ctx: any) => { ctx.logger.info('got it') }
    """,
    "js": """
        const config = { type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [] }
        const handler = async (_input, ctx) => { ctx.logger.info('got it') }
        module.exports = { config, handler }
    """,
    "py": """
        config = {"type": "event", "name": "{name}", "subscribes": ["{topic}"], "emits": []}


        async def handler(input_data, context):
            context.logger.info("got it")
    """,
}

CRON_STEP = {
    # Once a year: it must not fire during the benchmark.
    "ts": """
        export const config = { type: 'cron', name: '{name}', cron: '0 0 1 1 *', emits: [] }
        export const handler = async (ctx: any) => { ctx.logger.info('tick') }
    """,
    "js": """
        const config = { type: 'cron', name: '{name}', cron: '0 0 1 1 *', emits: [] }
        const handler = async (ctx) => { ctx.logger.info('tick') }
        module.exports = { config, handler }
    """,
    "py": """
        config = {"type": "cron", "name": "{name}", "cron": "0 0 1 1 *", "emits": []}


        async def handler(context):
            context.logger.info("tick")
    """,
}

FILE_NAME = {"ts": "{stem}.step.ts", "js": "{stem}.step.js", "py": "{stem}_step.py"}


def _render(template: str, **values: str) -> str:
    text = textwrap.dedent(template).lstrip("\n")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _write_step(steps: Path, lang: str, stem: str, source: str) -> None:
    (steps / FILE_NAME[lang].replace("{stem}", stem)).write_text(source, encoding="utf-8")


def write_bench_project(root: Path, events_adapter: str | None = None) -> Path:
    """Three trivial api steps and three recorder event steps, one of each per language."""
    steps = root / "steps"
    steps.mkdir(parents=True)
    for lang in LANGS:
        name = lang.capitalize()
        _write_step(
            steps, lang, f"{lang}_hello", _render(API_STEP[lang], name=f"{name}Hello", path=f"/{lang}/hello")
        )
        _write_step(
            steps, lang, f"{lang}_rec", _render(RECORDER_STEP[lang], name=f"{name}Rec", topic=f"bench.{lang}")
        )
    if events_adapter:
        config = {"events": {"adapter": events_adapter}}
        (root / "motia.config.json").write_text(json.dumps(config), encoding="utf-8")
    return root


def write_boot_project(root: Path) -> Path:
    """45 steps: per language 5 api, 5 event and 5 cron steps."""
    steps = root / "steps"
    steps.mkdir(parents=True)
    for lang in LANGS:
        name = lang.capitalize()
        for i in range(5):
            api = _render(API_STEP[lang], name=f"{name}Api{i}", path=f"/boot/{lang}/{i}")
            event = _render(EVENT_STEP[lang], name=f"{name}Event{i}", topic=f"boot.{lang}.{i}")
            cron = _render(CRON_STEP[lang], name=f"{name}Cron{i}")
            _write_step(steps, lang, f"{lang}_api_{i}", api)
            _write_step(steps, lang, f"{lang}_event_{i}", event)
            _write_step(steps, lang, f"{lang}_cron_{i}", cron)
    return root


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def motia_argv(project: Path, port: int) -> list[str]:
    script = Path(sys.executable).parent / "motia"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "supervisor"]
    return [*head, "start", "--project", str(project), "-p", str(port)]


@dataclass
class Server:
    """A server process we started; stdout is pumped by a thread, ``bench-start`` log lines are indexed."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    started_ns: int
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    marks: dict[tuple[str, int], int] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def spawn(cls, name: str, argv: list[str], port: int, env: dict[str, str] | None = None) -> Server:
        full_env = {**os.environ, **(env or {})}
        started = time.monotonic_ns()
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = cls(name, proc, port, started)
        threading.Thread(target=server._pump, name=f"pump-{name}", daemon=True).start()
        return server

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if '"bench-start"' in line:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    record = json.loads(line)
                    meta = record["meta"]
                    with self.cond:
                        self.marks[(record["step"], int(meta["seq"]))] = int(meta["t"])
                        self.cond.notify_all()
                continue
            self.tail.append(line)

    def wait_mark(self, step: str, seq: int, timeout: float) -> int:
        with self.cond:
            if not self.cond.wait_for(lambda: (step, seq) in self.marks, timeout):
                raise TimeoutError(f"{self.name}: handler {step} did not start for seq {seq} in {timeout}s")
            return self.marks.pop((step, seq))

    def get(self, path: str, timeout: float = 1.0) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def wait_ready(self, path: str, timeout: float = 60.0, interval: float = 0.005) -> float:
        """Poll ``path`` until it answers 200; returns seconds since spawn."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n" + "\n".join(self.tail)
                )
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.get(path) == 200:
                    return (time.monotonic_ns() - self.started_ns) / 1e9
            time.sleep(interval)
        raise TimeoutError(f"{self.name} did not answer {path} within {timeout}s:\n" + "\n".join(self.tail))

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def running(servers: list[Server]) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.stop()


# ----------------------------------------------------------------------------- load generation


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"cannot parse wrk duration {text!r}")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        if match:
            result[f"p{pct}_ms"] = _to_ms(match.group(1))
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["rps"] = float(match.group(1)) if match else 0.0
    match = re.search(r"(\d+) requests in", output)
    result["requests"] = int(match.group(1)) if match else 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(match.group(1)) if match else 0
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if match:
        errors += sum(int(g) for g in match.groups())
    result["errors"] = errors
    return result


def run_wrk(url: str, connections: int, duration: float) -> dict[str, Any]:
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "--latency",
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=duration + 60)
    return parse_wrk(done.stdout)


async def _python_load(host: str, port: int, path: str, connections: int, duration: float) -> dict[str, Any]:
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration

    async def one_connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                latencies.append((time.perf_counter() - start) * 1000)
                if not head.startswith(b"HTTP/1.1 2"):
                    errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / elapsed,
        "requests": len(ordered),
        "errors": errors,
        **{f"p{p}_ms": percentile(ordered, p / 100, presorted=True) for p in (50, 75, 90, 99)},
    }


def run_python_load(url: str, connections: int, duration: float) -> dict[str, Any]:
    match = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)", url)
    assert match, url
    return asyncio.run(
        _python_load(match.group(1), int(match.group(2)), match.group(3), connections, duration)
    )


def percentile(samples: list[float], q: float, presorted: bool = False) -> float:
    if not samples:
        return float("nan")
    ordered = samples if presorted else sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ----------------------------------------------------------------------------- measurements


def cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    seconds: dict[int, float] = {}
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            seconds[proc.pid] = times.user + times.system
    return seconds


def _busy(times: Any) -> float:
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
) -> dict[str, Any]:
    """Interleave the targets round by round (order rotated), so drift on a noisy machine hits all alike."""
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
                f"    round {round_index + 1}/{rounds} {name:<5} c={connections:<3} "
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
            pairs = list(zip(results, runs[baseline], strict=True))
            # Ratios and deltas are taken per round (against the baseline run next to it), then the median.
            entry["rps_ratio_rounds"] = [r["rps"] / b["rps"] for r, b in pairs]
            entry["rps_ratio"] = statistics.median(entry["rps_ratio_rounds"])
            entry["added_p50_ms"] = statistics.median(r["p50_ms"] - b["p50_ms"] for r, b in pairs)
            entry["added_p99_ms"] = statistics.median(r["p99_ms"] - b["p99_ms"] for r, b in pairs)
            entry["added_server_cpu_us_per_req"] = statistics.median(
                r["server_cpu_us_per_req"] - b["server_cpu_us_per_req"] for r, b in pairs
            )
        summary[name] = entry
    return summary


def bench_emit(server: Server, samples: int, warmup: int, gap: float) -> dict[str, Any]:
    """POST /__motia/emit one at a time; latency = handler's first statement - client send time."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    out: dict[str, Any] = {}
    seq = 0
    try:
        for lang in LANGS:
            step = f"{lang.capitalize()}Rec"
            handler_ms: list[float] = []
            response_ms: list[float] = []
            for index in range(warmup + samples):
                seq += 1
                body = json.dumps({"topic": f"bench.{lang}", "data": {"seq": seq}}).encode()
                headers = {"content-type": "application/json"}
                sent = time.monotonic_ns()
                conn.request("POST", "/__motia/emit", body, headers)
                response = conn.getresponse()
                response.read()
                answered = time.monotonic_ns()
                if response.status != 200:
                    raise RuntimeError(f"emit answered {response.status}")
                started = server.wait_mark(step, seq, timeout=10)
                if index >= warmup:
                    handler_ms.append((started - sent) / 1e6)
                    response_ms.append((answered - sent) / 1e6)
                time.sleep(gap)
            out[lang] = {
                "samples": len(handler_ms),
                "p50_ms": percentile(handler_ms, 0.50),
                "p90_ms": percentile(handler_ms, 0.90),
                "p99_ms": percentile(handler_ms, 0.99),
                "min_ms": min(handler_ms),
                "mean_ms": statistics.fmean(handler_ms),
                "emit_response_p50_ms": percentile(response_ms, 0.50),
            }
    finally:
        conn.close()
    return out


def tree_memory(server: Server) -> dict[str, Any]:
    processes = []
    for proc in server.tree():
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            processes.append(
                {
                    "pid": proc.pid,
                    "name": proc.name(),
                    "cmd": " ".join(proc.cmdline())[:90],
                    "rss_mb": info.rss / 2**20,
                    "pss_mb": getattr(info, "pss", 0) / 2**20,
                    "uss_mb": info.uss / 2**20,
                }
            )
    return {
        "rss_mb": sum(p["rss_mb"] for p in processes),
        "pss_mb": sum(p["pss_mb"] for p in processes),
        "processes": processes,
    }


def bench_boot(
    workdir: Path, warm_boots: int, idle_wait: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """Cold boot (fresh project, empty tsx cache, no __pycache__, no .motia), then warm boots.

    Idle memory is measured on the last boot after ``idle_wait`` seconds of idleness.
    """
    project = write_boot_project(workdir / "boot-project")
    tsx_tmp = workdir / "tmp-tsx"  # os.tmpdir() for the node runner: tsx keeps its compile cache there
    tsx_tmp.mkdir()
    boots: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    for index in range(1 + warm_boots):
        shutil.rmtree(project / ".motia", ignore_errors=True)
        port = free_port()
        server = Server.spawn(f"boot{index}", motia_argv(project, port), port, {"TMPDIR": str(tsx_tmp)})
        with running([server]):
            seconds = server.wait_ready("/boot/py/4", timeout=60, interval=0.005)
            for lang in LANGS:  # every runner answers, not just the first
                status = server.get(f"/boot/{lang}/0", timeout=5)
                if status != 200:
                    raise RuntimeError(f"boot project: /boot/{lang}/0 answered {status}")
            kind = "cold" if index == 0 else "warm"
            boots.append({"kind": kind, "seconds": seconds})
            log(f"    boot {index + 1}: {kind:<4} first 200 after {seconds:.3f} s")
            if index == warm_boots:
                time.sleep(idle_wait)
                memory = tree_memory(server)
                memory["idle_seconds"] = idle_wait
                memory["steps"] = 45
    warm = [b["seconds"] for b in boots if b["kind"] == "warm"]
    return {
        "cold_s": boots[0]["seconds"],
        "warm_median_s": statistics.median(warm) if warm else None,
        "worst_s": max(b["seconds"] for b in boots),
        "boots": boots,
        "memory": memory,
    }


# ----------------------------------------------------------------------------- profiling


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def profile_http(
    server: Server, path: str, duration: float, out: Path, load: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """Run py-spy on the server process while the api benchmark runs; summary via profile_summary."""
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy not installed (.venv/bin/pip install py-spy)"}
    sampler = subprocess.Popen(
        [spy, "record", "--pid", str(server.proc.pid), "--duration", str(max(1, round(duration))),
         "--rate", "250", "--format", "raw", "--full-filenames", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    result = measure_http(server, path, CONNECTIONS, duration + 1, load)
    sampler.wait(timeout=duration + 30)
    sys.path.insert(0, str(BENCH))
    from profile_summary import summarise_data

    summary = summarise_data(out)
    # py-spy's shares of non-idle samples, scaled by the CPU per request psutil measured in the same run:
    # an estimate of the microseconds each group costs per request.
    cpu = result["server_cpu_us_per_req"]
    summary["groups_us_per_req"] = {name: share / 100 * cpu for name, share in summary["groups"].items()}
    summary["categories_us_per_req"] = {
        name: share / 100 * cpu for name, share in summary["self_by_category"].items()
    }
    return {"load": result, "profile": str(out), **summary}


# ----------------------------------------------------------------------------- reporting


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


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    api = results["api"]["c32"]
    api1 = results["api"].get("c1", {})
    emit = results["emit"]["sqlite"]
    boot = results["boot"]
    out: dict[str, Any] = {}
    for lang in LANGS:
        ratio = api[lang]["rps_ratio"]
        out[f"api_{lang}_rps_ratio"] = {"value": ratio, "target": ">= 0.70", "met": ratio >= 0.70}
        added = api[lang]["added_p50_ms"]
        out[f"api_{lang}_added_p50_ms_c32"] = {"value": added, "target": "<= 1.0", "met": added <= 1.0}
        if lang in api1:
            added1 = api1[lang]["added_p50_ms"]
            out[f"api_{lang}_added_p50_ms_c1"] = {"value": added1, "target": "<= 1.0", "met": added1 <= 1.0}
        p50 = emit[lang]["p50_ms"]
        out[f"emit_{lang}_p50_ms"] = {"value": p50, "target": "<= 2.0", "met": p50 <= 2.0}
    out["boot_45_steps_s"] = {
        "value": boot["worst_s"],
        "target": "<= 3.0 (worst boot)",
        "met": boot["worst_s"] <= 3.0,
    }
    rss = boot["memory"]["rss_mb"]
    out["idle_rss_mb"] = {"value": rss, "target": "< 250", "met": rss < 250}
    return out


def print_report(results: dict[str, Any]) -> None:
    m = results["machine"]
    print(
        f"\n=== motia-supervisor bench  ({m['date']}; {m['nproc']} x {m['cpu_model']}; "
        f"load via {results['load_generator']})"
    )
    for key, title in (("c32", f"{CONNECTIONS} keep-alive connections"), ("c1", "1 connection (unloaded)")):
        table = results["api"].get(key)
        if not table:
            continue
        rounds = results["config"]["rounds_c1" if key == "c1" else "rounds"]
        print(f"\nHTTP GET, {title}; medians of {rounds} interleaved rounds")
        print(
            f"  {'target':<14}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'+p50':>8}{'p99 ms':>9}{'+p99':>8}"
            f"{'srv us/req':>12}{'runner us/req':>15}{'ratio range':>15}{'foreign':>9}"
        )
        for name, row in table.items():
            label = {"bare": "bare quart", "asgi": "bare ASGI *"}.get(name, f"api step {name}")
            ratio = f"{row['rps_ratio'] * 100:6.1f}%" if "rps_ratio" in row else "      -"
            dp50 = f"{row['added_p50_ms']:+8.2f}" if "added_p50_ms" in row else "       -"
            dp99 = f"{row['added_p99_ms']:+8.2f}" if "added_p99_ms" in row else "       -"
            spread = row.get("rps_ratio_rounds")
            span = f"{min(spread) * 100:5.1f}-{max(spread) * 100:5.1f}%" if spread else "-"
            print(
                f"  {label:<14}{row['rps']:9.0f}{ratio:>8}{row['p50_ms']:9.2f}{dp50}"
                f"{row['p99_ms']:9.2f}{dp99}"
                f"{row['server_cpu_us_per_req']:12.0f}{row['runner_cpu_us_per_req']:15.0f}"
                f"{span:>15}{row['foreign_cpu_pct']:8.1f}%"
            )
    for adapter, table in results["emit"].items():
        print(f"\nemit -> handler start ({adapter} event queue), one at a time")
        print(
            f"  {'lang':<6}{'n':>5}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'min ms':>9}{'emit 200 p50':>14}"
        )
        for lang, row in table.items():
            print(
                f"  {lang:<6}{row['samples']:5d}{row['p50_ms']:9.2f}{row['p90_ms']:9.2f}{row['p99_ms']:9.2f}"
                f"{row['min_ms']:9.2f}{row['emit_response_p50_ms']:14.2f}"
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
    print("\n* bare ASGI: hypercorn with a raw ASGI callable, no quart; not a target, shows quart's cost.")
    print("\ntargets:")
    for name, verdict in results["verdicts"].items():
        print(
            f"  {'MET ' if verdict['met'] else 'MISS'}  {name:<28} {verdict['value']:9.3f}"
            f"  (target {verdict['target']})"
        )


# ----------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs (~1 min): a smoke test, not a result"
    )
    parser.add_argument("--profile", action="store_true", help="also py-spy the supervisor under api load")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write the JSON")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of the HTTP benchmark")
    parser.add_argument("--duration", type=float, help="seconds per HTTP run")
    parser.add_argument("--emit-samples", type=int, help="emits per language")
    parser.add_argument(
        "--python-client", action="store_true", help="use the Python load generator even if wrk exists"
    )
    args = parser.parse_args()

    rounds = args.rounds or (1 if args.quick else 3)
    duration = args.duration or (3.0 if args.quick else 10.0)
    emit_samples = args.emit_samples or (100 if args.quick else 300)
    warm_boots = 1 if args.quick else 3

    def log(message: str) -> None:
        print(message, flush=True)

    if shutil.which("wrk") and not args.python_client:
        load: Callable[..., dict[str, Any]] = run_wrk
        generator = "wrk -t1"
    else:
        load = run_python_load
        generator = "python asyncio client (NOT comparable with wrk numbers)"
        if not args.python_client:
            log(
                "WARNING: wrk not found (install: apt-get update && apt-get install -y wrk). "
                "Falling back to a Python asyncio client, which competes with the server for the "
                "2 CPUs: req/s will be lower and latencies higher; only ratios within this run mean anything."
            )

    results: dict[str, Any] = {
        "machine": machine(),
        "load_generator": generator,
        "config": {
            "quick": args.quick,
            "rounds": rounds,
            "rounds_c1": max(1, rounds - 1),
            "duration_s": duration,
            "connections": CONNECTIONS,
            "emit_samples": emit_samples,
            "warm_boots": warm_boots,
        },
        "api": {},
        "emit": {},
    }
    with tempfile.TemporaryDirectory(prefix="motia-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "bare.py").write_text(BARE_APP, encoding="utf-8")
        (workdir / "asgi.py").write_text(BARE_ASGI_APP, encoding="utf-8")
        project = write_bench_project(workdir / "project")
        bare_port, asgi_port, motia_port = free_port(), free_port(), free_port()
        bare = Server.spawn("bare", [sys.executable, str(workdir / "bare.py"), str(bare_port)], bare_port)
        asgi = Server.spawn("asgi", [sys.executable, str(workdir / "asgi.py"), str(asgi_port)], asgi_port)
        motia = Server.spawn("motia", motia_argv(project, motia_port), motia_port)
        with running([bare, asgi, motia]):
            bare.wait_ready("/hello")
            asgi.wait_ready("/hello")
            motia.wait_ready("/py/hello")
            targets = {
                "bare": (bare, "/hello"),
                **{lang: (motia, f"/{lang}/hello") for lang in LANGS},
                "asgi": (asgi, "/hello"),
            }
            log(f"[a+b] HTTP, {CONNECTIONS} connections, {rounds} round(s) of {duration:g} s per target")
            results["api"]["c32"] = bench_http(targets, rounds, duration, CONNECTIONS, load, log)
            log("[a+b] HTTP, 1 connection")
            results["api"]["c1"] = bench_http(targets, max(1, rounds - 1), min(duration, 5.0), 1, load, log)
            log(f"[c] emit -> handler start, {emit_samples} per language (sqlite queue, the default)")
            results["emit"]["sqlite"] = bench_emit(motia, emit_samples, warmup=20, gap=0.005)
            if args.profile:
                log("[profile] py-spy on the supervisor / bare app under the api load")
                profiles: dict[str, Any] = {}
                prof_dir = BENCH / "profiles"
                prof_dir.mkdir(exist_ok=True)
                for name, (server, path) in targets.items():
                    raw = prof_dir / f"{name}.raw.txt"
                    profiles[name] = profile_http(server, path, max(duration, 15.0), raw, load)
                results["profiles"] = profiles
        if not args.quick:
            memory_project = write_bench_project(workdir / "project-memq", events_adapter="memory")
            port = free_port()
            memq = Server.spawn("motia-memq", motia_argv(memory_project, port), port)
            with running([memq]):
                memq.wait_ready("/py/hello")
                log(f"[c] emit -> handler start, {emit_samples} per language (memory queue)")
                results["emit"]["memory"] = bench_emit(memq, emit_samples, warmup=20, gap=0.005)
        log("[d+e] boot time and idle memory, 45 steps")
        results["boot"] = bench_boot(workdir, warm_boots, idle_wait=2.0 if args.quick else 5.0, log=log)

    results["verdicts"] = verdicts(results)
    print_report(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
