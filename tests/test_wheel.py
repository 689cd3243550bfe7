"""The built wheel, installed into a fresh virtualenv outside the checkout, runs a user's projects.

One wheel and one virtualenv for the module; two projects in temporary folders:

* a copy of the example app (steps/ and its project files), set up with ``motia install``;
* Motia's tutorial project as users have it (Node Motia in package.json, a ``postinstall``, a
  motia.config.ts with plugins), with a ``python_modules/`` made the way Node Motia makes it (no protobuf
  there) and no ``npm install`` at all: the node runner's fallbacks stand in for ``motia`` and ``zod``.

Both are started at once on a fresh runner cache (one ``npm ci`` between them), every route of each is
called, then the app starts again with no npm on the PATH (the cached runner is reused offline).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually
from tests.support.wheel import (
    REPO_ROOT,
    InstalledMotia,
    copy_pet_app,
    copy_tutorial,
    install_motia,
    path_without_npm,
    user_env,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LANGS = ("ts", "js", "py")
#: repository folder -> where the wheel carries it
BUNDLED = {
    "runners/node/bin": "supervisor/_bundle/runners/node/bin",
    "runners/node/src": "supervisor/_bundle/runners/node/src",
    "runners/node/package.json": "supervisor/_bundle/runners/node/package.json",
    "runners/node/package-lock.json": "supervisor/_bundle/runners/node/package-lock.json",
    "runners/python/motia_runner": "supervisor/_bundle/runners/python/motia_runner",
    "proto": "supervisor/_bundle/proto",
}


def tracked_runner_files() -> dict[str, str]:
    """Every file of the runners and the proto under version control -> its path in the wheel."""
    listed = subprocess.run(
        ["git", "ls-files", *BUNDLED], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        path: next(
            target + path[len(source) :] for source, target in BUNDLED.items() if path.startswith(source)
        )
        for path in listed
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledMotia:
    return install_motia(tmp_path_factory.mktemp("motia-wheel"))


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory, installed: InstalledMotia) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("user")
    pet_app = copy_pet_app(root / "pet-app")
    done = run_motia_installed(installed, "install", cwd=pet_app, env=user_env(root / "install-cache"))
    assert done.returncode == 0, done.stdout + done.stderr
    return {"pet-app": pet_app, "tutorial": copy_tutorial(root / "tutorial"), "root": root}


def run_motia_installed(
    installed: InstalledMotia, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.motia), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@contextlib.contextmanager
def serving(installed: InstalledMotia, project: Path, env: dict[str, str]) -> Iterator[MotiaServer]:
    server = MotiaServer(project, motia=[str(installed.motia)], env=env, inherit_env=False)
    try:
        yield server
    finally:
        server.stop()


def test_the_wheel_and_the_sdist_carry_the_runners_and_the_proto(installed: InstalledMotia) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    expected = tracked_runner_files()
    assert len(expected) > 20 and set(expected.values()) <= names, set(expected.values()) - names
    assert not any("node_modules" in name or "__pycache__" in name for name in names)
    with tarfile.open(installed.sdist) as archive:
        sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert set(expected) <= sdist, set(expected) - sdist
    # steps/ is there: the wheel built from the sdist makes motia create's pet-app template of it
    assert not any(name.startswith(("tests/", "bench/")) for name in sdist)


def test_motia_create_from_the_wheel_writes_every_template(installed: InstalledMotia, tmp_path: Path) -> None:
    """The templates are package data; pet-app is the repository's example app, byte for byte."""
    shipped = subprocess.run(
        ["git", "ls-files", "steps", "requirements.txt", "motia.config.json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert {f"supervisor/templates/pet-app/{path}" for path in shipped} <= names
    for template in ("typescript", "javascript", "python", "mixed", "pet-app"):
        cursor = ("-c",) if template == "mixed" else ()  # its rules are package data too
        created = run_motia_installed(
            installed,
            "create",
            template,
            "-t",
            template,
            *cursor,
            cwd=tmp_path,
            env=user_env(tmp_path / "cache"),
        )
        assert created.returncode == 0, created.stdout + created.stderr
    assert (tmp_path / "mixed" / ".cursor" / "rules" / "motia" / "steps.mdc").is_file()
    for path in shipped:
        assert (tmp_path / "pet-app" / path).read_bytes() == (REPO_ROOT / path).read_bytes()


def test_two_projects_from_the_wheel_answer_every_route_then_restart_offline(
    installed: InstalledMotia, projects: dict[str, Path]
) -> None:
    cache = projects["root"] / "runner-cache"
    env = user_env(cache)
    with (
        serving(installed, projects["pet-app"], env) as pet_app,
        serving(installed, projects["tutorial"], env) as tutorial,
    ):
        pet_app.wait_ready(timeout=600)
        tutorial.wait_ready(timeout=600)
        for lang in LANGS:
            check_pet_app_routes(pet_app, lang)
            check_tutorial_routes(tutorial, lang)
        outputs = pet_app.output + tutorial.output
    # one npm ci between the two processes, into the cache, never into the projects
    assert outputs.count("installing the node runner's npm packages") == 1, outputs
    installs = [p for p in (cache / "node-runner").iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(installs) == 1 and (installs[0] / "node_modules" / "tsx").is_dir()
    assert not (projects["tutorial"] / "node_modules").exists()
    for output in (pet_app.output, tutorial.output):
        assert " ERROR " not in output, output
        assert "protobuf" in next(line for line in output.splitlines() if "python runner:" in line)
    assert "(upb, motia's)" in tutorial.output  # the tutorial's python_modules has no protobuf
    assert "motia.config.ts: `plugins` is ignored" in tutorial.output

    offline = user_env(cache, path=path_without_npm(projects["root"] / "node-only"))
    with serving(installed, projects["pet-app"], offline) as again:
        again.wait_ready(timeout=120)
        check_pet_app_routes(again, "ts")
        assert "installing the node runner's npm packages" not in again.output


def check_pet_app_routes(server: MotiaServer, lang: str) -> None:
    client = server.client
    created = client.post(f"/{lang}/pets", json={"name": "Buddy", "species": "dog", "ageMonths": 24})
    assert created.status_code == 201, created.text
    pet_id = eventually(lambda: client.get(f"/{lang}/pets").json()[0]["id"])
    trace_id = created.headers["x-trace-id"]
    answers = {
        ("GET", f"/{lang}/pets"): client.get(f"/{lang}/pets"),
        ("GET", f"/{lang}/pets/:id"): client.get(f"/{lang}/pets/{pet_id}"),
        ("PUT", f"/{lang}/pets/:id"): client.put(f"/{lang}/pets/{pet_id}", json={"ageMonths": 25}),
        ("GET", f"/{lang}/streams/:traceId"): client.get(f"/{lang}/streams/{trace_id}"),
        ("POST", f"/{lang}/pets/:id/health-review"): client.post(f"/{lang}/pets/{pet_id}/health-review"),
        ("POST", f"/{lang}/pets/:id/adoption-review"): client.post(f"/{lang}/pets/{pet_id}/adoption-review"),
        ("DELETE", f"/{lang}/pets/:id"): client.delete(f"/{lang}/pets/{pet_id}"),
    }
    for route, response in answers.items():
        assert response.status_code < 500 and response.status_code not in (404, 405), (route, response.text)


def check_tutorial_routes(server: MotiaServer, lang: str) -> None:
    client = server.client
    created = client.post(f"/{lang}/pets", json={"name": "Luna", "species": "cat", "ageMonths": 8})
    assert created.status_code == 201, created.text
    pet = created.json()
    assert pet["stream"]["message"] == f"Pet Luna (ID: {pet['id']}) created successfully"
    # the feeding-reminder job ran
    eventually(lambda: client.get(f"/{lang}/pets/{pet['id']}").json()["status"] == "in_quarantine")
    assert any(p["id"] == pet["id"] for p in client.get(f"/{lang}/pets").json())
    updated = client.put(f"/{lang}/pets/{pet['id']}", json={"ageMonths": 9})
    assert (updated.status_code, updated.json()["ageMonths"]) == (200, 9)
    assert client.delete(f"/{lang}/pets/{pet['id']}").status_code == 202
    assert client.get(f"/{lang}/pets/{pet['id']}").json()["status"] == "deleted"
    reaper = {"ts": "TsDeletionReaper", "js": "JsDeletionReaper", "py": "PyDeletionReaper"}[lang]
    assert client.post(f"/__motia/cron/{reaper}/run?wait=1").status_code == 200
    eventually(
        lambda: any(
            f"[{reaper}]" in line and "Deletion reaper completed" in line
            for line in server.output.splitlines()
        )
    )
    assert client.get(f"/{lang}/pets/{pet['id']}").status_code == 200  # purged only 30 days later


def test_the_projects_own_node_modules_win_over_the_runners_fallbacks(
    installed: InstalledMotia, projects: dict[str, Path]
) -> None:
    project = projects["root"] / "own-packages"
    write_project(
        project,
        {
            "node_modules/zod/package.json": '{"name": "zod", "version": "0.0.0", "main": "index.js"}',
            "node_modules/zod/index.js": "exports.z = { marker: 'the project zod' }\n",
            "node_modules/motia/package.json": '{"name": "motia", "version": "0.0.0", "main": "index.js"}',
            "node_modules/motia/index.js": "exports.marker = 'the project motia'\n",
            "steps/which.step.ts": """
                import { z } from 'zod'
                import * as motia from 'motia'
                export const config = { type: 'api', name: 'WhichTs', path: '/which/ts', method: 'GET', emits: [] }
                export const handler = async () => ({ status: 200, body: { zod: (z as any).marker, motia: (motia as any).marker } })
            """,
            "steps/which.step.js": """
                const { z } = require('zod')
                const motia = require('motia')
                exports.config = { type: 'api', name: 'WhichJs', path: '/which/js', method: 'GET', emits: [] }
                exports.handler = async () => ({ status: 200, body: { zod: z.marker, motia: motia.marker } })
            """,
        },
    )
    with serving(installed, project, user_env(projects["root"] / "runner-cache")) as server:
        server.wait_ready(timeout=300)
        for lang in ("ts", "js"):
            assert server.client.get(f"/which/{lang}").json() == {
                "zod": "the project zod",
                "motia": "the project motia",
            }


def test_motia_install_sets_up_the_unmodified_tutorial_layout(
    installed: InstalledMotia, projects: dict[str, Path]
) -> None:
    project = copy_tutorial(projects["root"] / "tutorial-installed", python_modules_by_node_motia=False)
    env = user_env(projects["root"] / "runner-cache")
    done = run_motia_installed(installed, "install", cwd=project, env=env)
    assert "motia install: creating python_modules/" in done.stdout
    python = project / "python_modules" / "bin" / "python"
    subprocess.run([str(python), "-c", "import pydantic, httpx"], check=True)
    # npm: the project depends on Node Motia and its plugins; a registry without that version is named
    if done.returncode != 0:
        assert re.search(
            r"npm install failed \(exit \d+\) \(\S+@\^0\.17\.9: no such version in the registry\)",
            done.stderr,
        ), done.stderr
    with serving(installed, project, env) as server:
        server.wait_ready(timeout=300)
        for lang in LANGS:
            check_tutorial_routes(server, lang)
        assert "python_modules/bin/python (the project's python_modules/)" in server.output
