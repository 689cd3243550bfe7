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
    driver = subprocess.Popen(
        ["node", script, *args],
        cwd=client_packages,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = driver.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # asked to stop, a Workbench driver prints what it saw so far: how far it got
        driver.terminate()
        try:
            stdout, stderr = driver.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            driver.kill()
            stdout, stderr = driver.communicate()
        raise AssertionError(f"{script} still ran after {timeout:.0f} s:\n{stdout}{stderr}") from None
    assert driver.returncode == 0, stdout + stderr
    line = next((line for line in stdout.splitlines() if line.startswith("RESULT ")), None)
    assert line is not None, f"{script} printed no RESULT line:\n{stdout}{stderr}"
    return json.loads(line.removeprefix("RESULT "))
