"""Discovery: which files under ``steps/`` and ``src/`` are steps or streams, and the project's hook files."""

from supervisor.discovery._hooks import find_hook_files, hook_file_runner, is_motia_config
from supervisor.discovery._motia_config import HONOURED_KEYS, MotiaConfigKeys, advice_for, motia_config_keys
from supervisor.discovery._naming import (
    NODE_EXTENSIONS,
    SKIPPED_DIR_NAMES,
    classify,
    is_skipped_dir,
    language_of,
)
from supervisor.discovery._scan import (
    SCAN_ROOTS,
    StepImports,
    discover,
    helper_folders,
    in_helper_folder,
    misplaced_files,
    package_manifest,
)
from supervisor.discovery._types import Discovery, FileKind, Language, RunnerKind, SourceFile

__all__ = [
    "HONOURED_KEYS",
    "NODE_EXTENSIONS",
    "SCAN_ROOTS",
    "SKIPPED_DIR_NAMES",
    "Discovery",
    "FileKind",
    "Language",
    "MotiaConfigKeys",
    "RunnerKind",
    "SourceFile",
    "StepImports",
    "advice_for",
    "classify",
    "discover",
    "find_hook_files",
    "helper_folders",
    "hook_file_runner",
    "in_helper_folder",
    "is_motia_config",
    "is_skipped_dir",
    "language_of",
    "misplaced_files",
    "motia_config_keys",
    "package_manifest",
]
