"""debugpy, when the supervisor asks for it, and what ``breakpoint()`` does in a runner.

``motia dev --inspect-python`` gives each runner an address in ``MOTIA_INSPECT``: debugpy listens
there, so VS Code (or any Debug Adapter Protocol client) attaches; ``MOTIA_INSPECT_WAIT=1`` holds the
loading of steps until one has. A runner started by a hot reload finds its port still held by the
runner it replaces, which finishes its work first: it takes the port over once that one has exited.
debugpy.listen() serves the port from a separate adapter process, which by itself outlives the runner
for as long as any debugger's session on it is open (one attaching as the runner exits holds it for
another minute, waiting for a debuggee that is gone): an exiting runner stops its adapter (``stop``),
so that the port is free for its successor the moment it has exited; a runner killed (SIGKILL) cannot,
and the supervisor ends its adapter then (``supervisor/runners/_debug_adapter.py``).
debugpy comes from the project's interpreter or, failing that, from motia's own environment
(``MOTIA_RUNNER_DEBUGPY_PATH``, the folder holding its ``debugpy`` package), and nothing else of it.

``breakpoint()`` cannot open pdb here: stdin is the supervisor's channel (pdb would read end-of-file
and raise ``BdbQuit``). With debugpy on it stops in the attached debugger; otherwise it logs where it
was called and how to stop there, and the step goes on. ``PYTHONBREAKPOINT``, when set, is obeyed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

INSPECT_ENV = "MOTIA_INSPECT"
INSPECT_WAIT_ENV = "MOTIA_INSPECT_WAIT"
DEBUGPY_PATH_ENV = "MOTIA_RUNNER_DEBUGPY_PATH"
_RETRY_S = 0.1

Log = Callable[[str, str], None]


class DebugpyMissing(Exception):
    pass


def _import_debugpy() -> ModuleType:
    # Its check that the stdlib's frozen modules can be debugged prints a warning to stderr; the
    # steps debugged here are never frozen.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        import debugpy

        return debugpy
    except ImportError:
        pass
    folder = os.environ.get(DEBUGPY_PATH_ENV)
    init = os.path.join(folder, "debugpy", "__init__.py") if folder else ""
    if not init or not os.path.exists(init):
        raise DebugpyMissing(
            f"--inspect-python needs debugpy, which {sys.executable} cannot import: install it there "
            f"(`{sys.executable} -m pip install debugpy`), or into motia's environment "
            "(`pip install 'motia-supervisor[debug]'`)"
        )
    spec = importlib.util.spec_from_file_location(
        "debugpy", init, submodule_search_locations=[os.path.dirname(init)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["debugpy"] = module
    spec.loader.exec_module(module)
    return module


class Debugger:
    """debugpy listening on the address the supervisor gave (or not at all)."""

    def __init__(self, address: str, wait: bool, log: Log) -> None:
        host, _, port = address.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port)
        self.wait = wait
        self._log = log
        self._debugpy = _import_debugpy()
        self._listening = threading.Event()

    def start(self) -> None:
        """Listen, now or (port still held by the runner this one replaces) once the port is free."""
        if not self._listen():
            threading.Thread(target=self._take_over, name="motia-debugpy", daemon=True).start()

    def _listen(self) -> bool:
        try:
            self._debugpy.listen((self.host, self.port))
        except (RuntimeError, OSError) as exc:
            if "in use" not in str(exc).lower() and getattr(exc, "errno", None) != 98:
                raise
            return False
        self._listening.set()
        self._log(
            "info",
            f"debugpy listening on {self.host}:{self.port}: attach VS Code with a Python "
            f'"attach" configuration (connect: {{"host": "{self.host}", "port": {self.port}}}) '
            "(README: Debugging)",
        )
        return True

    def _take_over(self) -> None:
        self._log(
            "info",
            f"debugpy port {self.port} is still held (by the runner this one replaces); taking it once free",
        )
        while not (self._port_free() and self._listen()):
            time.sleep(_RETRY_S)

    def _port_free(self) -> bool:
        """Whether the port can be listened on: asked before each attempt to listen, since each spawns
        debugpy's adapter (a whole Python process) only to find the port still held."""
        try:
            (family, kind, proto, _, address), *_ = socket.getaddrinfo(
                self.host, self.port, type=socket.SOCK_STREAM
            )
            with socket.socket(family, kind, proto) as probe:
                # as debugpy's adapter binds: a closed connection lingering in TIME_WAIT holds nothing
                if os.name == "posix":
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
        except OSError:
            return False
        return True

    def wait_for_client(self) -> None:
        """With ``MOTIA_INSPECT_WAIT``: return once a debugger has attached (a blocking call)."""
        if not self.wait:
            return
        self._listening.wait()
        self._log("info", f"waiting for a debugger on {self.host}:{self.port} before loading the steps")
        self._debugpy.wait_for_client()

    def breakpoint(self, *args: Any, **kwargs: Any) -> None:
        self._debugpy.breakpoint()

    def stop(self) -> None:
        """Stop debugpy's adapter, freeing the port (for the runner that replaces this one): called as
        the runner exits."""
        if not self._listening.is_set() or os.name != "posix":
            return
        # debugpy keeps no handle on the adapter itself: the process it spawned made itself a session
        # (and process group) leader, forked the adapter and exited. The group outlives it: the adapter
        # stays until this runner's debuggee connection to it ends, which it has not yet (we run).
        api = sys.modules.get(f"{self._debugpy.__name__}.server.api")
        spawned = getattr(api, "_adapter_process", None)
        pid = getattr(spawned, "pid", None)
        if isinstance(pid, int):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)


def start_debugger(runner_log: Log, step_log: Log) -> Debugger | None:
    """debugpy, when the supervisor asked for it; ``breakpoint()`` set up either way. ``runner_log``
    logs as the runner, ``step_log`` as the invocation running (the step that called breakpoint())."""
    address = os.environ.get(INSPECT_ENV)
    debugger = None
    if address:
        debugger = Debugger(address, os.environ.get(INSPECT_WAIT_ENV) == "1", runner_log)
        debugger.start()
    if not os.environ.get("PYTHONBREAKPOINT"):
        sys.breakpointhook = debugger.breakpoint if debugger is not None else _no_debugger(step_log)
    return debugger


def _no_debugger(log: Log) -> Callable[..., None]:
    def breakpoint_without_debugger(*args: Any, **kwargs: Any) -> None:
        caller = sys._getframe(1)
        log(
            "warn",
            f"breakpoint() at {caller.f_code.co_filename}:{caller.f_lineno} does not stop: "
            "no debugger is on. Start `motia dev --inspect-python` and attach one (README: Debugging); "
            "the step goes on",
        )

    return breakpoint_without_debugger
