"""``motia docker setup|build|run`` and ``motia cloud deploy``, run as a user runs them. No Docker daemon
runs where the tests do, so the image is not built here: what is checked is the files ``setup`` writes
and what ``build``/``run``/``cloud deploy`` say when they cannot go on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supervisor.cli._version import motia_version
from tests.support.server import run_motia

pytestmark = pytest.mark.e2e


def test_docker_setup_writes_a_dockerfile_that_installs_motia_and_runs_motia_start(tmp_path: Path) -> None:
    done = run_motia("docker", "setup", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    dockerfile = (tmp_path / "Dockerfile").read_text()
    assert f"ARG MOTIA_PACKAGE=motia-supervisor=={motia_version()}\n" in dockerfile
    assert 'RUN pip install --no-cache-dir "$MOTIA_PACKAGE"\n' in dockerfile
    # the project's packages, and every step loaded once, at build time
    assert "RUN motia install && motia build\n" in dockerfile
    assert dockerfile.endswith('CMD ["motia", "start", "--host", "0.0.0.0", "--port", "3000"]\n')
    ignored = (tmp_path / ".dockerignore").read_text().splitlines()
    assert {"node_modules/", "python_modules/", ".motia/", ".env"} <= set(ignored)


def test_docker_setup_keeps_a_dockerfile_already_there_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM mine\n")
    kept = run_motia("docker", "setup", cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "Dockerfile  (already there, kept: --force replaces it)" in kept.stdout
    assert (tmp_path / "Dockerfile").read_text() == "FROM mine\n"
    assert (tmp_path / ".dockerignore").exists()

    forced = run_motia("docker", "setup", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "motia start" in (tmp_path / "Dockerfile").read_text()


@pytest.mark.parametrize("command", [["build"], ["run", "-p", "8080"]])
def test_docker_build_and_run_need_the_dockerfile_of_setup(tmp_path: Path, command: list[str]) -> None:
    done = run_motia("docker", *command, cwd=tmp_path)
    assert done.returncode == 2
    assert "has no Dockerfile: run `motia docker setup` first" in done.stderr


def test_docker_build_says_docker_is_missing_from_the_path(tmp_path: Path) -> None:
    assert run_motia("docker", "setup", cwd=tmp_path).returncode == 0
    empty = tmp_path / "bin"
    empty.mkdir()
    done = run_motia("docker", "build", "-n", "my-app", cwd=tmp_path, env={"PATH": str(empty)})
    assert done.returncode == 2
    assert "motia docker build: docker is not on the PATH: install Docker" in done.stderr


def test_docker_build_installs_the_motia_wheel_the_project_folder_holds(tmp_path: Path) -> None:
    """A motia installed from a checkout or a wheel file is not on a package index: the wheel put in the
    project folder (as setup says) is what the image installs. Docker itself is not here: a ``docker``
    on the PATH that prints what it was asked stands in for it."""
    assert run_motia("docker", "setup", cwd=tmp_path).returncode == 0
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text('#!/bin/sh\necho "docker was asked: $*"\n')
    docker.chmod(0o755)
    path = f"{bin_dir}:{os.environ['PATH']}"
    without = run_motia("docker", "build", "-n", "app", cwd=tmp_path, env={"PATH": path})
    assert "docker was asked: build -t app ." in without.stdout, without.stdout + without.stderr
    (tmp_path / "motia_supervisor-9.9.9-py3-none-any.whl").write_bytes(b"")
    withwheel = run_motia("docker", "build", "-n", "app", cwd=tmp_path, env={"PATH": path})
    assert (
        "docker was asked: build --build-arg MOTIA_PACKAGE=./motia_supervisor-9.9.9-py3-none-any.whl -t app ."
        in withwheel.stdout
    ), withwheel.stdout + withwheel.stderr


def test_cloud_deploy_takes_motias_options_and_says_what_to_deploy_instead(tmp_path: Path) -> None:
    done = run_motia(
        "cloud",
        "deploy",
        "--api-key",
        "key",
        "--version-name",
        "1.2.3",
        "--environment-id",
        "env",
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "Motia Cloud runs Node Motia's own builds" in done.stderr
    assert "`motia docker setup`" in done.stderr
