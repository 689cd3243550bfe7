"""uvicorn as ``motia dev`` and ``motia start`` run it (the default server; bench/RESULTS.md, issue 14).

uvicorn parses HTTP/1.1 with httptools (llhttp, Node's parser, in C) and speaks WebSocket through wsproto,
on the supervisor's uvloop: 2-3.6x hypercorn's api requests per second in A/B runs on this machine, at
2.4-3.9x less supervisor CPU per request (bench/RESULTS.md). What it does
differently from hypercorn out of the box, and what is changed here so a client sees no difference:

- llhttp knows a fixed list of methods and answers any other (``BREW``) with its own plain-text 400
  before the app sees it; HTTP says any token is a method, and we answer JSON (a 405 naming the allowed
  methods, or a 404). Such a request is handed, with its connection, to uvicorn's h11 implementation,
  which parses any token, once the answers to the requests before it on the connection are written;
  the bytes of the request are replayed to it (``_HttpToolsProtocol``).
- llhttp sets no limit on a request's head, and h11 one only on a head still incomplete after a read:
  one past 16 KiB (``MAX_HEAD_BYTES``, as hypercorn and Node), in one read or several, is answered 431
  by either; a request they cannot parse gets our JSON 400, not plain text (``cli/_refusals.py``).
- a connection reset by its client kept its keep-alive timer, and through it the connection's objects,
  until the timer fired (``keepAliveTimeoutSeconds``, 75 s); the timer now stops whenever the
  connection is lost.
- requests still running when the shutdown grace is over are cancelled, as under hypercorn, and the
  front answers them a JSON 503 (``http/_asgi.py``); uvicorn would then log an error and a traceback
  per request ("Exception in ASGI application") for a cancellation it caused itself: those records
  are dropped.
- its log records go through ``motia``'s logging (``log_config=None``), warnings and errors only; no
  access log, no ``server`` header, no X-Forwarded-* rewriting (as hypercorn: a proxy's headers reach
  the steps as sent), no WebSocket pings of its own.
- an answer whose length is known (a Content-Length, or no body: HEAD, 204, 304) leaves in one
  ``transport.write``, one send syscall and, with TCP_NODELAY, one TCP segment: uvicorn writes the status
  line and headers on ``http.response.start`` and the body on ``http.response.body``; the head is held
  until the body's first message and joined to it (``_OneWriteCycle``). A streamed answer's head (no
  length: chunked, as an event stream) still leaves at once: its client waits for it. An app that fails
  while the head is held (it raises, returns without the body, or its last part is short of the
  Content-Length) has sent nothing yet: its client gets uvicorn's 500, as for an app that fails before
  starting, where uvicorn, the head written, only closes the connection. The h11 side (a method llhttp
  does not know: our 404s and 405s) writes as uvicorn does.
- SIGINT and SIGTERM stay motia's own (``_Server.capture_signals``): the shutdown starts from
  ``shutdown_trigger``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import h11
import httptools
import uvicorn
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE, STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

from supervisor.cli._listen import BACKLOG
from supervisor.cli._refusals import MAX_HEAD_BYTES, head_size, refusal
from supervisor.http import HttpResponse
from supervisor.realtime import MAX_CLIENT_FRAME
from supervisor.settings import Settings

#: a request line that starts with a method (any token, RFC 9110), after the empty lines HTTP allows
_METHOD = re.compile(rb"(?:\r?\n)*[!#$%&'*+\-.^_`|~0-9A-Za-z]+ ")


#: header names an answer already carried, known valid (a bounded set: an app can make up names)
_VALID_NAMES: set[bytes] = set()
_MAX_VALID_NAMES = 1024


def _check_app_headers(headers: Any) -> None:
    """uvicorn's header checks, cheaper: it searched each name and each value of every answer, the
    server's own date header included (12 regex searches, ~2.5 us per trivial answer). The server's
    headers are made by uvicorn from our config, so only the app's are checked; a name seen valid
    before is not searched again; the values are searched at once, joined by a tab (allowed in a value,
    so it cannot make a valid set of values look invalid nor hide an invalid one)."""
    values = []
    for name, value in headers:
        if name not in _VALID_NAMES:
            if HEADER_RE.search(name):
                raise RuntimeError("Invalid HTTP header name.")
            if len(_VALID_NAMES) < _MAX_VALID_NAMES:
                _VALID_NAMES.add(name)
        values.append(value)
    if values and HEADER_VALUE_RE.search(b"\t".join(values)):
        raise RuntimeError("Invalid HTTP header value.")


def _reply_and_close(protocol: HttpToolsProtocol | H11Protocol, response: HttpResponse) -> None:
    """Write ``response`` (an error of ours, in JSON) on the connection and close it."""
    head = [STATUS_LINE[response.status]]
    head += [b"%s: %s\r\n" % (name, value) for name, value in protocol.server_state.default_headers]
    head += [f"{name}: {value}\r\n".encode("latin-1") for name, value in response.headers]
    head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(response.body))
    protocol.transport.write(b"".join([*head, response.body]))
    protocol.transport.close()


class _OneWriteCycle(httptools_impl.RequestResponseCycle):
    """uvicorn's httptools request-response cycle, whose ``send`` (uvicorn 0.54's, changed where marked;
    its access log left out: motia runs uvicorn without one) holds the head of an answer whose length
    is known (a Content-Length, or no body: HEAD, 204, 304) from ``http.response.start`` and writes it
    with the body's first message: one write. A streamed answer's head (chunked: no length) is written
    at once, as before; its client waits for it.

    A wrapper around uvicorn's ``send`` (a stand-in transport collecting its writes) did the same at
    ~3 µs of Python per answer, more than the send syscall it saves (~1.5-2 µs; bench/RESULTS.md)."""

    held_head = b""  # changed: the status line and headers, until the body's first message

    async def run_asgi(self, app: Any) -> None:
        """uvicorn 0.54's, but for an answer whose head is still held when the app fails (it raises, or
        returns without the body) or whose head was invalid: nothing of it has left, so the client gets
        uvicorn's clean 500, as for an app that fails before starting its answer, rather than a
        connection closed on it."""
        try:
            result = await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            self.logger.error("Exception in ASGI application\n", exc_info=exc)
            if not self.response_started or self.held_head:  # changed: or its head is held
                await self._send_500_instead()
            else:
                self.transport.close()
        else:
            if result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
                self.transport.close()
            elif not self.response_started and not self.disconnected:
                self.logger.error("ASGI callable returned without starting response.")
                await self._send_500_instead()
            elif not self.response_complete and not self.disconnected:
                self.logger.error("ASGI callable returned without completing response.")
                if self.held_head:  # changed: nothing has left, a 500 can
                    await self._send_500_instead()
                else:
                    self.transport.close()
        finally:
            self.on_response = lambda: None

    async def _send_500_instead(self) -> None:
        """uvicorn's 500, instead of what the app began of its answer, if anything: a head held, or the
        state a head refused as invalid left."""
        self.held_head = b""
        self.response_started = False
        self.chunked_encoding = None
        self.expected_content_length = 0
        await self.send_500_response()

    async def send(self, message: Any) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        if not self.response_started:
            if message["type"] != "http.response.start":
                raise RuntimeError(
                    f"Expected ASGI message 'http.response.start', but got '{message['type']}'."
                )
            self.waiting_for_100_continue = False
            status_code = message["status"]
            headers = self.default_headers + list(message.get("headers", []))
            content = [STATUS_LINE[status_code]]
            has_connection_close = False
            _check_app_headers(message.get("headers", ()))  # changed: see _check_app_headers
            for name, value in headers:
                name = name.lower()
                if name == b"content-length" and self.chunked_encoding is None:
                    self.expected_content_length = int(value.decode())
                    self.chunked_encoding = False
                elif name == b"transfer-encoding" and value.lower() == b"chunked":
                    self.expected_content_length = 0
                    self.chunked_encoding = True
                elif name == b"connection":
                    connection = [token.lower().strip() for token in value.split(b",")]
                    if b"close" in connection:
                        self.keep_alive = False
                        has_connection_close = True
                content.extend([name, b": ", value, b"\r\n"])
            if not self.keep_alive and not has_connection_close:
                content.append(b"connection: close\r\n")
            if (
                self.chunked_encoding is None
                and self.scope["method"] != "HEAD"
                and status_code not in (204, 304)
            ):
                self.chunked_encoding = True
                content.append(b"transfer-encoding: chunked\r\n")
            content.append(b"\r\n")
            # changed: started once its head is valid (an invalid header gets a 500), and uvicorn writes
            # the head here
            self.response_started = True
            if self.chunked_encoding:
                self.transport.write(b"".join(content))
            else:
                self.held_head = b"".join(content)
        elif not self.response_complete:
            if message["type"] != "http.response.body":
                raise RuntimeError(
                    f"Expected ASGI message 'http.response.body', but got '{message['type']}'."
                )
            body = message.get("body", b"")
            more_body = message.get("more_body", False)
            if self.scope["method"] == "HEAD":
                self.expected_content_length = 0
                if self.held_head:  # changed: the head, held
                    self.transport.write(self.held_head)
                    self.held_head = b""
            elif self.chunked_encoding:
                content = [b"%x\r\n" % len(body), body, b"\r\n"] if body else []
                if not more_body:
                    content.append(b"0\r\n\r\n")
                self.transport.write(b"".join(content))
            else:
                num_bytes = len(body)
                if num_bytes > self.expected_content_length:
                    raise RuntimeError("Response content longer than Content-Length")
                # changed: a last part short of the length is refused before it is written, as one too
                # long is (uvicorn writes it, then raises): a held head is not written for an answer that
                # cannot be complete, and run_asgi answers a 500 instead
                if not more_body and num_bytes < self.expected_content_length:
                    raise RuntimeError("Response content shorter than Content-Length")
                self.expected_content_length -= num_bytes
                head, self.held_head = self.held_head, b""  # changed: written with the body
                self.transport.write(head + body if head else body)
            if not more_body:
                self.response_complete = True
                self.message_event.set()
                if not self.keep_alive:
                    self.transport.close()
                self.on_response()
        else:
            raise RuntimeError(
                f"Unexpected ASGI message '{message['type']}' sent, after response already completed."
            )


def _making(cycle_class: type, method: Callable[..., None]) -> Callable[..., None]:
    """uvicorn's ``method``, its request-response cycles made of ``cycle_class``: its code, run with its
    module's names but for ``RequestResponseCycle``. (Setting a cycle's ``__class__`` once made costs
    ~1 µs per answer: CPython's attribute caches do not take an instance whose class was swapped.)"""
    code = method.__code__
    if "RequestResponseCycle" not in code.co_names or code.co_freevars:
        raise RuntimeError(f"uvicorn's {method.__qualname__} changed: review cli/_uvicorn.py")
    names = {**vars(httptools_impl), "RequestResponseCycle": cycle_class}
    return types.FunctionType(code, names, method.__name__, method.__defaults__)


_on_headers_complete = _making(_OneWriteCycle, HttpToolsProtocol.on_headers_complete)


class _HeadLimitedConnection(h11.Connection):
    """h11's server side, refusing a request head past ``MAX_HEAD_BYTES`` however it comes: h11 limits
    only a head still incomplete after a read (``max_incomplete_event_size``), not one that came
    whole. Keeps the status each refusal asks for (h11's hint: 431 for its own limit)."""

    refused = 400

    def __init__(self) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)

    def next_event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refused = exc.error_status_hint
            raise
        if (
            isinstance(event, h11.Request)
            and head_size(event.method, event.target, event.headers.raw_items()) > MAX_HEAD_BYTES
        ):
            self.refused = 431
            raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
        return event


class _H11Protocol(H11Protocol):
    """uvicorn's h11 connection, for requests whose method llhttp does not know, answering what h11
    cannot parse in JSON too, and a head past ``MAX_HEAD_BYTES`` with a 431 as the llhttp side does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = self._limited = _HeadLimitedConnection()

    def send_400_response(self, msg: str) -> None:
        """What h11 refused (uvicorn calls this for every refusal): the status h11 asked for."""
        _reply_and_close(self, refusal(self._limited.refused))


class _HeadTooLarge(Exception):
    """Raised in llhttp's callback to stop parsing a request whose head is past ``MAX_HEAD_BYTES``."""


class _MessageEnds:
    """Counts the requests llhttp completes (``_end_of_requests``)."""

    def __init__(self) -> None:
        self.count = 0

    def on_message_complete(self) -> None:
        self.count += 1


def _end_of_requests(data: bytes, count: int) -> int:
    """Where the first ``count`` requests in ``data`` end, as llhttp frames them (the framing that
    served them): it tells no offsets, so this is the shortest prefix in which a fresh parser
    completes them. Only for the rare replay of a pipelined request, at ~log2(len(data)) parses."""
    view = memoryview(data)
    low, high = 0, len(data)
    while low < high:
        middle = (low + high) // 2
        ends = _MessageEnds()
        with contextlib.suppress(httptools.HttpParserError, httptools.HttpParserUpgrade):
            httptools.HttpRequestParser(ends).feed_data(view[:middle])
        if ends.count >= count:
            high = middle
        else:
            low = middle + 1
    return low


class _HttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools connection, which hands a request with a method llhttp does not know over to
    uvicorn's h11 connection instead of answering 400, limits a request's head, answers errors in
    JSON, and stops its keep-alive timer when the connection is lost, however it is lost.

    To replay the request, the bytes of a request head are kept while it is incomplete across reads;
    a head that arrives in one read (nearly all of them) costs no copy. A request that follows others
    in the same read starts where llhttp ended them (``_end_of_requests``), and one that follows, in
    the same read, the end of a body begun in an earlier read starts where its content-length says the
    body ends; it is handed over once the answers to those are written, the bytes that come meanwhile
    kept for h11. Only a request whose start cannot be told (it follows the end of a chunked body that
    began in an earlier read: llhttp tells nothing of its framing) gets a 400. A head past
    ``MAX_HEAD_BYTES`` gets a 431, whether still incomplete after a read or complete within one; what
    llhttp cannot parse, a 400 (both JSON, as every error)."""

    # the bytes since the current request began, while its head is incomplete; b"" between requests;
    # None when they are not known (its head began after another request in the same read)
    _head: bytes | None = b""
    _in_head = False  # a request began; its head (method, path, headers) is not complete yet
    _in_body = False  # a request's head is complete, its body is not
    _begun = 0  # requests begun during the current read
    _head_size = 0  # the bytes read since the current request began, while its head is incomplete
    _read_size = 0  # the bytes of the current read
    _head_too_large = False  # the current request's head, complete in this read, is past the limit
    # the headers of the request whose body is being read, and the bytes of that body read so far
    _body_headers: list[tuple[bytes, bytes]] = []
    _body_read = 0
    # a request for h11 and what followed it, waiting for the answers before it to be written
    _replay: bytes | None = None

    def on_message_begin(self) -> None:
        self._begun += 1
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        # a head that began in an earlier read was under the limit then: only a read that could hold
        # past the limit (rare: a large body's reads) is worth counting
        earlier = self._head_size if self._begun == 0 else 0
        if earlier + self._read_size > MAX_HEAD_BYTES and self._parsed_head_size() > MAX_HEAD_BYTES:
            self._head_too_large = True
            raise _HeadTooLarge
        self._in_head = False
        self._in_body = True
        self._body_headers = self.headers
        self._body_read = 0
        _on_headers_complete(self)

    def _parsed_head_size(self) -> int:
        return head_size(self.parser.get_method(), self.url, self.headers)

    def on_body(self, body: bytes) -> None:
        self._body_read += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def _body_left(self) -> int | None:
        """The bytes of the current request's body still to come, when its content-length tells (a
        chunked body's framing llhttp does not tell)."""
        length = None
        for name, value in self._body_headers:
            if name == b"transfer-encoding":
                return None
            if name == b"content-length":
                length = int(value)  # llhttp took it: digits, and one value
        return None if length is None else length - self._body_read

    def data_received(self, data: bytes) -> None:
        if self._replay is not None:
            self._replay += data
            self.flow.pause_reading()  # h11 reads the rest, once it has the connection
            return
        self._unset_keepalive_if_required()
        # what was fed before this read, for a replay: b"" between requests, a head's bytes, or None
        # (in a body of unknown length); and the bytes at its start that end a body begun before it
        before: bytes | None = b""
        body_end = 0
        if self._in_body:
            left = self._body_left()
            before, body_end = (None, 0) if left is None else (b"", left)
        elif self._in_head:
            before = self._head
        self._begun = 0
        self._read_size = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            request = self._request_bytes(before, data, body_end)
            if request is not None and _METHOD.match(request):
                self._replay = request
                self._hand_over_when_answered()
                return
            self.send_400_response("")
            return
        except httptools.HttpParserError:
            if self._head_too_large:
                _reply_and_close(self, refusal(431))
            else:
                self.send_400_response("")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head:
            # counted from the start of this read when the head began in it: at most one read more
            self._head_size = (self._head_size if self._begun == 0 else 0) + len(data)
            if self._head_size > MAX_HEAD_BYTES:
                _reply_and_close(self, refusal(431))
                return
            self._head = self._request_bytes(before, data, body_end)

    def _request_bytes(self, before: bytes | None, data: bytes, body_end: int) -> bytes | None:
        """The bytes of the request that is being parsed, if they are known: it began in an earlier
        read (its head so far, then this read), or in this one, after the requests that ended in it
        (and the end, ``body_end`` bytes long, of a body begun in an earlier read)."""
        if before is None:
            return None
        received = before + data if before else data[body_end:]
        # the requests that began in what was received, the one being parsed last
        requests = self._begun + (1 if before else 0)
        return received[_end_of_requests(received, requests - 1) :] if requests > 1 else received

    def _previous_response_done(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._replay is not None and not self.transport.is_closing():
            self._hand_over_when_answered()

    def _hand_over_when_answered(self) -> None:
        """Hand the connection over to h11 with the request it is to replay once the requests before
        it are answered (their answers are written by this connection); till then nothing is read."""
        if self._previous_response_done() and self._replay is not None:
            request, self._replay = self._replay, None
            self._hand_over_to_h11(request)
        else:
            self.flow.pause_reading()

    def send_400_response(self, msg: str) -> None:
        """A request llhttp cannot parse: our JSON 400 rather than uvicorn's plain text, and no
        warning (uvicorn logs one): a client's bad bytes say nothing about the server, and hypercorn
        logs none either."""
        _reply_and_close(self, refusal(400))

    def _hand_over_to_h11(self, request: bytes) -> None:
        """The connection goes on under uvicorn's h11 implementation, from the start of ``request``
        (uvicorn hands an upgraded connection to its WebSocket implementation the same way)."""
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        successor = _H11Protocol(
            config=self.config, server_state=self.server_state, app_state=self.app_state, _loop=self.loop
        )
        self.connections.discard(self)
        successor.connection_made(self.transport)
        self.transport.set_protocol(successor)
        successor.data_received(request)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # uvicorn stops the timer only when the connection ended cleanly (exc None); after a reset
        # the timer would hold this connection's objects until keepAliveTimeoutSeconds
        self._unset_keepalive_if_required()


class _NothingWentWrong(logging.Filter):
    """Drops uvicorn's records that report no fault of the server's, as hypercorn logs none of them:
    the requests it cancels itself at the end of the shutdown grace (one "Cancel N running task(s)"
    error, then a traceback per request; the front answered each a 503 and logged it as a warning,
    ``http/_asgi.py``), and a client's bytes that are not HTTP (answered 400)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], asyncio.CancelledError):
            return False
        message = str(record.msg)
        return not (message.startswith("Cancel %s running task(s)") or message == _INVALID_REQUEST)


_INVALID_REQUEST = "Invalid HTTP request received."


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """motia's own handlers stay installed (``cli/_serve.py``): they set the shutdown trigger."""
        yield


def uvicorn_config(app: Any, settings: Settings) -> uvicorn.Config:
    grace = settings.config.shutdown_grace_s
    # uvicorn types these as int; they are only ever handed to timers
    keep_alive: Any = settings.config.keep_alive_timeout_s
    return uvicorn.Config(
        app,
        http=_HttpToolsProtocol,
        ws=WSProtocol,
        interface="asgi3",
        backlog=BACKLOG,
        lifespan="on",
        log_config=None,
        log_level=logging.WARNING,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=keep_alive,
        timeout_graceful_shutdown=grace,  # type: ignore[arg-type]
        # uvicorn would buffer a client's WebSocket message up to 16 MiB before our own size check runs
        ws_max_size=MAX_CLIENT_FRAME,
        ws_ping_interval=None,
        ws_ping_timeout=None,
    )


async def serve_uvicorn(
    app: Any, settings: Settings, listener: socket.socket, shutdown_trigger: Callable[[], Awaitable[Any]]
) -> None:
    """Serve ``app`` on the bound ``listener`` (closed when serving ends) until ``shutdown_trigger``
    returns, then shut down: in-flight requests get ``shutdownGraceSeconds`` to finish."""
    error_log = logging.getLogger("uvicorn.error")
    quiet = _NothingWentWrong()
    error_log.addFilter(quiet)
    server = _Server(uvicorn_config(app, settings))
    serving = asyncio.ensure_future(server.serve(sockets=[listener]))
    trigger = asyncio.ensure_future(shutdown_trigger())
    try:
        await asyncio.wait({serving, trigger}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await serving
        # the requests cancelled at the end of the grace answer their 503 as they unwind
        cancelled = set(server.server_state.tasks)
        if cancelled:
            await asyncio.wait(cancelled, timeout=1.0)
    finally:
        trigger.cancel()
        error_log.removeFilter(quiet)
