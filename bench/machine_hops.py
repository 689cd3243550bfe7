"""The machine's own cost of a sequential flow, measured next to ours with the same request pattern.

On this VM a process woken after being idle pays a cost that grows with how long it slept (0.37 ms
for a bare uvicorn answer back to back, ~1.8 ms after 0.1 s idle, 5-18 ms after 0.5-1 s), whatever
the code. The pet app's flow (goal 2) and emit -> handler start (goal 3) are chains of such wake-ups,
so their latency is compared here with two things that are nothing but wake-ups:

- **echo**: the bare ASGI callable (bench/baselines.py) on uvicorn from the bench-only environment,
  answering the same requests with the same gaps on the same kind of connections (for the pet app: a
  POST on one keep-alive connection, then a GET on a second one; for emit: one POST);
- **chain**: a byte passed through a line of processes joined by pipes and back to us, ``hops`` pipe
  writes each waking a process that slept: the flow's sequential wake-ups with none of its work.

And the pet flow's own trace (``GET /__motia/traces/<x-trace-id of the POST>``): its critical path
from the POST to the orchestrator's write, counted in awaited context calls and wake-ups.

``.venv/bin/python bench/machine_hops.py [--hops 30] [--samples 30] [--gaps 0,0.01,0.05,0.5]``: the echo
and the chain alone, at each gap (what a wake-up costs after that long asleep).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from baselines import asgi_argv, write_baselines
from competitors import ensure_env
from load import percentile
from servers import Server, free_port, running

# One link of the chain: wake on a byte from the previous process, work (spin) WORK_NS, pass it on.
LINK = """
import os, time
work = int(os.environ["WORK_NS"])
while True:
    b = os.read(0, 64)
    if not b:
        break
    if work:
        until = time.perf_counter_ns() + work
        while time.perf_counter_ns() < until:
            pass
    os.write(1, b)
"""


class HopChain:
    """``hops - 1`` processes in a line of pipes: a byte from us through all of them back to us is
    ``hops`` pipe writes, each waking a process (the last one wakes us). With ``work_us``, each process
    spins that long before passing the byte on, as the flow's processes work between their hops (and
    the CPU the next one waits on may go idle meanwhile)."""

    def __init__(self, hops: int, work_us: float = 0.0) -> None:
        if hops < 2:
            raise ValueError("a chain needs at least 2 hops (one process and back)")
        self.hops = hops
        self.work_us = work_us
        env = {**os.environ, "WORK_NS": str(int(work_us * 1000))}
        self.links: list[subprocess.Popen[bytes]] = []
        previous: int | None = None
        for _ in range(hops - 1):
            link = subprocess.Popen(
                [sys.executable, "-c", LINK],
                stdin=subprocess.PIPE if previous is None else previous,
                stdout=subprocess.PIPE,
                env=env,
            )
            if previous is not None:
                os.close(previous)  # the link holds it now
            assert link.stdout is not None
            previous = os.dup(link.stdout.fileno())
            link.stdout.close()
            self.links.append(link)
        assert previous is not None and self.links[0].stdin is not None
        self._out = self.links[0].stdin.fileno()
        self._in = previous
        for _ in range(20):  # every link has started and read once
            self.once()

    def once(self) -> float:
        """ms for one byte through the whole chain"""
        sent = time.monotonic_ns()
        os.write(self._out, b"x")
        os.read(self._in, 64)
        return (time.monotonic_ns() - sent) / 1e6

    def close(self) -> None:
        assert self.links[0].stdin is not None
        self.links[0].stdin.close()
        os.close(self._in)
        for link in self.links:
            try:
                link.wait(timeout=5)
            except subprocess.TimeoutExpired:
                link.kill()
                link.wait()


@contextlib.contextmanager
def hop_chain(hops: int, work_us: float = 0.0) -> Iterator[HopChain]:
    chain = HopChain(hops, work_us)
    try:
        yield chain
    finally:
        chain.close()


def chain_pattern(chain: HopChain, samples: int, gap: float) -> dict[str, float]:
    times = []
    for _ in range(samples):
        time.sleep(gap)
        times.append(chain.once())
    p50 = percentile(times, 0.5)
    return {
        "hops": chain.hops,
        "work_us": chain.work_us,
        "p50_ms": p50,
        "per_hop_ms": p50 / chain.hops,
        "p90_ms": percentile(times, 0.9),
    }


@contextlib.contextmanager
def echo_server(workdir: Path) -> Iterator[Server]:
    """The bare ASGI callable on the bench environment's uvicorn (uvloop, httptools), on a free port."""
    env = ensure_env(lambda _message: None)
    folder = Path(tempfile.mkdtemp(prefix="echo-", dir=workdir))
    write_baselines(folder)
    port = free_port()
    argv = asgi_argv("uvicorn", folder, port, sys.executable, env["python"])
    server = Server.spawn("echo-uvicorn", argv, port, cwd=folder)
    with running([server]):
        server.wait_ready("/hello")
        yield server


def _exchange(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None) -> None:
    headers = {"content-type": "application/json"} if body is not None else {}
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"echo answered {response.status} to {method} {path}")


PET_BODY = json.dumps({"name": "Bench", "species": "dog", "ageMonths": 24}).encode()


def echo_pet_pattern(port: int, samples: int, gap: float) -> dict[str, float]:
    """The pet bench's requests without the app: a POST on one connection, then a GET on another,
    ``gap`` s of sleep before each pair (bench/pet_bench.py sleeps the same after each pet)."""
    post = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    poll = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    both, posts = [], []
    try:
        _exchange(post, "POST", "/pets", PET_BODY)
        _exchange(poll, "GET", "/pets/1")
        for _ in range(samples):
            time.sleep(gap)
            sent = time.monotonic_ns()
            _exchange(post, "POST", "/pets", PET_BODY)
            answered = time.monotonic_ns()
            _exchange(poll, "GET", "/pets/1")
            both.append((time.monotonic_ns() - sent) / 1e6)
            posts.append((answered - sent) / 1e6)
    finally:
        post.close()
        poll.close()
    return {"p50_ms": percentile(both, 0.5), "post_p50_ms": percentile(posts, 0.5)}


def echo_emit_pattern(port: int, samples: int, gap: float) -> dict[str, float]:
    """bench/emit_bench.py's requests without the app: one POST at a time on one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    times = []
    try:
        _exchange(conn, "POST", "/__motia/emit", b'{"topic": "bench", "data": {"seq": 0}}')
        for seq in range(samples):
            time.sleep(gap)
            body = json.dumps({"topic": "bench", "data": {"seq": seq}}).encode()
            sent = time.monotonic_ns()
            _exchange(conn, "POST", "/__motia/emit", body)
            times.append((time.monotonic_ns() - sent) / 1e6)
    finally:
        conn.close()
    return {"p50_ms": percentile(times, 0.5)}


# -- the pet flow's trace ------------------------------------------------------------------------------

AWAITED = ("state", "stream", "emit")  # context calls the handler awaits (a log line is not awaited)


def critical_path(trace: dict[str, Any]) -> dict[str, Any]:
    """The spans from the POST's to the orchestrator's (which writes ``in_quarantine``), the awaited
    context calls each made before the next span started (the last: up to that write), and the
    sequential process or thread wake-ups that implies, the poll that sees the write included."""
    spans = {span["spanId"]: span for span in trace["spans"]}
    last = next(s for s in trace["spans"] if "Orchestrator" in s["step"])
    path = [last]
    while path[-1]["parentSpanId"] in spans:
        path.append(spans[path[-1]["parentSpanId"]])
    path.reverse()
    t0 = path[0]["startedAt"]
    write = max(
        (e["time"] for e in trace["events"] if e.get("spanId") == last["spanId"] and e["type"] == "state"),
        default=last["endedAt"],
    )
    steps, hops, calls_total = [], 0, 0
    for index, span in enumerate(path):
        until = path[index + 1]["startedAt"] if index + 1 < len(path) else write
        on_path = sorted(
            (
                e
                for e in trace["events"]
                if e.get("spanId") == span["spanId"] and e["type"] in AWAITED and e["time"] <= until
            ),
            key=lambda e: e["time"],
        )
        emits = sum(1 for e in on_path if e["type"] == "emit")
        calls_total += len(on_path)
        # Into the span: client -> supervisor -> runner for the POST, supervisor -> runner for an event
        # (after its emit's commit). Each awaited call: runner -> supervisor -> runner; an emit's commit
        # adds the writer thread and back.
        hops += (2 if index == 0 else 1) + 2 * len(on_path) + 2 * emits
        steps.append(
            {
                "step": span["step"],
                "start_ms": span["startedAt"] - t0,
                "calls": [{"type": e["type"], "at_ms": e["time"] - t0} for e in on_path],
            }
        )
    # The poll that sees the write: client -> supervisor -> runner, its state.get (2), runner ->
    # supervisor -> client.
    poll_hops = 6
    return {
        "spans": steps,
        "awaited_calls": calls_total,
        "wakeups": hops + poll_hops,
        "to_write_ms": write - t0,
        "ms_per_wakeup_to_write": (write - t0) / hops,
    }


def fetch_trace(conn: http.client.HTTPConnection, trace_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """The trace once its orchestrator span has ended (spans are recorded as they end)."""
    deadline = time.monotonic() + timeout
    while True:
        conn.request("GET", f"/__motia/traces/{trace_id}")
        response = conn.getresponse()
        data = response.read()
        if response.status == 200:
            trace: dict[str, Any] = json.loads(data)
            if any("Orchestrator" in s["step"] and s.get("endedAt") for s in trace["spans"]):
                return trace
        if time.monotonic() > deadline:
            raise TimeoutError(f"trace {trace_id}: no finished orchestrator span in {timeout}s")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--hops", type=int, default=30)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--gaps", default="0,0.01,0.05,0.5")
    parser.add_argument("--work-us", type=float, default=300.0, help="work per hop of the second chain")
    args = parser.parse_args()
    gaps = [float(g) for g in args.gaps.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}")
    with (
        tempfile.TemporaryDirectory(prefix="motia-hops-") as tmp,
        echo_server(Path(tmp)) as echo,
        hop_chain(args.hops) as chain,
        hop_chain(args.hops, args.work_us) as working,
    ):
        for gap in gaps:
            pets = echo_pet_pattern(echo.port, args.samples, gap)
            emit = echo_emit_pattern(echo.port, args.samples, gap)
            hops = chain_pattern(chain, args.samples, gap)
            busy = chain_pattern(working, args.samples, gap)
            spun = (args.hops - 1) * args.work_us / 1000  # ms of work in the working chain
            print(
                f"gap {gap * 1000:5.0f} ms: echo POST+GET p50 {pets['p50_ms']:6.2f} ms, "
                f"echo POST p50 {emit['p50_ms']:6.2f} ms, chain of {hops['hops']} hops p50 "
                f"{hops['p50_ms']:6.2f} ms ({hops['per_hop_ms'] * 1000:4.0f} us/hop); with "
                f"{args.work_us:g} us of work per hop {busy['p50_ms']:6.2f} ms "
                f"({(busy['p50_ms'] - spun) / args.hops * 1000:4.0f} us/hop above the work)",
                flush=True,
            )
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
