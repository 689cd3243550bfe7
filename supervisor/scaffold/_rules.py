"""``motia rules pull``: the guides for AI editors, written into an existing project (Motia's command
of that name): our Cursor rules in ``.cursor/rules/motia/``, and the same text as ``AGENTS.md`` and
``CLAUDE.md`` at the project root for the agents that read those."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from supervisor.scaffold._create import CURSOR_RULES, template_source

#: the agents' guides, each made of every rule file's text (its Cursor front matter left out)
GUIDES = ("AGENTS.md", "CLAUDE.md")


@dataclass
class PulledRules:
    written: list[str] = field(default_factory=list)
    #: files already there, kept (without ``force``)
    kept: list[str] = field(default_factory=list)


def pull_rules(folder: Path, force: bool = False) -> PulledRules:
    """Write the rules and guides into ``folder``; a file already there is replaced only with ``force``."""
    source, destination = CURSOR_RULES
    rules = sorted(template_source(source).glob("*.mdc"))
    contents = {f"{destination}/{rule.name}": rule.read_text(encoding="utf-8") for rule in rules}
    guide = "\n".join(_without_front_matter(rule.read_text(encoding="utf-8")) for rule in rules)
    contents.update(dict.fromkeys(GUIDES, guide))
    return write_unless_there(folder, contents, force)


def write_unless_there(folder: Path, contents: dict[str, str], force: bool) -> PulledRules:
    """Write each of ``contents`` (by its /-separated path under ``folder``); a file already there is
    kept, and listed as kept, unless ``force``."""
    pulled = PulledRules()
    for relative, text in contents.items():
        path = folder.joinpath(*relative.split("/"))
        if path.exists() and not force:
            pulled.kept.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pulled.written.append(relative)
    return pulled


def _without_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end >= 0:
            return text[end + len("\n---\n") :].lstrip("\n")
    return text
