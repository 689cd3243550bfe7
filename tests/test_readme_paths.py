"""Every file of this repository the README points to (in code spans and links) exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO_FOLDERS = ("tests", "bench", "deploy", "docs", "proto", "scripts", "runners", "steps", "supervisor")
# made by the wheel's build (the runners and protocol it carries), not in the checkout
BUILT = {"supervisor/_bundle/"}


def named_paths() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([\w.-]+(?:/[\w.{},-]+)+/?)(?:::\w+)?`", readme) + re.findall(
        r"\]\(([\w./-]+)\)", readme
    )
    paths = set()
    for span in spans:
        path = span.removeprefix("./")
        if path.split("/")[0] in REPO_FOLDERS or re.fullmatch(r"[a-z]+/_\w+\.py", path):
            if braces := re.search(r"\{([\w,]+)\}", path):  # steps/{ts,js,py}
                paths |= {path.replace(braces.group(0), part) for part in braces.group(1).split(",")}
            else:
                paths.add(path)
    return paths - BUILT


def test_every_repository_path_the_readme_names_exists() -> None:
    paths = named_paths()
    assert len(paths) >= 40, sorted(paths)
    # `cli/_serve.py` and friends are named inside the Architecture's supervisor/ tree
    missing = sorted(
        path for path in paths if not (ROOT / path).exists() and not (ROOT / "supervisor" / path).exists()
    )
    assert not missing, f"the README names files that do not exist: {missing}"
