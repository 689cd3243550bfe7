"""``motia docker setup|build|run`` and ``motia cloud deploy``, Motia's deployment commands.

``docker setup`` writes a Dockerfile that installs motia and the project's packages and runs ``motia
start``; ``docker build`` and ``docker run`` run the Docker CLI on it, as Motia's do (``-n`` names the
image; by default package.json's name, else the folder's). Motia Cloud is Motia's hosted service for
Node Motia's builds: ``cloud deploy`` takes Motia's options and says what to do instead."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from supervisor.cli._project import project_folder
from supervisor.cli._rules import print_written
from supervisor.cli._version import motia_version
from supervisor.scaffold import CONTAINER_PORT, write_docker_files

_DOCKER_FIX = "install Docker (https://docs.docker.com/get-docker/), or build the image where Docker runs"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    docker = commands.add_parser(
        "docker", help="a Dockerfile for the project (setup), its image (build, run)"
    )
    actions = docker.add_subparsers(dest="docker_command", required=True)
    setup = actions.add_parser("setup", help="write a Dockerfile and .dockerignore that run motia start")
    setup.add_argument("-f", "--force", action="store_true", help="replace the files that are already there")
    build = actions.add_parser("build", help="docker build the project's image from its Dockerfile")
    run = actions.add_parser("run", help="build the image (unless -s) and run it, serving on -p PORT")
    run.add_argument(
        "-p", "--port", type=int, default=CONTAINER_PORT, help=f"host port (default {CONTAINER_PORT})"
    )
    run.add_argument("-s", "--skip-build", action="store_true", help="run the image built last")
    for parser in (setup, build, run):
        parser.add_argument(
            "--project", default=".", help="project directory (default: the current directory)"
        )
    for parser in (build, run):
        parser.add_argument(
            "-n", "--project-name", help="the image's name (default: package.json's name, else the folder's)"
        )
    setup.set_defaults(run=_run_setup)
    build.set_defaults(run=_run_build)
    run.set_defaults(run=_run_container)

    cloud = commands.add_parser("cloud", help="Motia Cloud (Node Motia's hosted service): not available here")
    cloud_actions = cloud.add_subparsers(dest="cloud_command", required=True)
    deploy = cloud_actions.add_parser("deploy", help="not available: says what to deploy instead")
    # Motia's options, taken so that a documented command line reaches the explanation
    deploy.add_argument("-k", "--api-key")
    deploy.add_argument("-v", "--version-name")
    deploy.add_argument("-n", "--project-name")
    deploy.add_argument("-s", "--environment-id")
    deploy.add_argument("--environment-name")
    deploy.add_argument("-e", "--env-file")
    deploy.add_argument("-d", "--version-description")
    deploy.add_argument("-c", "--ci", action="store_true")
    deploy.set_defaults(run=_run_cloud_deploy)


def _run_setup(args: argparse.Namespace) -> int:
    folder = project_folder("docker setup", args.project)
    if folder is None:
        return 2
    version = motia_version()
    print_written(write_docker_files(folder, version, force=args.force))
    print(
        f"\nThe image installs motia-supervisor=={version} from the package index; to build it "
        "with a wheel instead (motia installed from a checkout or a wheel file), put the wheel "
        "(motia_supervisor-*.whl) in this folder: motia docker build uses it."
    )
    print("Next: motia docker run   (or: docker build -t NAME . && docker run -p 3000:3000 NAME)")
    return 0


def _run_build(args: argparse.Namespace) -> int:
    return _build(Path(args.project), _image_name(args), "docker build")


def _run_container(args: argparse.Namespace) -> int:
    folder, image = Path(args.project), _image_name(args)
    if not args.skip_build:
        built = _build(folder, image, "docker run")
        if built:
            return built
    docker = _docker("docker run")
    if docker is None:
        return 2
    terminal = ["-it"] if sys.stdin.isatty() else []
    command = [docker, "run", *terminal, "--rm", "-p", f"{args.port}:{CONTAINER_PORT}", image]
    print(" ".join(command[1:]), flush=True)
    return subprocess.call(command, cwd=folder)


def _build(folder: Path, image: str, command: str) -> int:
    if not (folder / "Dockerfile").is_file():
        print(
            f"motia {command}: {folder.resolve()} has no Dockerfile: run `motia docker setup` first",
            file=sys.stderr,
        )
        return 2
    docker = _docker(command)
    if docker is None:
        return 2
    command_line = ["build", *_package_argument(folder), "-t", image, "."]
    print("docker " + " ".join(command_line), flush=True)
    return subprocess.call([docker, *command_line], cwd=folder)


def _package_argument(folder: Path) -> list[str]:
    """The Dockerfile's ``MOTIA_PACKAGE``: the newest motia wheel in the project folder, if there is
    one (motia is not always installed from a package index), else the Dockerfile's default."""
    wheels = sorted(folder.glob("motia_supervisor-*.whl"), key=lambda wheel: wheel.stat().st_mtime)
    return ["--build-arg", f"MOTIA_PACKAGE=./{wheels[-1].name}"] if wheels else []


def _docker(command: str) -> str | None:
    docker = shutil.which("docker")
    if docker is None:
        print(f"motia {command}: docker is not on the PATH: {_DOCKER_FIX}", file=sys.stderr)
    return docker


def _image_name(args: argparse.Namespace) -> str:
    """``-n``, else package.json's name, else the folder's, as Docker takes it (lowercase, no spaces)."""
    if args.project_name:
        return str(args.project_name)
    from supervisor.discovery import package_manifest

    folder = Path(args.project).resolve()
    name = str(package_manifest(folder).get("name") or folder.name)
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._") or "motia-app"


def _run_cloud_deploy(_args: argparse.Namespace) -> int:
    print(
        "motia cloud deploy: Motia Cloud runs Node Motia's own builds; it cannot deploy this framework's "
        "server. Deploy the project as a container instead: `motia docker setup` writes its Dockerfile, "
        "`motia docker build -n NAME` builds the image to push to any container platform",
        file=sys.stderr,
    )
    return 2
