"""One logger for the core and every runner.

Everything goes through the standard ``logging`` module under the ``motia``
namespace; records carry ``step``, ``trace_id`` and ``meta`` extras. ``dev``
prints readable lines, ``start`` prints JSON lines.
"""

from supervisor.logs._formatters import PrettyFormatter, level_name
from supervisor.logs._levels import LEVEL_ALIASES, LEVEL_NAMES, LOG_LEVELS, level_number
from supervisor.logs._setup import LogLevel, LogMode, configure_logging, log_event, log_level

__all__ = [
    "LEVEL_ALIASES",
    "LEVEL_NAMES",
    "LOG_LEVELS",
    "LogLevel",
    "LogMode",
    "PrettyFormatter",
    "configure_logging",
    "level_name",
    "level_number",
    "log_event",
    "log_level",
]
