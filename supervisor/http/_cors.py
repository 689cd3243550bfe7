"""Cross-origin requests, answered as Motia's server answers them, within the project's settings.

Motia 0.17 answers every ``OPTIONS`` request with 204 and ``Access-Control-Allow-Origin: *``,
``-Methods: *``, ``-Headers: *``, ``-Max-Age: 600`` (and ``-Allow-Private-Network: true``), and
sets the allow-origin header on every response. The defaults here do the same, with changes a
browser can tell apart only for the better: ``Access-Control-Allow-Headers`` repeats the headers the
preflight asks for (the Fetch standard never lets ``*`` cover ``Authorization``, and browsers that
follow it refuse it), the private-network header is sent when a preflight asks for it, and
``Access-Control-Allow-Credentials: true`` is not sent beside ``*`` (browsers refuse that pair, so
it never let a credentialed request through anyway); ``x-trace-id`` is exposed to scripts.
``motia.config.json``'s ``"cors"`` narrows it (a list of origins, credentials, methods, headers,
max age) or turns it off (``"cors": false``).

Headers are built once, as bytes, because they go on every response of the api fast path.
"""

from __future__ import annotations

from collections.abc import Iterable

from supervisor.settings import CorsSettings

Header = tuple[bytes, bytes]

ALLOW_ORIGIN = b"access-control-allow-origin"


def _request_header(headers: Iterable[Header], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class CorsPolicy:
    def __init__(self, settings: CorsSettings) -> None:
        self._any_origin = "*" in settings.origins
        self._origins = frozenset(origin.lower().encode("latin-1") for origin in settings.origins)
        self._credentials = settings.credentials
        shared: list[Header] = []
        if settings.credentials:
            shared.append((b"access-control-allow-credentials", b"true"))
        if settings.exposed_headers:
            shared.append((b"access-control-expose-headers", ", ".join(settings.exposed_headers).encode()))
        self._shared = shared
        self._any_origin_headers: list[Header] = [(ALLOW_ORIGIN, b"*"), *shared]
        self._methods = None if "*" in settings.methods else ", ".join(settings.methods).upper().encode()
        self._allowed_headers = (
            None if "*" in settings.allowed_headers else ", ".join(settings.allowed_headers).encode()
        )
        self._max_age = str(settings.max_age_s).encode()

    def response_headers(self, request_headers: Iterable[Header]) -> list[Header]:
        """What goes on an ordinary response to a request with these (ASGI) headers."""
        if self._any_origin:
            return self._any_origin_headers
        origin = _request_header(request_headers, b"origin")
        if origin is None or origin.lower() not in self._origins:
            return [(b"vary", b"origin")]
        return [(ALLOW_ORIGIN, origin), (b"vary", b"origin"), *self._shared]

    def preflight_headers(self, request_headers: Iterable[Header]) -> list[Header]:
        """What goes on the 204 answering an ``OPTIONS`` request (a preflight, usually). For an
        origin that is not allowed, no allow headers at all: the browser then refuses the request."""
        request_headers = list(request_headers)
        headers = list(self.response_headers(request_headers))
        if not any(name == ALLOW_ORIGIN for name, _ in headers):
            return headers
        method = _request_header(request_headers, b"access-control-request-method")
        if self._methods is not None:
            headers.append((b"access-control-allow-methods", self._methods))
        else:  # "*" means nothing to a browser when credentials are on: name the method asked for
            wildcard = method if self._credentials and method else b"*"
            headers.append((b"access-control-allow-methods", wildcard))
        asked = _request_header(request_headers, b"access-control-request-headers")
        if self._allowed_headers is not None:
            headers.append((b"access-control-allow-headers", self._allowed_headers))
        elif asked:
            headers.append((b"access-control-allow-headers", asked))
            headers.append((b"vary", b"access-control-request-headers"))
        else:
            headers.append((b"access-control-allow-headers", b"*"))
        headers.append((b"access-control-max-age", self._max_age))
        if _request_header(request_headers, b"access-control-request-private-network") == b"true":
            headers.append((b"access-control-allow-private-network", b"true"))
        return headers
