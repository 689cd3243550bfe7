"""f. The pet app's whole flow: ``POST /<lang>/pets`` -> the pet visible ``in_quarantine`` through
``GET /<lang>/pets/:id``, per language (create, emit, the feeding job, the orchestrator, state).

The project is a copy of the repository's app (steps/ and its project files, node_modules linked), served
by ``motia start`` without an OpenAI key (the agents take their rule-based fallback: no network). One
pet at a time: the POST goes out on one keep-alive connection, then a second one polls the pet back to
back until its status is ``in_quarantine``; the latency is the poll's answer minus the POST's send time,
so it is late by at most one GET (its round trip is reported next to it).
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from constants import LANGS, REPO
from load import percentile
from servers import Server, free_port, motia_argv, running

PROJECT_FILES = ("package.json", "package-lock.json", "tsconfig.json", "types.d.ts", "motia.config.json")
NO_OPENAI = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": "", "OPENAI_MODEL": ""}


def write_pet_project(root: Path) -> Path:
    shutil.copytree(
        REPO / "steps", root / "steps", ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
    )
    for name in PROJECT_FILES:
        if (REPO / name).exists():
            shutil.copy2(REPO / name, root / name)
    (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    return root


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    payload = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"} if payload is not None else {}
    conn.request(method, path, payload, headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, json.loads(data) if data else None


def _one_pet(
    post: http.client.HTTPConnection, poll: http.client.HTTPConnection, lang: str, n: int
) -> dict[str, float]:
    body = {"name": f"Bench{n}", "species": "dog", "ageMonths": 24}
    sent = time.monotonic_ns()
    status, created = _request(post, "POST", f"/{lang}/pets", body)
    answered = time.monotonic_ns()
    if status != 201:
        raise RuntimeError(f"POST /{lang}/pets answered {status}: {created}")
    pet_id = created["petId"] if "petId" in created else created["id"]
    polls, poll_ns = 0, 0
    deadline = time.monotonic() + 10
    while True:
        before = time.monotonic_ns()
        status, pet = _request(poll, "GET", f"/{lang}/pets/{pet_id}")
        seen = time.monotonic_ns()
        polls += 1
        poll_ns += seen - before
        if status == 200 and pet["status"] == "in_quarantine":
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"/{lang}/pets/{pet_id} not in_quarantine after 10 s: {pet}")
    return {
        "visible_ms": (seen - sent) / 1e6,
        "post_ms": (answered - sent) / 1e6,
        "poll_rtt_ms": poll_ns / polls / 1e6,
        "polls": polls,
    }


def bench_pets(
    workdir: Path, samples: int, warmup: int, gap: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    project = write_pet_project(Path(tempfile.mkdtemp(prefix="pet-app-", dir=workdir)))
    port = free_port()
    server = Server.spawn("pet-app", motia_argv(project, port), port, env={**NO_OPENAI, **(env or {})})
    out: dict[str, Any] = {}
    with running([server]):
        server.wait_ready("/__motia/health")
        post = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        poll = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            for lang in LANGS:
                runs = []
                for n in range(warmup + samples):
                    result = _one_pet(post, poll, lang, n)
                    if n >= warmup:
                        runs.append(result)
                    time.sleep(gap)  # let the enrichment agent and the stream writes finish
                visible = [r["visible_ms"] for r in runs]
                out[lang] = {
                    "samples": len(runs),
                    "p50_ms": percentile(visible, 0.50),
                    "p90_ms": percentile(visible, 0.90),
                    "min_ms": min(visible),
                    "post_p50_ms": percentile([r["post_ms"] for r in runs], 0.50),
                    "poll_rtt_p50_ms": percentile([r["poll_rtt_ms"] for r in runs], 0.50),
                    "polls_p50": percentile([float(r["polls"]) for r in runs], 0.50),
                }
        finally:
            post.close()
            poll.close()
    return out


MEMORY = {
    "MOTIA_STATE_ADAPTER": "memory",
    "MOTIA_STREAMS_ADAPTER": "memory",
    "MOTIA_EVENTS_ADAPTER": "memory",
}


def main() -> int:
    """What the durable writes cost the flow: SQLite (the default) against the memory adapters,
    alternating rounds. ``.venv/bin/python bench/pet_bench.py [rounds] [samples]``"""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    medians: dict[str, dict[str, list[float]]] = {"sqlite": {}, "memory": {}}
    with tempfile.TemporaryDirectory(prefix="motia-pets-") as tmp:
        for round_index in range(rounds):
            order = ("sqlite", "memory") if round_index % 2 == 0 else ("memory", "sqlite")
            for name in order:
                result = bench_pets(
                    Path(tmp), samples, warmup=3, gap=0.05, env=MEMORY if name == "memory" else None
                )
                for lang, row in result.items():
                    medians[name].setdefault(lang, []).append(row["p50_ms"])
                print(name, {lang: round(row["p50_ms"], 2) for lang, row in result.items()}, flush=True)
    for name, per_lang in medians.items():
        print(
            name,
            "median of round p50s:",
            {lang: round(statistics.median(v), 2) for lang, v in per_lang.items()},
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
