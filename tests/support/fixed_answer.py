"""An HTTP server on loopback that gives every request the same answer: another program on the port a
command is pointed at, or motia refusing the request."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NGINX_PAGE = b"<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"


@contextlib.contextmanager
def answering(status: int, content_type: str, body: bytes) -> Iterator[int]:
    """Its port, while it serves."""

    class Fixed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = do_DELETE = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Fixed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
