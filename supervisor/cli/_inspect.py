"""``--inspect-node[=HOST:PORT]``, ``--inspect-python[=HOST:PORT]``, ``--inspect-wait``: runners with
their debuggers on, for ``motia dev`` and ``motia invoke``."""

from __future__ import annotations

import argparse
import logging

from supervisor.runners import DEFAULT_PORTS, parse_inspect
from supervisor.settings import Inspect

_logger = logging.getLogger("motia.core")


def add_inspect_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("debugging (README: Debugging)")
    group.add_argument(
        "--inspect-node",
        nargs="?",
        const="",
        metavar="HOST:PORT",
        help=f"node runners with the V8 inspector on, from port {DEFAULT_PORTS['node']} (one port each)",
    )
    group.add_argument(
        "--inspect-python",
        nargs="?",
        const="",
        metavar="HOST:PORT",
        help=(
            f"python runners under debugpy, from port {DEFAULT_PORTS['python']} "
            "(motia-supervisor[debug] installs it)"
        ),
    )
    group.add_argument(
        "--inspect-wait",
        action="store_true",
        help="runners wait for a debugger to attach before loading the steps",
    )


def inspect_settings(args: argparse.Namespace) -> dict[str, Inspect]:
    """Per runner kind, its debugger; raises ``InspectAddressError`` for a malformed address."""
    chosen = {"node": args.inspect_node, "python": args.inspect_python}
    inspect = {
        runner: parse_inspect(value, runner, args.inspect_wait)
        for runner, value in chosen.items()
        if value is not None
    }
    if args.inspect_wait and not inspect:
        _logger.warning("--inspect-wait does nothing without --inspect-node or --inspect-python")
    return inspect


def announce(inspect: dict[str, Inspect], pool_sizes: dict[str, int]) -> None:
    """Once at start: where each runner's debugger listens, and what changes while it is on."""
    for runner, settings in inspect.items():
        size = pool_sizes.get(runner, 1)
        where = settings.address(0) + (f" to port {settings.port + size - 1}" if size > 1 else "")
        _logger.info(
            "%s runners: debugger on %s (runner %s-N on port %d+N)%s; while it is on, heartbeats do not "
            "restart a %s runner and its steps have no timeout, so a breakpoint may hold a request "
            "as long as you like",
            runner,
            where,
            runner,
            settings.port,
            ", waiting for it to attach before loading steps" if settings.wait else "",
            runner,
        )
