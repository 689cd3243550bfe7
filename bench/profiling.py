"""py-spy on a server under the api load, summarised by profile_summary.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from constants import CONNECTIONS
from http_bench import measure_http
from profile_summary import summarise_data
from servers import Server


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def profile_http(
    server: Server, path: str, duration: float, out: Path, load: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """Run py-spy on the server process while the api benchmark runs; summary via profile_summary."""
    spy = py_spy()
    if spy is None:
        return {"error": "py-spy not installed (.venv/bin/pip install py-spy)"}
    sampler = subprocess.Popen(
        [spy, "record", "--pid", str(server.proc.pid), "--duration", str(max(1, round(duration))),
         "--rate", "250", "--format", "raw", "--full-filenames", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    result = measure_http(server, path, CONNECTIONS, duration + 1, load)
    sampler.wait(timeout=duration + 30)
    summary = summarise_data(out)
    # py-spy's shares of non-idle samples, scaled by the CPU per request psutil measured in the same run:
    # an estimate of the microseconds each group costs per request.
    cpu = result["server_cpu_us_per_req"]
    summary["groups_us_per_req"] = {name: share / 100 * cpu for name, share in summary["groups"].items()}
    summary["categories_us_per_req"] = {
        name: share / 100 * cpu for name, share in summary["self_by_category"].items()
    }
    return {"load": result, "profile": str(out), **summary}
