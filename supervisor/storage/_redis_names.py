"""What callers of the Redis adapters name without Redis in use: the outage error they catch (the
HTTP layer answers it with a 503) and a URL as messages show it. Apart from ``_redis`` so that a
supervisor on SQLite never imports the Redis client (a fifth of a second of its start)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


class RedisUnavailable(Exception):
    """Redis cannot be reached now (at start, or during an outage). Nothing was written, unless the
    message says the command was given up (a silent Redis may still run it when it resumes)."""


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
