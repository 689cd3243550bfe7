"""The README's Architecture section names every package of ``supervisor/`` and the layers
``tests/test_architecture.py`` enforces, read from the folders and from that test's ``LAYERS``."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_architecture import LAYERS

ROOT = Path(__file__).resolve().parents[1]
SUPERVISOR = ROOT / "supervisor"
# layers the README's chain leaves out: the entry points above http, helpers beneath everything
OUTSIDE_THE_CHAIN = {"__main__", "cli", "lazy", "eager"}


def architecture() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]


def tree_names() -> set[str]:
    """The names the package tree gives under ``supervisor/`` (``cli``, ``settings.py``)."""
    tree = re.search(r"```\nsupervisor/\n(.*?)\n[a-z]+/ ", architecture(), re.S)
    assert tree, "the Architecture section has no supervisor/ tree"
    return set(re.findall(r"^  ([\w.]+?)/?\s", tree.group(1), re.M))


def test_the_package_tree_names_every_package_and_only_those() -> None:
    packages = {path.parent.name for path in SUPERVISOR.glob("*/__init__.py")} | {"settings.py"}
    named = tree_names()
    assert packages - named == set(), f"packages missing from the README's tree: {sorted(packages - named)}"
    assert named - packages == set(), (
        f"the README's tree names what does not exist: {sorted(named - packages)}"
    )


def test_the_dependency_chain_is_the_layers_the_architecture_test_enforces() -> None:
    text = " ".join(architecture().split())
    chain = re.search(r"within a layer: (.*?)\. `tests/test_architecture.py`", text)
    assert chain, "the Conventions' dependency chain is not found"
    stated = [frozenset(re.findall(r"\w+", layer)) for layer in chain.group(1).split("->")]
    enforced = [layer - OUTSIDE_THE_CHAIN for layer in LAYERS if layer - OUTSIDE_THE_CHAIN]
    assert stated == enforced
