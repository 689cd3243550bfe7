"""Project settings: CLI flags, ``motia.config.json`` and ``MOTIA_*`` environment variables.

Precedence: CLI flag > environment variable > motia.config.json > default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Adapter = Literal["sqlite", "memory"]
Mode = Literal["dev", "start"]

CONFIG_FILE = "motia.config.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AdapterChoice(_Model):
    adapter: Adapter = "sqlite"


class EventSettings(_Model):
    adapter: Adapter = "sqlite"
    retry_backoff_ms: float = Field(500.0, alias="retryBackoffMs", gt=0)
    retry_backoff_max_ms: float = Field(30_000.0, alias="retryBackoffMaxMs", gt=0)
    concurrency: int = Field(256, ge=1)


class LanguageRunnerSettings(_Model):
    pool_size: int = Field(1, alias="poolSize", ge=1, le=64)


class PythonRunnerSettings(LanguageRunnerSettings):
    #: the interpreter (or virtualenv folder) Python steps run in; default: python_modules/, .venv/, venv/
    interpreter: str | None = None


class RunnerSettings(_Model):
    node: LanguageRunnerSettings = LanguageRunnerSettings()
    python: PythonRunnerSettings = PythonRunnerSettings()
    memory_limit_mb: float = Field(1024.0, alias="memoryLimitMb", gt=0)
    heartbeat_timeout_s: float = Field(10.0, alias="heartbeatTimeoutSeconds", gt=0)


class ProjectConfig(_Model):
    """The contents of ``motia.config.json`` (every key optional)."""

    state: AdapterChoice = AdapterChoice()
    streams: AdapterChoice = AdapterChoice()
    events: EventSettings = EventSettings()
    runners: RunnerSettings = RunnerSettings()
    api_timeout_s: float = Field(30.0, alias="apiTimeoutSeconds", gt=0)
    shutdown_grace_s: float = Field(10.0, alias="shutdownGraceSeconds", ge=0)


class SettingsError(Exception):
    pass


class Settings(BaseModel):
    project_root: Path
    mode: Mode
    host: str = "127.0.0.1"
    port: int = 3000
    debug: bool = False
    config: ProjectConfig = ProjectConfig()

    @property
    def data_dir(self) -> Path:
        return self.project_root / ".motia"


_ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "MOTIA_STATE_ADAPTER": ("state", "adapter"),
    "MOTIA_STREAMS_ADAPTER": ("streams", "adapter"),
    "MOTIA_EVENTS_ADAPTER": ("events", "adapter"),
    "MOTIA_RETRY_BACKOFF_MS": ("events", "retryBackoffMs"),
    "MOTIA_NODE_POOL_SIZE": ("runners", "node", "poolSize"),
    "MOTIA_PYTHON_POOL_SIZE": ("runners", "python", "poolSize"),
    "MOTIA_PYTHON_INTERPRETER": ("runners", "python", "interpreter"),
    "MOTIA_RUNNER_MEMORY_LIMIT_MB": ("runners", "memoryLimitMb"),
}


def load_project_config(project_root: Path, environ: dict[str, str] | None = None) -> ProjectConfig:
    environ = dict(os.environ) if environ is None else environ
    path = project_root / CONFIG_FILE
    raw: dict[str, object] = {}
    if path.exists():
        try:
            loaded = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise SettingsError(f"{path}: not valid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"{path}: expected a JSON object")
        raw = loaded
    for variable, keys in _ENV_OVERRIDES.items():
        if variable in environ:
            node = raw
            for key in keys[:-1]:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    raise SettingsError(f"{path}: '{key}' must be an object")
                node = child
            node[keys[-1]] = environ[variable]
    try:
        return ProjectConfig.model_validate(raw)
    except ValidationError as exc:
        issues = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise SettingsError(f"{path.name} (or MOTIA_* environment): {issues}") from exc
