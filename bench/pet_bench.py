"""f. The pet app's whole flow: ``POST /<lang>/pets`` -> the pet visible ``in_quarantine``, per language
(create, emit, the feeding job, the orchestrator, state).

The project is a copy of the repository's app (steps/ and its project files, node_modules linked), served
by ``motia start`` without an OpenAI key (the agents take their rule-based fallback: no network). One
pet at a time, seen ``in_quarantine`` one of two ways (``--watch``):

- ``stream`` (the default): before the POST, a WebSocket joins the ``petCreation`` stream item the
  orchestrator writes right after it stores the pet ``in_quarantine`` (group: the request's trace id, which
  the POST chooses with a ``traceparent`` header; item: ``in_quarantine``); the latency is that item's
  message minus the POST's send time. Nothing but the flow runs on the server while it is measured.
- ``poll``: a second keep-alive connection GETs the pet back to back until its status is ``in_quarantine``;
  late by at most one GET (its round trip is reported next to it), and the GETs (~5 per pet) cost the
  server CPU beside the flow they measure.

Next to each language's pets: the CPU each process of the server spent per pet (the supervisor, the node
runner, the Python runner, others). Each round's server runs every language's ``--warmup`` pets before it
measures any, and the languages take turns at being measured first (``bench_pets``): the first language
measured after start-up pays the runners' warm-up, which is no property of its language.

``--baseline-ref REF`` measures REF's code in the same run, rounds alternating (an A/B of a change);
``--node-profile DIR`` records ``node --cpu-prof`` profiles of the node runner and prints where its busy time
went while the TS and JS pets ran (bench/node_profile.py).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import psutil
from constants import LANGS, REPO
from http_bench import cpu_seconds
from load import percentile
from machine_hops import chain_pattern, critical_path, echo_pet_pattern, echo_server, fetch_trace, hop_chain
from node_profile import summarise
from servers import codes_under_test, motia
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Request, TextMessage

PROJECT_FILES = ("package.json", "package-lock.json", "tsconfig.json", "types.d.ts", "motia.config.json")
NO_OPENAI = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": "", "OPENAI_MODEL": ""}
#: a pet's critical path in wake-ups when its trace cannot be read (what the traces of all three languages
#: show: 12 awaited context calls, bench/machine_hops.py's critical_path)
PET_WAKEUPS = 40
#: work per wake-up of the second chain: about what the flow does between two of its hops (pets back to back
#: take 12-20 ms for 40 wake-ups on a quiet machine)
PET_WORK_US = 300.0


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


class StreamWatch:
    """A blocking WebSocket client of the server's streams (Motia's wire: join, then sync and changes)."""

    def __init__(self, port: int) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._sock.sendall(self._ws.send(Request(host="127.0.0.1", target="/")))
        self._messages: list[dict[str, Any]] = []
        self._accepted = False
        while not self._accepted:
            self._receive()
        self._joins = 0

    def _receive(self) -> None:
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionError("the stream socket closed")
        self._ws.receive_data(data)
        for event in self._ws.events():
            if isinstance(event, AcceptConnection):
                self._accepted = True
            elif isinstance(event, TextMessage):
                self._messages.append(orjson.loads(event.data))
            elif isinstance(event, CloseConnection):
                raise ConnectionError(f"the stream socket closed: {event.code} {event.reason}")

    def _send(self, frame: dict[str, Any]) -> None:
        self._sock.sendall(self._ws.send(Message(data=orjson.dumps(frame).decode())))

    def next(self, deadline: float) -> dict[str, Any]:
        while not self._messages:
            self._sock.settimeout(max(0.001, deadline - time.monotonic()))
            self._receive()
        return self._messages.pop(0)

    def join(self, stream: str, group: str, item: str) -> dict[str, Any]:
        """Join one item; returns the subscription (for ``leave``) once its sync arrived."""
        self._joins += 1
        data = {"streamName": stream, "groupId": group, "id": item, "subscriptionId": f"s{self._joins}"}
        self._send({"type": "join", "data": data})
        deadline = time.monotonic() + 10
        while True:
            message = self.next(deadline)
            if message.get("groupId") == group and message["event"]["type"] == "sync":
                return data
            if message["event"]["type"] == "error":
                raise RuntimeError(f"join {stream}/{group}/{item} refused: {message}")

    def leave(self, subscription: dict[str, Any]) -> None:
        self._send({"type": "leave", "data": subscription})

    def close(self) -> None:
        self._sock.close()


def _post_pet(
    post: http.client.HTTPConnection, lang: str, n: int, headers: dict[str, str]
) -> tuple[int, int, str, str]:
    """Sends ``POST /<lang>/pets``: (sent, answered) on the monotonic clock, the pet's id, the trace id."""
    body = {"name": f"Bench{n}", "species": "dog", "ageMonths": 24}
    sent = time.monotonic_ns()
    post.request(
        "POST", f"/{lang}/pets", json.dumps(body).encode(), {"content-type": "application/json", **headers}
    )
    response = post.getresponse()
    created = json.loads(response.read())
    answered = time.monotonic_ns()
    if response.status != 201:
        raise RuntimeError(f"POST /{lang}/pets answered {response.status}: {created}")
    pet_id = created["petId"] if "petId" in created else created["id"]
    return sent, answered, pet_id, response.getheader("x-trace-id") or ""


class TraceparentIgnored(RuntimeError):
    """The server ran a POST under a trace of its own, not the ``traceparent`` it was sent (code older
    than traceparent support): ``--watch stream`` cannot see its pets."""


def _watched_pet(post: http.client.HTTPConnection, watch: StreamWatch, lang: str, n: int) -> dict[str, Any]:
    """One pet seen ``in_quarantine`` through the petCreation stream item the orchestrator writes then."""
    trace_id = secrets.token_hex(16)
    subscription = watch.join("petCreation", trace_id, "in_quarantine")
    headers = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    sent, answered, pet_id, answered_trace = _post_pet(post, lang, n, headers)
    if answered_trace != trace_id:  # no x-trace-id at all: code older than traces
        raise TraceparentIgnored(
            f"POST /{lang}/pets with traceparent trace {trace_id} ran as trace {answered_trace or '(none)'}: "
            "this code predates traceparent support, so its pets cannot be watched through their stream "
            "item (use --watch poll)"
        )
    deadline = time.monotonic() + 10
    while True:
        try:
            message = watch.next(deadline)
        except TimeoutError:
            raise TimeoutError(
                f"no petCreation item in_quarantine of trace {trace_id} (pet {pet_id}) within 10 s"
            ) from None
        seen = time.monotonic_ns()
        event = message["event"]
        if message.get("groupId") == trace_id and event["type"] in ("create", "update"):
            break
    watch.leave(subscription)
    if event["data"].get("petId") != pet_id:
        raise RuntimeError(f"the in_quarantine item of trace {trace_id} is not pet {pet_id}: {event}")
    return {
        "visible_ms": (seen - sent) / 1e6,
        "post_ms": (answered - sent) / 1e6,
        "poll_rtt_ms": 0.0,
        "polls": 0,
        "trace_id": trace_id,
    }


def _polled_pet(
    post: http.client.HTTPConnection, poll: http.client.HTTPConnection, lang: str, n: int
) -> dict[str, Any]:
    """One pet seen ``in_quarantine`` by GETs of it back to back."""
    sent, answered, pet_id, trace_id = _post_pet(post, lang, n, {})
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
        "trace_id": trace_id,
    }


def _role(process: psutil.Process, root: int) -> str:
    if process.pid == root:
        return "supervisor"
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return "other"
    if "runner.mjs" in command:
        return "node runner"
    if "motia_runner" in command:
        return "python runner"
    return "other"


def cpu_ms_by_role(procs: list[psutil.Process], root: int, before: dict[int, float]) -> dict[str, float]:
    """CPU ms each kind of process of the server spent since ``before`` (http_bench.cpu_seconds)."""
    after = cpu_seconds(procs)
    out: dict[str, float] = {}
    for process in procs:
        if process.pid in after:
            role = _role(process, root)
            out[role] = out.get(role, 0.0) + (after[process.pid] - before.get(process.pid, 0.0)) * 1000
    return out


def profiling_node(folder: Path) -> Path:
    """A ``node`` that records a CPU profile into ``folder`` (node 20 refuses --cpu-prof in NODE_OPTIONS),
    to put first on the server's PATH; ``node --version`` (the supervisor's check) stays as it is."""
    real = shutil.which("node")
    if real is None:
        raise RuntimeError("node is not on the PATH")
    wrapper = folder / "bin" / "node"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(
        "#!/bin/sh\n"
        f'case "$1" in --version|-v) exec {real} "$@";; esac\n'
        f'exec {real} --cpu-prof --cpu-prof-interval=200 --cpu-prof-dir={folder} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper.parent


def bench_pets(
    workdir: Path,
    samples: int,
    warmup: int,
    gap: float,
    env: dict[str, str] | None = None,
    code: Path | None = None,
    machine: bool = True,
    node_profile: Path | None = None,
    watch: str = "stream",
    order: Sequence[str] = LANGS,
) -> dict[str, Any]:
    """Per language: ``samples`` pets one at a time, ``gap`` s of sleep after each. With ``machine``,
    right after each language's pets and with the same gap: the bare echo answering the same requests
    and a chain of as many process wake-ups as one pet's traced critical path (bench/machine_hops.py),
    so the flow reads against what the machine alone costs for it, in the same run; and the same chain
    with ``PET_WORK_US`` of work (spinning) per hop, as the flow works between its hops. ``node_profile``:
    a folder for the node runner's CPU profiles (written when the server stops); each row's ``window_us``
    is when its pets ran, on the profile's clock. ``watch``: how a pet is seen ``in_quarantine``, "stream"
    or "poll" (the module's docstring). ``order``: the languages, in the order their pets are measured.

    Every language's ``warmup`` pets run before any language's measured ones. The node runner serves TS and
    JS alike and V8 tiers its shared code up over its first few hundred pets, so warming each language just
    before measuring it measured the first one (TS) on a runner still compiling: +0.4 ms of runner CPU and
    ~+0.7 ms per TS pet against JS measured later, a gap no runner difference between TS and JS made
    (bench/RESULTS.md, session 10). ``main`` changes ``order`` from round to round (``measuring_order``)."""
    project = write_pet_project(Path(tempfile.mkdtemp(prefix="pet-app-", dir=workdir)))
    out: dict[str, Any] = {}
    env = {**NO_OPENAI, **(env or {})}
    if node_profile is not None:
        env["PATH"] = f"{profiling_node(node_profile)}{os.pathsep}{os.environ.get('PATH', '')}"
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(motia(project, code=code, env=env, name="pets"))
        echo = stack.enter_context(echo_server(workdir)) if machine else None
        post = stack.enter_context(
            contextlib.closing(http.client.HTTPConnection("127.0.0.1", server.port, 10))
        )
        poll = stack.enter_context(
            contextlib.closing(http.client.HTTPConnection("127.0.0.1", server.port, 10))
        )
        stream = (
            stack.enter_context(contextlib.closing(StreamWatch(server.port))) if watch == "stream" else None
        )

        def one_pet(lang: str, n: int) -> dict[str, Any]:
            if stream is not None:
                result = _watched_pet(post, stream, lang, n)
            else:
                result = _polled_pet(post, poll, lang, n)
            time.sleep(gap)  # let the enrichment agent and the stream writes finish
            return result

        for lang in order:
            for n in range(warmup):
                one_pet(lang, n)
        for lang in order:
            procs = server.tree()
            cpu_before = cpu_seconds(procs)
            window_start = time.monotonic_ns() // 1000
            runs = [one_pet(lang, warmup + n) for n in range(samples)]
            window_end = time.monotonic_ns() // 1000
            cpu_ms = cpu_ms_by_role(procs, server.proc.pid, cpu_before)
            visible = [r["visible_ms"] for r in runs]
            row: dict[str, Any] = {
                "cpu_ms_per_pet": {role: ms / len(runs) for role, ms in sorted(cpu_ms.items())},
                "window_us": [window_start, window_end],
                "samples": len(runs),
                "gap_s": gap,
                "watch": watch,
                "p50_ms": percentile(visible, 0.50),
                "p90_ms": percentile(visible, 0.90),
                "min_ms": min(visible),
                "post_p50_ms": percentile([r["post_ms"] for r in runs], 0.50),
                "poll_rtt_p50_ms": percentile([r["poll_rtt_ms"] for r in runs], 0.50),
                "polls_p50": percentile([float(r["polls"]) for r in runs], 0.50),
            }
            # the median pet's trace: its critical path in context calls and wake-ups
            median_run = sorted(runs, key=lambda r: r["visible_ms"])[len(runs) // 2]
            try:
                path = critical_path(fetch_trace(poll, median_run["trace_id"]))
            except (TimeoutError, StopIteration, KeyError):  # tracing off, or code without traces
                path = {"wakeups": PET_WAKEUPS, "awaited_calls": 0, "to_write_ms": float("nan"), "spans": []}
            row["critical_path"] = path
            if echo is not None:
                row["echo"] = echo_pet_pattern(echo.port, samples, gap)
                with hop_chain(path["wakeups"]) as chain:
                    row["chain"] = chain_pattern(chain, samples, gap)
                with hop_chain(path["wakeups"], PET_WORK_US) as chain:
                    row["chain_work"] = chain_pattern(chain, samples, gap)
                row["x_echo"] = row["p50_ms"] / row["echo"]["p50_ms"]
                row["x_chain"] = row["p50_ms"] / row["chain"]["p50_ms"]
                row["x_chain_work"] = row["p50_ms"] / row["chain_work"]["p50_ms"]
            out[lang] = row
    return {lang: out[lang] for lang in LANGS if lang in out}


MEMORY = {
    "MOTIA_STATE_ADAPTER": "memory",
    "MOTIA_STREAMS_ADAPTER": "memory",
    "MOTIA_EVENTS_ADAPTER": "memory",
}


def print_rows(label: str, result: dict[str, Any]) -> None:
    for lang, row in result.items():
        path = row["critical_path"]
        cpu = ", ".join(f"{role} {ms:.1f}" for role, ms in row["cpu_ms_per_pet"].items())
        line = (
            f"{label} {lang}: pet visible p50 {row['p50_ms']:6.2f} ms (POST {row['post_p50_ms']:5.2f});"
            f" CPU ms per pet: {cpu}; trace:"
            f" {path['awaited_calls']} awaited calls, {path['wakeups']} wake-ups,"
            f" {path['to_write_ms']:5.2f} ms to the write"
        )
        if "echo" in row:
            line += (
                f" | echo POST+GET {row['echo']['p50_ms']:5.2f} ms (x{row['x_echo']:.1f}),"
                f" chain of {row['chain']['hops']} {row['chain']['p50_ms']:5.2f} ms (x{row['x_chain']:.1f}),"
                f" with work {row['chain_work']['p50_ms']:5.2f} ms (x{row['x_chain_work']:.1f})"
            )
        print(line, flush=True)


def print_node_profile(label: str, folder: Path, windows: dict[str, list[int]]) -> dict[str, float]:
    """Where the node runner's busy time went while the TS and JS pets ran (its profiles in ``folder``), per
    language and together; ``windows``: when each language's measured pets ran."""
    profiles = [json.loads(path.read_text()) for path in sorted(folder.glob("*.cpuprofile"))]
    shares: dict[str, float] = {}
    busy = 0
    for lang, window in windows.items():
        result = summarise(profiles, (window[0], window[1]))
        busy += result["busy_us"]
        for where, us in result["self"].items():
            shares[where] = shares.get(where, 0.0) + us
        own = sorted(result["self"].items(), key=lambda kv: -kv[1])[:8]
        part = ", ".join(f"{where} {100 * us / (result['busy_us'] or 1):.1f} %" for where, us in own)
        print(f"{label} node runner profile, {lang}: {result['busy_us'] / 1000:.0f} ms busy: {part}")
    total = busy or 1
    shares = {where: 100 * us / total for where, us in sorted(shares.items(), key=lambda kv: -kv[1])}
    top = ", ".join(f"{where} {pct:.1f} %" for where, pct in list(shares.items())[:12])
    print(f"{label} node runner profile, {busy / 1000:.0f} ms busy during TS+JS pets: {top}", flush=True)
    return shares


def measuring_order(round_index: int, langs: Sequence[str] = LANGS) -> list[str]:
    """The languages in the order round ``round_index`` measures them: each first in turn (rotations), and
    in the next as many rounds reversed, so each also follows each other one (in the rotations of ts, js,
    py, ts always comes right after py, when the node runner has sat idle). With three languages, six
    rounds measure every order once."""
    shift = round_index % len(langs)
    rotated = [*langs[shift:], *langs[:shift]]
    return rotated[::-1] if (round_index // len(langs)) % 2 else rotated


def main() -> int:
    """Goal 2 with the machine's own cost next to it, in alternating rounds: per gap between pets (the
    idle time before each POST), per adapter set (SQLite, the default, against memory: what the
    durable writes cost the flow) and, with ``--baseline-ref``, per code (a git ref's against this
    checkout's)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=15, help="pets per language, gap and round")
    parser.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="pets per language before the measured ones on each round's server (>= 200 for a warmed-up "
        "node runner: V8 tiers its code up over the first ~200 pets; pet_steady.py)",
    )
    parser.add_argument("--gaps", default="0.05,0", help="seconds of sleep after each pet, comma-separated")
    parser.add_argument("--adapters", default="sqlite", help="sqlite,memory to compare the two")
    parser.add_argument(
        "--watch",
        default="stream",
        help="how a pet is seen in_quarantine: stream (a subscription), poll (GETs), or stream,poll for both",
    )
    parser.add_argument("--baseline-ref", help="a git ref measured against this checkout, rounds alternating")
    parser.add_argument("--no-machine", action="store_true", help="leave out the echo and chain baselines")
    parser.add_argument("--node-profile", type=Path, help="a folder for the node runner's CPU profiles")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    gaps = [float(g) for g in args.gaps.split(",")]
    load_before = os.getloadavg()
    raw: dict[str, list[dict[str, Any]]] = {}
    profiles: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-pets-") as tmp:
        codes = codes_under_test(args.baseline_ref, Path(tmp))
        setups = [
            (name, adapter, gap, watch)
            for name in codes
            for adapter in args.adapters.split(",")
            for gap in gaps
            for watch in args.watch.split(",")
        ]
        for round_index in range(args.rounds):
            for name, adapter, gap, watch in setups if round_index % 2 == 0 else setups[::-1]:
                env = MEMORY if adapter == "memory" else None
                label = f"{name}:{adapter}:{watch}:gap={gap * 1000:g}ms"
                folder = None
                if args.node_profile is not None:
                    folder = args.node_profile.resolve() / f"{label.replace(':', '-')}-{round_index + 1}"
                    folder.mkdir(parents=True, exist_ok=True)
                result = bench_pets(
                    Path(tmp),
                    args.samples,
                    warmup=args.warmup,
                    gap=gap,
                    env=env,
                    code=codes[name],
                    machine=not args.no_machine,
                    node_profile=folder,
                    watch=watch,
                    order=measuring_order(round_index),
                )
                raw.setdefault(label, []).append(result)
                print_rows(f"round {round_index + 1} {label}", result)
                if folder is not None:
                    windows: dict[str, list[int]] = {
                        lang: result[lang]["window_us"] for lang in ("ts", "js") if lang in result
                    }
                    profiles.setdefault(label, []).append(
                        print_node_profile(f"round {round_index + 1} {label}", folder, windows)
                    )
    load_after = os.getloadavg()
    print(f"\nload average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for label, rounds in raw.items():
        for lang in LANGS:
            rows = [r[lang] for r in rounds]
            roles = sorted({role for r in rows for role in r["cpu_ms_per_pet"]})
            row: dict[str, float] = {
                "p50_ms": statistics.median(r["p50_ms"] for r in rows),
                "post_p50_ms": statistics.median(r["post_p50_ms"] for r in rows),
                "wakeups": statistics.median(r["critical_path"]["wakeups"] for r in rows),
                **{
                    f"cpu_ms_per_pet {role}": statistics.median(
                        r["cpu_ms_per_pet"].get(role, 0.0) for r in rows
                    )
                    for role in roles
                },
            }
            if not args.no_machine:
                row.update(
                    {
                        "echo_p50_ms": statistics.median(r["echo"]["p50_ms"] for r in rows),
                        "chain_p50_ms": statistics.median(r["chain"]["p50_ms"] for r in rows),
                        "chain_work_p50_ms": statistics.median(r["chain_work"]["p50_ms"] for r in rows),
                        "x_echo": statistics.median(r["x_echo"] for r in rows),
                        "x_chain": statistics.median(r["x_chain"] for r in rows),
                        "x_chain_work": statistics.median(r["x_chain_work"] for r in rows),
                    }
                )
            summary.setdefault(label, {})[lang] = row
            cpu = ", ".join(f"{k.split(' ', 1)[1]} {v:.1f}" for k, v in row.items() if k.startswith("cpu_ms"))
            line = f"{label:32} {lang}: pet p50 {row['p50_ms']:6.2f} ms; CPU ms per pet: {cpu}"
            if not args.no_machine:
                line += (
                    f"; echo {row['echo_p50_ms']:5.2f} ms (x{row['x_echo']:.1f}), chain of"
                    f" {row['wakeups']:.0f} {row['chain_p50_ms']:5.2f} ms (x{row['x_chain']:.1f}), with"
                    f" {PET_WORK_US:g} us of work per hop {row['chain_work_p50_ms']:5.2f} ms"
                    f" (x{row['x_chain_work']:.1f})"
                )
            print(line)
    if args.baseline_ref:
        # per language and setup: rounds where this checkout's p50 was below the baseline's
        for label in raw:
            if not label.startswith("new:"):
                continue
            old, new = raw["old:" + label[4:]], raw[label]
            for lang in LANGS:
                wins = sum(n[lang]["p50_ms"] < o[lang]["p50_ms"] for o, n in zip(old, new, strict=False))
                print(f"{label[4:]:26} {lang}: new faster in {wins} of {min(len(old), len(new))} rounds")
    profile_summary = {
        label: {
            where: statistics.median(p.get(where, 0.0) for p in rounds)
            for where in sorted({w for p in rounds for w in p})
        }
        for label, rounds in profiles.items()
    }
    for label, shares in profile_summary.items():
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:14]
        print(
            f"{label} node runner busy time (median share over rounds): "
            + ", ".join(f"{where} {pct:.1f} %" for where, pct in top)
        )
    if args.json:
        record = {
            "baseline_ref": args.baseline_ref,
            "load_before": load_before,
            "load_after": load_after,
            "summary": summary,
            "node_profile": profile_summary,
            "raw": raw,
        }
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
