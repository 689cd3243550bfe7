"""Debugging a runner with a real debugger, as a developer does from an IDE, with no human.

``motia dev --inspect-node`` / ``--inspect-python``: a CDP client (node's inspector) or a DAP client
(debugpy) attaches to the runner's port, sets a breakpoint in a step, and a request stops there; held
past the heartbeat timeout and the API timeout, the runner is not restarted, the request waits and
gets its 200 once resumed, and the other language keeps serving meanwhile.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from supervisor.runners import DEFAULT_PORTS, parse_inspect, runner_files
from supervisor.runners._python_env import protobuf_search_path
from supervisor.runners._spec import RUNNER_COOKIE
from tests.conftest import LANGUAGES
from tests.support.debuggers import DebuggerSession, DebugpyClient, NodeInspector
from tests.support.project import step_path, write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, free_port

pytestmark = pytest.mark.e2e

#: the heartbeat timeout and the API timeout of the held project (shortened from 10 s and 30 s: a
#: hold of twice them proves the same in a third of the time the defaults took)
HELD_TIMEOUT_SECONDS = 3
#: longer than both, with room for heartbeats a busy machine sends late
HOLD_SECONDS = 2 * HELD_TIMEOUT_SECONDS
MARKER = "BREAK HERE"

HELD = {
    "ts": f"""
        export const config = {{ type: 'api', name: 'Held', path: '/held', method: 'POST', emits: [] }}
        export const handler = async (req: {{ body: {{ n: number }} }}) => {{
          const doubled = req.body.n * 2
          const where = '{MARKER}'
          return {{ status: 200, body: {{ doubled, where, pid: process.pid }} }}
        }}
    """,
    "js": f"""
        exports.config = {{ type: 'api', name: 'Held', path: '/held', method: 'POST', emits: [] }}
        exports.handler = async (req) => {{
          const doubled = req.body.n * 2
          const where = '{MARKER}'
          return {{ status: 200, body: {{ doubled, where, pid: process.pid }} }}
        }}
    """,
    "py": f"""
        import os
        config = {{"type": "api", "name": "Held", "path": "/held", "method": "POST", "emits": []}}
        async def handler(req, context):
            doubled = req["body"]["n"] * 2
            where = "{MARKER}"
            return {{"status": 200, "body": {{"doubled": doubled, "where": where, "pid": os.getpid()}}}}
    """,
}

OTHER = {
    "node": """
        export const config = { type: 'api', name: 'Other', path: '/other', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, body: { ok: true } })
    """,
    "python": """
        config = {"type": "api", "name": "Other", "path": "/other", "method": "GET", "emits": []}
        async def handler(req, context):
            return {"status": 200, "body": {"ok": True}}
    """,
}


def runner_of(lang: str) -> str:
    return "python" if lang == "py" else "node"


def readme_launch_configurations() -> dict[str, dict[str, Any]]:
    """The README's VS Code launch.json configurations, by ``type``."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Debugging", 1)[1]
    launch = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    return {config["type"]: config for config in launch["configurations"]}


def attach(runner: str, port: int, timeout: float = 30.0) -> DebuggerSession:
    """Attached as the README's launch.json attaches (to this test's port)."""
    if runner == "node":
        return NodeInspector("127.0.0.1", port)
    config = readme_launch_configurations()["debugpy"]
    arguments = {key: value for key, value in config.items() if key not in ("name", "type", "request")}
    arguments["connect"] = {**arguments["connect"], "port": port}
    return DebugpyClient("127.0.0.1", port, timeout, attach=arguments)


def test_the_readme_launch_configurations_attach_where_motia_dev_listens() -> None:
    configs = readme_launch_configurations()
    node, python = configs["node"], configs["debugpy"]
    assert (node["request"], node["address"], node["port"]) == ("attach", "127.0.0.1", DEFAULT_PORTS["node"])
    assert node["restart"] is True  # re-attaches after a hot reload
    assert python["request"] == "attach"
    assert python["connect"] == {"host": "127.0.0.1", "port": DEFAULT_PORTS["python"]}
    defaults = {runner: parse_inspect(None, runner) for runner in DEFAULT_PORTS}
    assert {runner: (d.host, d.port) for runner, d in defaults.items()} == {
        "node": (node["address"], node["port"]),
        "python": (python["connect"]["host"], python["connect"]["port"]),
    }


def debugs(runner: str, port: int, pid: int) -> bool:
    """Whether the debugger listening on ``port`` is runner ``pid``'s, asked through that debugger.
    Not yet (an AssertionError saying why, for ``eventually``) while the port is still the exiting
    runner's, which may also go away in the middle of the asking."""
    try:
        session = attach(runner, port, timeout=5)
        try:
            debugged = session.pid()
        finally:
            session.close()
    except (TimeoutError, RuntimeError, OSError) as exc:
        raise AssertionError(f"no session with the debugger on port {port}: {exc!r}") from exc
    assert debugged == pid, f"the debugger on port {port} debugs pid {debugged}, not {pid}"
    return True


def runner_health(server: MotiaServer, runner: str) -> dict[str, Any]:
    runners: dict[str, Any] = server.client.get("/__motia/health").json()["runners"]
    pool: dict[str, Any] = runners[runner]
    return pool


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_breakpoint_holds_a_request_past_every_timeout_and_it_answers_once_resumed(
    tmp_path: Path, lang: str, client_packages: Path
) -> None:
    runner = runner_of(lang)
    other = "python" if runner == "node" else "node"
    other_file = step_path("py" if other == "python" else "ts", "other")
    project = write_project(
        tmp_path,
        {step_path(lang, "held"): HELD[lang], other_file: OTHER[other]},
        {
            "apiTimeoutSeconds": HELD_TIMEOUT_SECONDS,
            "runners": {"heartbeatTimeoutSeconds": HELD_TIMEOUT_SECONDS},
        },
    )
    port = free_port()
    server = MotiaServer(project, args=[f"--inspect-{runner}=127.0.0.1:{port}"])
    with server, concurrent.futures.ThreadPoolExecutor(1) as pool:
        before = runner_health(server, runner)["processes"]
        assert [(p["id"], p["inspector"], p["transport"]) for p in before] == [
            (f"{runner}-0", f"127.0.0.1:{port}", "stdio")
        ]
        debugger = attach(runner, port)
        try:
            debugger.break_at(project / step_path(lang, "held"), MARKER)
            request = pool.submit(httpx.post, f"{server.url}/held", json={"n": 21}, timeout=60)
            debugger.wait_paused(timeout=30)
            assert debugger.evaluate("doubled") == 42
            paused_at = time.monotonic()
            while time.monotonic() - paused_at < HOLD_SECONDS:
                # the other language's runner serves while this one is held
                assert server.client.get("/other").status_code == 200
                assert not request.done()
                time.sleep(1)
            debugger.resume()
            response = request.result(timeout=30)
        finally:
            debugger.close()
        assert response.status_code == 200, response.text
        assert response.json()["doubled"] == 42
        after = runner_health(server, runner)
        assert after["restarts"] == 0
        assert [p["pid"] for p in after["processes"]] == [p["pid"] for p in before]
        assert response.json()["pid"] == before[0]["pid"]
    held_notices = [line for line in server.lines if "held at a breakpoint" in line]
    assert len(held_notices) == 1, server.output


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_a_pool_waits_for_its_debuggers_on_consecutive_ports_and_keeps_them_across_a_hot_reload(
    tmp_path: Path, lang: str, client_packages: Path
) -> None:
    runner = runner_of(lang)
    held = step_path(lang, "held")
    project = write_project(tmp_path, {held: HELD[lang]})
    port = free_port(count=2)
    server = MotiaServer(
        project,
        args=[f"--inspect-{runner}=127.0.0.1:{port}", "--inspect-wait"],
        env={f"MOTIA_{runner.upper()}_POOL_SIZE": "2"},
    )
    try:
        # Nothing is loaded, so nothing is served, until a debugger has attached to each runner.
        eventually(lambda: server.output.count("waiting for a debugger") == 2, timeout=60)
        with pytest.raises(httpx.TransportError):
            server.client.get("/__motia/health", timeout=1)
        sessions = [attach(runner, port), attach(runner, port + 1)]
        try:
            attached_pids = [session.pid() for session in sessions]
        finally:
            for session in sessions:
                session.close()
        server.wait_ready()
        first = runner_health(server, runner)["processes"]
        assert sorted((p["inspector"], p["pid"]) for p in first) == sorted(
            zip([f"127.0.0.1:{port}", f"127.0.0.1:{port + 1}"], attached_pids, strict=True)
        )

        (project / held).write_text((project / held).read_text().replace("* 2", "* 3"))
        old_pids = {p["pid"] for p in first}

        def replaced() -> list[dict[str, Any]]:
            processes: list[dict[str, Any]] = runner_health(server, runner)["processes"]
            fresh = len(processes) == 2 and not {p["pid"] for p in processes} & old_pids
            return processes if fresh else []

        second = eventually(replaced, timeout=60)
        assert server.client.post("/held", json={"n": 2}).json()["doubled"] == 6
        # Each new runner took its predecessor's port over once that one had exited.
        for process in second:
            _, _, inspector_port = process["inspector"].rpartition(":")
            assert eventually(partial(debugs, runner, int(inspector_port), process["pid"]), timeout=60)
    finally:
        server.stop()


def test_a_python_runner_replaced_by_a_hot_reload_frees_its_debugpy_port_though_a_debugger_is_still_on_it(
    tmp_path: Path,
) -> None:
    """debugpy serves the port from an adapter process of its own, which outlives its runner while any
    session on it is open (a debugger still attached, or one attaching as the runner exits): the
    runner that replaces it gets the port all the same."""
    held = step_path("py", "held")
    project = write_project(tmp_path, {held: HELD["py"]})
    port = free_port()
    with MotiaServer(project, args=[f"--inspect-python=127.0.0.1:{port}"]) as server:
        (old,) = runner_health(server, "python")["processes"]
        session = attach("python", port)
        try:
            assert session.pid() == old["pid"]
            (project / held).write_text((project / held).read_text().replace("* 2", "* 3"))

            def replaced() -> dict[str, Any] | None:
                processes: list[dict[str, Any]] = runner_health(server, "python")["processes"]
                return processes[0] if [p["pid"] for p in processes] not in ([], [old["pid"]]) else None

            new = eventually(replaced, timeout=60)
            assert server.client.post("/held", json={"n": 2}).json()["doubled"] == 6
            assert eventually(partial(debugs, "python", port, new["pid"]), timeout=30)
        finally:
            session.close()


def _alive(process: psutil.Process) -> bool:
    """Whether ``process`` still runs (a zombie nobody reaps has ended)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def debugpy_adapter_on(port: int) -> psutil.Process:
    """The debugpy adapter serving ``port`` (a process of its own, which debugpy.listen() spawns)."""
    adapters = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if (
            "--for-server" in cmdline
            and "--port" in cmdline
            and cmdline[cmdline.index("--port") + 1] == str(port)
        ):
            adapters.append(process)
    assert len(adapters) == 1, adapters
    return adapters[0]


def test_a_sigkilled_python_runners_debugpy_adapter_ends_with_it_and_its_replacement_is_debuggable(
    tmp_path: Path,
) -> None:
    """A runner killed with SIGKILL (its memory limit, the OOM killer, a developer) cannot stop its
    debugpy adapter as an exiting one does, and the adapter stays while a debugger's session on it is
    open: the supervisor ends it, says so, and the runner replacing it takes the port over."""
    project = write_project(tmp_path, {step_path("py", "held"): HELD["py"]})
    port = free_port()
    with MotiaServer(project, args=[f"--inspect-python=127.0.0.1:{port}"]) as server:
        (old,) = runner_health(server, "python")["processes"]
        adapter: psutil.Process = eventually(partial(debugpy_adapter_on, port))
        session = attach("python", port)
        try:
            assert session.pid() == old["pid"]
            os.kill(old["pid"], signal.SIGKILL)
            eventually(lambda: not _alive(adapter), timeout=30)
            assert eventually(lambda: f"ended its debugpy adapter (pid {adapter.pid})" in server.output)
        finally:
            session.close()
            with contextlib.suppress(psutil.Error):
                adapter.kill()

        def replaced() -> dict[str, Any] | None:
            processes: list[dict[str, Any]] = runner_health(server, "python")["processes"]
            return processes[0] if [p["pid"] for p in processes] not in ([], [old["pid"]]) else None

        new = eventually(replaced, timeout=60)
        assert eventually(partial(debugs, "python", port, new["pid"]), timeout=30)
        assert server.client.post("/held", json={"n": 2}).json()["doubled"] == 4


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_a_runner_waiting_for_its_debugger_ends_when_its_supervisor_is_killed(
    tmp_path: Path, lang: str
) -> None:
    """A runner held until a debugger attaches reads nothing from its supervisor meanwhile (node's
    inspector.waitForDebugger() blocks its main thread): it still ends, with everything it started,
    once the supervisor is gone without a word (kill -9), rather than wait on orphaned."""
    runner = runner_of(lang)
    project = write_project(tmp_path, {step_path(lang, "held"): HELD[lang]})
    server = MotiaServer(project, args=[f"--inspect-{runner}=127.0.0.1:{free_port()}", "--inspect-wait"])
    started: list[psutil.Process] = []
    try:
        eventually(lambda: "waiting for a debugger" in server.output, timeout=60)
        started = psutil.Process(server.proc.pid).children(recursive=True)
        program = "runner.mjs" if runner == "node" else "motia_runner"
        assert [p for p in started if any(program in part for part in p.cmdline())], server.output
        server.proc.kill()
        server.proc.wait(timeout=30)
        eventually(lambda: not [p for p in started if _alive(p)], timeout=20)
    finally:
        for process in started:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        server.stop()


def test_breakpoint_without_a_debugger_says_how_to_stop_there_and_the_step_goes_on(tmp_path: Path) -> None:
    source = """
        config = {"type": "api", "name": "Pause", "path": "/pause", "method": "GET", "emits": []}
        async def handler(req, context):
            breakpoint()
            return {"status": 200, "body": {"went": "on"}}
    """
    project = write_project(tmp_path, {step_path("py", "pause"): source})
    with MotiaServer(project) as server:
        response = server.client.get("/pause")
        assert response.status_code == 200, response.text
        assert response.json() == {"went": "on"}
        line = eventually(lambda: next((x for x in server.lines if "breakpoint() at" in x), None))
    assert "[Pause]" in line and "pause_step.py:3 does not stop" in line and "--inspect-python" in line
    assert "BdbQuit" not in server.output


def test_a_project_venv_without_debugpy_is_debugged_with_motias_own(tmp_path: Path) -> None:
    project = write_project(tmp_path, {step_path("py", "held"): HELD["py"]})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    port = free_port()
    with MotiaServer(project, args=[f"--inspect-python=127.0.0.1:{port}"]) as server:
        (process,) = runner_health(server, "python")["processes"]
        assert debugs("python", port, process["pid"])
    assert "the project's .venv/" in server.output


def test_inspect_python_without_debugpy_anywhere_says_how_to_install_it(tmp_path: Path) -> None:
    # -S: an interpreter with no site-packages, so no debugpy of its own, and motia's is not offered
    runner = subprocess.run(
        [sys.executable, "-S", "-m", "motia_runner"],
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(runner_files().python),
            "MOTIA_RUNNER_COOKIE": RUNNER_COOKIE,
            "MOTIA_RUNNER_PROTOBUF_PATH": protobuf_search_path(),
            "MOTIA_INSPECT": "127.0.0.1:1",
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert runner.returncode == 4
    assert "--inspect-python needs debugpy, which" in runner.stderr
    assert "-m pip install debugpy" in runner.stderr and "motia-supervisor[debug]" in runner.stderr


def test_breakpoint_under_inspect_python_stops_in_the_attached_debugger(tmp_path: Path) -> None:
    source = """
        config = {"type": "api", "name": "Pause", "path": "/pause", "method": "GET", "emits": []}
        async def handler(req, context):
            answer = 42
            breakpoint()
            return {"status": 200, "body": {"answer": answer}}
    """
    project = write_project(tmp_path, {step_path("py", "pause"): source})
    port = free_port()
    with (
        MotiaServer(project, args=[f"--inspect-python=127.0.0.1:{port}"]) as server,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        debugger = attach("python", port)
        try:
            assert isinstance(debugger, DebugpyClient)
            debugger.configure()  # no breakpoint set: breakpoint() alone stops it
            request = pool.submit(server.client.get, "/pause")
            debugger.wait_paused(timeout=30)
            assert debugger.evaluate("answer") == 42
            debugger.resume()
            assert request.result(timeout=30).json() == {"answer": 42}
        finally:
            debugger.close()
    assert "does not stop" not in server.output
