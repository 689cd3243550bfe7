"""Refuse to run unless started by the supervisor."""

from __future__ import annotations

import os
import sys

from motia_runner import COOKIE


def check_cookie() -> None:
    """Exit with status 2 and a one-line explanation when the cookie is missing."""
    if os.environ.get("MOTIA_RUNNER_COOKIE") != COOKIE:
        sys.stderr.write(
            "motia_runner: this is the Motia Python runner; it speaks a binary protocol on stdio and is "
            "started by the motia supervisor (run `motia dev` instead)\n"
        )
        sys.stderr.flush()
        raise SystemExit(2)
