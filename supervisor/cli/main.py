"""Entry point of the ``motia`` command (also ``python -m supervisor``)."""

from __future__ import annotations

import argparse
import io
import json
import sys
import urllib.parse
from collections.abc import Sequence
from typing import Any

from supervisor.cli import (
    _attach,
    _build,
    _create,
    _dlq,
    _docker,
    _generate,
    _install,
    _invoke,
    _logs,
    _rules,
    _runners,
    _state,
    _traces,
    _version,
)
from supervisor.cli._client import CannotUseServer, ServerAnswered, call, failed
from supervisor.cli._inspect import add_inspect_options, inspect_settings
from supervisor.runners import InspectAddressError


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--port", type=int, default=3000, help="port to listen on (default 3000)")
    parser.add_argument(
        "-H", "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)"
    )
    parser.add_argument("-d", "--debug", action="store_true", help="debug logging (logger.debug lines too)")
    parser.add_argument("--project", default=".", help="project directory (default: the current directory)")
    parser.add_argument(
        "--motia-dir",
        metavar="PATH",
        help="where the server keeps its data (motia.db, traces.db, its lock), as Motia's --motia-dir: a "
        "volume of its own in a container, say (default: the project's .motia/)",
    )
    _attach.add_options(parser)


#: the running server a client command talks to when -p / -H are not given
_CLIENT_DEFAULTS = {"port": 3000, "host": "127.0.0.1"}


def _client_options(parser: argparse.ArgumentParser) -> None:
    """-p and -H, on a command and on a group of them (``motia state -p 3001 ls`` and ``motia state ls
    -p 3001`` alike). Not given, they are absent, so that a sub-command's default cannot overwrite its
    group's value (argparse copies a sub-parser's defaults over it); ``main`` fills them in."""
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=argparse.SUPPRESS,
        help=f"port of the running server (default {_CLIENT_DEFAULTS['port']})",
    )
    parser.add_argument("-H", "--host", default=argparse.SUPPRESS, help="host of the running server")


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    formatter = argparse.HelpFormatter(prog, width=100, max_help_position=22)
    # argparse measures commands 2 columns less indented than it prints them; without this the longest
    # name (generate-types) would push its help onto a second line.
    formatter._action_max_length = 20
    return formatter


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motia",
        description="Run Motia steps in TypeScript, JavaScript and Python.",
        formatter_class=_help_formatter,
    )
    parser.add_argument("-V", "--version", action="version", version=_version.version_line())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    dev = commands.add_parser("dev", help="development server: readable logs, errors in responses")
    _add_server_options(dev)
    dev.add_argument(
        "-m",
        "--mermaid",
        action="store_true",
        help="write a Mermaid diagram of each flow to .mermaid/<flow>.mmd, kept up to date on reload",
    )
    add_inspect_options(dev)
    _add_server_options(
        commands.add_parser("start", help="production server: JSON-lines logs; refuses broken projects")
    )
    emit = commands.add_parser("emit", help="emit an event to a running server")
    emit.add_argument("--topic", required=True)
    emit.add_argument("--message", default="{}", help="event data as JSON")
    emit.add_argument(
        "--message-group-id",
        metavar="ID",
        help="the event's messageGroupId: a topic with a FIFO subscriber needs one",
    )
    _client_options(emit)
    cron = commands.add_parser("cron", help="cron steps of a running server")
    _client_options(cron)
    cron_commands = cron.add_subparsers(dest="cron_command", required=True)
    run = cron_commands.add_parser("run", help="run a cron step now")
    run.add_argument("name")
    run.add_argument("--wait", action="store_true", help="return when the run has finished")
    _client_options(run)
    _dlq.add_commands(commands, _client_options)
    _runners.add_command(commands, _client_options)
    _logs.add_command(commands, _client_options)
    _traces.add_command(commands, _client_options)
    _state.add_command(commands, _client_options)
    _install.add_command(commands)
    _build.add_command(commands)
    _invoke.add_command(commands)
    _create.add_command(commands)
    _rules.add_command(commands)
    _generate.add_commands(commands)
    _docker.add_commands(commands)
    _version.add_command(commands)
    return parser


#: the exit status of a command whose reader went away (``motia traces | head``): a shell's for a
#: program ended by SIGPIPE, which is what the user's other commands in that pipe end with
READER_GONE = 128 + 13


def main(argv: Sequence[str] | None = None) -> int:
    _write_what_the_terminal_can()
    try:
        args = build_parser().parse_args(argv)
        for name, default in _CLIENT_DEFAULTS.items():
            if name not in args:
                setattr(args, name, default)
        try:
            return _run(args)
        finally:
            sys.stdout.flush()  # here, where a reader gone is caught, not at exit, where it is not
    except BrokenPipeError:
        return _reader_gone()
    except ServerAnswered as refused:  # motia refused: said as every command says a refusal answered
        return failed(_command_name(args), refused.body)
    except CannotUseServer as exc:
        # every command that talks to a running server ends so when it cannot: the reason, as it is
        print(exc, file=sys.stderr)
        return 1


def _reader_gone() -> int:
    """The program reading our output stopped (``| head`` has its lines): nothing is wrong, and nothing
    more can be said to it, nor by Python's flush at exit, which would print that failure on stderr."""
    from supervisor.logs import stdout_to_nowhere  # (not imported by every command's start)

    stdout_to_nowhere()
    return READER_GONE


def _command_name(args: argparse.Namespace) -> str:
    """``logs``, ``dlq list``: the command as typed, its subcommand included."""
    sub = getattr(args, f"{args.command}_command", None)
    return f"{args.command} {sub}" if isinstance(sub, str) else str(args.command)


def _write_what_the_terminal_can() -> None:
    """Characters stdout and stderr cannot encode (user data, ``…``, in an ASCII or latin-1 terminal)
    printed as ``?`` rather than crashing the command with a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # (None without a console; a test's capture may differ)
            stream.reconfigure(errors="replace")


def _run(args: argparse.Namespace) -> int:
    if "run" in args:
        return int(args.run(args))
    if args.command in ("dev", "start"):
        from supervisor.cli._serve import run_server

        try:
            inspect = inspect_settings(args) if args.command == "dev" else {}
        except InspectAddressError as exc:
            print(f"motia dev: {exc}", file=sys.stderr)
            return 2
        return run_server(
            args.command,
            args.project,
            args.host,
            args.port,
            args.debug,
            inspect,
            runner_listen=args.runner_listen,
            runner_cookie=args.runner_cookie,
            motia_dir=args.motia_dir,
            mermaid=getattr(args, "mermaid", False),
        )
    if args.command == "emit":
        try:
            data = json.loads(args.message)
        except json.JSONDecodeError as exc:
            print(f"motia emit: --message is not valid JSON: {exc}", file=sys.stderr)
            return 2
        payload = {"topic": args.topic, "data": data}
        if args.message_group_id is not None:
            payload["messageGroupId"] = args.message_group_id
        status, body = call(args.host, args.port, "POST", "/__motia/emit", payload)
        if status >= 400:
            # the server names the FIFO steps and the messageGroupId they need; the flag is the CLI's
            hint = "; give it with --message-group-id ID" if "messageGroupId" in str(body) else ""
            return failed("emit", f"{body.get('message', body) if isinstance(body, dict) else body}{hint}")
        print(json.dumps(body))
        return 0
    if args.command == "cron":
        suffix = "?wait=1" if args.wait else ""
        # a step's name is any text ("Check Overdue Cards"): unquoted, a space made the request invalid
        name = urllib.parse.quote(args.name, safe="")
        status, body = call(args.host, args.port, "POST", f"/__motia/cron/{name}/run{suffix}", {})
        if status >= 400:
            return failed("cron run", _cron_refusal(body))
        print(json.dumps(body))  # one line of JSON, as emit's: {"status", "step", "traceId"}
        return 0
    if args.command == "dlq":
        return _dlq.run(args)
    return 2


def _cron_refusal(body: Any) -> object:
    """What ``motia cron run`` says when the server refuses or the run failed: its message, the cron
    steps there are when the name is none of them, the failed run's trace to look into."""
    if not isinstance(body, dict):
        return body
    said = str(body.get("message", body))
    if isinstance(body.get("crons"), list):
        said += f"; the cron steps: {', '.join(map(str, body['crons'])) or 'none'}"
    if body.get("traceId"):
        said += f"; its trace: motia traces {body['traceId']}"
    return said


if __name__ == "__main__":
    sys.exit(main())
