"""``motia rules pull [-f] [--project DIR]``: the AI editors' guides into an existing project, as
Motia's command of that name (``motia create -c`` writes the Cursor rules into a new one)."""

from __future__ import annotations

import argparse
import sys

from supervisor.cli._project import project_folder
from supervisor.scaffold import PulledRules, pull_rules


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = commands.add_parser("rules", help="AI editors' guides: motia rules pull")
    actions = rules.add_subparsers(dest="rules_command", required=True)
    pull = actions.add_parser(
        "pull",
        help="write AGENTS.md, CLAUDE.md and the Cursor rules (.cursor/rules/motia/) into the project",
    )
    pull.add_argument("-f", "--force", action="store_true", help="replace the files that are already there")
    pull.add_argument("--project", default=".", help="project directory (default: the current directory)")
    pull.set_defaults(run=_run_pull)


def _run_pull(args: argparse.Namespace) -> int:
    folder = project_folder("rules pull", args.project)
    if folder is None:
        return 2
    try:
        pulled = pull_rules(folder, force=args.force)
    except OSError as exc:
        print(f"motia rules pull: {exc}", file=sys.stderr)
        return 1
    print_written(pulled)
    return 0


def print_written(pulled: PulledRules) -> None:
    """The files written, then those kept, one a line (``motia rules pull``, ``motia docker setup``)."""
    for relative in pulled.written:
        print(f"  {relative}")
    for relative in pulled.kept:
        print(f"  {relative}  (already there, kept: --force replaces it)")
