"""The pet flow in one node runner, without the supervisor: what the runner costs per TS and per JS pet.

One node runner loads the TS and JS pet steps of steps/ (create, the feeding job, the enrichment agent, the
orchestrator); a stand-in core answers their context calls from memory (state in a dict, stream items echoed,
emits collected and delivered by hand). A pet: ``POST`` create (an api Invoke), then the feeding job and
the enrichment agent on what it emitted (together, as the queue would run them), then the orchestrator on
the job's ``feeding.reminder.completed``. No HTTP, no SQLite, no traces: the runner's CPU per pet (all its
threads, from /proc/<pid>/task/*/schedstat, ns) is the runner's and the steps' alone, and wall time per pet
includes only this process's answers.

Two modes:

- rounds (the default): ``--warmup`` pets per language, then rounds of ``--pets`` pets per language, the
  languages' order alternating from round to round; per language the runner's CPU and the wall p50 per pet,
  and TS/JS per round.
- ``--sequence ts:600,js:600``: blocks of pets from a fresh runner, CPU per pet per 100 pets (all threads,
  and the main thread alone): V8's warm-up curve, and what the language measured first pays for it
  (``idle:SECONDS`` pauses between blocks).

``.venv/bin/python bench/runner_pets.py --rounds 6`` / ``--sequence ts:400,js:400,ts:400,js:400``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from constants import REPO

sys.path.insert(0, str(REPO))

from supervisor.protocol import ContextCall, TriggerKind
from supervisor.runners import RunnerConnection, prepare_runner

#: language -> (folder under steps/, file extension, step name prefix)
LANGS = {"ts": ("typescript", "ts", "Ts"), "js": ("javascript", "js", "Js")}
STEPS = ("create-pet.step", "set-next-feeding-reminder.job.step", "ai-profile-enrichment.step")
ORCHESTRATOR = "pet-lifecycle-orchestrator.step"


class Core:
    """The supervisor's side of the calls, from memory."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, str], Any] = {}
        self.emitted: list[dict[str, Any]] = []

    async def answer(self, call: ContextCall) -> object:
        args = orjson.loads(call.args_json)
        if call.method == "state.set":
            self.state[(args[0], args[1])] = args[2]
            return args[2]
        if call.method == "state.get":
            return self.state.get((args[0], args[1]))
        if call.method == "streams.set":
            return {**args[3], "id": args[2]}
        if call.method == "emit":
            self.emitted.append(args[0])
        return None

    def take(self, topic_suffix: str) -> dict[str, Any]:
        event = next(e for e in self.emitted if e["topic"].endswith(topic_suffix))
        self.emitted.remove(event)
        return event


def cpu_seconds(pid: int, main_only: bool = False) -> float:
    """On-CPU time of a process's threads (or its main thread), ns-precise."""
    tasks = [str(pid)] if main_only else os.listdir(f"/proc/{pid}/task")
    total = 0
    for task in tasks:
        with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as stat:
            total += int(stat.read().split()[0])
    return total / 1e9


def file_of(lang: str, step: str) -> str:
    folder, ext, _ = LANGS[lang]
    return f"steps/{folder}/{step}.{ext}"


async def one_pet(conn: RunnerConnection, core: Core, lang: str, n: int) -> None:
    prefix = LANGS[lang][2]
    body = {"name": f"Bench{n}", "species": "dog", "ageMonths": 24}
    request = {
        "body": body,
        "headers": {},
        "pathParams": {},
        "queryParams": {},
        "rawBody": orjson.dumps(body).decode(),
    }
    core.emitted.clear()
    created = await conn.invoke(
        file_of(lang, "create-pet.step"),
        f"{prefix}CreatePet",
        TriggerKind.API,
        orjson.dumps(request),
        "trace",
    )
    assert created.ok, created.error
    enqueued, pet_created = core.take("feeding.reminder.enqueued"), core.take("pet.created")
    results = await asyncio.gather(
        conn.invoke(
            file_of(lang, "set-next-feeding-reminder.job.step"),
            f"{prefix}SetNextFeedingReminder",
            TriggerKind.EVENT,
            orjson.dumps(enqueued["data"]),
            "trace",
            enqueued["topic"],
        ),
        conn.invoke(
            file_of(lang, "ai-profile-enrichment.step"),
            f"{prefix}AiProfileEnrichment",
            TriggerKind.EVENT,
            orjson.dumps(pet_created["data"]),
            "trace",
            pet_created["topic"],
        ),
    )
    assert all(r.ok for r in results), [r.error for r in results]
    completed = core.take("feeding.reminder.completed")
    orchestrated = await conn.invoke(
        file_of(lang, ORCHESTRATOR),
        f"{prefix}PetLifecycleOrchestrator",
        TriggerKind.EVENT,
        orjson.dumps(completed["data"]),
        "trace",
        completed["topic"],
    )
    assert orchestrated.ok, orchestrated.error


def write_project(root: Path) -> Path:
    for name in ("package.json", "tsconfig.json", "types.d.ts"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, root / name)
    for folder, _, _ in LANGS.values():
        shutil.copytree(REPO / "steps" / folder, root / "steps" / folder)
    (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    return root


async def start_runner(root: Path, core: Core) -> RunnerConnection:
    spec = await asyncio.to_thread(prepare_runner, "node", root)
    conn = RunnerConnection(spec, "node-pets", root, "info", core.answer)
    await conn.start()
    files = [file_of(lang, step) for lang in LANGS for step in (*STEPS, ORCHESTRATOR)]
    loaded = await conn.load(files, ["steps/typescript/pet-creation.stream.ts"])
    if loaded.errors:
        raise RuntimeError(f"the pet steps did not load: {loaded.errors}")
    return conn


def started_pid(conn: RunnerConnection) -> int:
    """The runner's pid, whose threads' CPU time is read from /proc."""
    if conn.pid is None:
        raise RuntimeError("the node runner has no process: it did not start, or it stopped")
    return conn.pid


async def rounds(root: Path, rounds: int, pets: int, warmup: int) -> None:
    core = Core()
    conn = await start_runner(root, core)
    pid = started_pid(conn)
    try:
        for lang in LANGS:
            for n in range(warmup):
                await one_pet(conn, core, lang, n)
        cpu: dict[str, list[float]] = {lang: [] for lang in LANGS}
        wall: dict[str, list[float]] = {lang: [] for lang in LANGS}
        order = list(LANGS)
        for round_index in range(rounds):
            for lang in order if round_index % 2 == 0 else order[::-1]:
                before, times = cpu_seconds(pid), []
                for n in range(pets):
                    started = time.perf_counter()
                    await one_pet(conn, core, lang, n)
                    times.append(time.perf_counter() - started)
                cpu[lang].append((cpu_seconds(pid) - before) / pets * 1e6)
                wall[lang].append(statistics.median(times) * 1e6)
            print(
                f"round {round_index + 1}: "
                + ", ".join(
                    f"{lang} CPU {cpu[lang][-1]:5.0f} µs/pet, p50 {wall[lang][-1]:5.0f} µs" for lang in LANGS
                )
                + f" (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    finally:
        await conn.stop(2.0)
    cpu_ratio = statistics.median(t / j for t, j in zip(cpu["ts"], cpu["js"], strict=True))
    wall_ratio = statistics.median(t / j for t, j in zip(wall["ts"], wall["js"], strict=True))
    print(f"TS/JS, median of {rounds} rounds: runner CPU per pet {cpu_ratio:.3f}, wall p50 {wall_ratio:.3f}")


async def sequence(root: Path, blocks: list[str]) -> None:
    core = Core()
    conn = await start_runner(root, core)
    pid = started_pid(conn)
    try:
        for block in blocks:
            what, _, amount = block.partition(":")
            if what == "idle":
                await asyncio.sleep(float(amount))
                print(f"idle {amount} s", flush=True)
                continue
            per_100 = []
            for _ in range(int(amount) // 100):
                total, main = cpu_seconds(pid), cpu_seconds(pid, main_only=True)
                for n in range(100):
                    await one_pet(conn, core, what, n)
                per_100.append(
                    f"{(cpu_seconds(pid) - total) * 1e4:.0f}"
                    f" ({(cpu_seconds(pid, main_only=True) - main) * 1e4:.0f})"
                )
            print(
                f"{what}: CPU µs per pet per 100 pets, all threads (main thread): {', '.join(per_100)}",
                flush=True,
            )
    finally:
        await conn.stop(2.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--pets", type=int, default=300, help="pets per language and round")
    parser.add_argument("--warmup", type=int, default=600, help="pets per language before the rounds")
    parser.add_argument(
        "--sequence", help="blocks of pets from a fresh runner: ts:600,js:600 (idle:S pauses)"
    )
    args = parser.parse_args()
    print(f"load average (1 min) {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="motia-runner-pets-") as tmp:
        root = write_project(Path(tmp))
        if args.sequence:
            asyncio.run(sequence(root, args.sequence.split(",")))
        else:
            asyncio.run(rounds(root, args.rounds, args.pets, args.warmup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
