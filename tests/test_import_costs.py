"""What a process imports is start time it pays: the trace writer process imports only what it needs,
and ``import grpc`` is paid only by a server that listens for runners. Each check imports in a fresh
interpreter; what the processes do is test_trace_writer.py's and test_attached_runners.py's."""

from __future__ import annotations

import subprocess
import sys

from supervisor.tracing._writer import PROCESS_MODULE as WRITER_MODULE
from tests.support.server import REPO_ROOT


def test_the_writer_process_imports_only_what_it_needs() -> None:
    """It starts with every supervisor, and each module it imports is start time: not the recorder
    and the runner protocol it pulls in, nor the Redis and OpenTelemetry trace adapters, nor the
    Redis client."""
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {WRITER_MODULE}; print(' '.join(sorted(sys.modules)))",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = set(listed.stdout.split())
    assert WRITER_MODULE in modules
    not_needed = {
        "supervisor.protocol",
        # the level names only (``supervisor.logs._levels``): not how lines are formatted or configured
        "supervisor.logs._formatters",
        "supervisor.logs._setup",
        "supervisor.tracing._recorder",
        "supervisor.tracing._follow",
        "supervisor.tracing._memory",
        "supervisor.tracing._redis",
        "supervisor.tracing._otel",
        "supervisor.tracing._earlier",
        "supervisor.tracing._writer",
        "supervisor.storage._redis",
        "redis",
    }
    assert sorted(modules & not_needed) == []


def test_grpc_is_loaded_only_by_a_server_that_listens_for_runners() -> None:
    """``import grpc`` takes ~0.2 s: the commands, and servers without --runner-listen, do not pay it."""
    code = "import sys, supervisor.cli.main, supervisor.core._runtime; print('grpc' in sys.modules)"
    checked = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert checked.stdout.strip() == "False"
