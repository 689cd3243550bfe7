"""``motia create``: new projects from templates."""

from supervisor.scaffold._create import CreatedProject, FolderNotEmpty, create_project
from supervisor.scaffold._templates import TEMPLATES, Template

__all__ = ["TEMPLATES", "CreatedProject", "FolderNotEmpty", "Template", "create_project"]
