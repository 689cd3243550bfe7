"""A CLI run with a terminal as its stdin: the commands that ask questions only ask them in one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.server import motia_argv


def motia_in_a_terminal(cwd: Path, typed: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``motia ARGS`` with a terminal as its stdin, into which ``typed`` is typed (all of it at once: the
    terminal keeps the lines the command has not read yet)."""
    controller, terminal = os.openpty()
    try:
        proc = subprocess.Popen(
            motia_argv(*args),
            cwd=cwd,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(controller, typed.encode())
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(terminal)
        os.close(controller)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def motia_without_a_terminal(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``motia ARGS`` with nothing to read on stdin, as in CI or a pipe."""
    return subprocess.run(
        motia_argv(*args), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )
