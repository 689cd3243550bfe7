"""``motia state ls|list|get|set|delete``: a running server's state, from a terminal or a CI script."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from supervisor.cli._client import call, failed, print_json, query

PATH = "/__motia/state"


def add_command(commands: Any, client_options: Callable[[argparse.ArgumentParser], None]) -> None:
    state = commands.add_parser("state", help="state of a running server: ls, list, get, set, delete")
    client_options(state)  # -p / -H before the action too
    actions = state.add_subparsers(dest="state_command", required=True)
    listing = actions.add_parser("ls", help="the groups, or the keys and values of one group")
    listing.add_argument("group", nargs="?", help="a group id (without it: every group)")
    # Motia's own command, as its CLI docs give it (`npx motia state list`)
    whole = actions.add_parser("list", help="the whole state as JSON: every group, its keys and values")
    get = actions.add_parser("get", help="print one value as JSON")
    put = actions.add_parser("set", help="set one value")
    delete = actions.add_parser("delete", help="delete one value")
    for parser in (get, put, delete):
        parser.add_argument("group", help="the group id")
        parser.add_argument("key", help="the key")
    put.add_argument("value", help="the value, as JSON (a string needs its quotes: '\"text\"')")
    for parser in (listing, get, put, delete):
        parser.add_argument("--json", action="store_true", help="print the server's JSON answer")
    for parser in (listing, whole, get, put, delete):
        client_options(parser)
        parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    return _ACTIONS[args.state_command](args)


def _ls(args: argparse.Namespace) -> int:
    if args.group is None:
        status, body = call(args.host, args.port, "GET", PATH)
        if status != 200:
            return failed("state ls", body)
        _print(args, body, lambda: "\n".join(body["groups"]) or "no state")
        return 0
    status, body = call(args.host, args.port, "GET", f"{PATH}/items" + query(groupId=args.group))
    if status != 200:
        return failed("state ls", body)
    rows = [f"{item['key']}\t{json.dumps(item['value'], ensure_ascii=False)}" for item in body["items"]]
    _print(args, body, lambda: "\n".join(rows) or f"group {args.group!r} is empty")
    return 0


def _list(args: argparse.Namespace) -> int:
    """Motia prints its state file as JSON; here the same whole state is read from the server, one
    group at a time, as ``{group: {key: value}}``."""
    status, body = call(args.host, args.port, "GET", PATH)
    if status != 200:
        return failed("state list", body)
    whole: dict[str, dict[str, Any]] = {}
    for group in body["groups"]:
        status, items = call(args.host, args.port, "GET", f"{PATH}/items" + query(groupId=group))
        if status != 200:
            return failed("state list", items)
        whole[group] = {item["key"]: item["value"] for item in items["items"]}
    print(json.dumps(whole, indent=2, ensure_ascii=False))
    return 0


def _get(args: argparse.Namespace) -> int:
    status, body = call(args.host, args.port, "GET", f"{PATH}/item" + query(groupId=args.group, key=args.key))
    if status != 200:
        return failed("state get", body)
    _print(args, body, lambda: json.dumps(body["value"], indent=2, ensure_ascii=False))
    return 0


def _set(args: argparse.Namespace) -> int:
    try:
        value = json.loads(args.value)
    except json.JSONDecodeError as exc:
        print(
            f"motia state set: the value is not valid JSON ({exc}); a string needs quotes: '\"text\"'",
            file=sys.stderr,
        )
        return 2
    path = f"{PATH}/item" + query(groupId=args.group, key=args.key)
    status, body = call(args.host, args.port, "PUT", path, value)
    if status != 200:
        return failed("state set", body)
    _print(args, body, lambda: f"set {args.group} {args.key}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    path = f"{PATH}/item" + query(groupId=args.group, key=args.key)
    status, body = call(args.host, args.port, "DELETE", path)
    if status != 200:
        return failed("state delete", body)
    _print(args, body, lambda: f"deleted {args.group} {args.key}")
    return 0


def _print(args: argparse.Namespace, body: Any, text: Callable[[], str]) -> None:
    if args.json:
        print_json(body)
    else:
        print(text())


_ACTIONS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ls": _ls,
    "list": _list,
    "get": _get,
    "set": _set,
    "delete": _delete,
}
