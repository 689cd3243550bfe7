"""c. Emit -> handler start, one emit at a time, per language."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from typing import Any

from constants import LANGS
from load import percentile
from machine_hops import chain_pattern, echo_emit_pattern, hop_chain
from servers import Server

#: emit -> handler start, in wake-ups: client -> supervisor, its loop -> the SQLite writer thread -> the
#: loop (the commit), supervisor -> runner (the Python runner: its reader thread, then its loop: one more)
EMIT_WAKEUPS = 4


def bench_emit(
    server: Server, samples: int, warmup: int, gap: float, echo_port: int | None = None
) -> dict[str, Any]:
    """POST /__motia/emit one at a time; latency = handler's first statement - client send time.

    With ``echo_port`` (the bare ASGI echo, bench/machine_hops.py), right after each language's emits
    and with the same gap: the echo answering the same POSTs, and a chain of ``EMIT_WAKEUPS`` process
    wake-ups: what the machine alone costs for it, in the same run."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    out: dict[str, Any] = {}
    seq = 0
    try:
        for lang in LANGS:
            step = f"{lang.capitalize()}Rec"
            handler_ms: list[float] = []
            response_ms: list[float] = []
            traced: list[tuple[float, float, str]] = []  # (ms to the handler, wall clock at send, trace)
            for index in range(warmup + samples):
                seq += 1
                body = json.dumps({"topic": f"bench.{lang}", "data": {"seq": seq}}).encode()
                headers = {"content-type": "application/json"}
                sent_wall = time.time()
                sent = time.monotonic_ns()
                conn.request("POST", "/__motia/emit", body, headers)
                response = conn.getresponse()
                answer = response.read()
                answered = time.monotonic_ns()
                if response.status != 200:
                    raise RuntimeError(f"emit answered {response.status}")
                started = server.wait_mark(step, seq, timeout=10)
                if index >= warmup:
                    handler_ms.append((started - sent) / 1e6)
                    response_ms.append((answered - sent) / 1e6)
                    trace_id = json.loads(answer).get("traceId", "")
                    traced.append(((started - sent) / 1e6, sent_wall * 1000, trace_id))
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
            # the median emit's trace: when the event was queued (committed) and its handler's span began
            median = sorted(traced)[len(traced) // 2]
            out[lang]["path"] = emit_path(conn, *median)
            if echo_port is not None:
                row = out[lang]
                row["echo"] = echo_emit_pattern(echo_port, samples, gap)
                with hop_chain(EMIT_WAKEUPS) as chain:
                    row["chain"] = chain_pattern(chain, samples, gap)
                row["x_echo"] = row["p50_ms"] / row["echo"]["p50_ms"]
                row["x_chain"] = row["p50_ms"] / row["chain"]["p50_ms"]
    finally:
        conn.close()
    return out


def emit_path(
    conn: http.client.HTTPConnection, handler_ms: float, sent_wall_ms: float, trace_id: str
) -> dict[str, float]:
    """One emit's way, in ms from the client's send (wall clocks of one machine): queued (the HTTP
    request read, the event committed), the subscriber's span begun (dispatched to its runner), the
    handler's first statement (its own clock, the latency measured)."""
    conn.request("GET", f"/__motia/traces/{trace_id}")
    response = conn.getresponse()
    data = response.read()
    if response.status != 200 or not trace_id:
        return {"handler_ms": handler_ms}
    trace = json.loads(data)
    queued = next((e["time"] for e in trace["events"] if e["type"] == "emit"), float("nan"))
    span = min((s["startedAt"] for s in trace["spans"]), default=float("nan"))
    return {"queued_ms": queued - sent_wall_ms, "span_ms": span - sent_wall_ms, "handler_ms": handler_ms}
