"""Step and stream discovery: which files under ``steps/`` and ``src/`` are steps or streams."""

from supervisor.discovery._naming import NODE_EXTENSIONS, SKIPPED_DIR_NAMES, classify, is_skipped_dir
from supervisor.discovery._scan import SCAN_ROOTS, discover
from supervisor.discovery._types import Discovery, FileKind, Language, SourceFile

__all__ = [
    "NODE_EXTENSIONS",
    "SCAN_ROOTS",
    "SKIPPED_DIR_NAMES",
    "Discovery",
    "FileKind",
    "Language",
    "SourceFile",
    "classify",
    "discover",
    "is_skipped_dir",
]
