"""The names of log levels: the one place they are listed, for the ``LOG_LEVEL`` threshold, the
records runners send, the logs API's and ``motia logs``' level filters and the stores' ranks."""

from __future__ import annotations

import logging

#: Motia's four levels, least severe first, then logging.CRITICAL's (``LOG_LEVEL=critical`` silences
#: everything; a runner's ``critical`` or ``fatal`` lines are recorded as ``critical``)
LOG_LEVELS = ("debug", "info", "warn", "error", "critical")
#: other names of a level: Python's ``warning`` (its logging's, ``LOG_LEVEL``'s) is Motia's ``warn``,
#: what loggers elsewhere call their most severe rank as ``critical``, their least (node's
#: ``console.trace``, pino's ``trace``) as ``debug``. The runners keep a copy to drop what is below
#: the threshold before sending it (runners/python/motia_runner/logs.py, runners/node/src/logs.ts),
#: and the Workbench one for its links: tests/test_level_names_agree.py holds them to this one.
LEVEL_ALIASES = {"warning": "warn", "fatal": "critical", "trace": "debug"}
#: what a level filter or threshold takes: a level, or another name of one
LEVEL_NAMES = (*LOG_LEVELS, *LEVEL_ALIASES)
_NUMBERS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def canonical_level(name: str) -> str | None:
    """The level ``name`` names (one of ``LOG_LEVELS``), None if it names none."""
    name = LEVEL_ALIASES.get(name, name)
    return name if name in _NUMBERS else None


def level_number(name: str) -> int | None:
    """The ``logging`` number of the level ``name`` names, None if it names none."""
    return _NUMBERS.get(LEVEL_ALIASES.get(name, name))
