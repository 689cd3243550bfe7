"""Every line of the README's Guarantees section names tests, and those tests exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def guarantees() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| **")]


def functions_in(file: str) -> set[str]:
    tree = ast.parse((ROOT / "tests" / file).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_guarantee_names_tests_that_exist() -> None:
    lines = guarantees()
    assert len(lines) >= 8
    for line in lines:
        proof = re.split(r"(?<!\\)\|", line)[-2]  # the last cell; `\|` is a pipe inside it
        files = re.findall(r"`(test_\w+\.py)(?:::[^`]*)?`", proof)
        assert files, f"no test named for: {line[:80]}"
        current = ""
        for match in re.finditer(r"`(?:(test_\w+\.py))?(?:::(\w+))?[^`]*`", proof):
            file, name = match.groups()
            current = file or current
            if name:
                assert name in functions_in(current), f"{current}::{name} does not exist"
