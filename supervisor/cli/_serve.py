"""``motia dev`` / ``motia start``: run the runtime behind hypercorn until a signal arrives."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config

from supervisor.cli._dotenv import load_dotenv
from supervisor.core import Runtime, StartupError
from supervisor.http import create_app
from supervisor.logs import configure_logging
from supervisor.realtime import MAX_CLIENT_FRAME
from supervisor.reload import code_changes
from supervisor.settings import Settings, SettingsError, load_project_config

_logger = logging.getLogger("motia.core")


async def _reload_on_changes(runtime: Runtime, stop: asyncio.Event) -> None:
    async for _changes in code_changes(runtime.settings.project_root, stop):
        try:
            await runtime.reload()
        except Exception:
            _logger.exception("reload failed; the previous code keeps serving")


def run_server(mode: str, project: str, host: str, port: int, debug: bool) -> int:
    from pathlib import Path

    root = Path(project).resolve()
    configure_logging("pretty" if mode == "dev" else "json", debug)
    if not root.is_dir():
        _logger.error("project directory %s does not exist", root)
        return 2
    load_dotenv(root)
    try:
        config = load_project_config(root)
    except SettingsError as exc:
        _logger.error("%s", exc)
        return 2
    settings = Settings(project_root=root, mode=mode, host=host, port=port, debug=debug, config=config)
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    runtime = Runtime(settings)
    try:
        await runtime.start()
    except StartupError as exc:
        _logger.error("motia start refused to start: %s", exc)
        return 1
    except Exception:
        _logger.exception("could not start")
        await runtime.stop(0)
        return 1

    config = Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("motia.http")
    config.graceful_timeout = settings.config.shutdown_grace_s
    config.keep_alive_timeout = 75
    # hypercorn would buffer a client's WebSocket frame up to 16 MiB before our own size check runs
    config.websocket_max_message_size = MAX_CLIENT_FRAME
    app = create_app(runtime)
    _logger.info(
        "motia %s ready on http://%s:%d (%d steps)",
        settings.mode,
        settings.host,
        settings.port,
        len(runtime.registry.steps),
    )
    reloader = asyncio.create_task(_reload_on_changes(runtime, stop)) if settings.mode == "dev" else None
    try:
        await serve(app, config, shutdown_trigger=stop.wait)
    except OSError as exc:
        _logger.error("cannot listen on %s:%d: %s", settings.host, settings.port, exc)
        await runtime.stop(0)
        return 1
    if reloader is not None:
        reloader.cancel()
    _logger.info("shutting down: finishing in-flight work")
    await runtime.stop()
    _logger.info("stopped")
    sys.stdout.flush()
    return 0
