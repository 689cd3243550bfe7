"""The installed wheel: its size, the first start of a project (the node runner's `npm ci` into the
user cache) and a warm start, for the example app copied outside the checkout.

    .venv/bin/python bench/wheel.py [--warm-runs 5]

Start time = from spawning `motia dev` to the first 200 from /__motia/health (the port is bound and
every runner has loaded its files). Baseline in the same run: the same project started by this
checkout's editable install (`python -m supervisor`), so "wheel / checkout" should stay near 1.0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.server import free_port  # noqa: E402
from tests.support.wheel import copy_pet_app, install_motia, user_env  # noqa: E402


def start_until_healthy(command: list[str], project: Path, env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawn to the first healthy answer, and the server's output (it is stopped)."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "dev", "-p", str(port), "--project", str(project)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    elapsed = None
    while elapsed is None and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/__motia/health", timeout=1) as answer:
                if answer.status == 200:
                    elapsed = time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    if elapsed is None:
        raise RuntimeError(f"motia exited before answering:\n{output}")
    return elapsed, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="motia-wheel-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        installed = install_motia(root)
        install_s = time.perf_counter() - t0
        project = copy_pet_app(root / "pet-app")
        t0 = time.perf_counter()
        subprocess.run(
            [str(installed.motia), "install"],
            cwd=project,
            env=user_env(root / "install-cache"),
            check=True,
            capture_output=True,
        )
        motia_install_s = time.perf_counter() - t0

        env = user_env(root / "cache")
        first_s, first_output = start_until_healthy([str(installed.motia)], project, env)
        npm = re.search(r"node runner packages installed in ([\d.]+)s", first_output)
        runner_cache = next(p for p in (root / "cache" / "node-runner").iterdir() if p.is_dir())
        cache_mb = sum(p.stat().st_size for p in runner_cache.rglob("*") if p.is_file()) / 1e6

        checkout = [sys.executable, "-m", "supervisor"]
        checkout_env = {**env, "PYTHONPATH": str(REPO_ROOT)}
        wheel_runs, checkout_runs = [], []
        for _ in range(args.warm_runs):  # interleaved, so a noisy phase hits both
            wheel_runs.append(start_until_healthy([str(installed.motia)], project, env)[0])
            checkout_runs.append(start_until_healthy(checkout, project, checkout_env)[0])

        results = {
            "wheel_bytes": installed.wheel.stat().st_size,
            "sdist_bytes": installed.sdist.stat().st_size,
            "build_and_install_s": round(install_s, 1),
            "motia_install_pet_app_s": round(motia_install_s, 1),
            "first_start_s": round(first_s, 2),
            "first_start_npm_ci_s": float(npm.group(1)) if npm else None,
            "runner_cache_mb": round(cache_mb, 1),
            "warm_start_wheel_s_median": round(statistics.median(wheel_runs), 2),
            "warm_start_checkout_s_median": round(statistics.median(checkout_runs), 2),
            "warm_ratio_wheel_over_checkout": round(
                statistics.median(wheel_runs) / statistics.median(checkout_runs), 2
            ),
            "warm_runs": args.warm_runs,
        }
    for key, value in results.items():
        print(f"{key:34} {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
