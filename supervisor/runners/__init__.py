"""Runner processes: how they are started, spoken to, pooled and restarted."""

from supervisor.runners._attached import Attached, AttachedRunners, AttachTarget, HandedBack
from supervisor.runners._backoff import RestartBackoff
from supervisor.runners._connection import ContextCallHandler, RunnerConnection, calling_runner
from supervisor.runners._errors import (
    ContextCallError,
    InvocationDeclined,
    InvocationTimeout,
    RunnerDied,
    RunnerSetupError,
    RunnerUnavailable,
)
from supervisor.runners._files import RunnerFiles, runner_files
from supervisor.runners._grpc import AttachedConnection, RunnerListener, is_loopback_address
from supervisor.runners._inspect import DEFAULT_PORTS, InspectAddressError, parse_inspect
from supervisor.runners._isolation import IsolatedRunner
from supervisor.runners._node_env import MIN_NODE_MAJOR, cache_dir, find_node, installed_node_runner
from supervisor.runners._pool import PoolSettings, RunnerChosen, RunnerPool
from supervisor.runners._python_env import ProjectPython, project_python
from supervisor.runners._snapshot import RunnerSnapshot
from supervisor.runners._spec import RunnerSpec, prepare_runner

__all__ = [
    "DEFAULT_PORTS",
    "MIN_NODE_MAJOR",
    "AttachTarget",
    "Attached",
    "AttachedConnection",
    "AttachedRunners",
    "ContextCallError",
    "ContextCallHandler",
    "HandedBack",
    "InspectAddressError",
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
    "RunnerListener",
    "RunnerPool",
    "RunnerSetupError",
    "RunnerSnapshot",
    "RunnerSpec",
    "RunnerUnavailable",
    "cache_dir",
    "calling_runner",
    "find_node",
    "installed_node_runner",
    "is_loopback_address",
    "parse_inspect",
    "prepare_runner",
    "project_python",
    "runner_files",
]
