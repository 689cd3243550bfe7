"""``motia create [DIR] [-t TEMPLATE] [-c] [--force]``: a new project from a template.

Without DIR, as Motia 0.17: a terminal is asked for the template (unless ``-t`` names one), then the
project's name (blank: the current folder); with no terminal to ask (CI, a pipe) the command fails,
naming the argument, rather than writing a project into whatever folder it runs in."""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path

from supervisor.cli._prompt import ask, ask_choice
from supervisor.scaffold import MOTIA_TEMPLATE_NAMES, TEMPLATES, FolderNotEmpty, create_project

DEFAULT_TEMPLATE = "typescript"
#: Motia's rule for a project name typed at its prompt
_PROJECT_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]*")
_NAME_PROMPT = "Project name (leave blank to use current folder): "


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
        "dir",
        nargs="?",
        help="folder to create it in, `.` for the current one (not given: asked for in a terminal, "
        "an error otherwise)",
    )
    create.add_argument(
        "-t",
        "--template",
        type=_template_name,
        choices=list(TEMPLATES),
        help=f"(default {DEFAULT_TEMPLATE}; asked for with the name when DIR is)",
    )
    create.add_argument(
        "-c",
        "--cursor",
        action="store_true",
        help="also write rules for the Cursor editor (.cursor/rules/motia/): where steps live, their "
        "config fields, the three languages, motia dev",
    )
    create.add_argument(
        "--force", action="store_true", help="write into a non-empty folder, replacing files of the same name"
    )
    create.set_defaults(run=_run_create)


def _ask_template() -> str:
    """The template the user picks, by its number or its name (ours or Motia's); blank is the default."""
    names = list(TEMPLATES)
    print("What template do you want to use?")
    for number, name in enumerate(names, 1):
        print(f"  {number}. {name:<11} {TEMPLATES[name].summary}")
    return ask_choice(
        f"Template (1-{len(names)} or a name; blank: {DEFAULT_TEMPLATE}): ",
        names,
        default=DEFAULT_TEMPLATE,
        named=lambda answer: _template_name(answer) if _template_name(answer) in TEMPLATES else None,
        error=lambda answer: f"Not a template: {answer}",
    )


def _ask_project_name() -> str:
    """The folder the user names at the prompt, as Motia asks it: blank is the current folder."""
    return ask(
        _NAME_PROMPT,
        lambda name: "." if not name else name if _PROJECT_NAME.fullmatch(name) else None,
        lambda _: (
            "Project name must start with a letter or number and contain only letters, numbers, "
            "hyphens, and underscores"
        ),
    )


def _template_name(name: str) -> str:
    """The template ``name`` stands for: ours, or Motia's name of the same project (argparse then checks
    the result against ``choices``, so an unknown name is still refused, as typed)."""
    return MOTIA_TEMPLATE_NAMES.get(name, name)


def _run_create(args: argparse.Namespace) -> int:
    if args.dir is None:
        if not sys.stdin.isatty():
            print(
                "motia create: the project's folder (DIR) is missing: pass one (`motia create my-app`), or "
                "`.` for the current folder; it is asked for only in a terminal",
                file=sys.stderr,
            )
            return 2
        try:
            args.template = args.template or _ask_template()
            args.dir = _ask_project_name()
        except (EOFError, KeyboardInterrupt):
            print("\nmotia create: no project created", file=sys.stderr)
            return 1
    args.template = args.template or DEFAULT_TEMPLATE
    folder = Path(args.dir)
    try:
        created = create_project(folder, args.template, force=args.force, cursor=args.cursor)
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
