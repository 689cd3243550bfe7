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
