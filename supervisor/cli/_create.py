"""``motia create [DIR] [-t TEMPLATE] [--force]``: a new project from a template."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from supervisor.scaffold import MOTIA_TEMPLATE_NAMES, TEMPLATES, FolderNotEmpty, create_project

DEFAULT_TEMPLATE = "typescript"


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = "\n".join(f"  {name:<11} {template.summary}" for name, template in TEMPLATES.items())
    motia_names = "\n".join(f"  {motia:<26} -> {ours}" for motia, ours in MOTIA_TEMPLATE_NAMES.items())
    create = commands.add_parser(
        "create",
        help="new project from a template: typescript, javascript, python, mixed, pet-app",
        description=(
            f"Create a Motia project.\n\ntemplates:\n{listing}\n\n"
            f"Motia's template names are accepted too:\n{motia_names}"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument(
        "dir", nargs="?", default=".", help="folder to create it in (default: the current one)"
    )
    create.add_argument(
        "-t",
        "--template",
        type=_template_name,
        choices=list(TEMPLATES),
        default=DEFAULT_TEMPLATE,
        help=f"(default {DEFAULT_TEMPLATE})",
    )
    create.add_argument(
        "--force", action="store_true", help="write into a non-empty folder, replacing files of the same name"
    )
    create.set_defaults(run=_run_create)


def _template_name(name: str) -> str:
    """The template ``name`` stands for: ours, or Motia's name of the same project (argparse then checks
    the result against ``choices``, so an unknown name is still refused, as typed)."""
    return MOTIA_TEMPLATE_NAMES.get(name, name)


def _run_create(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    try:
        created = create_project(folder, args.template, force=args.force)
    except FolderNotEmpty as exc:
        print(
            f"motia create: {exc}: create the project in an empty folder, or pass --force to write the "
            "template into this one (files of the same name are replaced, others are kept)",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"motia create: {exc}", file=sys.stderr)
        return 1
    where = folder.resolve()
    print(f'Created a Motia project from the "{args.template}" template in {where}:')
    for file in created.files:
        print(f"  {file}" + ("  (replaced)" if file in created.overwritten else ""))
    print("\nNext:")
    if where != Path.cwd().resolve():
        print(f"  cd {shlex.quote(args.dir)}")
    print("  motia install && motia dev")
    return 0
