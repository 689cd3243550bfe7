"""Change sets of a project's code, for ``motia dev``'s hot reload.

An async iterator of sets of changed source paths under the scanned folders
(``steps/``, ``src/``); it knows nothing of runners or servers.
"""

from supervisor.reload._watch import code_changes, is_code_path

__all__ = ["code_changes", "is_code_path"]
