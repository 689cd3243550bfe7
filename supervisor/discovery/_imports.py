"""Which files a project's Node code imports by a relative path (``'../../frontend/src/api'``), read
from the sources' text: enough to tell whether steps reach into a folder, without resolving modules."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from supervisor.discovery._naming import NODE_EXTENSIONS

# A quoted specifier that starts with ./ or ../: what import, export-from, require() and import() name.
_RELATIVE_SPECIFIER = re.compile(r"""['"`](\.\.?/[^'"`\n]*)['"`]""")


def relative_import_targets(files: Iterable[Path]) -> list[Path]:
    """Where the relative specifiers of the Node ``files`` lead (normalised, links not followed);
    unreadable files are left out: a file being saved is read again at the next change."""
    targets: list[Path] = []
    for file in files:
        if not file.name.endswith(NODE_EXTENSIONS):
            continue
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        targets.extend(
            Path(os.path.normpath(file.parent / spec)) for spec in _RELATIVE_SPECIFIER.findall(text)
        )
    return targets


def leads_into(targets: Iterable[Path], folder: Path) -> bool:
    return any(target == folder or target.is_relative_to(folder) for target in targets)
