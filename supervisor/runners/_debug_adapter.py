"""debugpy's adapter, ended with the runner that started it.

``debugpy.listen()`` serves the debugger's port from an adapter process that makes itself a session of
its own (it forks twice and calls setsid), so neither the runner's process group nor the runner's end
ends it. A runner that exits stops it (``runners/python/motia_runner/debugger.py``); one killed with
SIGKILL (its memory limit, the OOM killer, a developer) cannot, and the adapter would linger, holding
the port its replacement waits for. The adapter inherits the runner's environment, where
``ADAPTER_OWNER_ENV`` is a token of that one runner: the supervisor ends the adapters carrying it once
the runner is gone.
"""

from __future__ import annotations

import contextlib
import secrets

import psutil

ADAPTER_OWNER_ENV = "MOTIA_INSPECT_OWNER"
#: how long an adapter has to end on SIGTERM before it gets SIGKILL
_GRACE_S = 3.0


def adapter_owner() -> str:
    """A token for one runner's environment, which its debugpy adapter inherits."""
    return secrets.token_hex(8)


def end_adapters(owner: str) -> list[int]:
    """End the debugpy adapters of the runner whose ``ADAPTER_OWNER_ENV`` is ``owner``; their pids (a
    blocking call: it reads the process table)."""
    found: list[psutil.Process] = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline: list[str] = process.info["cmdline"] or []
        if "--for-server" not in cmdline or not any("debugpy" in part for part in cmdline[:2]):
            continue
        try:
            if process.environ().get(ADAPTER_OWNER_ENV) != owner:
                continue
            process.terminate()
        except psutil.Error:  # ended meanwhile, or another user's
            continue
        found.append(process)
    _, alive = psutil.wait_procs(found, timeout=_GRACE_S)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    return [process.pid for process in found]
