"""Runner processes: how they are started, spoken to, pooled and restarted."""

from supervisor.runners._backoff import RestartBackoff
from supervisor.runners._connection import ContextCallHandler, RunnerConnection
from supervisor.runners._errors import ContextCallError, InvocationTimeout, RunnerDied, RunnerUnavailable
from supervisor.runners._isolation import IsolatedRunner
from supervisor.runners._pool import PoolSettings, RunnerPool
from supervisor.runners._spec import RunnerSpec, project_python, spec_for

__all__ = [
    "ContextCallError",
    "ContextCallHandler",
    "InvocationTimeout",
    "IsolatedRunner",
    "PoolSettings",
    "RestartBackoff",
    "RunnerConnection",
    "RunnerDied",
    "RunnerPool",
    "RunnerSpec",
    "RunnerUnavailable",
    "project_python",
    "spec_for",
]
