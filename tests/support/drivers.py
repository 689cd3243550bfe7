"""The Node drivers of tests/clients/ (Chromium driven by Playwright, client libraries): each prints one
line, RESULT and the JSON of what it saw, for the test to assert on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def run_driver(client_packages: Path, script: str, *args: str, timeout: float = 300) -> Any:
    """What ``node script args...`` (in tests/clients, with its packages) printed after ``RESULT``,
    once it has exited 0; its output is the failure's message otherwise."""
    done = subprocess.run(
        ["node", script, *args], cwd=client_packages, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    assert line is not None, f"{script} printed no RESULT line:\n{done.stdout}{done.stderr}"
    return json.loads(line.removeprefix("RESULT "))
