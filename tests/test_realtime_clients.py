"""Motia's published stream clients against our server: the node client, and the browser client in
headless Chromium, each running tests/clients/scenario.mjs (item and group subscriptions, writes from
TS, JS and Python steps, same-millisecond bursts, events, delete, leave, reconnect and resync)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLIENTS_DIR
from tests.support.server import MotiaServer

FIXTURE = Path(__file__).parent / "fixtures" / "realtime"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def realtime_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = tmp_path_factory.mktemp("realtime")
    shutil.copytree(FIXTURE, project, dirs_exist_ok=True)
    with MotiaServer(project, mode="dev") as server:
        yield server


def _run_driver(argv: list[str], server: MotiaServer) -> str:
    done = subprocess.run(argv, cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=180)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{output}\n--- server log ---\n{server.output[-4000:]}"
    assert '"itemATimestampsIncreasing":true' in output, output
    return output


def test_motias_node_stream_client_runs_the_whole_scenario_against_our_server(
    client_packages: Path, realtime_server: MotiaServer
) -> None:
    _run_driver(["node", "node-driver.mjs", realtime_server.url], realtime_server)


def test_motias_browser_stream_client_in_chromium_runs_the_whole_scenario_against_our_server(
    client_packages: Path, chromium: str, realtime_server: MotiaServer
) -> None:
    _run_driver(["node", "browser-driver.mjs", realtime_server.url, chromium], realtime_server)
