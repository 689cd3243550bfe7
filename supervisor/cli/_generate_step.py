"""``motia generate step [-d DIR]``: Motia 0.17's interactive step generator.

It asks what Motia's asks (name, type, the language of any step but an api one, which is TypeScript,
the method and path of an api step, the topics of an event step, the schedule of a cron step, the
virtual topics of a noop step, then flows, emits and a description) and writes the step under
``steps/`` (``-d``: a folder below it). Motia's generator has no flags for the answers, so without a
terminal to ask in the command fails rather than guess them. Its last question (a Workbench UI
override) is not asked: this Workbench has no React overrides."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from supervisor.cli._prompt import ask, ask_choice
from supervisor.scaffold import (
    HTTP_METHODS,
    LANGUAGES,
    STEP_NAME,
    STEP_TYPES,
    StepAnswers,
    StepExists,
    write_step,
)

STEPS_DIR = "steps"
_SHORT_NAMES = {"ts": "typescript", "js": "javascript", "py": "python"}


def add_command(generated: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    step = generated.add_parser(
        "step",
        help="a new step, asked for in a terminal (name, type, language, ...) and written under steps/",
    )
    step.add_argument(
        "-d", "--dir", default="", help="folder below steps/ to write the step in (default: steps/ itself)"
    )
    step.add_argument("--project", default=".", help="project directory (default: the current directory)")
    step.set_defaults(run=_run_generate_step)


def _run_generate_step(args: argparse.Namespace) -> int:
    folder = Path(args.project) / STEPS_DIR / args.dir
    if Path(args.dir).is_absolute() or ".." in Path(args.dir).parts:
        print(f"motia generate step: --dir {args.dir!r} must be a folder below {STEPS_DIR}/", file=sys.stderr)
        return 2
    if not sys.stdin.isatty():
        print(
            "motia generate step: asks for the step's name, type and language in a terminal, and there is "
            "none here (as Motia's, it has no flags for them): run it in a terminal, or copy a step file "
            f"from {STEPS_DIR}/",
            file=sys.stderr,
        )
        return 2
    try:
        answers = ask_step()
    except (EOFError, KeyboardInterrupt):
        print("\nmotia generate step: no step created", file=sys.stderr)
        return 1
    try:
        path = write_step(folder, answers)
    except StepExists as exc:
        print(f"motia generate step: {exc} exists already: no step created", file=sys.stderr)
        return 1
    print(f"Created step file at {path}")
    return 0


def ask_step() -> StepAnswers:
    print("Create a new Motia step")
    name = _ask(
        "Step name: ",
        lambda text: STEP_NAME.fullmatch(text) is not None,
        "Name must start with a letter and contain only letters, numbers, hyphens, and underscores",
    )
    step_type = _ask_choice("Select step type", STEP_TYPES)
    # as Motia 0.17's: an api step is TypeScript, not asked (its create-step/getAnswers.ts)
    language = "typescript" if step_type == "api" else _ask_choice("Select language", LANGUAGES)
    answers = StepAnswers(name=name, type=step_type, language=language, flows=[])
    if step_type == "api":
        method = _ask_choice("HTTP method", HTTP_METHODS)
        path = _ask("API path (e.g. /users): ", lambda text: text.startswith("/"), "Path must start with /")
        answers = replace(answers, method=method, path=path)
    elif step_type == "event":
        answers = replace(
            answers, subscribes=_ask_list("Event subscriptions (comma-separated): ", required=True)
        )
    elif step_type == "cron":
        answers = replace(answers, cron=_ask("Cron expression: ", _valid_cron, "Invalid cron expression"))
    else:
        virtual_emits = _ask_list("Virtual emits (comma-separated): ")
        virtual_subscribes = _ask_list("Virtual subscribes (comma-separated): ")
        answers = replace(answers, virtual_emits=virtual_emits, virtual_subscribes=virtual_subscribes)
    flows = _ask_list("Flow names (comma-separated): ", required=True)
    emits = [] if step_type == "noop" else _ask_list("Events to emit (comma-separated): ")
    return replace(answers, flows=flows, emits=emits, description=input("Step description: ").strip())


def _ask(prompt: str, valid: Callable[[str], bool], error: str) -> str:
    return ask(prompt, lambda answer: answer if valid(answer) else None, lambda _: error)


def _ask_choice(question: str, choices: Sequence[str]) -> str:
    """One of ``choices``, by its number or its name; blank is the first."""
    listed = ", ".join(f"{number}. {choice}" for number, choice in enumerate(choices, 1))

    def named(answer: str) -> str | None:
        wanted = _SHORT_NAMES.get(answer.lower(), answer.lower())
        return next((choice for choice in choices if choice.lower() == wanted), None)  # `post` is POST

    return ask_choice(
        f"{question} ({listed}; blank: {choices[0]}): ",
        choices,
        default=choices[0],
        named=named,
        error=lambda answer: f"Not one of {', '.join(choices)}: {answer}",
    )


def _ask_list(prompt: str, *, required: bool = False) -> list[str]:
    while True:
        items = [item.strip() for item in input(prompt).split(",") if item.strip()]
        if items or not required:
            return items
        print("At least one is required", file=sys.stderr)


def _valid_cron(text: str) -> bool:
    from supervisor.cron import CronExpression

    try:
        CronExpression.parse(text)
    except ValueError:
        return False
    return True
