"""Project settings: CLI flags, ``motia.config.json`` and ``MOTIA_*`` environment variables.

Precedence: CLI flag > environment variable > motia.config.json > default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Adapter = Literal["sqlite", "memory"]
Mode = Literal["dev", "start"]

CONFIG_FILE = "motia.config.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AdapterChoice(_Model):
    adapter: Adapter = "sqlite"


InputValidation = Literal["warn", "strict"]


class EventSettings(_Model):
    adapter: Adapter = "sqlite"
    #: an event failing its subscriber's ``input`` schema: ``warn`` (Motia's behaviour: a warning, and the
    #: handler runs) or ``strict`` (a dead letter, the handler does not run); a step's own
    #: ``validateInput`` overrides it
    validate_input: InputValidation = Field("warn", alias="validateInput")
    retry_backoff_ms: float = Field(500.0, alias="retryBackoffMs", gt=0)
    retry_backoff_max_ms: float = Field(30_000.0, alias="retryBackoffMaxMs", gt=0)
    concurrency: int = Field(256, ge=1)


class LanguageRunnerSettings(_Model):
    pool_size: int = Field(1, alias="poolSize", ge=1, le=64)
    #: runners started on top of the pool while every runner's event loop is blocked by user code
    #: and work waits; each stops once idle (README, Guarantees)
    spare_runners: int = Field(2, alias="spareRunners", ge=0, le=16)


class PythonRunnerSettings(LanguageRunnerSettings):
    #: the interpreter (or virtualenv folder) Python steps run in; default: python_modules/, .venv/, venv/
    interpreter: str | None = None


class RunnerSettings(_Model):
    node: LanguageRunnerSettings = LanguageRunnerSettings()
    python: PythonRunnerSettings = PythonRunnerSettings()
    memory_limit_mb: float = Field(1024.0, alias="memoryLimitMb", gt=0)
    heartbeat_timeout_s: float = Field(10.0, alias="heartbeatTimeoutSeconds", gt=0)


class ApiSettings(_Model):
    #: validate request bodies against ``bodySchema`` in the core (a step's own ``validateBody``
    #: overrides it); off by default, as in Motia, where projects validate in handlers or middleware
    validate_body: bool = Field(False, alias="validateBody")


#: an origin as browsers send it: scheme://host[:port], nothing after
_ORIGIN = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#\s]+")


class CorsSettings(_Model):
    """Cross-origin requests. The defaults are what Motia's server answers: any origin, any method
    and header, preflights cached 600 s."""

    origins: list[str] = ["*"]
    methods: list[str] = ["*"]
    allowed_headers: list[str] = Field(["*"], alias="allowedHeaders")
    exposed_headers: list[str] = Field(["x-trace-id"], alias="exposedHeaders")
    credentials: bool = False
    max_age_s: int = Field(600, alias="maxAge", ge=0)

    @field_validator("origins")
    @classmethod
    def _serialized_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port] with no path or trailing "
                    "slash (like 'http://localhost:5173'), or '*' for any origin"
                )
        return origins

    @model_validator(mode="after")
    def _no_credentials_for_any_origin(self) -> CorsSettings:
        if self.credentials and "*" in self.origins:
            raise ValueError(
                '"credentials": true needs the list of origins allowed to send them; browsers refuse '
                'credentials with "*" (and answering every origin would let any site use them)'
            )
        return self


class TracingSettings(_Model):
    """Traces and logs recorded by the core (``/__motia/traces``, ``/__motia/logs``), and their
    retention: the newest ``maxTraces`` traces and ``maxLogLines`` log lines are kept, none older than
    ``maxAgeHours``."""

    enabled: bool = True
    #: None: SQLite when state, streams or events use it, else memory (an all-memory project keeps
    #: nothing on disk)
    adapter: Adapter | None = None
    max_traces: int = Field(10_000, alias="maxTraces", ge=1)
    max_log_lines: int = Field(100_000, alias="maxLogLines", ge=1)
    max_age_hours: float = Field(168.0, alias="maxAgeHours", gt=0)


class ProjectConfig(_Model):
    """The contents of ``motia.config.json`` (every key optional)."""

    state: AdapterChoice = AdapterChoice()
    streams: AdapterChoice = AdapterChoice()
    events: EventSettings = EventSettings()
    runners: RunnerSettings = RunnerSettings()
    api_timeout_s: float = Field(30.0, alias="apiTimeoutSeconds", gt=0)
    shutdown_grace_s: float = Field(10.0, alias="shutdownGraceSeconds", ge=0)
    #: ``motia dev`` rewrites types.d.ts when steps change (in projects with TypeScript)
    generate_types: bool = Field(True, alias="generateTypes")
    #: how long an idle keep-alive connection stays open: longer than the 60 s idle timeout of
    #: the usual load balancers and proxies, so none reuses a connection the server is closing
    keep_alive_timeout_s: float = Field(75.0, alias="keepAliveTimeoutSeconds", gt=0)
    api: ApiSettings = ApiSettings()
    tracing: TracingSettings = TracingSettings()
    #: the Workbench page at /__motia/workbench (and /): None means on in ``motia dev``, off in ``start``
    workbench: bool | None = None
    #: None: no CORS headers and no preflight answers (``"cors": false``)
    cors: CorsSettings | None = CorsSettings()

    @property
    def trace_adapter(self) -> Adapter | None:
        """Where traces and logs are kept (None: they are not recorded)."""
        if not self.tracing.enabled:
            return None
        if self.tracing.adapter is not None:
            return self.tracing.adapter
        return "sqlite" if "sqlite" in self.embedded_adapters(tracing=False) else "memory"

    def embedded_adapters(self, tracing: bool = True) -> set[Adapter]:
        """The adapters the stores use (``sqlite`` among them: ``.motia/motia.db`` is needed)."""
        adapters: set[Adapter] = {self.state.adapter, self.streams.adapter, self.events.adapter}
        trace_adapter = self.trace_adapter if tracing else None
        if trace_adapter is not None:
            adapters.add(trace_adapter)
        return adapters

    @field_validator("cors", mode="before")
    @classmethod
    def _cors_switch(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False:
            return None
        return value


class SettingsError(Exception):
    pass


class Settings(BaseModel):
    project_root: Path
    mode: Mode
    host: str = "127.0.0.1"
    port: int = 3000
    debug: bool = False
    #: the log threshold: debug, info, warn, error or critical (``-d``, else ``LOG_LEVEL``)
    log_level: str = "info"
    config: ProjectConfig = ProjectConfig()

    @property
    def runner_log_level(self) -> str:
        """The threshold runners filter their records at (they know no ``critical``)."""
        if self.debug:
            return "debug"
        return "error" if self.log_level == "critical" else self.log_level

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
    "MOTIA_KEEP_ALIVE_TIMEOUT_SECONDS": ("keepAliveTimeoutSeconds",),
    "MOTIA_TRACING": ("tracing", "enabled"),
    "MOTIA_TRACING_ADAPTER": ("tracing", "adapter"),
    "MOTIA_WORKBENCH": ("workbench",),
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
