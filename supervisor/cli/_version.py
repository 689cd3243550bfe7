"""``motia version`` and ``motia --version``."""

from __future__ import annotations

import argparse
import platform
from importlib import metadata

DISTRIBUTION = "motia-supervisor"


def motia_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def version_line() -> str:
    return f"motia {motia_version()} ({DISTRIBUTION}, Python {platform.python_version()})"


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    version = commands.add_parser("version", help="print motia's version", description=version_line())
    version.set_defaults(run=_print_version)


def _print_version(_args: argparse.Namespace) -> int:
    print(version_line())
    return 0
