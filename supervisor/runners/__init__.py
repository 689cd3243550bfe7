"""Runner processes: how they are started, spoken to, pooled and restarted."""

from supervisor.runners._backoff import RestartBackoff
from supervisor.runners._connection import ContextCallHandler, RunnerConnection
from supervisor.runners._errors import (
    ContextCallError,
    InvocationDeclined,
    InvocationTimeout,
    RunnerDied,
    RunnerSetupError,
    RunnerUnavailable,
)
from supervisor.runners._files import RunnerFiles, runner_files
from supervisor.runners._isolation import IsolatedRunner
from supervisor.runners._node_env import MIN_NODE_MAJOR, cache_dir, find_node, installed_node_runner
from supervisor.runners._pool import PoolSettings, RunnerChosen, RunnerInfo, RunnerPool
from supervisor.runners._python_env import ProjectPython, project_python
from supervisor.runners._spec import RunnerSpec, prepare_runner

__all__ = [
    "MIN_NODE_MAJOR",
    "ContextCallError",
    "ContextCallHandler",
    "InvocationDeclined",
    "InvocationTimeout",
    "IsolatedRunner",
    "PoolSettings",
    "ProjectPython",
    "RestartBackoff",
    "RunnerChosen",
    "RunnerConnection",
    "RunnerDied",
    "RunnerFiles",
    "RunnerInfo",
    "RunnerPool",
    "RunnerSetupError",
    "RunnerSpec",
    "RunnerUnavailable",
    "cache_dir",
    "find_node",
    "installed_node_runner",
    "prepare_runner",
    "project_python",
    "runner_files",
]
