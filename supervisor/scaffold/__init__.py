"""``motia create``: new projects from templates; ``motia rules pull``: the AI editors' guides."""

from supervisor.scaffold._create import CreatedProject, FolderNotEmpty, create_project
from supervisor.scaffold._rules import PulledRules, pull_rules
from supervisor.scaffold._templates import MOTIA_TEMPLATE_NAMES, TEMPLATES, Template

__all__ = [
    "MOTIA_TEMPLATE_NAMES",
    "TEMPLATES",
    "CreatedProject",
    "FolderNotEmpty",
    "PulledRules",
    "Template",
    "create_project",
    "pull_rules",
]
