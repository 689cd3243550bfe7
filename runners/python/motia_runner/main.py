"""Entry point: guard, claim the stdio channel, run the session, exit."""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import sys
import threading

from motia_runner.guard import check_cookie


def _run_atexit_handlers(timeout: float) -> None:
    """Give user atexit handlers (logging.shutdown, flushes) a bounded chance to run."""
    thread = threading.Thread(target=atexit._run_exitfuncs, name="motia-atexit", daemon=True)
    thread.start()
    thread.join(timeout)


def main() -> None:
    check_cookie()
    from motia_runner.transport import claim_channel

    channel = claim_channel()
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
    sys.stderr.flush()
    # Handler threads and spawned tasks may still hold user code; exit without waiting for them
    # (the grace period was already spent in Session._shutdown).
    os._exit(code)
