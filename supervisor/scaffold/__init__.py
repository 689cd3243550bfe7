"""What motia writes into a project: new projects from templates (``motia create``), the AI editors'
guides (``motia rules pull``), a step (``motia generate step``) and a Dockerfile (``motia docker setup``)."""

from supervisor.scaffold._create import CreatedProject, FolderNotEmpty, create_project
from supervisor.scaffold._docker import CONTAINER_PORT, write_docker_files
from supervisor.scaffold._rules import PulledRules, pull_rules
from supervisor.scaffold._step import (
    HTTP_METHODS,
    LANGUAGES,
    STEP_NAME,
    STEP_TYPES,
    StepAnswers,
    StepExists,
    write_step,
)
from supervisor.scaffold._templates import MOTIA_TEMPLATE_NAMES, TEMPLATES, Template

__all__ = [
    "CONTAINER_PORT",
    "HTTP_METHODS",
    "LANGUAGES",
    "MOTIA_TEMPLATE_NAMES",
    "STEP_NAME",
    "STEP_TYPES",
    "TEMPLATES",
    "CreatedProject",
    "FolderNotEmpty",
    "PulledRules",
    "StepAnswers",
    "StepExists",
    "Template",
    "create_project",
    "pull_rules",
    "write_docker_files",
    "write_step",
]
