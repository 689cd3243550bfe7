"""Where the supervisor's CPU per pet goes: pets of one language back to back (bench/pet_bench.py's
flow, this checkout's code), measured three ways in separate runs of the same length:

- ``cpu``: CPU per pet of each process of the server (psutil), of the supervisor's loop thread
  against its other threads (``/proc/<pid>/task``), and what one of the bench's own polls costs (the
  ``GET /<lang>/pets/:id`` it sends back to back while a pet runs), measured after the pets;
- ``cprofile``: cProfile with a per-thread CPU clock (``time.thread_time``) on the loop thread, through a
  ``sitecustomize`` hook on the server's ``PYTHONPATH`` (started after the warm-up by SIGUSR1, written
  by SIGUSR2): the calls per pet of the hot functions and their profiled CPU, by part of the code.
  The profiler's own overhead roughly doubles the loop thread's CPU: read shares, not costs;
- ``pin``: the ``cpu`` run with the supervisor on CPU 0 and its runners on CPU 1 (``taskset``);
- ``pyspy``: the ``cpu`` run sampled by py-spy (``--nonblocking``: the supervisor is never paused, so
  its CPU per pet is the ``cpu`` mode's), every sampled stack put in one bucket of what it serves
  (``BUCKETS``): the first frame from the innermost outwards that belongs to a part of the work (a
  state write's COMMIT counts for state, a stream set's socket write for streams), else the transport
  or scheduling frame it ran under. The buckets' shares times the measured CPU per pet: ms per pet.
  py-spy counts a thread that is runnable but waiting for a CPU as busy: on a loaded machine the
  shares lean towards where the supervisor is preempted (a write that wakes a runner, the loop's
  poll); ``pyspy-pin`` pins as ``pin`` does, so that a woken runner does not take its CPU;
- ``sql``: every SQLite statement the supervisor runs (``set_trace_callback`` on every connection, through
  the same hook), per pet, by its text with the values taken out, and whether the loop's thread ran it;
- ``perf``: ``perf record`` of the supervisor (native frames too: uvloop's, SQLite's, the kernel's),
  kept for ``perf report``.

A pet is seen ``in_quarantine`` through its stream item (``--watch stream``, the default) or by polls
(``--watch poll``), as in bench/pet_bench.py. ``--baseline-ref REF`` runs every mode for REF's code too
(``git archive``), ``--rounds`` times, old and new alternating: an A/B of the supervisor's CPU per pet.

Usage: ``.venv/bin/python bench/supervisor_pet_profile.py --lang ts --seconds 15 --modes cpu,cprofile,pin``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from http_bench import cpu_seconds
from pet_bench import (
    NO_OPENAI,
    StreamWatch,
    _polled_pet,
    _role,
    _watched_pet,
    cpu_ms_by_role,
    write_pet_project,
)
from profiling import py_spy
from servers import codes_under_test, motia

HOOK = """\
import os, signal, sys
_out = os.environ.get("MOTIA_BENCH_CPROFILE")
if _out and "start" in sys.argv:
    import cProfile, time
    _profile = cProfile.Profile(timer=time.thread_time)
    def _on_signal(signum, frame):
        if signum == signal.SIGUSR1:
            _profile.enable()
        else:
            _profile.disable()
            _profile.dump_stats(_out)
    signal.signal(signal.SIGUSR1, _on_signal)
    signal.signal(signal.SIGUSR2, _on_signal)
_sql_out = os.environ.get("MOTIA_BENCH_SQL")
if _sql_out and "start" in sys.argv:
    import collections, json, re, sqlite3, threading
    _counts = collections.Counter()
    _on = [False]
    _literals = re.compile(r"[xX]?'(?:[^']|'')*'|[0-9]+(?:[.][0-9]+)?")
    def _trace(statement):
        if _on[0]:
            on_loop = threading.current_thread() is threading.main_thread()
            _counts[(on_loop, _literals.sub("?", statement))] += 1
    _connect = sqlite3.connect
    def _traced_connect(*args, **kwargs):
        conn = _connect(*args, **kwargs)
        conn.set_trace_callback(_trace)
        return conn
    sqlite3.connect = _traced_connect
    def _on_sql_signal(signum, frame):
        if signum == signal.SIGUSR1:
            _on[0] = True
        else:
            _on[0] = False
            rows = [[loop, statement, n] for (loop, statement), n in _counts.most_common()]
            with open(_sql_out, "w") as out:
                json.dump(rows, out)
    signal.signal(signal.SIGUSR1, _on_sql_signal)
    signal.signal(signal.SIGUSR2, _on_sql_signal)
"""

#: (label, test on a profiled function's file and name); the first match wins
PARTS: list[tuple[str, Any]] = [
    ("SQLite statements (the C calls)", lambda f, fn: "sqlite3" in fn),
    ("runner frames: decode, encode, session, connection, pool", lambda f, fn: "supervisor/protocol/" in f
     or "supervisor/runners/" in f),
    ("socket writes to the runners (transport write)", lambda f, fn: f.endswith("asyncio/streams.py")),
    ("HTTP front: uvicorn, ASGI, routing, responses", lambda f, fn: any(
        x in f for x in ("uvicorn", "httptools", "supervisor/cli/_uvicorn", "supervisor/http/", "quart",
                         "supervisor/routing"))),
    ("SQLite write and read path (storage/)", lambda f, fn: "supervisor/storage/" in f),
    ("stores' SQL closures (state, streams, queue)", lambda f, fn: any(
        x in f for x in ("supervisor/state/", "supervisor/streams/_sqlite", "supervisor/queue/_sqlite"))),
    ("stream publish (streams/, realtime/)", lambda f, fn: "supervisor/realtime/" in f
     or "supervisor/streams/" in f),
    ("context-call dispatch (core/_context_calls)", lambda f, fn: "core/_context_calls" in f),
    ("events: runtime, bus", lambda f, fn: "supervisor/core/_runtime" in f or "supervisor/queue/" in f),
    ("trace and log records (tracing/)", lambda f, fn: "supervisor/tracing/" in f),
    ("log lines (logging, logs/)", lambda f, fn: "logging/" in f or "supervisor/logs/" in f),
    ("asyncio loop, tasks, futures", lambda f, fn: "asyncio/" in f or "_contextvars" in fn),
    ("orjson", lambda f, fn: "orjson" in fn),
    ("the rest of supervisor/", lambda f, fn: "supervisor/" in f),
]  # fmt: skip

#: functions whose calls per pet count what a pet does (plain functions: cProfile counts every resume
#: of a coroutine as a call, so no coroutine here)
COUNTED = {
    "decode_runner_message": "frames from the runners",
    "encode_context_reply": "context calls answered",
    "encode_invoke": "invocations",
    "try_now": "writes committed on the loop thread",
    "_publish": "stream changes published",
    "log_event": "log lines",
    "context_call": "context calls (every method) seen by the trace recorder",
    "on_headers_complete": "HTTP requests",
}


#: (bucket, test on a frame's file and function), looked for from the innermost frame outwards; the first
#: frame that matches any names the stack's bucket (what it serves), so storage, asyncio and socket
#: frames count for the part that called them
BUCKETS: list[tuple[str, Any]] = [
    ("tracing recorder (tracing/)", lambda f, fn: "supervisor/tracing/" in f),
    ("runner log lines (logs/, logging)", lambda f, fn: "supervisor/logs/" in f or "/logging/" in f
     or (fn.endswith("._log") and "runners/_connection" in f)),
    ("state ops (state/)", lambda f, fn: "supervisor/state/" in f),
    ("streams set + WebSocket broadcast (streams/, realtime/)", lambda f, fn: "supervisor/streams/" in f
     or "supervisor/realtime/" in f),
    ("queue: enqueue, claim, deliver, ack (queue/)", lambda f, fn: "supervisor/queue/" in f),
    ("protocol encode/decode (protocol/)", lambda f, fn: "supervisor/protocol/" in f),
    ("context-call dispatch and validation (core/_context_calls)", lambda f, fn: "core/_context_calls" in f),
    ("invocations: runtime (core/_runtime, other core/)", lambda f, fn: "supervisor/core/" in f),
    ("HTTP request handling (http/, routing/, server, ASGI)", lambda f, fn: any(
        x in f for x in ("supervisor/http/", "supervisor/routing/", "supervisor/cli/_uvicorn",
                         "supervisor/cli/_hypercorn", "/uvicorn/", "/httptools/", "/hypercorn/", "/h11/",
                         "/quart/", "/werkzeug/"))),
    ("runner pipe I/O (runners/, pipe transports)", lambda f, fn: "supervisor/runners/" in f
     or "asyncio/unix_events.py" in f or "asyncio/base_subprocess.py" in f),
]  # fmt: skip
#: what a stack that matched no bucket ran under
FALLBACK: list[tuple[str, Any]] = [
    ("SQLite commits of a loop turn's later writes (storage/)", lambda f, fn: "supervisor/storage/" in f),
    ("socket I/O not attributed (selector transports)", lambda f, fn: "asyncio/selector_events.py" in f),
    (
        "asyncio scheduling (loop, tasks, futures, selector)",
        lambda f, fn: "asyncio/" in f or "selectors.py" in f,
    ),
]


def bucket_of(frames: list[tuple[str, str]]) -> str:
    """The bucket of one sampled stack (``(function, file)`` from the outermost frame inwards)."""
    for rules in (BUCKETS, FALLBACK):
        for function, file in reversed(frames):
            for label, test in rules:
                if test(file, function):
                    return str(label)
    return "other (threads' own frames, interpreter)"


def summarise_pyspy(path: Path, supervisor_ms_per_pet: float, top: int = 30) -> dict[str, Any]:
    from profile_summary import collapsed_stacks

    buckets: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for frames, count in collapsed_stacks(path):
        total += count
        buckets[bucket_of(frames)] += count
        function, file = frames[-1]
        leaves[f"{function} ({'/'.join(Path(file).parts[-2:])})"] += count
    return {
        "samples": total,
        "ms_per_pet": {label: supervisor_ms_per_pet * n / total for label, n in buckets.most_common()},
        "share": {label: n / total for label, n in buckets.most_common()},
        "top_leaves": {label: n / total for label, n in leaves.most_common(top)},
    }


def _thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread of ``pid``: ``loop`` (the main thread) and ``other``."""
    out = {"loop": 0.0, "other threads": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            out["loop" if tid == str(pid) else "other threads"] += (int(fields[11]) + int(fields[12])) / tick
    return out


def _wakeups_and_syscalls(procs: list[Any], root: int) -> dict[str, dict[str, int]]:
    """Per kind of process of the server: its read and write system calls (``/proc/<pid>/io``: syscr,
    syscw, every thread's) and its voluntary context switches (each a sleep, so each a wake-up to come),
    summed over its threads (``/proc/<pid>/task/*/status``)."""
    out: dict[str, dict[str, int]] = {}
    for process in procs:
        counts = out.setdefault(_role(process, root), {"reads": 0, "writes": 0, "wakeups": 0})
        with contextlib.suppress(OSError):
            io = dict(line.split(": ") for line in Path(f"/proc/{process.pid}/io").read_text().splitlines())
            counts["reads"] += int(io["syscr"])
            counts["writes"] += int(io["syscw"])
            for tid in os.listdir(f"/proc/{process.pid}/task"):
                with contextlib.suppress(OSError):
                    for line in Path(f"/proc/{process.pid}/task/{tid}/status").read_text().splitlines():
                        if line.startswith("voluntary_ctxt_switches:"):
                            counts["wakeups"] += int(line.split()[1])
    return out


def run(
    lang: str, seconds: float, mode: str, workdir: Path, watch: str = "stream", code: Path | None = None
) -> dict[str, Any]:
    project = write_pet_project(Path(tempfile.mkdtemp(prefix="pet-app-", dir=workdir)))
    env = dict(NO_OPENAI)
    stats_file = workdir / f"{mode}.pstats"
    if mode in ("cprofile", "sql"):
        hook = workdir / "hook"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
        env["PYTHONPATH"] = str(hook)
        env["MOTIA_BENCH_CPROFILE" if mode == "cprofile" else "MOTIA_BENCH_SQL"] = str(stats_file)
    with motia(project, code=code, env=env, name="pets") as server:
        post = http.client.HTTPConnection("127.0.0.1", server.port, 10)
        poll = http.client.HTTPConnection("127.0.0.1", server.port, 10)
        stream = StreamWatch(server.port) if watch == "stream" else None

        def one_pet(n: int) -> dict[str, Any]:
            return _watched_pet(post, stream, lang, n) if stream else _polled_pet(post, poll, lang, n)

        for n in range(5):
            one_pet(n)
        procs = server.tree()
        if mode in ("pin", "pyspy-pin"):
            subprocess.run(
                ["taskset", "-a", "-p", "-c", "0", str(server.proc.pid)], check=True, capture_output=True
            )
            for child in procs[1:]:
                subprocess.run(
                    ["taskset", "-a", "-p", "-c", "1", str(child.pid)], check=True, capture_output=True
                )
        if mode in ("cprofile", "sql"):
            os.kill(server.proc.pid, signal.SIGUSR1)
        sampler = None
        if mode.startswith("pyspy"):
            spy = py_spy()
            if spy is None:
                raise SystemExit("py-spy is not installed (.venv/bin/pip install py-spy)")
            sampler = subprocess.Popen(
                [spy, "record", "--pid", str(server.proc.pid), "--duration", str(round(seconds) + 1),
                 "--rate", "1000", "--format", "raw", "--full-filenames", "--nonblocking",
                 "--output", str(workdir / "pyspy.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(0.7)
        if mode == "perf":  # native frames too: uvloop's, SQLite's, the kernel's (perf report reads it)
            sampler = subprocess.Popen(
                ["perf", "record", "-e", "cpu-clock", "-F", "1999", "-g", "-p", str(server.proc.pid),
                 "-o", str(workdir / "perf.data"), "--", "sleep", str(round(seconds))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(0.3)
        before, threads_before = cpu_seconds(procs), _thread_cpu(server.proc.pid)
        counts_before = _wakeups_and_syscalls(procs, server.proc.pid)
        started, latencies = time.monotonic(), list[float]()
        while time.monotonic() - started < seconds:
            latencies.append(one_pet(100 + len(latencies))["visible_ms"])
        pets = len(latencies)
        cpu = cpu_ms_by_role(procs, server.proc.pid, before)
        counts_after = _wakeups_and_syscalls(procs, server.proc.pid)
        threads_after = _thread_cpu(server.proc.pid)
        if sampler is not None:
            sampler.wait(timeout=seconds + 30)
        if mode in ("cprofile", "sql"):
            os.kill(server.proc.pid, signal.SIGUSR2)
            deadline = time.monotonic() + 10
            while not stats_file.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
        # one poll alone: a pet that is already in_quarantine, read back to back
        body = json.dumps({"name": "Polled", "species": "dog", "ageMonths": 3}).encode()
        post.request("POST", f"/{lang}/pets", body, {"content-type": "application/json"})
        response = post.getresponse()
        created, status = json.loads(response.read()), response.status
        pet_id = created.get("petId") or created.get("id")
        time.sleep(0.5)
        polls_before = cpu_seconds(procs)
        for _ in range(300):
            poll.request("GET", f"/{lang}/pets/{pet_id}")
            poll.getresponse().read()
        poll_cpu = cpu_ms_by_role(procs, server.proc.pid, polls_before)
        if stream is not None:
            stream.close()
    latencies.sort()
    result: dict[str, Any] = {
        "mode": mode,
        "watch": watch,
        "pets": pets,
        "p50_ms": latencies[pets // 2],
        "cpu_ms_per_pet": {role: ms / pets for role, ms in sorted(cpu.items())},
        "supervisor_threads_ms_per_pet": {
            name: 1000 * (threads_after[name] - threads_before[name]) / pets for name in threads_after
        },
        "one_poll_cpu_ms": {role: ms / 300 for role, ms in sorted(poll_cpu.items())},
        "per_pet": {
            role: {name: (n - counts_before.get(role, {}).get(name, 0)) / pets for name, n in counts.items()}
            for role, counts in sorted(counts_after.items())
        },
        "post_status": status,
        "load": os.getloadavg()[0],
    }
    if mode == "cprofile" and stats_file.exists():
        result["profile"] = summarise(stats_file, pets)
    if mode == "sql" and stats_file.exists():
        rows = json.loads(stats_file.read_text(encoding="utf-8"))
        result["sql_per_pet"] = [
            {"loop": loop, "statement": " ".join(statement.split()), "per_pet": n / pets}
            for loop, statement, n in rows
        ]
    if mode == "perf" and (workdir / "perf.data").exists():
        kept = Path(tempfile.gettempdir()) / f"supervisor-pet-{lang}.perf.data"
        (workdir / "perf.data").replace(kept)
        result["perf_data"] = str(kept)
        print(f"perf data: {kept} (perf report -i {kept} --no-children --sort dso,sym)")
    if mode.startswith("pyspy") and (workdir / "pyspy.txt").exists():
        result["pyspy"] = summarise_pyspy(
            workdir / "pyspy.txt", result["cpu_ms_per_pet"].get("supervisor", 0.0)
        )
        kept = Path(tempfile.gettempdir()) / f"supervisor-pet-{lang}.pyspy.txt"
        (workdir / "pyspy.txt").replace(kept)
        result["pyspy_raw"] = str(kept)
    return result


def summarise(path: Path, pets: int) -> dict[str, Any]:
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    parts: Counter[str] = Counter()
    counts: dict[str, float] = {}
    total = 0.0
    for (file, _line, name), (_cc, calls, own, _cum, _callers) in stats.items():
        total += own
        label = next((label for label, test in PARTS if test(file, name)), "builtins and the rest")
        parts[label] += own
        if name in COUNTED and "supervisor/" in file:
            counts[name] = counts.get(name, 0.0) + calls / pets
    own = sorted(stats.items(), key=lambda entry: entry[1][2], reverse=True)[:40]
    return {
        "top_own_us_per_pet": {
            f"{name} ({'/'.join(Path(file).parts[-2:])}:{line})": (1e6 * entry[2] / pets, entry[1] / pets)
            for (file, line, name), entry in own
        },
        "profiled_us_per_pet": 1e6 * total / pets,
        "parts_share": {label: own / total for label, own in parts.most_common()},
        "calls_per_pet": counts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--lang", default="ts")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--modes",
        default="cpu,cprofile,pin",
        help="cpu, cprofile, sql, pin, pyspy, pyspy-pin, perf; comma-separated",
    )
    parser.add_argument("--watch", default="stream", choices=("stream", "poll"))
    parser.add_argument("--baseline-ref", help="a git ref measured against this checkout, rounds alternating")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="motia-supprof-") as tmp:
        codes = list(codes_under_test(args.baseline_ref, Path(tmp)).items())
        for round_index in range(args.rounds):
            for name, code in codes if round_index % 2 == 0 else codes[::-1]:
                for mode in args.modes.split(","):
                    result = run(args.lang, args.seconds, mode, Path(tmp), args.watch, code)
                    result["code"], result["round"] = name, round_index + 1
                    results.append(result)
                    report(f"round {round_index + 1} {name} {mode}", args.lang, result)
    if args.baseline_ref:
        for mode in args.modes.split(","):
            for name, _ in codes:
                rows = [r for r in results if r["code"] == name and r["mode"] == mode]
                supervisor = sorted(r["cpu_ms_per_pet"].get("supervisor", 0.0) for r in rows)
                p50 = sorted(r["p50_ms"] for r in rows)
                counts = {
                    role: {
                        name: sorted(r["per_pet"].get(role, {}).get(name, 0.0) for r in rows)[len(rows) // 2]
                        for name in ("reads", "writes", "wakeups")
                    }
                    for role in rows[0].get("per_pet", {})
                }
                print(
                    f"{name} {mode}: supervisor CPU ms per pet, median of {len(rows)} rounds"
                    f" {supervisor[len(rows) // 2]:.2f} (all: {', '.join(f'{v:.2f}' for v in supervisor)});"
                    f" pets p50 {p50[len(rows) // 2]:.2f} ms; per pet (medians): "
                    + "; ".join(
                        f"{role} " + ", ".join(f"{name} {n:.1f}" for name, n in c.items())
                        for role, c in counts.items()
                    )
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def report(label: str, lang: str, result: dict[str, Any]) -> None:
    cpu = ", ".join(f"{role} {ms:.2f}" for role, ms in result["cpu_ms_per_pet"].items())
    threads = ", ".join(f"{k} {v:.2f}" for k, v in result["supervisor_threads_ms_per_pet"].items())
    poll = ", ".join(f"{role} {ms:.3f}" for role, ms in result["one_poll_cpu_ms"].items())
    print(
        f"{label}: {result['pets']} {lang} pets ({result['watch']}), p50 {result['p50_ms']:.2f} ms, load"
        f" {result['load']:.1f}; CPU ms per pet: {cpu}; supervisor: {threads}; one poll: {poll}",
        flush=True,
    )
    counts = "; ".join(
        f"{role} " + ", ".join(f"{name} {n:.1f}" for name, n in per_pet.items())
        for role, per_pet in result.get("per_pet", {}).items()
    )
    print(f"  per pet (read / write system calls, voluntary context switches): {counts}", flush=True)
    profile = result.get("profile")
    if profile:
        print(f"  loop thread profiled: {profile['profiled_us_per_pet']:.0f} us per pet")
        for part, share in profile["parts_share"].items():
            print(f"  {100 * share:5.1f} %  {part}")
        for name, per_pet in sorted(profile["calls_per_pet"].items()):
            print(f"  {per_pet:6.1f} per pet  {name}  {COUNTED[name]}")
        print("  own time per pet (profiled us, calls per pet):")
        for name, (us, calls) in profile["top_own_us_per_pet"].items():
            print(f"  {us:7.1f} us {calls:6.1f}  {name}")
    statements = result.get("sql_per_pet")
    if statements:
        total = sum(row["per_pet"] for row in statements)
        on_loop = sum(row["per_pet"] for row in statements if row["loop"])
        print(f"  SQLite statements per pet: {total:.1f} ({on_loop:.1f} on the loop's thread)")
        for row in statements:
            where = "loop " if row["loop"] else "other"
            print(f"  {row['per_pet']:6.2f}  {where}  {row['statement'][:150]}")
    spied = result.get("pyspy")
    if spied:
        print(f"  py-spy: {spied['samples']} samples; supervisor CPU per pet by bucket:")
        for label, ms in spied["ms_per_pet"].items():
            print(f"  {ms:6.3f} ms  {100 * spied['share'][label]:5.1f} %  {label}")
        print("  hottest innermost frames:")
        for label, share in spied["top_leaves"].items():
            print(f"         {100 * share:5.1f} %  {label}")


if __name__ == "__main__":
    sys.exit(main())
