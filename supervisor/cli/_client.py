"""Talking to a running server from the command line (``motia emit``, ``cron``, ``dlq``)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any


class ServerUnreachable(Exception):
    def __init__(self, host: str, port: int, reason: object) -> None:
        super().__init__(f"motia: cannot reach a server on {host}:{port}: {reason}")


def call(host: str, port: int, method: str, path: str, payload: object = None) -> tuple[int, Any]:
    """One request with a JSON body (if any); returns the status and the decoded JSON answer."""
    status, raw = _request(host, port, method, path, payload)
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def post_and_print(host: str, port: int, path: str, payload: object) -> int:
    """POST, print the answer as it came (to stderr if it is an error); exit status 0 or 1."""
    try:
        status, raw = _request(host, port, "POST", path, payload)
    except ServerUnreachable as exc:
        print(exc, file=sys.stderr)
        return 1
    print(raw.decode(errors="replace"), file=sys.stdout if status < 400 else sys.stderr)
    return 0 if status < 400 else 1


def _request(host: str, port: int, method: str, path: str, payload: object) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://{host}:{port}{path}",
        data=None if payload is None else json.dumps(payload).encode(),
        headers={"content-type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except urllib.error.URLError as exc:
        raise ServerUnreachable(host, port, exc.reason) from None
