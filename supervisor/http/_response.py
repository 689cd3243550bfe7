"""HTTP responses as plain data (status, headers, body bytes), whichever server sends them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson

from supervisor.storage import MAX_WRITABLE_JSON_DEPTH

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
BINARY_TYPE = "application/octet-stream"
#: statuses whose responses have no body (RFC 9110 §15.3.5, §15.4.5): none is sent, nor a length
BODYLESS_STATUSES = frozenset({204, 304})
#: a 205 has no content either (RFC 9110 §15.3.6) but says so: Content-Length 0, as Express sends it
RESET_CONTENT = 205
#: framing is the server's business: a handler's own values would contradict the body it sends
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})
_UNWRITABLE = f"handler returned a body nested too deeply to send (limit {MAX_WRITABLE_JSON_DEPTH})"
_TOO_LARGE = "handler returned a number too large to send as JSON (past a double's 1.8e308)"
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def json(cls, status: int, body: Any, headers: Sequence[tuple[str, str]] = ()) -> HttpResponse:
        return cls(status, [("content-type", JSON_TYPE), *headers], orjson.dumps(body))

    @classmethod
    def error(
        cls, status: int, message: str, headers: Sequence[tuple[str, str]] = (), /, **fields: Any
    ) -> HttpResponse:
        """Every error the server answers itself, whoever answers it: ``{"error": <reason>,
        "message": <what went wrong>, ...fields}``."""
        return cls.json(status, {"error": error_reason(status), "message": message, **fields}, headers)

    @property
    def bodyless(self) -> bool:
        return self.status in BODYLESS_STATUSES


#: Motia's wording for a 500, and the current name of 413 (RFC 9110), where Python's differ
_REASONS = {500: "Internal server error", 413: "Payload Too Large"}


def error_reason(status: int) -> str:
    """The ``error`` of an error body: the status's reason phrase."""
    reason = _REASONS.get(status)
    if reason is None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
    return reason


class InvalidHandlerResponse(ValueError):
    """A handler returned something that is not an HTTP response; answered like a handler that threw."""


def handler_response(result_json: bytes, binary_body: bytes | None = None) -> HttpResponse:
    """A handler's ``{status, body, headers}`` (as JSON from its runner): a string body is text, bytes
    (``binary_body``, a Buffer or bytes the runner sent as is) are ``application/octet-stream``,
    anything else JSON (``null`` too, as Express's ``res.json`` writes it; no body at all is no bytes
    typed as JSON, as ``res.json(undefined)`` sends it);
    the handler's own ``content-type`` wins, with ``charset=utf-8`` on it when the body is text or JSON
    (what the bytes are, and what Express's ``res.send`` says). A list header value is sent as one
    header line per item; a 205 carries none of its body. Raises ``InvalidHandlerResponse`` saying
    what is wrong with anything else (no status included)."""
    # A response is not kept, so MAX_JSON_DEPTH does not apply; only what orjson cannot handle
    # (runners send valid JSON: a parse error is past orjson's 1,024 levels, or a number past a
    # double's range, which only a Python int can be) is refused.
    try:
        result = orjson.loads(result_json) if result_json else None
    except orjson.JSONDecodeError as error:
        too_large = error.msg.startswith("number is infinity")
        raise InvalidHandlerResponse(_TOO_LARGE if too_large else _UNWRITABLE) from None
    if not isinstance(result, dict):
        raise InvalidHandlerResponse(
            f"handler returned {_kind(result)} instead of {{status, body, headers?}}"
        )
    if "status" not in result:  # Node refuses to answer with no status: Motia's answer is a 500 too
        raise InvalidHandlerResponse("handler returned no status (expected 200-599)")
    status = result["status"]
    if isinstance(status, float) and status.is_integer():  # Python's 201.0: JSON has one number type
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise InvalidHandlerResponse(f"handler returned an invalid status {status!r} (expected 200-599)")
    headers: list[tuple[str, str]] = []
    encoded = False  # a body of text this server encoded as UTF-8
    if status in BODYLESS_STATUSES:
        data = b""
    elif binary_body is not None:
        data = binary_body
        headers.append(("content-type", BINARY_TYPE))
    elif "body" not in result:  # Express's res.json(undefined): the JSON type over no bytes
        data = b""
        headers.append(("content-type", JSON_TYPE))
    else:
        encoded = True
        body = result["body"]
        if isinstance(body, str):
            data = body.encode()
            headers.append(("content-type", TEXT_TYPE))
        else:
            try:
                data = orjson.dumps(body)
            except orjson.JSONEncodeError:  # what it parses, orjson writes, up to 254 levels
                raise InvalidHandlerResponse(_UNWRITABLE) from None
            headers.append(("content-type", JSON_TYPE))
    custom = result.get("headers")
    if isinstance(custom, dict):
        for name, value in custom.items():
            lowered = str(name).lower()
            if lowered in _FRAMING_HEADERS or value is None:
                continue
            # the handler's own content type wins, and a name given twice (in two cases) is the last
            # one, as Node's setHeader makes it
            if any(header[0] == lowered for header in headers):
                headers = [header for header in headers if header[0] != lowered]
            for item in value if isinstance(value, list) else [value]:
                text = _header_text(item)
                problem = _header_problem(lowered, text)
                if problem is not None:
                    raise InvalidHandlerResponse(f"handler returned an invalid header {name!r}: {problem}")
                if encoded and lowered == "content-type":
                    text = _in_utf8(text)
                headers.append((lowered, text))
    if status in BODYLESS_STATUSES:
        headers = [header for header in headers if header[0] != "content-type"]
    elif status == RESET_CONTENT:
        data = b""
    return HttpResponse(status, headers, data)


def _in_utf8(content_type: str) -> str:
    """``content_type`` declaring UTF-8, the encoding of the text sent: its own charset replaced."""
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if not media_type:
        return content_type
    kept = [p for p in parameters if p and p.split("=", 1)[0].strip().lower() != "charset"]
    return "; ".join([media_type, *kept, "charset=utf-8"])


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__} ({str(value)[:60]!r})"


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _header_problem(name: str, value: str) -> str | None:
    if not name or not set(name) <= _TOKEN:
        return "not a valid header name"
    if "\r" in value or "\n" in value or "\0" in value:
        return "the value contains a line break or NUL"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return "the value has characters outside ISO-8859-1 (encode it, e.g. RFC 8187)"
    return None
