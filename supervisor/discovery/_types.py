"""What discovery reports: files only; loading them is the runners' job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: which runner loads and runs a file: ``node`` (TypeScript, JavaScript) or ``python``
RunnerKind = Literal["node", "python"]
FileKind = Literal["step", "stream"]
#: what a file is written in
Language = Literal["typescript", "javascript", "python"]


@dataclass(frozen=True, slots=True, order=True)
class SourceFile:
    """A step, stream or hook file and the runner that loads it; ``path`` is relative to the project
    root, POSIX style (``steps/x.step.ts``)."""

    path: str
    runner: RunnerKind


@dataclass(frozen=True, slots=True)
class Discovery:
    """Every step and stream file under ``steps/`` and ``src/``, each list sorted by path, and the
    project's hook files (``motia.auth.ts``, ``motia_auth.py``...) in precedence order."""

    step_files: list[SourceFile] = field(default_factory=list)
    stream_files: list[SourceFile] = field(default_factory=list)
    hook_files: list[SourceFile] = field(default_factory=list)
