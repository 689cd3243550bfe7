"""The baselines every api number is compared with, as standalone scripts: a bare quart app and a bare
ASGI callable, on the same hypercorn settings as ``motia start``."""

from __future__ import annotations

BARE_APP = """
import asyncio
import logging
import sys

import orjson
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response

app = Quart("bare")


@app.route("/hello", methods=["GET"])
async def hello():
    return Response(orjson.dumps({"ok": True}), status=200, content_type="application/json")


async def main():
    # The same hypercorn settings as supervisor/cli/_serve.py: one worker (in-process serve),
    # no access log, keep-alive 75 s.
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("bare.http")
    config.keep_alive_timeout = 75
    await serve(app, config)


asyncio.run(main())
"""

# Not a target: quart's own share of the baseline. The same hypercorn settings, a raw ASGI callable.
BARE_ASGI_APP = """
import asyncio
import logging
import sys

import orjson
from hypercorn.asyncio import serve
from hypercorn.config import Config

BODY = orjson.dumps({"ok": True})
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


async def main():
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("bare.http")
    config.keep_alive_timeout = 75
    await serve(app, config)


asyncio.run(main())
"""
