"""What every command that runs a project does first: check the folder, load ``.env`` and the config,
and say which keys of a Node Motia ``motia.config.ts`` are not honoured here."""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection
from pathlib import Path

from supervisor.cli._dotenv import load_dotenv
from supervisor.discovery import (
    HONOURED_KEYS,
    SCAN_ROOTS,
    MotiaConfigKeys,
    advice_for,
    misplaced_files,
    motia_config_keys,
)
from supervisor.logs import log_always
from supervisor.settings import ProjectConfig, SettingsError, load_project_config

_logger = logging.getLogger("motia.core")


def project_folder(command: str, project: str | Path) -> Path | None:
    """The project's folder, resolved, for a command that writes into it or installs there; None (said
    on stderr as ``motia COMMAND: ...``, for an exit 2) when there is no such folder."""
    root = Path(project).resolve()
    if not root.is_dir():
        print(f"motia {command}: project directory {root} does not exist", file=sys.stderr)
        return None
    return root


def prepare_project(project: Path) -> ProjectConfig | None:
    """The project's config, after loading its ``.env``; None (the error logged) when it cannot run."""
    root = project.resolve()
    if not root.is_dir():
        log_always(_logger, logging.ERROR, "project directory %s does not exist", root)
        return None
    load_dotenv(root)
    try:
        config = load_project_config(root)
    except SettingsError as exc:
        log_always(_logger, logging.ERROR, "%s", exc)
        return None
    warn_about_motia_config(root)
    warn_about_misplaced_files(root)
    return config


def warn_about_misplaced_files(root: Path) -> None:
    folders = " or ".join(f"{name}/" for name in SCAN_ROOTS)
    for name in misplaced_files(root):
        _logger.warning(
            "%s is in the project root, where steps and streams are not looked for: move it under %s "
            "(steps/%s)",
            name,
            folders,
            name,
        )


def warn_about_motia_config(root: Path, told: Collection[str] = ()) -> frozenset[str]:
    """Warn about each key of the project's ``motia.config.*`` not honoured here, but those ``told``
    of already (``motia dev`` reading the file again as it changes says what an edit added, not again
    what start-up said); returns every such key the file has now."""
    found = motia_config_keys(root)
    if found is None:
        return frozenset()
    ignored = _ignored(found)
    for key in ignored:
        if key not in told:
            _logger.warning("%s: `%s` is ignored: %s", found.file.name, key, advice_for(key))
    return frozenset(ignored)


def ignored_motia_config_keys(root: Path) -> frozenset[str]:
    """The keys of the project's ``motia.config.*`` not honoured here (what start-up warned about)."""
    found = motia_config_keys(root)
    return frozenset() if found is None else frozenset(_ignored(found))


def _ignored(found: MotiaConfigKeys) -> list[str]:
    return [key for key in found.keys if key not in HONOURED_KEYS]
