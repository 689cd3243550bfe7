from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.attach import HandStartedRunner, connect_argv, listen_args, wait_attached
from tests.support.grpc_harness import GrpcRunnerHarness
from tests.support.redis_server import RedisServer, redis_server_binary
from tests.support.runner_harness import RunnerHarness, RunnerLanguage, write_project
from tests.support.server import MotiaServer, release_ports

FIXTURES = Path(__file__).parent / "fixtures"
LANGUAGES = ["ts", "js", "py"]
#: how the supervisor talks to runners: the pipes of those it starts, or gRPC to those started by hand
TRANSPORTS = ["stdio", "grpc"]
#: npm packages the tests drive (Motia's stream clients, playwright, qs): see its package.json
CLIENTS_DIR = Path(__file__).parent / "clients"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: the modules that take longest, slowest first (each CI log's slowest durations show which). Under
#: pytest-xdist (``-n 2 --dist loadfile``) they are handed out first: one of them handed out last
#: would run alone on one worker while the other, its work done, waited.
SLOWEST_MODULES = (
    "test_workbench.py",
    "test_scale_out.py",
    "test_runners.py",
    "test_create.py",
    "test_runner_deaths.py",
    "test_debugging.py",
    "test_wheel.py",
    "test_traces.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the SLOWEST_MODULES' tests first (each module's in its own order); every
    worker collects the same, so every worker orders the same."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    rank = {name: index for index, name in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="module", autouse=True)
def _ports_held_for_the_module() -> Iterator[None]:
    """The ports ``free_port`` held in a module are let go at its end (its module-scoped servers with
    it): by then each program they were for has bound its own, or is gone."""
    yield
    release_ports()


@pytest.fixture(scope="session")
def client_packages() -> Path:
    """tests/clients/node_modules (scripts/setup installs it; a bare checkout installs it here)."""
    stamp = CLIENTS_DIR / "node_modules" / ".motia-installed"
    lock = CLIENTS_DIR / "package-lock.json"
    if not stamp.exists() or lock.stat().st_mtime > stamp.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CLIENTS_DIR,
            check=True,
            timeout=300,
        )
        stamp.touch()
    return CLIENTS_DIR


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, for tests that need a real browser (a failure on CI, a skip elsewhere)."""
    found = next((path for path in CHROMIUM_CANDIDATES if Path(path).exists()), None)
    if found is None:
        message = "Debian's chromium is not installed (scripts/setup installs it where apt-get exists)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


StartRunner = Callable[..., RunnerHarness]


@contextlib.contextmanager
def serving_conformance(project: Path, transport: str) -> Iterator[MotiaServer]:
    """``motia start`` over the conformance fixtures (copied into ``project``) of all three languages,
    its steps run by its own runners (``stdio``) or by runners started by hand that attached over gRPC
    and take every step (``grpc``)."""
    shutil.copytree(FIXTURES / "conformance", project, dirs_exist_ok=True)
    if transport == "stdio":
        server = MotiaServer(project, mode="start")
        with server:
            yield server
        assert server.proc.returncode == 0, server.output
        return
    address, listen = listen_args()
    server = MotiaServer(project, mode="start", args=listen)
    attached: list[HandStartedRunner] = []
    with server:
        for runner in ("node", "python"):
            attached.append(
                HandStartedRunner(
                    connect_argv(runner, "--connect", address, "--cookie", "test-cookie"), project
                )
            )
        for hand_started in attached:
            assert wait_attached(server, hand_started)["transport"] == "grpc"
        yield server
    assert server.proc.returncode == 0, server.output
    for hand_started in attached:  # the server's shutdown ends their sessions: they exit by themselves
        assert hand_started.wait(15) == 0, hand_started.output
        hand_started.stop()


@pytest.fixture(scope="session")
def conformance_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    """One ``motia start`` over the conformance fixtures of all three languages (test_conformance.py
    runs its own over both transports)."""
    with serving_conformance(tmp_path_factory.mktemp("conformance"), "stdio") as server:
        yield server


@pytest.fixture
def runner_transport() -> str:
    """The channel ``start_runner`` speaks to runners on: stdio here; a module that parametrizes this
    fixture over ``TRANSPORTS`` runs its runner tests over both."""
    return "stdio"


@pytest.fixture
def start_runner(tmp_path: Path, runner_transport: str) -> Iterator[StartRunner]:
    """``start_runner(language, files, log_level="info")``: write ``files`` into a project under
    tmp_path, start that language's runner there and shake hands; every runner is shut down, and
    checked to have written nothing but frames to its protocol channel, when the test ends."""
    harnesses: list[RunnerHarness] = []
    harness_class = GrpcRunnerHarness if runner_transport == "grpc" else RunnerHarness

    def start(language: RunnerLanguage, files: dict[str, str], log_level: str = "info") -> RunnerHarness:
        project = write_project(tmp_path / "project", files)
        harness = harness_class(language.argv(), project)
        harnesses.append(harness)
        assert harness.handshake(log_level=log_level).protocol_version == 1
        return harness

    yield start
    for harness in harnesses:
        harness.close()
    assert [h.garbage for h in harnesses if h.garbage] == []


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session (a failure on CI when it is not installed, a skip elsewhere).

    Tests share it and keep apart by key prefix (``redis_prefix``)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), redis_server_binary())
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own: it may be paused, which the session's server must never be."""
    server = RedisServer(tmp_path / "redis", redis_server_binary())
    yield server
    server.stop()


@pytest.fixture
def redis_prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test's own on the shared redis-server."""
    return f"test:{uuid.uuid4().hex[:12]}:"
