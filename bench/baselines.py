"""The baselines every api number is compared with, as standalone scripts written into a work folder:
a bare quart app on the same hypercorn settings as ``motia start``'s hypercorn, and one bare ASGI
callable served by each server we could ship: hypercorn and uvicorn (motia's default) and granian.

The bare ASGI callable answers any request with ``{"ok": true}`` (reading a request body first when
there is one), so it also serves as the machine's own HTTP hop in bench/machine_hops.py.
"""

from __future__ import annotations

from pathlib import Path

BARE_APP = """
import orjson
from quart import Quart, Response

app = Quart("bare")


@app.route("/hello", methods=["GET"])
async def hello():
    return Response(orjson.dumps({"ok": True}), status=200, content_type="application/json")
"""

# Not a target: the server's own share. The same answer from a raw ASGI callable, no framework.
ASGI_APP = """
BODY = b'{"ok":true}'
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
    if scope["method"] != "GET":  # read the body (the pet pattern's POST) before answering
        while (await receive()).get("more_body"):
            pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
"""

# The same hypercorn settings as supervisor/cli/_hypercorn.py: one worker (in-process serve), no access log,
# keep-alive 75 s. The app comes from the module named by MODULE.
ON_HYPERCORN = """
import asyncio
import logging
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config

from MODULE import app


async def main():
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1]}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("bare.http")
    config.keep_alive_timeout = 75
    await serve(app, config)


asyncio.run(main())
"""

# As FastAPI's in bench/competitors.py, and as motia's default (supervisor/cli/_uvicorn.py): uvloop,
# httptools, one worker, no access log.
ASGI_ON_UVICORN = """
import sys

import uvicorn

from asgi_app import app

uvicorn.run(
    app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
    access_log=False, log_level="warning", timeout_keep_alive=75,
)
"""

#: name -> what serves the bare ASGI callable; "hypercorn" runs on the project's interpreter, the others
#: on the bench-only environment's (bench/competitors.py), where uvicorn[standard] and granian are.
ASGI_SERVERS = ("hypercorn", "uvicorn", "granian")


def write_baselines(workdir: Path) -> None:
    """``bare.py PORT`` (quart on hypercorn) and the ASGI callable's scripts, for :func:`asgi_argv`."""
    (workdir / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    (workdir / "bare.py").write_text(ON_HYPERCORN.replace("MODULE", "bare_app"), encoding="utf-8")
    (workdir / "asgi_app.py").write_text(ASGI_APP, encoding="utf-8")
    (workdir / "asgi_hypercorn.py").write_text(ON_HYPERCORN.replace("MODULE", "asgi_app"), encoding="utf-8")
    (workdir / "asgi_uvicorn.py").write_text(ASGI_ON_UVICORN, encoding="utf-8")


def asgi_argv(server: str, workdir: Path, port: int, project_python: str, bench_python: str) -> list[str]:
    """The command serving the bare ASGI callable on ``server``; run it with ``cwd=workdir``."""
    if server == "hypercorn":
        return [project_python, str(workdir / "asgi_hypercorn.py"), str(port)]
    if server == "uvicorn":
        return [bench_python, str(workdir / "asgi_uvicorn.py"), str(port)]
    if server == "granian":
        # One worker, one runtime thread, on uvloop, HTTP/1.1 only: the closest to uvicorn's shape.
        granian = str(Path(bench_python).parent / "granian")
        return [
            granian, "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--runtime-threads", "1", "--loop", "uvloop", "--http", "1", "--no-ws",
            "--log-level", "warning", "asgi_app:app",
        ]  # fmt: skip
    raise ValueError(f"unknown ASGI server {server!r}")
