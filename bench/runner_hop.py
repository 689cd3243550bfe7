"""The bare runner hop: a context call from a handler answered by a ``RunnerConnection`` at once (no
state store, no tracing, no HTTP), per runner; what the transport and the runners cost per call.

One event step per runner makes N ``state.get`` calls; the connection answers each with ``null``. The
difference between an invocation making N calls and one making none, divided by N, is the round trip
(wall), the supervisor side's CPU (this process: pipe read, decode, a task, encode, pipe write) and the
runner's CPU. ``.venv/bin/python bench/runner_hop.py [--calls 200] [--invocations 20] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from constants import REPO

sys.path.insert(0, str(REPO))

from supervisor.protocol import ContextCall, TriggerKind
from supervisor.runners import RunnerConnection, prepare_runner

STEPS = {
    "node": (
        "hop.step.ts",
        "NodeHop",
        """export const config = { type: 'event', name: 'NodeHop', subscribes: ['hop'], emits: [] }
export const handler = async (input: { n: number }, { state }: any) => {
  for (let i = 0; i < input.n; i++) await state.get('g', 'k')
}
""",
    ),
    "python": (
        "hop_step.py",
        "PythonHop",
        """config = {"type": "event", "name": "PythonHop", "subscribes": ["hop"], "emits": []}


async def handler(input_data, context):
    for _ in range(input_data["n"]):
        await context.state.get("g", "k")
""",
    ),
}


async def _answer(call: ContextCall) -> object:
    return None


class NoRunnerProcess(Exception):
    """The connection has no runner process to measure."""


def runner_process(conn: RunnerConnection) -> psutil.Process:
    """The process of ``conn``'s runner, whose CPU is measured. Raises NoRunnerProcess when it has none
    (not started, or gone): ``psutil.Process(None)`` would be this process, counted as the runner."""
    pid = conn.pid
    if pid is None:
        raise NoRunnerProcess(f"{conn.runner_id} has no process (its pid is None): not started, or gone")
    return psutil.Process(pid)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(root: Path, runner: str, calls: int, invocations: int) -> dict[str, float]:
    file, step, _ = STEPS[runner]
    spec = await asyncio.to_thread(prepare_runner, runner, root)
    conn = RunnerConnection(spec, f"{runner}-hop", root, "info", _answer)
    await conn.start()
    try:
        await conn.load([f"steps/{file}"], [])
        me, child = psutil.Process(), runner_process(conn)

        async def invoke(n: int) -> None:
            await conn.invoke(f"steps/{file}", step, TriggerKind.EVENT, b'{"n":%d}' % n, "trace", "hop")

        for _ in range(5):
            await invoke(calls)
        totals: dict[int, tuple[float, float, float]] = {}
        for n in (0, calls):
            cpu_me, cpu_child, started = _cpu(me), _cpu(child), time.perf_counter()
            for _ in range(invocations):
                await invoke(n)
            totals[n] = (
                (time.perf_counter() - started) / invocations,
                (_cpu(me) - cpu_me) / invocations,
                (_cpu(child) - cpu_child) / invocations,
            )
        wall, supervisor, runner_cpu = ((totals[calls][i] - totals[0][i]) / calls * 1e6 for i in range(3))
        return {"wall_us": wall, "supervisor_cpu_us": supervisor, "runner_cpu_us": runner_cpu}
    finally:
        await conn.stop(2.0)


async def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--invocations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results: dict[str, list[dict[str, float]]] = {runner: [] for runner in STEPS}
    with tempfile.TemporaryDirectory(prefix="motia-hop-") as tmp:
        root = Path(tmp)
        (root / "steps").mkdir()
        for file, _, source in STEPS.values():
            (root / "steps" / file).write_text(source, encoding="utf-8")
        (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
        for _ in range(args.rounds):
            for runner in STEPS:
                try:
                    results[runner].append(await measure(root, runner, args.calls, args.invocations))
                except NoRunnerProcess as exc:
                    print(f"{runner}: a round skipped: {exc}", file=sys.stderr)
    print(
        f"load average (1 min) {load_before:.2f} -> {os.getloadavg()[0]:.2f}; medians of {args.rounds} rounds"
    )
    for runner, rows in results.items():
        if not rows:
            print(f"{runner:7} not measured: every round skipped")
            continue
        med = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        print(
            f"{runner:7} round trip {med['wall_us']:7.1f} µs/call   supervisor side CPU"
            f" {med['supervisor_cpu_us']:6.1f} µs   runner CPU {med['runner_cpu_us']:6.1f} µs"
        )
    return 0


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        sys.exit(asyncio.run(main()))
    sys.exit(uvloop.run(main()))
