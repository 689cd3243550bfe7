"""``motia dev`` / ``motia start``: run the runtime behind the HTTP server (uvicorn, or hypercorn when
the project chooses it: ``"http": {"server": ...}``, ``MOTIA_HTTP_SERVER``) until a signal arrives.

Start-up order: the port is bound first (a taken port fails at once, before any runner starts), then
the project's code is loaded, then the summary is printed, then "ready", then requests are served.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from supervisor.cli import _event_loop
from supervisor.cli._attach import start_listener, stop_listener
from supervisor.cli._dotenv import DotEnv
from supervisor.cli._generate import refresh_diagrams, refresh_types, wants_types
from supervisor.cli._inspect import announce
from supervisor.cli._listen import ListenError, listen
from supervisor.cli._project import ignored_motia_config_keys, prepare_project, warn_about_motia_config
from supervisor.core import LoadSummary, Runtime, StartupError, summarize
from supervisor.discovery import is_motia_config
from supervisor.http import FlowLayout, create_app
from supervisor.logs import configure_logging, log_always, log_level
from supervisor.reload import ProjectChanges, project_changes
from supervisor.settings import (
    HttpServer,
    Inspect,
    ProjectConfig,
    Settings,
    SettingsError,
    load_project_config,
)
from supervisor.storage import DataDirClaim, DataDirInUse, RedisUnavailable

_logger = logging.getLogger("motia.core")


async def _reload_on_changes(
    runtime: Runtime, dotenv: DotEnv, stop: asyncio.Event, told: frozenset[str]
) -> None:
    """Load what changed again; ``told``: the keys of ``motia.config.*`` start-up said are ignored."""
    root = runtime.settings.project_root
    async for changes in project_changes(root, stop):
        if any(is_motia_config(path) for path in changes.paths):
            told = warn_about_motia_config(root, told)
        try:
            settings = _new_settings(runtime.settings, dotenv, changes)
            await runtime.reload(changes, settings)
        except Exception:
            _logger.exception("reload failed; the previous code keeps serving")
            continue
        _refresh_types(runtime)
        _refresh_diagrams(runtime)


def _refresh_types(runtime: Runtime) -> None:
    """``motia dev`` keeps types.d.ts in step with the configs it just loaded."""
    settings = runtime.settings
    if not settings.config.generate_types or not wants_types(settings.project_root, runtime.registry):
        return
    try:
        if refresh_types(settings.project_root, runtime.registry):
            _logger.info("types.d.ts updated")
    except OSError as exc:
        _logger.warning("could not write types.d.ts: %s", exc)


def _refresh_diagrams(runtime: Runtime) -> None:
    """``motia dev --mermaid`` keeps .mermaid/<flow>.mmd in step with the flows it just loaded."""
    settings = runtime.settings
    if not settings.mermaid:
        return
    try:
        touched = refresh_diagrams(settings.project_root, runtime.registry)
    except OSError as exc:
        _logger.warning("could not write the Mermaid diagrams: %s", exc)
        return
    if touched:
        _logger.info("Mermaid diagrams updated in .mermaid/: %s", ", ".join(touched))


def _new_settings(current: Settings, dotenv: DotEnv, changes: ProjectChanges) -> Settings | None:
    """The settings after ``changes`` (``.env`` read again, ``motia.config.json`` too), or None when they
    did not change; a settings file that does not validate keeps the current settings, and says why."""
    if changes.env:
        changed = dotenv.reload()
        if changed:
            _logger.info(".env changed: %s", ", ".join(sorted(changed)))
    level = log_level(current.debug, os.environ.get("LOG_LEVEL"))
    config = current.config
    if changes.settings or changes.env:  # MOTIA_* variables may come from .env
        try:
            config = load_project_config(current.project_root)
        except SettingsError as exc:
            _logger.error("%s; keeping the previous settings", exc)
    if config == current.config and level == current.log_level:
        return None
    if level != current.log_level:
        configure_logging("pretty" if current.mode == "dev" else "json", level=level)
    if _kept_until_restart(config) != _kept_until_restart(current.config):
        _logger.warning(
            "motia.config.json: storage adapters, redis, events.concurrency and http.server change at the "
            "next start"
        )
    return current.model_copy(update={"config": config, "log_level": level})


def _kept_until_restart(config: ProjectConfig) -> tuple[object, ...]:
    """The settings a running server keeps until it restarts: where its data lives, its event window."""
    return (
        config.state.adapter,
        config.streams.adapter,
        config.events.adapter,
        config.events.concurrency,
        config.redis,
        config.http.server,
    )


def run_server(
    mode: str,
    project: str,
    host: str,
    port: int,
    debug: bool,
    inspect: dict[str, Inspect] | None = None,
    *,
    runner_listen: str | None = None,
    runner_cookie: str | None = None,
    motia_dir: str | None = None,
    mermaid: bool = False,
) -> int:
    root = Path(project).resolve()
    dotenv = DotEnv(root)
    if root.is_dir():
        dotenv.load()  # before logging is set up: its LOG_LEVEL counts
    level = log_level(debug, os.environ.get("LOG_LEVEL"))
    if debug:
        os.environ["LOG_LEVEL"] = "debug"  # as Motia's -d does: runners and user code see it too
    configure_logging("pretty" if mode == "dev" else "json", level=level)
    config = prepare_project(root)
    if config is None:
        return 2
    try:
        listener = listen(host, port)
    except ListenError as exc:
        log_always(_logger, logging.ERROR, "%s", exc)
        return 1
    settings = Settings(
        project_root=root,
        mode=mode,
        host=host,
        port=port,
        debug=debug,
        log_level=level,
        config=config,
        inspect=inspect or {},
        motia_dir=Path(motia_dir).resolve() if motia_dir else None,
        mermaid=mermaid,
    )
    try:
        claim = _claim_embedded_store(settings)
    except DataDirInUse as exc:
        listener.close()
        log_always(_logger, logging.ERROR, "%s", exc)
        return 1
    if settings.inspect:
        runners = config.runners
        announce(settings.inspect, {"node": runners.node.pool_size, "python": runners.python.pool_size})
    try:
        return _event_loop.run(_serve(settings, listener, dotenv, (runner_listen, runner_cookie)))
    finally:
        listener.close()
        if claim is not None:
            claim.release()


def _claim_embedded_store(settings: Settings) -> DataDirClaim | None:
    """The project's ``.motia/`` for this process alone, when anything lives there (SQLite)."""
    if "sqlite" not in settings.config.embedded_adapters():
        return None
    return DataDirClaim(settings.data_dir, f"motia {settings.mode} on http://{settings.host}:{settings.port}")


def _refuse(summary: LoadSummary) -> None:
    """``motia start`` refuses: the block as plain lines on stderr, and one structured JSON record."""
    log_always(
        _logger,
        logging.ERROR,
        "motia start refused to start: %s",
        summary.headline(),
        extra={"meta": {"problems": [vars(failure) for failure in summary.failures]}},
    )
    sys.stdout.flush()
    print("motia start refused to start:", file=sys.stderr)
    for line in summary.lines():
        print(line, file=sys.stderr)
    print("Fix these (`motia build` lists them without serving) and start again.", file=sys.stderr)


Serve = Callable[[Any, Settings, socket.socket, Callable[[], Awaitable[Any]]], Awaitable[None]]


def _server(name: HttpServer) -> Serve:
    """The chosen server's ``serve``; only its own modules are imported."""
    if name == "hypercorn":
        from supervisor.cli._hypercorn import serve_hypercorn

        return serve_hypercorn
    from supervisor.cli._uvicorn import serve_uvicorn

    return serve_uvicorn


async def _serve(
    settings: Settings, listener: socket.socket, dotenv: DotEnv, runner_listen: tuple[str | None, str | None]
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    runtime = Runtime(settings)
    try:
        await runtime.start()
    except StartupError:
        assert runtime.loaded is not None
        _refuse(summarize(runtime.loaded))
        return 1
    except RedisUnavailable as exc:
        log_always(_logger, logging.ERROR, "could not start: %s", exc)
        await runtime.stop(0)
        return 1
    except Exception:
        log_always(_logger, logging.ERROR, "could not start", exc_info=True)
        await runtime.stop(0)
        return 1

    assert runtime.loaded is not None
    summary = summarize(runtime.loaded)
    if not summary.ok:
        summary.log(_logger, logging.ERROR)
    elif summary.steps_found == 0:
        _logger.warning("%s", summary.nothing_found_warning())

    attach = None
    address, cookie = runner_listen
    if address is not None:
        try:
            attach = await start_listener(runtime, address, cookie)
        except OSError as exc:
            log_always(_logger, logging.ERROR, "%s", exc)
            await runtime.stop(0)
            return 1

    serve = _server(settings.config.http.server)
    workbench = settings.config.workbench
    serves_workbench = settings.mode == "dev" if workbench is None else workbench
    # read before the ready line: a malformed file is warned about among start-up's lines
    layout = FlowLayout.read(settings.project_root) if serves_workbench else None
    app = create_app(runtime, workbench=serves_workbench, layout=layout)
    # The socket is bound and listening: connections made from now on wait in its backlog.
    log_always(
        _logger,
        logging.INFO,
        "motia %s ready on http://%s:%d (%s)",
        settings.mode,
        settings.host,
        settings.port,
        summary.headline(),
    )
    if serves_workbench:  # the README's first step after start-up: the user should not have to look it up
        log_always(
            _logger, logging.INFO, "Workbench: http://%s:%d/__motia/workbench", settings.host, settings.port
        )
    reloader = None
    if settings.mode == "dev":
        _refresh_types(runtime)
        _refresh_diagrams(runtime)
        told = ignored_motia_config_keys(settings.project_root)
        reloader = asyncio.create_task(_reload_on_changes(runtime, dotenv, stop, told))
    _freeze_startup_objects()

    async def shutdown_trigger() -> None:
        await stop.wait()
        await runtime.shutdown_begins()

    await serve(app, settings, listener, shutdown_trigger)
    if reloader is not None:
        reloader.cancel()
    _logger.info("shutting down: finishing in-flight work")
    await runtime.stop()
    if attach is not None:
        await stop_listener(attach, runtime)
    _logger.info("stopped")
    sys.stdout.flush()
    return 0


def _freeze_startup_objects() -> None:
    """Leave what startup made (modules, configs, schemas: most of the heap, and it lives as long as
    the process) out of every later garbage collection. Each full collection otherwise walked all of
    it; with the objects a busy server keeps for a moment (buffered traces), that was one every few
    seconds, tens of milliseconds each (bench/RESULTS.md, tracing overhead)."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    _logger.debug(
        "%d startup objects left out of garbage collection (%.0f ms)",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )
