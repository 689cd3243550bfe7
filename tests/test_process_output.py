"""The end-to-end tests' view of a child process's output (tests/support/output.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.output import OutputLines

ECHO = """
import sys
for line in sys.stdin:
    print(line.strip(), flush=True)
    sys.stderr.write(".")
    sys.stderr.flush()
"""


def test_a_line_written_before_the_call_is_in_the_lines_it_returns() -> None:
    """What a process wrote before something the test saw (an answer, a file) is there at once,
    whether or not the thread that reads the pipe has been scheduled since."""
    rounds = 200
    missing = []
    with subprocess.Popen(
        [sys.executable, "-c", ECHO], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        output = OutputLines(proc.stdout)
        for n in range(rounds):
            proc.stdin.write(f"line {n}\n".encode())
            proc.stdin.flush()
            assert proc.stderr.read(1) == b"."  # the process has written the line, then said so
            if f"line {n}" not in output.lines():
                missing.append(n)
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
        output.close()
    assert missing == []
    assert output.lines() == [f"line {n}" for n in range(rounds)]  # all of it, once, in order
