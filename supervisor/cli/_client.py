"""Talking to a running server from the command line (``motia emit``, ``cron``, ``dlq``, ``logs``,
``traces``, ``state``)."""

from __future__ import annotations

import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: ``payload`` of a request that has no body (None is JSON's null)
NO_BODY: Any = object()


#: what a command says when nothing, or something else than motia, answers on its port
_WHICH_SERVER = "is `motia dev` or `motia start` running there? Another port: -p PORT, another host: -H HOST"


class CannotUseServer(Exception):
    """The command cannot do its work with the server on its port: nothing answers there
    (``ServerUnreachable``), another HTTP server does (``NotMotia``), or motia refused the request
    (``ServerAnswered``). ``motia``'s ``main`` prints it as it is and exits 1, whatever the command;
    a refusal, as ``failed`` prints one answered to ``call`` (``motia logs: <motia's message>``)."""


class ServerUnreachable(CannotUseServer):
    """No answer: nothing listens on the port, or the connection failed or was cut off."""

    def __init__(self, host: str, port: int, reason: object) -> None:
        #: nothing listens on the port
        self.refused = isinstance(reason, ConnectionRefusedError)
        hint = f"; {_WHICH_SERVER}" if self.refused else ""
        super().__init__(f"motia: cannot reach a server on {host}:{port}: {reason}{hint}")


class NotMotia(CannotUseServer):
    """What answers on the port is some other HTTP server: its answer to our API is not what motia
    answers (JSON; an event stream for a live one)."""

    def __init__(
        self, host: str, port: int, method: str, path: str, status: int, content_type: str, expected: str
    ) -> None:
        super().__init__(
            f"motia: the server on {host}:{port} does not answer as motia does: {_asked(method, path)} "
            f"answered {status} with {content_type or 'no content type'}, not {expected}; {_WHICH_SERVER}"
        )


class ServerAnswered(CannotUseServer):
    """Motia answered a live stream with an error (``body``, its JSON answer): a request it refuses,
    which asking again would not change (tracing off, a step filter naming no step: 404), or a failure
    of its own (5xx). Its text is motia's message; ``main`` prints it with ``failed``, as a command
    prints the same refusal answered to ``call``."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(_message(body))


def _asked(method: str, path: str) -> str:
    """The request as an error names it: its method and path, without the query string."""
    return f"{method} {path.partition('?')[0]}"


def call(host: str, port: int, method: str, path: str, payload: object = NO_BODY) -> tuple[int, Any]:
    """One request with a JSON body (if any); returns the status and the decoded JSON answer. Raises
    ServerUnreachable, or NotMotia when the answer is not JSON."""
    status, content_type, raw = _request(host, port, method, path, payload)
    return status, _json(host, port, method, path, status, content_type, raw)


def query(**params: object) -> str:
    """``?a=1&b=x`` of the parameters that are not None (empty when none are)."""
    given = {name: value for name, value in params.items() if value is not None}
    return "?" + urllib.parse.urlencode(given) if given else ""


def failed(command: str, body: Any) -> int:
    """Print the server's error for ``motia COMMAND``; the exit status 1."""
    print(f"motia {command}: {_message(body)}", file=sys.stderr)
    return 1


def _message(body: Any) -> object:
    """What an error answer says: its ``message``, or the whole answer when it has none."""
    return body.get("message", body) if isinstance(body, dict) else body


def print_json(body: Any) -> None:
    """A server's answer as ``--json`` prints it: indented, non-ASCII text as it is (not escaped)."""
    print(json.dumps(body, indent=2, ensure_ascii=False))


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """``rows`` (the header first) in columns two spaces apart; the last column, which may be long, is
    not padded."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())


@dataclass(frozen=True)
class ServerEvent:
    id: str | None
    event: str
    data: str


def server_events(
    host: str,
    port: int,
    path: str,
    last_event_id: str | None = None,
    timeout: float = 60.0,
    on_retry: Callable[[int], None] | None = None,
) -> Iterator[ServerEvent]:
    """The events of a text/event-stream answer, until the server ends it; ``on_retry`` is given each
    ``retry:`` the server sends (its reconnection delay, in ms). Raises ServerUnreachable, NotMotia, or
    ServerAnswered when motia answers with an error."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"accept": "text/event-stream"}
    if last_event_id is not None:
        headers["last-event-id"] = last_event_id
    response: http.client.HTTPResponse | None = None
    try:
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            raise ServerUnreachable(host, port, exc) from None
        content_type = response.getheader("content-type", "")
        if response.status != 200:
            body = _json(host, port, "GET", path, response.status, content_type, response.read())
            raise ServerAnswered(response.status, body)
        if not content_type.startswith("text/event-stream"):
            raise NotMotia(host, port, "GET", path, response.status, content_type, "an event stream")
        ident: str | None = None
        event = "message"
        data: list[str] = []
        while True:
            try:
                raw = response.readline()
            except (OSError, http.client.HTTPException) as exc:  # cut off mid-chunk: IncompleteRead
                raise ServerUnreachable(host, port, exc) from None
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            if not line:
                if data:
                    yield ServerEvent(ident, event, "\n".join(data))
                ident, event, data = None, "message", []
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "id":
                    ident = value
                elif name == "event":
                    event = value
                elif name == "data":
                    data.append(value)
                elif name == "retry" and value.isdigit() and on_retry is not None:
                    on_retry(int(value))
    finally:
        if response is not None:  # (its socket stays open while it does, connection closed or not)
            response.close()
        connection.close()


def _json(host: str, port: int, method: str, path: str, status: int, content_type: str, raw: bytes) -> Any:
    """The decoded JSON answer to ``method path``; raises NotMotia when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        raise NotMotia(host, port, method, path, status, content_type, "JSON") from None


def _request(host: str, port: int, method: str, path: str, payload: object) -> tuple[int, str, bytes]:
    """The answer's status, content type and body."""
    request = urllib.request.Request(
        f"http://{host}:{port}{path}",
        data=None if payload is NO_BODY else json.dumps(payload).encode(),
        headers={"content-type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()
    except urllib.error.URLError as exc:
        raise ServerUnreachable(host, port, exc.reason) from None
    except (OSError, http.client.HTTPException) as exc:  # the answer cut off (urllib passes it on as is)
        raise ServerUnreachable(host, port, exc) from None
