"""``bench/runner_hop.py`` measures the runner's CPU in the runner's process, never its own: a
connection without a process (its pid None) is refused by name, not measured as the bench itself
(``psutil.Process(None)``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from supervisor.protocol import ContextCall
from supervisor.runners import RunnerConnection, prepare_runner
from tests.support.server import REPO_ROOT


def _runner_hop() -> ModuleType:
    bench = str(REPO_ROOT / "bench")
    if bench not in sys.path:  # the bench's scripts import their neighbours (``constants``)
        sys.path.append(bench)
    spec = importlib.util.spec_from_file_location("runner_hop", REPO_ROOT / "bench" / "runner_hop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _answer(call: ContextCall) -> object:
    return None


def test_a_runner_connection_without_a_process_is_not_measured_as_the_bench_itself(tmp_path: Path) -> None:
    runner_hop = _runner_hop()
    conn = RunnerConnection(prepare_runner("python", tmp_path), "python-hop", tmp_path, "info", _answer)
    assert conn.pid is None  # never started
    with pytest.raises(runner_hop.NoRunnerProcess, match="python-hop has no process"):
        runner_hop.runner_process(conn)
