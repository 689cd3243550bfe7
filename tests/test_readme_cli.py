"""Every ``motia`` command line the README shows names commands and options the real CLI has.

The CLI is read from its argparse tree (``supervisor.cli.main.build_parser``), not from a list kept
here: a README line naming a subcommand or a flag that the parser does not know fails, and so does a
command of the parser that the README's Commands table does not name.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from supervisor.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]

# Commands the README names as Node Motia's, which this CLI does not have on purpose.
NODE_MOTIA_ONLY = {"rules"}  # "Node Motia's longer guides come from its `motia rules pull`"


def readme_code() -> list[str]:
    """The text of every fenced block and every inline code span of the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```[^\n]*\n(.*?)```", readme, re.S)
    prose = re.sub(r"```.*?```", "", readme, flags=re.S)
    return blocks + re.findall(r"(?<!`)`([^`\n]+)`(?!`)", prose)


def motia_lines() -> list[str]:
    """What follows each ``motia`` word that starts a command (not ``from motia import``, not a path)."""
    lines = []
    for code in readme_code():
        for match in re.finditer(r"(?:^|(?<=[\s(&;\"']))(?<!from )motia ((?:\\\||[^`\n#&;)\"'])+)", code):
            line = match.group(1).replace("\\|", "|").strip()
            first = line.split()[0]
            # output quoted from the CLI (`motia build: ok`, `motia 0.1.0 (...)`) is not a command line
            if re.fullmatch(r"[a-z][\w|-]*", first) and first.split("|")[0] not in NODE_MOTIA_ONLY:
                lines.append(line)
    return lines


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def check_line(line: str) -> list[str]:
    """What in ``line`` (after ``motia``) the parser does not have, as messages; empty when all is known."""
    wrong: list[str] = []
    path: list[list[argparse.ArgumentParser]] = [[build_parser()]]
    alternative = False  # the word after a `|` may be another subcommand of some level above
    for raw in line.split():
        token = raw.strip("[]").removesuffix("...").strip("[]")
        if not token:
            continue
        if token == "|":
            alternative = True
            continue
        if token.startswith("-"):
            for flag in re.split(r"[|/]", token):
                flag = re.sub(r"[\[=].*", "", flag)
                if not re.fullmatch(r"--?[A-Za-z][\w-]*", flag):
                    continue
                missing = [p.prog for p in path[-1] if flag not in options(p)]
                if missing:
                    wrong.append(f"`motia {line}`: {', '.join(missing)} has no option {flag}")
            alternative = False
            continue
        names = token.split("|")
        if alternative:
            # `motia state ls | get ...`: a sibling of a subcommand named before, at whatever level
            for level in range(len(path) - 1, 0, -1):
                if all(name in subcommands(p) for name in names for p in path[level - 1]):
                    del path[level:]
                    break
            else:
                if token.islower():  # a word after ` | ` is another subcommand, and this one is none
                    wrong.append(f"`motia {line}`: no command level has a subcommand {token}")
                    break
            alternative = False
        children = [subcommands(p) for p in path[-1]]
        if not all(children):  # a positional argument or an option's value: the parser takes any
            continue
        if token.isupper() or token.startswith("<"):  # COMMAND: any subcommand
            path.append([child for choices in children for child in choices.values()])
            continue
        unknown = [name for name in names if not all(name in choices for choices in children)]
        if unknown:
            wrong.append(f"`motia {line}`: {path[-1][0].prog} has no subcommand {unknown[0]}")
            break
        path.append([choices[name] for choices in children for name in names])
    return wrong


def test_every_motia_command_line_in_the_readme_is_one_the_cli_parses() -> None:
    lines = motia_lines()
    assert len(lines) >= 40, lines  # the extraction still finds the Commands table and the examples
    wrong = [message for line in lines for message in check_line(line)]
    assert not wrong, "\n".join(wrong)


def test_a_misspelt_command_or_flag_is_caught() -> None:
    # the check above can fail: names the parser does not have are reported, at each level
    assert check_line("dev [-p 3000] [--hots 0.0.0.0]")
    assert check_line("dlq lsit [--step S]")
    assert check_line("state ls [GROUP] | gett GROUP KEY")
    assert check_line("dev|strat --motia-dir PATH")
    assert check_line("cron run NAME [--wiat]")
    assert not check_line("state ls [GROUP] | get GROUP KEY | set GROUP KEY JSON [--json] [-p PORT]")


def test_every_command_of_the_cli_is_in_the_readme_commands_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands", 1)[1].split("\n#", 1)[0]
    named = {
        match.group(1).split("\\|")[0].split("|")[0]
        for match in re.finditer(r"^\| `motia ([\w|\\-]+)", table, re.M)
    }
    named |= {
        part
        for match in re.finditer(r"`motia ([\w-]+(?:\\\|[\w-]+)+)", table)
        for part in match.group(1).split("\\|")
    }
    missing = sorted(set(subcommands(build_parser())) - named)
    assert not missing, f"commands not in the README's Commands table: {missing}"


def parser_at(words: list[str]) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in words:
        parser = subcommands(parser)[word]
    return parser


def test_the_defaults_the_commands_table_shows_are_the_parsers() -> None:
    # `motia dev [-p 3000] [-H 127.0.0.1]`, `motia logs [-n 100]`: an optional flag shown with a value, not
    # a PLACEHOLDER, shows its default
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands", 1)[1].split("\n#", 1)[0]
    shown = []
    for row in re.finditer(r"^\| `motia ([a-z -]+?) \[(.*?)` \|", table, re.M):
        words = row.group(1).split()
        for flag, value in re.findall(r"\[(--?[\w-]+) ([^\]A-Z][^\]]*)\]", "[" + row.group(2)):
            if "|" in value:  # `[--status running|ok|error]`: the choices, not a default
                continue
            action = next(a for a in parser_at(words)._actions if flag in a.option_strings)
            shown.append((words, flag, value, action.default))
    assert len(shown) >= 3, shown
    wrong = [
        f"motia {' '.join(w)} {flag}: README {value}, default {d}"
        for w, flag, value, d in shown
        if value != str(d)
    ]
    assert not wrong, wrong
