"""Step and stream config models, their validation, and project-wide uniqueness checks."""

from supervisor.config._base import OUTPUT_SHAPE, ConfigModel, Emit
from supervisor.config._checks import check_unique_names
from supervisor.config._errors import ConfigError, ConfigIssue
from supervisor.config._infrastructure import HandlerInfrastructure, Infrastructure, QueueInfrastructure
from supervisor.config._parse import parse_step_config, parse_stream_config
from supervisor.config._steps import (
    HTTP_METHODS,
    ApiStepConfig,
    CronStepConfig,
    EventStepConfig,
    HttpMethod,
    NoopStepConfig,
    QueryParam,
    StepConfig,
)
from supervisor.config._stream import StreamBaseConfig, StreamConfig

__all__ = [
    "HTTP_METHODS",
    "OUTPUT_SHAPE",
    "ApiStepConfig",
    "ConfigError",
    "ConfigIssue",
    "ConfigModel",
    "CronStepConfig",
    "Emit",
    "EventStepConfig",
    "HandlerInfrastructure",
    "HttpMethod",
    "Infrastructure",
    "NoopStepConfig",
    "QueryParam",
    "QueueInfrastructure",
    "StepConfig",
    "StreamBaseConfig",
    "StreamConfig",
    "check_unique_names",
    "parse_step_config",
    "parse_stream_config",
]
