"""``motia invoke STEP``: run one handler once, alone, and print what it did.

No HTTP server, queue or cron: the project is loaded into fresh runners, the handler runs with the
input given (``--input`` for an event step's data or an api step's body, ``--request`` for a whole
api request), and every log line, emit, state and stream operation is printed as it happens, then
the result. Emits are not delivered; state lives in memory, seeded from ``--state-from``. The exit
status is 0 when the handler returned (an api step: with a status below 400), 1 when it failed, 2
when it could not run as asked. With ``--inspect-node``/``--inspect-python`` (and ``--inspect-wait``)
the runner is debugged as under ``motia dev``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from supervisor.cli._inspect import add_inspect_options, inspect_settings
from supervisor.cli._project import prepare_project
from supervisor.config import ApiStepConfig
from supervisor.core import Operation, SingleRun, SingleRunError, run_once
from supervisor.http import InvalidHandlerResponse, handler_response
from supervisor.logs import configure_logging, log_event, log_level
from supervisor.runners import InspectAddressError
from supervisor.settings import Settings

_logger = logging.getLogger("motia.invoke")


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invoke = commands.add_parser(
        "invoke",
        help="run one step's handler once, alone, and print what it did",
        description="Load the project, run STEP's handler once in a fresh runner, and print its log "
        "lines, emits (not delivered), state and stream operations and its result. No server starts. "
        "Exit status: 0 when the handler succeeded, 1 when it failed, 2 when it could not run.",
    )
    invoke.add_argument("step", metavar="STEP", help="the step's name (its config's name)")
    given = invoke.add_mutually_exclusive_group()
    given.add_argument("--input", metavar="JSON", help="an event step's data, or an api step's body")
    given.add_argument(
        "--request",
        metavar="JSON",
        help='an api step\'s request: {"body", "headers", "pathParams", "queryParams"} (each optional)',
    )
    invoke.add_argument(
        "--state-from", metavar="FILE", help='state to start from, a JSON file: {"group": {"key": value}}'
    )
    invoke.add_argument("--project", default=".", help="project directory (default: the current directory)")
    invoke.add_argument("-d", "--debug", action="store_true", help="logger.debug lines too")
    add_inspect_options(invoke)
    invoke.set_defaults(run=_run)


def _json_option(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise SingleRunError(f"{option} is not valid JSON: {exc}") from None


def _state(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        state = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise SingleRunError(f"--state-from: cannot read {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise SingleRunError(f"--state-from: {path} is not valid JSON: {exc}") from None
    if not isinstance(state, dict):
        raise SingleRunError(f'--state-from: {path} must hold an object: {{"group": {{"key": value}}}}')
    return state


def _show(operation: Operation) -> None:
    args = ", ".join(json.dumps(arg, ensure_ascii=False) for arg in operation.args)
    line = f"{operation.method}({args})"
    if operation.error is not None:
        line += f" failed: {operation.error}"
    elif operation.method == "emit":
        line += " (not delivered: motia invoke)"
    elif operation.method.endswith(("get", "getGroup", "delete")):  # a set echoes what it was given
        line += f" -> {json.dumps(operation.result, ensure_ascii=False)}"
    log_event(_logger, "info", line, step=operation.step or None, trace_id=operation.trace_id or None)


def _run(args: argparse.Namespace) -> int:
    level = log_level(args.debug, os.environ.get("LOG_LEVEL"))
    configure_logging("pretty", level=level)
    try:
        inspect = inspect_settings(args)
    except InspectAddressError as exc:
        print(f"motia invoke: {exc}", file=sys.stderr)
        return 2
    root = Path(args.project).resolve()
    config = prepare_project(root)
    if config is None:
        return 2
    settings = Settings(project_root=root, mode="dev", config=config, log_level=level, inspect=inspect)
    try:
        request = _json_option(args.request, "--request")
        if request is not None and not isinstance(request, dict):
            raise SingleRunError("--request must be a JSON object")
        run = asyncio.run(
            run_once(
                settings,
                args.step,
                _json_option(args.input, "--input"),
                request,
                _state(args.state_from),
                _show,
            )
        )
    except SingleRunError as exc:
        print(f"motia invoke: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    if not run.result.ok:
        error = run.result.error
        print(f"failed: {error}" if error else "failed")
        if error is not None and error.stack:
            print(error.stack)
        return 1
    print("result: " + json.dumps(run.response, ensure_ascii=False, indent=2))
    refused = _answer_failure(run) if isinstance(run.step.config, ApiStepConfig) else None
    if refused is not None:
        print(f"failed: {refused}")
        return 1
    return 0


def _answer_failure(run: SingleRun) -> str | None:
    """Why an api step's answer is a failure, judged as the server judges it (``handler_response``):
    what the server would answer 500 for, or the 4xx/5xx status the handler chose; None for a success."""
    try:
        response = handler_response(run.result.result_json, run.result.body)
    except InvalidHandlerResponse as exc:
        return f"the server would answer 500: {exc}"
    return f"answered {response.status}" if response.status >= 400 else None
