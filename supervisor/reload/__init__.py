"""What changed in a project's files, for ``motia dev``'s hot reload.

An async iterator of classified batches of changes (``ProjectChanges``): which runners' code changed,
whether ``.env`` or ``motia.config.json`` did. It knows nothing of runners or servers.
"""

from supervisor.reload._changes import ProjectChanges, classify_changes, is_code_path, is_root_file
from supervisor.reload._watch import project_changes

__all__ = ["ProjectChanges", "classify_changes", "is_code_path", "is_root_file", "project_changes"]
