"""Entry point: guard, claim the stdio channel (or dial the supervisor: --connect), run the session, exit."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

from motia_runner.guard import check_cookie

if TYPE_CHECKING:
    from motia_runner.transport import Channel
    from motia_runner.transport_grpc import GrpcLink


def _run_atexit_handlers(timeout: float) -> None:
    """Give user atexit handlers (logging.shutdown, flushes) a bounded chance to run."""
    thread = threading.Thread(target=atexit._run_exitfuncs, name="motia-atexit", daemon=True)
    thread.start()
    thread.join(timeout)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m motia_runner",
        description="The Motia Python runner. The supervisor starts it and speaks to it on stdio; started "
        "by hand (in a debugger), --connect attaches it to a `motia dev --runner-listen` supervisor.",
    )
    parser.add_argument(
        "--connect",
        nargs="?",
        const="",
        metavar="ADDR",
        help="dial the supervisor at ADDR (HOST:PORT or unix:PATH; default: the address in the project's "
        ".motia/runner-listen.json)",
    )
    parser.add_argument(
        "--cookie", help="the supervisor's cookie (default: read from .motia/runner-listen.json)"
    )
    parser.add_argument(
        "--steps", default="", metavar="NAME,...", help="take only these steps (default: every Python step)"
    )
    return parser.parse_args(argv)


def _open_channel() -> Channel | GrpcLink:
    """The channel the session speaks on: stdio when the supervisor started us, else gRPC (--connect)."""
    args = _arguments(sys.argv[1:])
    if args.connect is None:
        check_cookie()
        from motia_runner.transport import claim_channel

        return claim_channel()
    from motia_runner.bundled_protobuf import ensure_grpc
    from motia_runner.transport_grpc import ConnectError, project_folder, resolve_link

    try:
        ensure_grpc()
        steps = [name.strip() for name in args.steps.split(",") if name.strip()]
        return resolve_link(args.connect or None, args.cookie, steps, project_folder())
    except ConnectError as exc:
        sys.stderr.write(f"motia_runner: {exc}\n")
        raise SystemExit(2) from None


def main() -> None:
    channel = _open_channel()
    # Ctrl-C in the supervisor's terminal reaches the whole process group; the supervisor
    # decides when runners stop (Shutdown / closing stdin), so SIGINT is ignored here. A Python
    # handler rather than SIG_IGN, so that child processes of user code still get the default.
    signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    from motia_runner.debugger import DebugpyMissing
    from motia_runner.session import Session

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def start() -> Session:
        return Session(channel)

    try:
        session = loop.run_until_complete(start())
    except DebugpyMissing as exc:
        sys.stderr.write(f"motia python runner: {exc}\n")
        sys.exit(4)
    code = loop.run_until_complete(session.run())
    _run_atexit_handlers(timeout=2.0)
    session.close()
    if session.debugger is not None:
        session.debugger.stop()
    sys.stderr.flush()
    # Handler threads and spawned tasks may still hold user code; exit without waiting for them
    # (the grace period was already spent in Session._shutdown).
    os._exit(code)
