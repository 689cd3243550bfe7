"""``motia dev``'s start on a project with a web app beside its steps (``frontend/`` with its own
``package.json``, a ``src/`` of folders and a ``node_modules`` of 20,000 files), this checkout against a
git ref's code in the same run, rounds alternating the two: spawn to every api step answering, and the
hot-reload watch's own start (the folders it walks and watches, and the time until its watches are
set up, in a process of its own: it runs on the event loop right after "ready").

And, in a process of its own too, a burst of changes (``--burst 50`` files written at once) in a folder
with its own ``package.json`` that the steps import (``shared/``): how many batches hot reload made of it,
how many step files it read to tell whether ``shared/`` holds their helpers, and the time until all
were reported (the watch's debounce, 300 ms, is most of it). ``--burst-only``: that alone.

``.venv/bin/python bench/dev_watch_start.py --baseline-ref integ [--rounds 5] [--modules 20000] [--burst 50]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from constants import LANGS, REPO
from projects import write_bench_project
from servers import Server, codes_under_test, free_port, motia_argv, running

# Run in a process of its own with the code under test on its path: the watch's start on the project,
# up to its watch tasks having set their watches up (each does so in its first step, before it waits).
_WATCH_START = """
import asyncio, json, sys, time
from pathlib import Path
from supervisor.discovery import helper_folders
from supervisor.reload import project_changes

root = Path(sys.argv[1])
began = time.perf_counter()
folders = len(helper_folders(root))
walked = time.perf_counter() - began

async def main() -> float:
    stop = asyncio.Event()
    changes = project_changes(root, stop)
    began = time.perf_counter()
    first = asyncio.ensure_future(changes.__anext__())
    for _ in range(3):  # project_changes starts its watch tasks; they set their watches up
        await asyncio.sleep(0)
    took = time.perf_counter() - began
    stop.set()
    first.cancel()  # into project_changes, which stops its watch tasks on the way out
    try:
        await first
    except asyncio.CancelledError:
        pass
    return took

print(json.dumps({"folders": folders, "walk_s": walked, "watch_s": asyncio.run(main())}))
"""


# The burst: ``shared/`` (its own package.json) imported by every step; the Node files read through the one
# function that reads the steps' imports, counted.
_BURST = """
import asyncio, json, sys, time
from pathlib import Path
from supervisor.discovery import _scan
from supervisor.reload import project_changes

root, size = Path(sys.argv[1]), int(sys.argv[2])
count = {"reads": 0, "batches": 0}
real = _scan.relative_import_targets

def counted(files):
    listed = [file for file in files if file.name.endswith(".ts")]
    count["reads"] += len(listed)
    return real(listed)

_scan.relative_import_targets = counted

async def main() -> dict[str, float]:
    stop = asyncio.Event()
    seen: set[str] = set()

    async def gather() -> None:
        async for changes in project_changes(root, stop):
            count["batches"] += 1
            seen.update(changes.paths)

    task = asyncio.ensure_future(gather())
    while "shared/lib/ready.ts" not in seen:  # the watches are up
        (root / "shared/lib/ready.ts").write_text("")
        await asyncio.sleep(0.5)
    count.update(reads=0, batches=0)
    burst = {f"shared/lib/part{index}.ts" for index in range(size)}
    began = time.perf_counter()
    for name in sorted(burst):
        (root / name).write_text("export const PART = 1\\n")
    while not burst <= seen:
        await asyncio.sleep(0.005)
    took = time.perf_counter() - began
    stop.set()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    return {"burst_batches": count["batches"], "burst_step_reads": count["reads"], "burst_s": took}

print(json.dumps(asyncio.run(main())))
"""
#: step files importing ``shared/`` in the burst's project
BURST_STEPS = 20


def write_burst_project(root: Path) -> Path:
    (root / "shared" / "lib").mkdir(parents=True)
    (root / "shared" / "package.json").write_text('{"name": "shared", "private": true}\n')
    (root / "shared" / "lib" / "value.ts").write_text("export const VALUE = 1\n")
    (root / "steps").mkdir()
    for index in range(BURST_STEPS):
        (root / "steps" / f"s{index}.step.ts").write_text(
            "import { VALUE } from '../shared/lib/value'\n"
            f"export const config = {{ type: 'event', name: 'S{index}', subscribes: ['s'], emits: [] }}\n"
            "export const handler = async () => VALUE\n"
        )
    return root


def write_project(root: Path, modules: int) -> Path:
    write_bench_project(root)
    (root / "middlewares").mkdir()
    (root / "middlewares" / "auth.middleware.ts").write_text("export const auth = 1\n")
    frontend = root / "frontend"
    (frontend / "public").mkdir(parents=True)
    (frontend / "package.json").write_text('{"name": "frontend", "private": true}\n')
    (frontend / "vite.config.ts").write_text("export default {}\n")
    for index in range(120):  # a React app's src/: components, hooks, pages, each in its folder
        folder = frontend / "src" / ("components", "hooks", "pages")[index % 3] / f"part{index}"
        folder.mkdir(parents=True)
        (folder / "index.tsx").write_text("export const Part = () => null\n")
        (folder / "api.ts").write_text("export const base = '/api'\n")
    for index in range(modules):  # 10 files a package folder, 20 packages a scope
        package = frontend / "node_modules" / f"scope{index // 200}" / f"pkg{index // 10}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"file{index % 10}.js").write_text("module.exports = 1\n")
    return root


def watch_start(project: Path, code: Path | None) -> dict[str, float]:
    return _in_process(code, _WATCH_START, str(project))


def burst(code: Path | None, size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="motia-burst-") as tmp:
        return _in_process(code, _BURST, str(write_burst_project(Path(tmp))), str(size))


def _in_process(code: Path | None, script: str, *args: str) -> dict[str, float]:
    path = os.pathsep.join(filter(None, [str(code or REPO), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=code or REPO,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the measure failed ({code or REPO}):\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout)
    return result


def dev_ready_s(project: Path, code: Path | None) -> float:
    shutil.rmtree(project / ".motia", ignore_errors=True)
    port = free_port()
    argv = ["dev" if arg == "start" else arg for arg in motia_argv(project, port, code)]
    server = Server.spawn("dev", argv, port, cwd=code or REPO)
    with running([server]):
        return max(server.wait_ready(f"/{lang}/hello") for lang in LANGS)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--baseline-ref")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modules", type=int, default=20_000)
    parser.add_argument("--burst", type=int, default=50, help="files written at once in shared/")
    parser.add_argument("--burst-only", action="store_true", help="measure the burst alone")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    samples: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-dev-watch-") as tmp:
        codes = codes_under_test(args.baseline_ref, Path(tmp))
        project = None if args.burst_only else write_project(Path(tmp) / "project", args.modules)
        for code in codes.values():
            if project is not None:
                dev_ready_s(project, code)  # tsx's compile cache, __pycache__: every measured start is warm
        for round_ in range(args.rounds):
            for name, code in codes.items():
                row = samples.setdefault(name, {})
                said = []
                if project is not None:
                    row.setdefault("ready_s", []).append(dev_ready_s(project, code))
                    for key, value in watch_start(project, code).items():
                        row.setdefault(key, []).append(value)
                    said.append(
                        f"ready {row['ready_s'][-1] * 1000:.0f} ms, {row['folders'][-1]:.0f} helper folders "
                        f"walked in {row['walk_s'][-1] * 1000:.1f} ms, "
                        f"watches set up in {row['watch_s'][-1] * 1000:.1f} ms"
                    )
                for key, value in burst(code, args.burst).items():
                    row.setdefault(key, []).append(value)
                said.append(_burst_said(args.burst, {key: values[-1] for key, values in row.items()}))
                print(
                    f"round {round_ + 1} {name}: {', '.join(said)}, load {os.getloadavg()[0]:.1f}", flush=True
                )
    summary = {
        name: {key: statistics.median(values) for key, values in row.items()} for name, row in samples.items()
    }
    for name, median in summary.items():
        said = [_burst_said(args.burst, median)]
        if project is not None:
            said.insert(
                0,
                f"ready {median['ready_s'] * 1000:.0f} ms, {median['folders']:.0f} helper "
                f"folders walked in {median['walk_s'] * 1000:.1f} ms, "
                f"watches set up in {median['watch_s'] * 1000:.1f} ms",
            )
        print(f"{name}, medians: {', '.join(said)}")
    if args.json:
        args.json.write_text(json.dumps({"samples": samples, "summary": summary}, indent=2) + "\n")
    return 0


def _burst_said(size: int, row: dict[str, float]) -> str:
    return (
        f"a burst of {size} files in {row['burst_batches']:.0f} batch(es), {row['burst_step_reads']:.0f} "
        f"step files read ({BURST_STEPS} steps), reported in {row['burst_s'] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
