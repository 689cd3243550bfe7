"""``motia create``: new projects from templates."""

from supervisor.scaffold._create import CreatedProject, FolderNotEmpty, create_project
from supervisor.scaffold._templates import MOTIA_TEMPLATE_NAMES, TEMPLATES, Template

__all__ = [
    "MOTIA_TEMPLATE_NAMES",
    "TEMPLATES",
    "CreatedProject",
    "FolderNotEmpty",
    "Template",
    "create_project",
]
