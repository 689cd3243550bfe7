"""d+e. Boot time of a 45-step project, cold then warm, and the idle memory of its process tree."""

from __future__ import annotations

import contextlib
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from constants import LANGS
from projects import write_boot_project
from servers import Server, free_port, motia_argv, running


def tree_memory(server: Server) -> dict[str, Any]:
    processes = []
    for proc in server.tree():
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            processes.append(
                {
                    "pid": proc.pid,
                    "name": proc.name(),
                    "cmd": " ".join(proc.cmdline())[:90],
                    "rss_mb": info.rss / 2**20,
                    "pss_mb": getattr(info, "pss", 0) / 2**20,
                    "uss_mb": info.uss / 2**20,
                }
            )
    return {
        "rss_mb": sum(p["rss_mb"] for p in processes),
        "pss_mb": sum(p["pss_mb"] for p in processes),
        "processes": processes,
    }


def bench_boot(
    workdir: Path, warm_boots: int, idle_wait: float, log: Callable[[str], None]
) -> dict[str, Any]:
    """Cold boot (fresh project, empty tsx cache, no __pycache__, no .motia), then warm boots.

    Idle memory is measured on the last boot after ``idle_wait`` seconds of idleness.
    """
    project = write_boot_project(workdir / "boot-project")
    tsx_tmp = workdir / "tmp-tsx"  # os.tmpdir() for the node runner: tsx keeps its compile cache there
    tsx_tmp.mkdir()
    boots: list[dict[str, Any]] = []
    memory: dict[str, Any] = {}
    for index in range(1 + warm_boots):
        shutil.rmtree(project / ".motia", ignore_errors=True)
        port = free_port()
        server = Server.spawn(f"boot{index}", motia_argv(project, port), port, {"TMPDIR": str(tsx_tmp)})
        with running([server]):
            seconds = server.wait_ready("/boot/py/4", timeout=60, interval=0.005)
            for lang in LANGS:  # every runner answers, not just the first
                status = server.get(f"/boot/{lang}/0", timeout=5)
                if status != 200:
                    raise RuntimeError(f"boot project: /boot/{lang}/0 answered {status}")
            kind = "cold" if index == 0 else "warm"
            boots.append({"kind": kind, "seconds": seconds})
            log(f"    boot {index + 1}: {kind:<4} first 200 after {seconds:.3f} s")
            if index == warm_boots:
                time.sleep(idle_wait)
                memory = tree_memory(server)
                memory["idle_seconds"] = idle_wait
                memory["steps"] = 45
    warm = [b["seconds"] for b in boots if b["kind"] == "warm"]
    return {
        "cold_s": boots[0]["seconds"],
        "warm_median_s": statistics.median(warm) if warm else None,
        "worst_s": max(b["seconds"] for b in boots),
        "boots": boots,
        "memory": memory,
    }
