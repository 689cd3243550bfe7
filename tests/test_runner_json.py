"""The node runner's JSON encoding takes JSON.stringify's fast path only where it says what the careful
walk (``toPlain``: bigints as strings, Errors as {name, message, stack}, Maps, Sets, typed arrays, cycles
as "[Circular]") says: tests/support/runner_json_check.cjs compares the two over values of every kind."""

from __future__ import annotations

import json
import subprocess

from tests.support.runner_harness import REPO_ROOT


def test_json_fast_path_says_what_the_careful_walk_says() -> None:
    check = REPO_ROOT / "tests" / "support" / "runner_json_check.cjs"
    done = subprocess.run(["node", str(check)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["differ"] == {}
    assert report["checked"] == 28
    assert report["metaError"] == "boom"
    assert report["parsed"] == {"ü": [1, "ペット"]}
    assert report["parsedWithBom"] == {"a": 1}
