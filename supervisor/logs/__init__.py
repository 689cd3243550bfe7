"""One logger for the core and every runner.

Everything goes through the standard ``logging`` module under the ``motia``
namespace; records carry ``step``, ``trace_id`` and ``meta`` extras. ``dev``
prints readable lines, ``start`` prints JSON lines.
"""

from typing import TYPE_CHECKING

from supervisor.lazy import lazy_exports
from supervisor.logs._levels import LEVEL_ALIASES, LEVEL_NAMES, LOG_LEVELS, level_number

if TYPE_CHECKING:
    from supervisor.logs._formatters import PrettyFormatter, level_name
    from supervisor.logs._setup import (
        LogLevel,
        LogMode,
        configure_logging,
        log_always,
        log_event,
        log_level,
        stdout_to_nowhere,
    )

#: imported on first use: the trace writer process reads the level names (its stores' ranks) and
#: never formats or configures a line (tests/test_import_costs.py)
__getattr__ = lazy_exports(
    __name__,
    {
        "PrettyFormatter": "_formatters",
        "level_name": "_formatters",
        "LogLevel": "_setup",
        "LogMode": "_setup",
        "configure_logging": "_setup",
        "log_always": "_setup",
        "log_event": "_setup",
        "log_level": "_setup",
        "stdout_to_nowhere": "_setup",
    },
)

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
    "log_always",
    "log_event",
    "log_level",
    "stdout_to_nowhere",
]
