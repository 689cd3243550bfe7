"""Turning an HTTP request into the ``req`` object handlers receive, field for field as Motia's
Express server builds it: ``body``, ``rawBody``, ``headers``, ``pathParams``, ``queryParams``."""

from __future__ import annotations

import codecs
from typing import Any

import orjson

from supervisor.http._qs import TooDeep, TooManyParameters, parse_urlencoded
from supervisor.storage import NestedTooDeeply, decode_checked_json

#: Node's http module keeps the first of these when a request repeats one (``req.headers``)
_FIRST_ONLY = frozenset(
    {
        "age",
        "authorization",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "from",
        "host",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "proxy-authorization",
        "referer",
        "retry-after",
        "server",
        "user-agent",
    }
)


class BadRequestBody(Exception):
    """A body that does not parse as the format it claims; ``status`` is what the client gets."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def node_headers(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Lower-case names to values as Node's ``req.headers`` has them: a repeated header is joined
    with ``", "`` (``"; "`` for ``cookie``), ``set-cookie`` is always a list, and the headers that
    cannot repeat (``content-type``, ``authorization``, ``host``...) keep their first value."""
    result: dict[str, str | list[str]] = {}
    for name, value in pairs:
        existing = result.get(name)
        if name == "set-cookie":
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[name] = [value]
        elif existing is None:
            result[name] = value
        elif name in _FIRST_ONLY:
            continue
        else:
            result[name] = f"{existing}{'; ' if name == 'cookie' else ', '}{value}"
    return result


def raw_body_text(raw: bytes, content_type: str) -> str:
    """``req.rawBody``: the bytes as received, decoded with the content type's charset (UTF-8 when it
    names none or one Python does not know), invalid sequences replaced as Node's toString does."""
    if not raw:
        return ""
    charset = _charset(content_type)
    return raw.decode(charset, errors="replace")


def parse_json_body(raw: bytes) -> Any:
    """A JSON request body; ``BadRequestBody`` when it is not JSON or nests too deeply."""
    try:
        return decode_checked_json(raw, "body")
    except NestedTooDeeply as exc:
        raise BadRequestBody(str(exc)) from None
    except orjson.JSONDecodeError as exc:
        raise BadRequestBody(f"request body is not valid JSON: {exc}") from exc


def parse_body(raw: bytes, content_type: str) -> Any:
    """``req.body``: JSON parsed, urlencoded forms as qs objects (``a[b]=1``), ``{}`` when empty, any
    other body as text (``text/plain`` included, as Motia's ``bodyParser.text`` does)."""
    if not raw:
        return {}
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return parse_json_body(raw)
    if media in ("", "application/x-www-form-urlencoded"):
        # curl -d sends JSON as x-www-form-urlencoded unless told otherwise
        if raw.lstrip()[:1] in (b"{", b"["):
            try:
                return decode_checked_json(raw, "body")
            except NestedTooDeeply as exc:
                raise BadRequestBody(str(exc)) from None
            except orjson.JSONDecodeError:
                pass
        if media:
            try:
                return parse_urlencoded(raw.decode(_charset(content_type), errors="replace"))
            except TooManyParameters as exc:
                raise BadRequestBody(str(exc), 413) from exc
            except TooDeep as exc:
                raise BadRequestBody(f"urlencoded body {exc}", 400) from exc
    return raw_body_text(raw, content_type)


def _charset(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
            try:
                return codecs.lookup(charset).name
            except LookupError:
                return "utf-8"
    return "utf-8"
