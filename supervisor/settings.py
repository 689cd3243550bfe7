"""Project settings: CLI flags, ``motia.config.json`` and ``MOTIA_*`` environment variables.

Precedence: CLI flag > environment variable > motia.config.json > default.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Adapter = Literal["sqlite", "memory", "redis"]
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


HttpServer = Literal["uvicorn", "hypercorn"]


class HttpSettings(_Model):
    #: the HTTP and WebSocket server: uvicorn (httptools on uvloop, the default: ~3.5x hypercorn's
    #: requests per second, bench/RESULTS.md) or hypercorn; both serve the same app, the same way
    server: HttpServer = "uvicorn"


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


class RedisSettings(_Model):
    """Where the Redis adapters keep everything (several supervisors share it: README, Scale-out)."""

    #: ``redis://[user:password@]host:port/db`` (``rediss://`` for TLS); also ``MOTIA_REDIS_URL``.
    #: Set, it is the default of every adapter not chosen explicitly.
    url: str | None = None
    #: every key starts with it, so several projects can share one Redis
    prefix: str = Field("motia:", min_length=1)
    #: a supervisor's claimed events are taken over by the others when it has not been heard of for
    #: this long (it refreshes its claims every third of it while it lives)
    consumer_timeout_s: float = Field(15.0, alias="consumerTimeoutSeconds", gt=0)

    @field_validator("url")
    @classmethod
    def _redis_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{url!r} is not a Redis URL: write redis://host:6379/0 (rediss:// for TLS)")
        return url


class TracingSettings(_Model):
    """Traces and logs recorded by the core (``/__motia/traces``, ``/__motia/logs``), and their
    retention: the newest ``maxTraces`` traces and ``maxLogLines`` log lines are kept, none older than
    ``maxAgeHours``."""

    enabled: bool = True
    #: None: Redis when the project has a Redis URL (every supervisor reads every trace), else SQLite
    #: when state, streams or events use it, else memory (an all-memory project keeps nothing on disk)
    adapter: Adapter | None = None
    max_traces: int = Field(10_000, alias="maxTraces", ge=1)
    max_log_lines: int = Field(100_000, alias="maxLogLines", ge=1)
    max_age_hours: float = Field(168.0, alias="maxAgeHours", gt=0)


class ProjectConfig(_Model):
    """The contents of ``motia.config.json`` (every key optional)."""

    redis: RedisSettings = RedisSettings()
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
    http: HttpSettings = HttpSettings()
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
        if self.redis.url is not None:
            return "redis"
        return "sqlite" if "sqlite" in self.embedded_adapters(tracing=False) else "memory"

    def embedded_adapters(self, tracing: bool = True) -> set[Adapter]:
        """The adapters the stores use (``sqlite`` among them: ``.motia/`` is used; ``.motia/motia.db``
        when it is among those of ``tracing=False``, the stores but traces)."""
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

    @model_validator(mode="after")
    def _redis_adapters(self) -> ProjectConfig:
        choices: dict[str, AdapterChoice | EventSettings] = {
            "state": self.state,
            "streams": self.streams,
            "events": self.events,
        }
        if self.redis.url is not None:  # the default of every adapter not chosen explicitly
            for choice in choices.values():
                if "adapter" not in choice.model_fields_set:
                    choice.adapter = "redis"
        else:
            on_redis = [name for name, choice in choices.items() if choice.adapter == "redis"]
            if self.tracing.adapter == "redis":
                on_redis.append("tracing")
            if on_redis:
                raise ValueError(
                    f"{', '.join(on_redis)}: the redis adapter needs a Redis URL: set "
                    '"redis": {"url": "redis://host:6379/0"} or MOTIA_REDIS_URL'
                )
        return self

    @property
    def uses_redis(self) -> bool:
        return "redis" in (self.state.adapter, self.streams.adapter, self.events.adapter, self.trace_adapter)


@dataclass(frozen=True)
class Inspect:
    """How the runners of one kind are debugged (``motia dev --inspect-node``/``--inspect-python``):
    the first runner's debugger address (runner N of a pool listens on ``port + N``), and whether each
    waits for a debugger to attach before it loads the project's steps."""

    host: str
    port: int
    wait: bool = False

    def address(self, index: int) -> str:
        """Where runner ``index`` of the pool listens: ``host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port + index}"


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
    #: per runner kind (node, python), its debugger (``motia dev --inspect-node``/``--inspect-python``)
    inspect: dict[str, Inspect] = {}
    #: where the data lives instead of the project's .motia/ (``--motia-dir``)
    motia_dir: Path | None = None
    #: ``motia dev --mermaid``: keep a Mermaid diagram per flow in the project's .mermaid/
    mermaid: bool = False

    @property
    def runner_log_level(self) -> str:
        """The threshold runners filter their records at."""
        return "debug" if self.debug else self.log_level

    @property
    def data_dir(self) -> Path:
        return self.motia_dir or self.project_root / ".motia"


_ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "MOTIA_REDIS_URL": ("redis", "url"),
    "MOTIA_STATE_ADAPTER": ("state", "adapter"),
    "MOTIA_STREAMS_ADAPTER": ("streams", "adapter"),
    "MOTIA_EVENTS_ADAPTER": ("events", "adapter"),
    "MOTIA_RETRY_BACKOFF_MS": ("events", "retryBackoffMs"),
    "MOTIA_NODE_POOL_SIZE": ("runners", "node", "poolSize"),
    "MOTIA_PYTHON_POOL_SIZE": ("runners", "python", "poolSize"),
    "MOTIA_PYTHON_INTERPRETER": ("runners", "python", "interpreter"),
    "MOTIA_RUNNER_MEMORY_LIMIT_MB": ("runners", "memoryLimitMb"),
    "MOTIA_KEEP_ALIVE_TIMEOUT_SECONDS": ("keepAliveTimeoutSeconds",),
    "MOTIA_HTTP_SERVER": ("http", "server"),
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
    from_environment: dict[tuple[str, ...], str] = {}
    for variable, keys in _ENV_OVERRIDES.items():
        if variable in environ:
            from_environment[keys] = variable
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
        issues = "; ".join(_issue(err["loc"], err["msg"], from_environment) for err in exc.errors())
        raise SettingsError(f"{path.name} (or MOTIA_* environment): {issues}") from exc


def _issue(loc: tuple[int | str, ...], message: str, from_environment: dict[tuple[str, ...], str]) -> str:
    """``http.server: Input should be ...``, naming the variable the value came from when one did
    (``MOTIA_HTTP_SERVER=granian``): the file may not mention the field at all."""
    field = tuple(str(part) for part in loc)
    variable = next((name for keys, name in from_environment.items() if field[: len(keys)] == keys), None)
    where = ".".join(field) + (f" (from {variable})" if variable else "")
    return f"{where}: {message}"
