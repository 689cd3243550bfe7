"""Wall time of ``motia generate-types`` and ``motia generate openapi`` on the example app.

Usage: .venv/bin/python bench/generate_types.py [--rounds N]

Each round runs, back to back on a copy of the example app (steps/ with the app's node_modules):
  baseline  ``motia --help``: interpreter and CLI start, nothing loaded;
  types     ``motia generate-types``: load the 45 steps in a node and a python runner, write types.d.ts;
  openapi   ``motia generate openapi``: the same load, write openapi.json.
It prints the median, min and max of each over the rounds, and the median per-round difference to the
baseline. Separately, in-process: how long generating the two files takes from an already loaded registry.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COMMANDS = {
    "baseline (motia --help)": ["--help"],
    "motia generate-types": ["generate-types"],
    "motia generate openapi": ["generate", "openapi"],
}


def copy_pet_app(root: Path) -> Path:
    project = root / "pet-app"
    shutil.copytree(REPO / "steps", project / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "package.json", project / "package.json")
    (project / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    return project


def timed(project: Path, args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "supervisor", *args], cwd=project, check=True, capture_output=True)
    return time.perf_counter() - started


def in_process(project: Path, repeats: int = 20) -> tuple[float, float]:
    from supervisor.codegen import openapi_document, typescript_declarations
    from supervisor.core import load_registry
    from supervisor.settings import Settings

    registry = asyncio.run(load_registry(Settings(project_root=project, mode="dev")))
    started = time.perf_counter()
    for _ in range(repeats):
        typescript_declarations(registry)
    types = (time.perf_counter() - started) / repeats
    started = time.perf_counter()
    for _ in range(repeats):
        openapi_document(registry, "bench", "1.0.0")
    return types, (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as temp:
        project = copy_pet_app(Path(temp))
        timed(project, ["generate-types"])  # warm the tsx cache and the OS file cache
        samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(rounds):
            for name, args in COMMANDS.items():
                samples[name].append(timed(project, args))
        types_s, openapi_s = in_process(project)
    baseline = samples["baseline (motia --help)"]
    print(f"{rounds} rounds on the example app (45 steps, 1 stream; node + python runners)\n")
    print("| command | median s | min s | max s | median over baseline s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, values in samples.items():
        extra = statistics.median(v - b for v, b in zip(values, baseline, strict=True))
        print(
            f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} | "
            f"{'-' if values is baseline else f'{extra:.3f}'} |"
        )
    print(f"\nfrom a loaded registry: types.d.ts {types_s * 1e3:.2f} ms, openapi {openapi_s * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
