"""An experiment, not a supported mode: ``motia start`` with uvicorn (httptools, wsproto) in place of
hypercorn, for bench/ab.py's ``--b-front uvicorn``. The same app, the same listening socket, the same
shutdown trigger; only the HTTP server differs. uvicorn and httptools come from bench/.env/front
(bench-only, ``pip install --target``), put on ``sys.path`` by the caller through PYTHONPATH.

    PYTHONPATH=bench/.env/front .venv/bin/python bench/uvicorn_front.py start --project DIR -p PORT
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

FRONT = Path(__file__).resolve().parent / ".env" / "front"
FRONT_PACKAGES = ("uvicorn==0.54.0", "httptools==0.9.0")


def ensure_front() -> Path:
    """uvicorn and httptools alone (their other dependencies, click and h11, are motia's own)."""
    if not (FRONT / "uvicorn").is_dir() or not (FRONT / "httptools").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--target", str(FRONT), *FRONT_PACKAGES],
            check=True,
        )  # fmt: skip
    return FRONT


async def serve_with_uvicorn(app: Any, config: Any, shutdown_trigger: Callable[[], Awaitable[Any]]) -> None:
    import uvicorn

    fd = int(config.bind[0].removeprefix("fd://"))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            fd=fd,
            http="httptools",
            ws="wsproto",
            lifespan="on",
            access_log=False,
            log_level="warning",
            timeout_keep_alive=int(config.keep_alive_timeout),
            timeout_graceful_shutdown=int(config.graceful_timeout) or None,
        )
    )
    # _serve: serve() without capture_signals, which would take SIGTERM/SIGINT from motia's own handlers
    serving = asyncio.ensure_future(server._serve())
    trigger = asyncio.ensure_future(shutdown_trigger())
    await asyncio.wait({serving, trigger}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await serving
    trigger.cancel()


def main() -> int:
    import supervisor.cli._serve as serve_module
    from supervisor.cli.main import main as motia_main

    serve_module.serve = serve_with_uvicorn  # type: ignore[assignment]
    return motia_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
