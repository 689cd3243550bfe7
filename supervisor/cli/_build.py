"""``motia build``: load every step and stream in the runners without serving; exit 1 on any error.

For CI pipelines: the same discovery, runners and validation as ``motia dev``, the same summary, and
no port, no database, no cron.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from supervisor.cli._project import prepare_project
from supervisor.core import load_without_serving, summarize
from supervisor.logs import configure_logging
from supervisor.settings import Settings


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    build = commands.add_parser(
        "build",
        help="load every step and stream without serving; exit 1 on any error",
        description="Load every step, stream and hook file of the project in its runners, print a "
        "summary, and exit 1 if anything failed to load. Nothing is served or stored.",
    )
    build.add_argument("--project", default=".", help="project directory (default: the current directory)")
    build.add_argument("-d", "--debug", action="store_true", help="show logger.debug lines of imported files")
    build.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    configure_logging("pretty", args.debug)
    config = prepare_project(Path(args.project))
    if config is None:
        return 2
    settings = Settings(project_root=Path(args.project).resolve(), mode="start", config=config)
    loaded = asyncio.run(load_without_serving(settings))
    summary = summarize(loaded)
    if summary.steps_found == 0 and summary.ok:
        logging.getLogger("motia.core").warning("%s", summary.nothing_found_warning())
    for line in summary.lines():
        print(line)
    if not summary.ok:
        print("motia build: failed")
        return 1
    print("motia build: ok")
    return 0
