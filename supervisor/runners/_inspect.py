"""Debuggers on runners (``motia dev --inspect-node`` / ``--inspect-python``): where each listens.

A pool of N runners of one kind listens on N consecutive ports from the one given (node-0 on 9229,
node-1 on 9230...). The runner opens its debugger itself (the V8 inspector, or debugpy) from the
address in ``MOTIA_INSPECT``; one started by a hot reload takes its predecessor's port over once that
one has exited. While a pool is inspected, a runner may be held at a breakpoint: ``runners/_debugger.py``
says what follows from that.
"""

from __future__ import annotations

from supervisor.runners._debug_adapter import ADAPTER_OWNER_ENV, adapter_owner
from supervisor.settings import Inspect

#: the ports debuggers are looked for on by default: Node's inspector, and debugpy's
DEFAULT_PORTS = {"node": 9229, "python": 5678}
INSPECT_ENV = "MOTIA_INSPECT"
INSPECT_WAIT_ENV = "MOTIA_INSPECT_WAIT"


class InspectAddressError(ValueError):
    pass


def inspect_env(inspect: Inspect, index: int, *, first_start: bool = True) -> dict[str, str]:
    """What tells runner ``index`` of a pool to open its debugger; only a pool's first runners wait
    for one (a runner restarted after a fault goes on serving; the debugger re-attaches). Each start
    gets a token of its own, which tells its debugpy adapter from its successor's."""
    env = {INSPECT_ENV: inspect.address(index), ADAPTER_OWNER_ENV: adapter_owner()}
    if inspect.wait and first_start:
        env[INSPECT_WAIT_ENV] = "1"
    return env


def parse_inspect(value: str | None, runner: str, wait: bool = False) -> Inspect:
    """``--inspect-node[=HOST:PORT]``: ``None`` or empty for the default, ``PORT``, ``HOST:PORT`` or
    ``[V6]:PORT``. Raises ``InspectAddressError`` naming what is wrong."""
    default = Inspect("127.0.0.1", DEFAULT_PORTS[runner], wait)
    if not value:
        return default
    host, sep, port_text = value.rpartition(":")
    if not sep:
        host, port_text = "", value
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise InspectAddressError(
            f"--inspect-{runner}={value}: expected PORT or HOST:PORT (like 127.0.0.1:{default.port})"
        ) from None
    if not 1 <= port <= 65535:
        raise InspectAddressError(f"--inspect-{runner}={value}: port {port} is not between 1 and 65535")
    return Inspect(host or default.host, port, wait)
