"""What a batch of changed files means for a running project: which runners must load their code
again, and whether the environment (``.env``) or the settings (``motia.config.json``) changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from supervisor.discovery import (
    NODE_EXTENSIONS,
    SCAN_ROOTS,
    RunnerKind,
    StepImports,
    hook_file_runner,
    in_helper_folder,
    is_skipped_dir,
)

DOTENV = ".env"
SETTINGS_FILE = "motia.config.json"
#: the Python packages a project installs; its runner restarts to import what was installed
REQUIREMENTS = "requirements.txt"
#: the files at the project root that matter to a running project (hook files aside)
ROOT_FILES = frozenset({DOTENV, SETTINGS_FILE, REQUIREMENTS})

_RUNNER_OF_SUFFIX: dict[str, frozenset[RunnerKind]] = {
    **{suffix: frozenset({"node"}) for suffix in NODE_EXTENSIONS},
    # not step files, but helpers a step imports may be JSX (a React email template): tsx loads them
    ".tsx": frozenset({"node"}),
    ".jsx": frozenset({"node"}),
    ".py": frozenset({"python"}),
    # data files: whichever language reads one, both may
    ".json": frozenset({"node", "python"}),
}


@dataclass(frozen=True)
class ProjectChanges:
    """Changed files (paths relative to the project root, POSIX style) and what they mean."""

    paths: frozenset[str]
    #: runners whose code changed: a step, stream, hook or helper file in their language
    runners: frozenset[RunnerKind] = frozenset()
    #: the project's ``.env`` changed: every runner starts again with the new environment
    env: bool = False
    #: ``motia.config.json`` changed: the settings are read again, every runner starts again
    settings: bool = False

    def __bool__(self) -> bool:
        return bool(self.runners) or self.env or self.settings


def classify_changes(
    project_root: Path, paths: Iterable[Path], imports: StepImports | None = None
) -> ProjectChanges:
    """The meaning of changed ``paths``; paths that matter to no runner are left out. ``imports``: the
    steps' imports for this batch (see :func:`is_code_path`), read once for all its paths."""
    imports = imports or StepImports(project_root)
    kept: set[str] = set()
    runners: set[RunnerKind] = set()
    env = settings = False
    for path in paths:
        relative = relative_path(project_root, path)
        if relative is None:
            continue
        if len(relative.parts) == 1:
            name = relative.name
            if name == DOTENV:
                env = True
            elif name == SETTINGS_FILE:
                settings = True
            elif name == REQUIREMENTS:
                runners.add("python")
            elif (runner := hook_file_runner(name)) is not None:
                runners.add(runner)
            else:
                continue
        elif is_code_path(project_root, path, imports):
            runners.update(_RUNNER_OF_SUFFIX.get(relative.suffix, ()))
        else:
            continue
        kept.add(relative.as_posix())
    return ProjectChanges(frozenset(kept), frozenset(runners), env, settings)


def is_root_file(project_root: Path, path: Path) -> bool:
    """A file at the project root that matters to a running project: ``.env``, the settings,
    ``requirements.txt``, hook files (``motia.auth.ts``, ``motia.config.ts``, ``motia_auth.py``)."""
    relative = relative_path(project_root, path)
    if relative is None or len(relative.parts) != 1:
        return False
    return relative.name in ROOT_FILES or hook_file_runner(relative.name) is not None


def is_code_path(project_root: Path, path: Path, imports: StepImports | None = None) -> bool:
    """A source file a runner may load or import: under ``steps/`` or ``src/``, or a helper in another
    folder of the project (``middlewares/``, where Motia's docs put middlewares, ``services/``...): under
    Motia a step's process per call imports its helpers afresh wherever they are. Outside ``steps/``
    and ``src/`` only code counts: a ``.json`` there is more likely a file a step writes (a log); and
    not in a separate JS project (a ``frontend/`` with its own ``package.json``) unless a step imports
    from it (:func:`supervisor.discovery.in_helper_folder`, which reads the steps' imports: pass one
    ``imports`` for the paths of a batch)."""
    relative = relative_path(project_root, path)
    if relative is None or not _may_be_code(relative):
        return False
    if relative.parts[0] in SCAN_ROOTS:
        return True
    return in_helper_folder(project_root, project_root.joinpath(*relative.parts[:-1]), imports)


def may_be_code_path(project_root: Path, path: Path) -> bool:
    """What :func:`is_code_path` tells from the path alone, without asking whether its folder holds
    helpers (which reads the steps): the filter of the watches, each change of a burst going through
    it; :func:`classify_changes` asks the rest once per batch."""
    relative = relative_path(project_root, path)
    return relative is not None and _may_be_code(relative)


def _may_be_code(relative: PurePosixPath) -> bool:
    parts = relative.parts
    if len(parts) < 2 or any(is_skipped_dir(part) for part in parts[:-1]) or relative.name.startswith("."):
        return False
    if parts[0] in SCAN_ROOTS:
        return relative.suffix in _RUNNER_OF_SUFFIX
    return relative.suffix in _RUNNER_OF_SUFFIX and relative.suffix != ".json"


def relative_path(project_root: Path, path: Path) -> PurePosixPath | None:
    try:
        return PurePosixPath(path.relative_to(project_root).as_posix())
    except ValueError:
        return None
