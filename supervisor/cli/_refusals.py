"""What both HTTP servers (``cli/_uvicorn.py``, ``cli/_hypercorn.py``) answer a request their parser
refuses, in place of their own plain-text or empty answers: our JSON errors (``HttpResponse.error``),
with one limit on a request's head for both."""

from __future__ import annotations

from collections.abc import Iterable

from supervisor.http import HttpResponse

#: a request head (request line and headers) past this many bytes is answered 431, whether it comes in
#: one read or several: hypercorn's (h11's) limit for a head still incomplete, and Node's
MAX_HEAD_BYTES = 16 * 1024

_MESSAGES = {
    400: "the request is not valid HTTP/1.1",
    431: f"the request head is over {MAX_HEAD_BYTES // 1024} KiB",
    501: "the request's Transfer-Encoding is not supported (only chunked is)",
}


def refusal(status: int) -> HttpResponse:
    """The answer to a request the server's HTTP parser refused with ``status`` (400 when it says no
    more); the connection is closed after it."""
    return HttpResponse.error(status, _MESSAGES.get(status, _MESSAGES[400]))


def head_size(method: bytes, target: bytes, headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The bytes of a parsed request head as a client writes it (``METHOD target HTTP/1.1``, one
    ``name: value`` line per header, the empty line): parsers keep no count of their own, and the
    optional whitespace they drop only makes the real head longer."""
    size = len(method) + len(target) + len(b"  HTTP/1.1\r\n\r\n")
    for name, value in headers:
        size += len(name) + len(value) + len(b": \r\n")
    return size
