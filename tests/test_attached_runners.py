"""Runners started by hand (in a debugger) attach over gRPC: ``motia dev --runner-listen`` and
``--connect``. Real server, real runners in their own processes, started as a debug configuration
starts them; every behaviour once per language.

The conformance suite (tests/test_conformance.py) runs over both transports; this file proves what
only attached runners do: routing while connected, hand-back on disconnect, ``--steps``, the
cookie, and ``motia runners``.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import signal
import threading
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from supervisor.discovery import RunnerKind
from supervisor.protocol import TriggerKind
from supervisor.runners._grpc import AttachedConnection, RunnerListener
from tests.conftest import LANGUAGES
from tests.support.attach import (
    CuttableLink,
    HandStartedRunner,
    connect_argv,
    listen_args,
    runners,
    wait_attached,
)
from tests.support.drivers import run_driver
from tests.support.project import step_path, write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, run_motia

pytestmark = pytest.mark.e2e

COOKIE = "attach-test-cookie"
RUNNER: dict[str, RunnerKind] = {"ts": "node", "js": "node", "py": "python"}
NAME = {"ts": "Ts", "js": "Js", "py": "Py"}

# Each language's Whoami answers with the pid of the runner that ran it. With ?hold=1, in a runner
# started with HOLD_HERE=1, it never returns: a developer holding it at a breakpoint.
NODE_STEPS = """
    {exports}config = {{ type: 'api', name: '{name}{stem}', path: '/{lang}/{path}', method: 'GET', emits: [] }}
    {exports}handler = async (req{any}, ctx{any}) => {{
      ctx.logger.info('{path} in ' + process.pid)
      if (req.queryParams.hold && process.env.HOLD_HERE) await new Promise(() => undefined)
      return {{ status: 200, body: {{ pid: process.pid }} }}
    }}
"""
PYTHON_STEP = """
    import asyncio
    import os

    config = {{"type": "api", "name": "Py{stem}", "path": "/py/{path}", "method": "GET", "emits": []}}


    async def handler(req, ctx):
        ctx.logger.info(f"{path} in {{os.getpid()}}")
        if req.queryParams.get("hold") and os.environ.get("HOLD_HERE"):
            await asyncio.Event().wait()
        return {{"status": 200, "body": {{"pid": os.getpid()}}}}
"""


# Each language's Flood, in a runner started with HOLD_HERE=1, logs 32 MiB in 64 KiB lines at once, marks
# that it did (the file flooded-<pid>) and never returns; elsewhere it answers with its runner's pid.
NODE_FLOOD = """
    import { writeFileSync } from 'node:fs'
    export const config = { type: 'api', name: '{name}Flood', path: '/{lang}/flood', method: 'GET', emits: [] }
    export const handler = async (_req: any, ctx: any) => {
      if (!process.env.HOLD_HERE) return { status: 200, body: { pid: process.pid } }
      const line = 'x'.repeat(64 * 1024)
      for (let i = 0; i < 512; i++) ctx.logger.info(line)
      writeFileSync(`flooded-${process.pid}`, '')
      await new Promise(() => undefined)
    }
"""
PYTHON_FLOOD = """
    import asyncio
    import os
    from pathlib import Path

    config = {"type": "api", "name": "PyFlood", "path": "/py/flood", "method": "GET", "emits": []}


    async def handler(req, ctx):
        if not os.environ.get("HOLD_HERE"):
            return {"status": 200, "body": {"pid": os.getpid()}}
        line = "x" * (64 * 1024)
        for _ in range(512):
            ctx.logger.info(line)
        Path(f"flooded-{os.getpid()}").touch()
        await asyncio.Event().wait()
"""


def _step(lang: str, stem: str, path: str) -> str:
    if lang == "py":
        return PYTHON_STEP.format(stem=stem, path=path)
    ts = lang == "ts"
    return NODE_STEPS.format(
        exports="export const " if ts else "exports.",
        any=": any" if ts else "",
        name=NAME[lang],
        stem=stem,
        lang=lang,
        path=path,
    )


@pytest.fixture(scope="module")
def listening(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MotiaServer, str]]:
    """One ``motia dev --runner-listen`` over a Whoami and an Other step in each language."""
    files = {}
    for lang in LANGUAGES:
        files[step_path(lang, "whoami")] = _step(lang, "Whoami", "whoami")
        files[step_path(lang, "other")] = _step(lang, "Other", "other")
        if lang != "js":
            flood = (
                PYTHON_FLOOD
                if lang == "py"
                else NODE_FLOOD.replace("{name}", NAME[lang]).replace("{lang}", lang)
            )
            files[step_path(lang, "flood")] = flood
    project = write_project(tmp_path_factory.mktemp("attach"), files)
    address, listen = listen_args(COOKIE)
    with MotiaServer(project, args=listen) as server:
        yield server, address


def _attach(server: MotiaServer, address: str, lang: str, *args: str, **env: str) -> HandStartedRunner:
    argv = connect_argv(RUNNER[lang], "--connect", address, "--cookie", COOKIE, *args)
    runner = HandStartedRunner(argv, server.project, env)
    wait_attached(server, runner)
    return runner


def _pid(server: MotiaServer, lang: str, path: str = "whoami") -> int:
    response = server.client.get(f"/{lang}/{path}")
    assert response.status_code == 200, response.text
    pid: int = response.json()["pid"]
    return pid


def _own_pids(server: MotiaServer, lang: str) -> set[int]:
    return {
        row["pid"] for row in runners(server) if row["kind"] == RUNNER[lang] and row["transport"] == "stdio"
    }


def _detached(server: MotiaServer, runner: HandStartedRunner) -> bool:
    return all(row["pid"] != runner.pid for row in runners(server))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_attached_runner_serves_its_language_while_connected_and_motia_runners_lists_it(
    listening: tuple[MotiaServer, str], lang: str
) -> None:
    server, address = listening
    runner = _attach(server, address, lang)
    try:
        assert _pid(server, lang) == runner.pid
        assert _pid(server, lang, "other") == runner.pid  # no --steps: every step of its language
        row = next(row for row in runners(server) if row["pid"] == runner.pid)
        assert row["id"].startswith(f"{RUNNER[lang]}-attached-")
        assert (row["transport"], row["steps"], row["inFlight"], row["restarts"]) == ("grpc", None, 0, None)
        assert row["memoryMb"] > 0 and row["peer"].startswith("ipv4:127.0.0.1:")
        # what it logs reaches the supervisor's log, tagged with the step, as from its own runners
        assert eventually(lambda: f"whoami in {runner.pid}" in server.output)

        listed = run_motia("runners", "-p", str(server.port), cwd=server.project)
        assert listed.returncode == 0, listed.stderr
        header, *lines = listed.stdout.splitlines()
        assert header.split() == [
            "ID",
            "TRANSPORT",
            "PID",
            "UPTIME",
            "RESTARTS",
            "MEMORY",
            "IN",
            "FLIGHT",
            "DEBUGGER",
            "STEPS",
        ]
        line = next(line for line in lines if line.startswith(row["id"]))
        assert "grpc (ipv4:127.0.0.1:" in line and str(runner.pid) in line
        assert line.endswith(f"all {RUNNER[lang]} steps")
        own = [line for line in lines if " stdio " in line]
        assert {line.split()[0] for line in own} >= {"node-0", "python-0"}
    finally:
        runner.kill()
    eventually(lambda: _detached(server, runner))
    assert _pid(server, lang) in _own_pids(
        server, lang
    )  # its steps run in the supervisor's own runners again
    assert eventually(lambda: f"runner {row['id']} detached (disconnected" in server.output), server.output


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_invocation_held_in_an_attached_runner_survives_its_disconnect(
    listening: tuple[MotiaServer, str], lang: str
) -> None:
    server, address = listening
    runner = _attach(server, address, lang, HOLD_HERE="1")
    answer: dict[str, Any] = {}

    def request() -> None:
        response = httpx.get(f"{server.url}/{lang}/whoami?hold=1", timeout=60)
        answer.update(status=response.status_code, body=response.json())

    thread = threading.Thread(target=request)
    thread.start()
    try:
        eventually(lambda: any(row["pid"] == runner.pid and row["inFlight"] == 1 for row in runners(server)))
        runner.kill()  # the developer stops the debug session with the request held at a breakpoint
        thread.join(30)
    finally:
        runner.stop()
    assert answer["status"] == 200, answer
    assert answer["body"]["pid"] in _own_pids(server, lang)
    # the warning is logged before the retry that answered, but read from the server's output by another thread
    assert eventually(lambda: f"did not answer step {NAME[lang]}Whoami" in server.output)


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_a_runner_paused_by_backpressure_whose_call_is_cut_exits_and_its_work_runs_elsewhere(
    listening: tuple[MotiaServer, str], lang: str
) -> None:
    """An attached runner whose output the supervisor has stopped reading (the link carries nothing from
    it) stops reading in turn, with a handler in flight; then the connection goes. The runner exits 1
    saying the session ended, rather than wait for a drain that cannot come, and the request it held is
    answered by the supervisor's own runners: nothing in flight is lost."""
    server, address = listening
    link = CuttableLink(address)
    runner = _attach(server, link.address, lang, HOLD_HERE="1")
    answer: dict[str, Any] = {}

    def request() -> None:
        response = httpx.get(f"{server.url}/{lang}/flood", timeout=60)
        answer.update(status=response.status_code, body=response.json())

    thread = threading.Thread(target=request)
    try:
        link.stop_carrying_the_runners_output()
        thread.start()
        # 32 MiB sent while at most the window the supervisor granted (and the sockets' buffers) left
        # the runner: it has stopped reading
        flooded = server.project / f"flooded-{runner.pid}"
        eventually(lambda: flooded.exists() or runner.proc.poll() is not None, timeout=60)
        assert flooded.exists(), runner.output
        link.cut()
        assert runner.wait(60) == 1, runner.output
        assert "ended the session" in runner.output, runner.output
        thread.join(60)
    finally:
        link.cut()
        runner.stop()
    assert answer["status"] == 200, answer
    assert answer["body"]["pid"] in _own_pids(server, lang)
    assert f"did not answer step {NAME[lang]}Flood" in server.output


@pytest.mark.parametrize("lang", LANGUAGES)
def test_steps_limits_an_attached_runner_to_the_steps_it_names(
    listening: tuple[MotiaServer, str], lang: str
) -> None:
    server, address = listening
    runner = _attach(server, address, lang, "--steps", f"{NAME[lang]}Whoami")
    try:
        assert _pid(server, lang) == runner.pid
        assert _pid(server, lang, "other") in _own_pids(server, lang)
        row = next(row for row in runners(server) if row["pid"] == runner.pid)
        assert row["steps"] == [f"{NAME[lang]}Whoami"]
    finally:
        runner.kill()


def test_the_workbench_runners_panel_says_which_steps_each_runner_takes_as_motia_runners_does(
    listening: tuple[MotiaServer, str], chromium: str, client_packages: Path
) -> None:
    """A Python runner attached for one step beside the supervisor's own node and python runners: the
    Runners panel's steps column (it had none) says what ``motia runners``' STEPS says of each, the
    attached one's step by name, each own runner every step of its language."""
    server, address = listening
    runner = _attach(server, address, "py", "--steps", "PyWhoami")
    try:
        attached = next(row["id"] for row in runners(server) if row["pid"] == runner.pid)
        count = str(len(runners(server)))
        artifacts = str(REPO_ROOT / "test-artifacts")
        seen = run_driver(
            client_packages, "workbench-runners-driver.mjs", chromium, server.url, artifacts, count
        )
        assert "failure" not in seen, seen["failure"]
        listed = run_motia("runners", "-p", str(server.port), cwd=server.project)
    finally:
        runner.kill()
    assert listed.returncode == 0, listed.stderr
    page = {ident: row["steps"] for ident, row in seen["runners"].items()}
    assert {page["node-0"], page["python-0"], page[attached]} == {
        "all node steps",
        "all python steps",
        "PyWhoami",
    }
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert lines.keys() == page.keys()
    assert all(lines[ident].endswith(f"  {steps}") for ident, steps in page.items()), (lines, page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_runner_with_a_wrong_cookie_is_refused_with_a_clear_error(
    listening: tuple[MotiaServer, str], lang: str
) -> None:
    server, address = listening
    runner = HandStartedRunner(
        connect_argv(RUNNER[lang], "--connect", address, "--cookie", "not-the-cookie"), server.project
    )
    assert runner.wait() == 2
    assert f"the supervisor at {address} refused this runner: wrong cookie" in runner.output
    assert "--cookie" in runner.output  # and says where the right one is
    assert all(row["transport"] == "stdio" for row in runners(server))
    assert eventually(lambda: "refused a runner from ipv4:127.0.0.1:" in server.output)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_steps_naming_no_step_of_the_language_is_refused(
    listening: tuple[MotiaServer, str], lang: str
) -> None:
    server, address = listening
    argv = connect_argv(RUNNER[lang], "--connect", address, "--cookie", COOKIE, "--steps", "NoSuchStep")
    runner = HandStartedRunner(argv, server.project)
    assert runner.wait() == 2
    assert "--steps names no" in runner.output and "NoSuchStep" in runner.output
    assert f"{NAME[lang]}Whoami" in runner.output  # the steps it could have named


def test_a_runner_started_without_a_supervisor_says_so(tmp_path: Path) -> None:
    address, _ = listen_args()
    kinds: tuple[RunnerKind, ...] = ("node", "python")
    for runner in kinds:
        started = HandStartedRunner(connect_argv(runner, "--connect", address, "--cookie", "c"), tmp_path)
        assert started.wait() == 2
        assert f"no supervisor answers at {address}" in started.output


def test_the_server_stopping_ends_attached_runners(tmp_path: Path) -> None:
    project = write_project(
        tmp_path, {step_path(lang, "whoami"): _step(lang, "Whoami", "whoami") for lang in ("js", "py")}
    )
    address, listen = listen_args(COOKIE)
    server = MotiaServer(project, args=listen).wait_ready()
    attached = []
    try:
        for lang in ("js", "py"):
            attached.append(_attach(server, address, lang))
        connection_file = project / ".motia" / "runner-listen.json"
        assert connection_file.stat().st_mode & 0o777 == 0o600
    finally:
        server.proc.send_signal(signal.SIGTERM)
        assert server.stop() == 0, server.output
    for runner in attached:
        assert runner.wait(15) == 0, runner.output
        runner.stop()
    assert not connection_file.exists()


# ---------------------------------------------------------------- the README's debug configurations

README = Path(__file__).resolve().parents[1] / "README.md"
#: the example paths in the README's configurations, and which printed value each one stands for
README_NODE_RUNNER = "/home/me/.cache/motia/node-runner/0.1.0-3f2a9c1d5e6b7a80/bin/runner.mjs"
README_PYTHONPATH = "/opt/motia/lib/python3.12/site-packages/supervisor/_bundle/runners/python"
README_PROTOBUF_PATH = "/opt/motia/lib/python3.12/site-packages"


@dataclass(frozen=True)
class DebugConfiguration:
    """One run configuration of the README, as the IDE would start it."""

    name: str
    language: str  # js | py: which Whoami it is asked to run
    argv: list[str]
    env: dict[str, str]
    cwd: str


def _debugging_section() -> str:
    readme = README.read_text(encoding="utf-8")
    return readme.split("\n### Attach a runner you start yourself (gRPC)\n", 1)[1].split("\n## ", 1)[0]


def readme_configurations() -> list[DebugConfiguration]:
    """VS Code's launch.json and PyCharm's .run/*.run.xml, from the README, still with its paths."""
    section = _debugging_section()
    found = []
    launch = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))  # type: ignore[union-attr]
    for config in launch["configurations"]:
        if config["type"] == "node":
            argv = ["node", "--inspect=127.0.0.1:0", config["program"], *config["args"]]
            found.append(DebugConfiguration(f"vscode-{config['type']}", "js", argv, {}, config["cwd"]))
        else:
            argv = [config["python"], "-m", config["module"], *config["args"]]
            found.append(
                DebugConfiguration(f"vscode-{config['type']}", "py", argv, config["env"], config["cwd"])
            )
    for block in re.findall(r"```xml\n(.*?)```", section, re.S):
        config = ElementTree.fromstring(block).find("configuration")
        assert config is not None
        options = {option.get("name"): option.get("value", "") for option in config.iter("option")}
        if config.get("type") == "PythonConfigurationType":
            assert options["MODULE_MODE"] == "true"
            argv = [options["SDK_HOME"], "-m", options["SCRIPT_NAME"], *options["PARAMETERS"].split()]
            env = {env.get("name", ""): env.get("value", "") for env in config.iter("env")}
            found.append(DebugConfiguration("pycharm-python", "py", argv, env, options["WORKING_DIRECTORY"]))
        else:
            assert config.get("type") == "NodeJSConfigurationType"
            program, parameters = config.get("path-to-js-file", ""), config.get("application-parameters", "")
            argv = ["node", "--inspect=127.0.0.1:0", program, *parameters.split()]
            found.append(DebugConfiguration("pycharm-node", "js", argv, {}, config.get("working-dir", "")))
    return found


def _printed_commands(server: MotiaServer) -> dict[str, list[str]]:
    """The attach commands ``motia dev --runner-listen`` logged, by language."""
    commands = {}
    for line in server.output.splitlines():
        language, _, command = line.strip().partition(": ")
        if language in ("node", "python") and "--connect" in command:
            commands[language] = shlex.split(command)
    return commands


def _filled_in(
    config: DebugConfiguration, project: Path, printed: dict[str, list[str]]
) -> DebugConfiguration:
    """The configuration with the paths this installation printed, and this project's folder."""
    node_runner = next(word for word in printed["node"] if word.endswith("runner.mjs"))
    python_env = dict(
        word.split("=", 1) for word in printed["python"] if "=" in word and not word.startswith("-")
    )
    values = {
        README_NODE_RUNNER: node_runner,
        README_PYTHONPATH: python_env["PYTHONPATH"],
        README_PROTOBUF_PATH: python_env["MOTIA_RUNNER_PROTOBUF_PATH"],
        "${workspaceFolder}": str(project),
        "$PROJECT_DIR$": str(project),
    }

    def fill(text: str) -> str:
        for example, value in values.items():
            text = text.replace(example, value)
        return text

    return DebugConfiguration(
        config.name,
        config.language,
        [fill(word) for word in config.argv],
        {name: fill(value) for name, value in config.env.items()},
        fill(config.cwd),
    )


@pytest.fixture(scope="module")
def readme_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    """A project with its own, empty virtualenv (.venv: no protobuf, no grpcio), served with
    ``--runner-listen``, whose cookie the configurations read from .motia/runner-listen.json."""
    files = {step_path(lang, "whoami"): _step(lang, "Whoami", "whoami") for lang in ("js", "py")}
    project = write_project(tmp_path_factory.mktemp("readme"), files)
    venv.create(project / ".venv", with_pip=False, symlinks=True)
    _, listen = listen_args(COOKIE)
    with MotiaServer(project, args=listen) as server:
        yield server


def test_the_readme_has_a_debug_configuration_for_each_runner_in_each_ide() -> None:
    assert sorted(config.name for config in readme_configurations()) == [
        "pycharm-node",
        "pycharm-python",
        "vscode-debugpy",
        "vscode-node",
    ]


@pytest.mark.parametrize("config", readme_configurations(), ids=lambda config: config.name)
def test_each_readme_debug_configuration_attaches_and_serves_a_request(
    readme_project: MotiaServer, config: DebugConfiguration
) -> None:
    server = readme_project
    filled = _filled_in(config, server.project, _printed_commands(server))
    runner = HandStartedRunner(filled.argv, Path(filled.cwd), {**filled.env, "MOTIA_PROJECT_ROOT": ""})
    try:
        row = wait_attached(server, runner)
        assert row["transport"] == "grpc"
        assert _pid(server, config.language) == runner.pid
        if config.language == "js":
            assert "Debugger listening on ws://127.0.0.1:" in runner.output  # the inspector is on too
    finally:
        runner.kill()


def test_a_changed_step_file_is_imported_again_by_the_runners_attached_for_it(tmp_path: Path) -> None:
    files = {step_path(lang, "whoami"): _step(lang, "Whoami", "whoami") for lang in LANGUAGES}
    project = write_project(tmp_path, files)
    address, listen = listen_args(COOKIE)
    with MotiaServer(project, args=listen) as server:
        attached = [_attach(server, address, lang) for lang in ("ts", "py")]
        try:
            for lang in LANGUAGES:
                source = project / step_path(lang, "whoami")
                source.write_text(
                    source.read_text()
                    .replace("pid:", "edited: true, pid:")
                    .replace('"pid":', '"edited": True, "pid":')
                )
            for lang, runner in (("ts", attached[0]), ("js", attached[0]), ("py", attached[1])):

                def edited(lang: str = lang) -> dict[str, Any] | None:
                    body: dict[str, Any] = server.client.get(f"/{lang}/whoami").json()
                    return body if body.get("edited") else None

                try:
                    body = eventually(edited)
                except AssertionError as exc:
                    raise AssertionError(
                        f"/{lang}/whoami never answered the edited code\n{server.output}"
                    ) from exc
                assert body["pid"] == runner.pid  # the new code, in the runner attached for it
            assert "imported the changed node files" in server.output
            assert "imported the changed python files" in server.output
        finally:
            for runner in attached:
                runner.kill()


@pytest.mark.parametrize("lang", ["ts", "py"])
def test_a_runner_paused_by_backpressure_sees_the_end_of_a_session_the_supervisor_ends(
    tmp_path: Path, lang: str
) -> None:
    """The supervisor ends an attached runner's session (``kill``: its in-flight work goes back to the
    pools) while the runner has stopped reading because its output was not read (the link carried
    none of it, and a handler has 32 MiB waiting), with invocations from the supervisor unread. Once
    the link carries again, the runner sees the status that ended its call, which came after them,
    and exits 1 with the supervisor's reason, instead of waiting for a drain that never comes. The
    real listener and connection; ``serve`` stands in for AttachedRunners.serve, to end the session at
    a chosen moment."""
    whoami = step_path(lang, "whoami")
    flood = step_path(lang, "flood")
    flood_source = (
        PYTHON_FLOOD if lang == "py" else NODE_FLOOD.replace("{name}", NAME[lang]).replace("{lang}", lang)
    )
    project = write_project(tmp_path, {whoami: _step(lang, "Whoami", "whoami"), flood: flood_source})
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    kill_now = threading.Event()
    connections: list[AttachedConnection] = []
    links: list[CuttableLink] = []

    async def serve(connection: AttachedConnection, steps: frozenset[str] | None) -> None:
        connections.append(connection)
        await connection.start()
        await connection.load([whoami, flood], [])
        links[0].stop_carrying_the_runners_output()
        kind = TriggerKind.API
        invocations = [
            asyncio.ensure_future(
                connection.invoke(flood, f"{NAME[lang]}Flood", kind, b'{"body":null}', "t", "", None)
            )
        ]
        flooded = project / f"flooded-{connection.pid}"
        await loop.run_in_executor(None, lambda: eventually(flooded.exists, timeout=60))
        for _ in range(2000):  # more than the runner's receive window: some wait in the supervisor
            invocations.append(
                asyncio.ensure_future(
                    connection.invoke(whoami, f"{NAME[lang]}Whoami", kind, b'{"body":null}', "t", "", None)
                )
            )
        await loop.run_in_executor(None, kill_now.wait)
        await connection.kill("the test ends it", fault=False)
        await asyncio.gather(*invocations, return_exceptions=True)  # each fails: the runner is gone

    listener = RunnerListener(
        "127.0.0.1:0",
        COOKIE,
        lambda context, language, peer: AttachedConnection(
            context, language, f"{language}-attached-1", project, "info", lambda call: None, peer
        ),
        serve,
    )
    address = asyncio.run_coroutine_threadsafe(listener.start(), loop).result(30)
    links.append(CuttableLink(address))
    argv = connect_argv(RUNNER[lang], "--connect", links[0].address, "--cookie", COOKIE)
    runner = HandStartedRunner(argv, project, {"HOLD_HERE": "1"})
    try:
        eventually(lambda: connections and connections[0].in_flight > 1000, timeout=60)
        kill_now.set()
        eventually(lambda: not connections[0].alive, timeout=30)
        links[0].carry_the_runners_output()  # the supervisor may read it again: it ended the session
        assert runner.wait(60) == 1, runner.output
        assert "the supervisor ended this runner's session: the test ends it" in runner.output, runner.output
    finally:
        runner.stop()
        links[0].cut()
        asyncio.run_coroutine_threadsafe(listener.stop(0), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
