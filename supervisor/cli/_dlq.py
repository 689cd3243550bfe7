"""``motia dlq list|replay|purge``: the dead letters of a running server, over its HTTP API."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable
from typing import Any

from supervisor.cli._client import call, failed, print_json, print_table, query

PATH = "/__motia/dead-letters"


def add_commands(commands: Any, client_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``dlq`` and its sub-commands to the ``motia`` parser."""
    dlq = commands.add_parser("dlq", help="dead letters of a running server: list, replay, purge")
    client_options(dlq)  # -p / -H before the action too
    actions = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = actions.add_parser("list", help="list dead letters, oldest first")
    listing.add_argument("--limit", type=int, help="show at most this many")
    listing.add_argument("--json", action="store_true", help="print the server's JSON answer")
    replay = actions.add_parser("replay", help="queue dead letters again (attempts start over)")
    purge = actions.add_parser("purge", help="delete dead letters for good")
    for parser in (listing, replay, purge):
        parser.add_argument("--step", help="only the dead letters of this step")
        client_options(parser)
    for parser in (replay, purge):
        parser.add_argument(
            "ids", nargs="*", type=_letter_id, metavar="ID", help="dead letter ids (see `dlq list`)"
        )
        parser.add_argument("--all", action="store_true", help="every dead letter (of --step, if given)")


def _letter_id(text: str) -> int:
    """A dead letter's id: a trace id or a step name given instead is named with where ids are shown."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a dead letter id: ids are the numbers in the first column of `motia dlq list`"
        ) from None


def run(args: argparse.Namespace) -> int:
    if args.dlq_command == "list":
        return _list(args)
    if bool(args.ids) == args.all:
        print(f"motia dlq {args.dlq_command}: give dead letter ids or --all (not both)", file=sys.stderr)
        return 2
    if args.ids and args.step:
        print(f"motia dlq {args.dlq_command}: --step goes with --all, not with ids", file=sys.stderr)
        return 2
    return _apply(args)


def _list(args: argparse.Namespace) -> int:
    status, body = call(args.host, args.port, "GET", PATH + query(step=args.step, limit=args.limit))
    if status != 200:
        return failed("dlq list", body)
    if args.json:
        print_json(body)
        return 0
    letters = body["deadLetters"]
    if not letters:
        print("no dead letters")
        return 0
    rows = [("ID", "STEP", "TOPIC", "ATTEMPTS", "FAILED AT (UTC)", "ERROR")]
    for letter in letters:
        failed_at = datetime.datetime.fromtimestamp(letter["failedAt"], datetime.UTC)
        rows.append(
            (
                str(letter["id"]),
                letter["subscriber"],
                letter["topic"],
                str(letter["attempts"]),
                failed_at.strftime("%Y-%m-%d %H:%M:%S"),
                _one_line(letter["error"]),
            )
        )
    print_table(rows)
    return 0


def _apply(args: argparse.Namespace) -> int:
    """``replay`` or ``purge``: of the ids given, or of every dead letter (of ``--step``)."""
    verb = args.dlq_command
    done = "replayed" if verb == "replay" else "purged"
    if args.all:
        method, path = ("POST", f"{PATH}/replay") if verb == "replay" else ("DELETE", PATH)
        status, body = call(args.host, args.port, method, path + query(step=args.step))
        if status != 200:
            return failed(f"dlq {verb}", body)
        kept = body.get("keptSteps") or []
        unloaded = f"; kept {body['kept']} whose step is not loaded: {', '.join(kept)}" if kept else ""
        print(f"{done} {body[done]} dead letter(s){unloaded}")
        return 0
    failures = 0
    for ident in args.ids:
        one = f"{PATH}/{ident}"
        method, path = ("POST", f"{one}/replay") if verb == "replay" else ("DELETE", one)
        status, body = call(args.host, args.port, method, path)
        if status != 200:
            failures += failed(f"dlq {verb}", body)
        elif verb == "replay":
            replayed = body["replayed"]
            print(
                f"replayed dead letter {ident} as delivery {replayed['deliveryId']} "
                f"(step {replayed['step']}, topic {replayed['topic']})"
            )
        else:
            print(f"purged dead letter {ident}")
    return 1 if failures else 0


#: how a letter's error ends with its innermost cause (supervisor/protocol/_messages.py, ErrorInfo)
_CAUSE = " (caused by "


def _one_line(text: str, limit: int = 100) -> str:
    """``text`` on one line of at most ``limit`` characters: a long error is cut in its message, keeping
    the cause it ends with (a library's long message cut at the end lost what failed)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    head, marker, cause = line.rpartition(_CAUSE)
    tail = marker + cause
    if marker and len(tail) <= limit * 2 // 3:
        return head[: limit - len(tail) - 3] + "..." + tail
    return line[: limit - 3] + "..."
