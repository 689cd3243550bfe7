"""Questions asked in a terminal by ``motia create`` and ``motia generate step``: asked again until the
answer is valid, a choice given by its number or its name, blank for the default. The commands keep their
own wording (Motia's); this module only has the asking."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def ask(prompt: str, accept: Callable[[str], str | None], error: Callable[[str], str]) -> str:
    """What ``accept`` makes of the first answer it accepts (a string, not None); each refused answer
    is told ``error(answer)`` on stderr and asked again."""
    while True:
        answer = input(prompt).strip()
        accepted = accept(answer)
        if accepted is not None:
            return accepted
        print(error(answer), file=sys.stderr)


def ask_choice(
    prompt: str,
    choices: Sequence[str],
    *,
    default: str,
    named: Callable[[str], str | None],
    error: Callable[[str], str],
) -> str:
    """One of ``choices``: by its number (from 1), by a name ``named`` turns into a choice, or
    ``default`` for a blank answer."""

    def accept(answer: str) -> str | None:
        if not answer:
            return default
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return choices[int(answer) - 1]
        return named(answer)

    return ask(prompt, accept, error)
