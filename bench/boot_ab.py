"""Start-up, this checkout against a git ref in the same run, rounds alternating the two codes: how long
``motia start`` takes from spawn to every api step answering (the three-language bench project, on the
embedded SQLite default, its tsx cache warm); how long the supervisor's own imports for it take
(``python -c "import supervisor.cli._serve"``, the runtime and the HTTP app with it) and the trace
writer process's (``python -c "import supervisor.tracing._writer_process"``, which every supervisor on
SQLite starts), in CPU time: the parts of the start a change of imports moves, apart from the runners'.

``.venv/bin/python bench/boot_ab.py --baseline-ref integ [--rounds 8] [--json PATH]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from constants import LANGS, REPO
from projects import write_bench_project
from servers import codes_under_test, motia

#: what each process imports: the name in the JSON, the module
IMPORTS = {
    "supervisor_import_s": "supervisor.cli._serve",
    "writer_import_s": "supervisor.tracing._writer_process",
}


def boot_s(project: Path, code: Path | None) -> float:
    shutil.rmtree(project / ".motia", ignore_errors=True)
    with motia(project, code=code, ready=tuple(f"/{lang}/hello" for lang in LANGS), name="boot") as server:
        return server.ready_s


def import_s(module: str, code: Path | None) -> float:
    """CPU seconds (user + system) of a process that imports ``module``: on a machine others share,
    steadier than its wall time, which waits for a CPU."""
    path = os.pathsep.join(filter(None, [str(code or REPO), os.environ.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=code or REPO,
        env={**os.environ, "PYTHONPATH": path},
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _ms(row: dict[str, list[float]], index: int) -> str:
    ready, supervisor = row["boot_s"][index] * 1000, row["supervisor_import_s"][index] * 1000
    writer = row["writer_import_s"][index] * 1000
    return f"ready after {ready:.0f} ms; imports CPU: supervisor {supervisor:.0f} ms, writer {writer:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--baseline-ref")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    samples: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-boot-ab-") as tmp:
        codes = codes_under_test(args.baseline_ref, Path(tmp))
        project = write_bench_project(Path(tmp) / "project")
        for code in codes.values():
            boot_s(project, code)  # tsx's compile cache, __pycache__: every measured boot is warm
        for round_ in range(args.rounds):
            for name, code in codes.items():
                row = samples.setdefault(name, {"boot_s": [], **{key: [] for key in IMPORTS}})
                row["boot_s"].append(boot_s(project, code))
                for key, module in IMPORTS.items():
                    row[key].append(import_s(module, code))
                print(f"round {round_ + 1} {name}: {_ms(row, -1)}, load {os.getloadavg()[0]:.1f}", flush=True)
    summary: dict[str, Any] = {
        name: {key: [statistics.median(values)] for key, values in row.items()}
        for name, row in samples.items()
    }
    for name, row in summary.items():
        print(f"{name}, medians: {_ms(row, 0)}")
    if args.json:
        args.json.write_text(
            json.dumps({"samples": samples, "summary": summary}, indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
