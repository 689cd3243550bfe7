"""Turning an HTTP request into the ``req`` object handlers receive."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson


class BadRequestBody(Exception):
    """The body claims a format (JSON) that it does not parse as."""


def collapse(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """A value per name: a string, or a list when the name repeats."""
    result: dict[str, str | list[str]] = {}
    for name, value in pairs:
        existing = result.get(name)
        if existing is None:
            result[name] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            result[name] = [existing, value]
    return result


def parse_body(raw: bytes, content_type: str) -> Any:
    """JSON bodies parsed; urlencoded forms as objects; anything else as text."""
    if not raw:
        return {}
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequestBody(f"request body is not valid JSON: {exc}") from exc
    stripped = raw.lstrip()
    # curl -d sends JSON as x-www-form-urlencoded unless told otherwise
    if media in ("", "application/x-www-form-urlencoded", "text/plain") and stripped[:1] in (b"{", b"["):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            if media != "application/x-www-form-urlencoded":
                return raw.decode("utf-8", errors="replace")
    if media == "application/x-www-form-urlencoded":
        return collapse(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    return raw.decode("utf-8", errors="replace")
