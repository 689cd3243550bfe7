"""``motia dev --runner-listen ADDR``: runners started by hand (in an IDE's debugger) attach over gRPC.

The listener takes runners that present its cookie. The cookie is ``--runner-cookie``, or a random
one; either way it is written with the address to ``.motia/runner-listen.json`` (readable by the
user only), where a runner started in the project folder without ``--cookie`` finds it, and the
start-up log says how to start each language's runner so that it attaches.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from supervisor.runners import RunnerListener, is_loopback_address

if TYPE_CHECKING:
    from supervisor.core import Runtime  # the runtime (quart...) loads when a server starts, not here

_logger = logging.getLogger("motia.core")

#: where a listening supervisor writes its address and cookie, under the project's .motia/
CONNECTION_FILE = "runner-listen.json"


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runner-listen",
        metavar="ADDR",
        help="let runners started by hand (e.g. in a debugger, with --connect) attach on ADDR: "
        "HOST:PORT, PORT (on 127.0.0.1) or unix:PATH; off by default",
    )
    parser.add_argument(
        "--runner-cookie",
        metavar="COOKIE",
        help="the secret attaching runners must present (default: a random one, written to "
        ".motia/runner-listen.json)",
    )


def listen_address(value: str) -> str:
    """``50051`` -> ``127.0.0.1:50051``; ``./x.sock`` or ``/tmp/x.sock`` -> ``unix:/abs/x.sock``."""
    if value.isdigit():
        return f"127.0.0.1:{value}"
    if value.startswith("unix:"):
        return f"unix:{Path(value[5:]).resolve()}"
    if "/" in value:
        return f"unix:{Path(value).resolve()}"
    return value


async def start_listener(runtime: Runtime, address: str, cookie: str | None) -> RunnerListener:
    """Listen for runners; raises ``OSError`` when ``address`` cannot be bound."""
    attached = runtime.attached
    listener = RunnerListener(
        listen_address(address), cookie or secrets.token_urlsafe(24), attached.new_connection, attached.serve
    )
    bound = await listener.start()
    if not is_loopback_address(bound):
        _logger.warning(
            "runners may attach on %s from other machines: the cookie and every step's data travel "
            "unencrypted; listen on 127.0.0.1 or a unix socket unless that network is yours",
            bound,
        )
    path = _write_connection_file(runtime.settings.data_dir, bound, listener.cookie)
    _logger.info(
        "runners may attach on %s (cookie in %s); start one in your debugger with:%s",
        bound,
        path,
        "".join(f"\n  {line}" for line in _attach_commands(runtime, bound)),
    )
    return listener


async def stop_listener(listener: RunnerListener, runtime: Runtime) -> None:
    await listener.stop()
    path = runtime.settings.data_dir / CONNECTION_FILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def _write_connection_file(data_dir: Path, address: str, cookie: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CONNECTION_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"address": address, "cookie": cookie, "pid": os.getpid()}, file)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT
    return path


def _attach_commands(runtime: Runtime, address: str) -> list[str]:
    """How to start each runner the project uses so that it attaches (the cookie is read from the file)."""
    loaded = runtime.loaded
    lines = []
    for language, spec in sorted((loaded.specs if loaded is not None else {}).items()):
        argv = list(spec.argv)
        if language == "node":
            argv.insert(1, "--inspect")
        env = " ".join(f"{name}={shlex.quote(value)}" for name, value in sorted(spec.env.items()))
        command = shlex.join([*argv, "--connect", address])
        lines.append(f"{language}: {env + ' ' if env else ''}{command}")
    return lines
