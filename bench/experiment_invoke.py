"""A/B experiment: what would candidate fixes of the supervisor's api hot path buy?

Usage: .venv/bin/python bench/experiment_invoke.py [--rounds 3] [--duration 8]

Starts the same bench project under several ``motia start`` processes that differ only by a
monkeypatch applied at start-up (supervisor/ itself is not touched), and measures them with wrk,
interleaved round by round, against the bare quart baseline:

- stock: the code as it is;
- timer: ``RunnerConnection.invoke`` waits for its result future directly, with one ``loop.call_later``
  for the timeout, instead of ``asyncio.wait_for(asyncio.shield(future), timeout)`` (which costs two
  more futures, a partial callback, and two more loop hops before the handler coroutine resumes);
- batch: ``RunnerConnection._send`` queues frames and writes them to the runner's stdin once per event
  loop iteration (``loop.call_soon``) instead of one ``os.write`` per frame;
- batch+timer+nobody: both, and also skips ``request.get_data()`` for requests that have no body (no
  content-length, no transfer-encoding), e.g. every GET.

- batch+timer+fast: batch and timer, and api-step requests served by a thin ASGI handler in front of quart
  (a prototype: see PATCHES["fast"]), to show what bypassing quart on the hot path is worth.

The table's most robust column is the server's CPU per request (psutil), since the supervisor's event loop is
saturated at 32 connections: req/s is about 1 / that.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # bench/ is not a package
    BARE_APP,
    CONNECTIONS,
    REPO,
    Server,
    free_port,
    measure_http,
    run_wrk,
    write_bench_project,
)

PATCHES = {
    "timer": """
        import asyncio
        import contextlib

        import supervisor.runners._connection as connection
        from supervisor.protocol import _messages as wire
        from supervisor.runners._errors import InvocationTimeout, RunnerDied, RunnerUnavailable


        class _Expired(Exception):
            pass


        def _expire(future):
            if not future.done():
                future.set_exception(_Expired())


        async def invoke(self, file, step_name, kind, payload_json, trace_id, topic="", timeout=None):
            if self._closed.is_set():
                raise RunnerDied(f"{self.runner_id} is not running")
            invocation_id = next(self._ids)
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            self._invocations[invocation_id] = future
            timer = None
            try:
                args = (invocation_id, file, step_name, kind, payload_json, trace_id, topic)
                frame = wire.encode_invoke(*args)
                self._send(frame)
                if timeout is not None:
                    timer = loop.call_later(timeout, _expire, future)
                try:
                    return await future
                except _Expired:
                    with contextlib.suppress(RunnerUnavailable):
                        self._send(wire.encode_cancel(invocation_id, f"timed out after {timeout:g}s"))
                    raise InvocationTimeout(f"step {step_name} did not finish within {timeout:g}s") from None
            finally:
                if timer is not None:
                    timer.cancel()
                self._invocations.pop(invocation_id, None)


        connection.RunnerConnection.invoke = invoke
    """,
    "batch": """
        import asyncio

        import supervisor.runners._connection as connection
        from supervisor.runners._errors import RunnerDied


        def _send(self, frame):
            proc = self._proc
            if proc is None or proc.stdin is None or self._closed.is_set() or proc.stdin.is_closing():
                raise RunnerDied(f"{self.runner_id} is not running")
            pending = self.__dict__.setdefault("_pending_frames", [])
            pending.append(frame)
            if len(pending) == 1:
                asyncio.get_running_loop().call_soon(_flush, self)


        def _flush(self):
            pending = self._pending_frames
            data = b"".join(pending)
            pending.clear()
            proc = self._proc
            if proc is not None and proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.write(data)


        connection.RunnerConnection._send = _send
    """,
    # A prototype, for measurement only: api-step requests go straight from hypercorn's ASGI scope to the
    # runner, bypassing quart (request/app contexts, werkzeug Request/Response, routing, signals). Error
    # handling is simplified (the real one must keep the quart path's answers); /__motia/* and every
    # request that does not match an api step still go through quart.
    "fast": """
        from urllib.parse import parse_qsl

        import orjson

        import supervisor.cli._serve as serve
        from supervisor.core import new_trace_id
        from supervisor.http._request import BadRequestBody, collapse, parse_body
        from supervisor.routing import Match
        from supervisor.protocol import TriggerKind

        _create_app = serve.create_app
        _JSON = [(b"content-type", b"application/json")]


        async def _answer(send, status, headers, data):
            headers = [*headers, (b"content-length", str(len(data)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": data})


        def create_app(runtime):
            app = _create_app(runtime)
            quart_asgi = app.asgi_app
            timeout = runtime.settings.config.api_timeout_s

            async def fast(scope, receive, send):
                if scope["type"] != "http":
                    return await quart_asgi(scope, receive, send)
                found = runtime.registry.routes.match(scope["method"], scope["path"])
                if not isinstance(found, Match) or found.target.body_validator is not None:
                    return await quart_asgi(scope, receive, send)
                step = found.target
                raw = b""
                while True:
                    message = await receive()
                    raw += message.get("body", b"")
                    if not message.get("more_body"):
                        break
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
                collapsed = collapse(headers)
                content_type = collapsed.get("content-type", "")
                try:
                    body = parse_body(raw, content_type if isinstance(content_type, str) else "")
                except BadRequestBody as exc:
                    data = orjson.dumps({"error": "Bad Request", "message": str(exc)})
                    return await _answer(send, 400, _JSON, data)
                query = scope["query_string"].decode("latin-1")
                trace_id = new_trace_id()
                payload = {
                    "body": body,
                    "headers": collapsed,
                    "pathParams": found.path_params,
                    "queryParams": collapse(parse_qsl(query, keep_blank_values=True)) if query else {},
                }
                try:
                    result = await runtime.invoke(
                        step, TriggerKind.API, orjson.dumps(payload), trace_id, timeout=timeout
                    )
                except Exception as exc:
                    data = orjson.dumps({"error": "Service Unavailable", "message": str(exc)})
                    return await _answer(send, 503, _JSON, data)
                out = orjson.loads(result.result_json) if result.ok and result.result_json else None
                if not isinstance(out, dict):
                    data = orjson.dumps({"error": "Internal Server Error", "traceId": trace_id})
                    return await _answer(send, 500, _JSON, data)
                response_body = out.get("body")
                response_headers = [(b"x-trace-id", trace_id.encode())]
                if response_body is None:
                    data = b""
                elif isinstance(response_body, str):
                    data = response_body.encode()
                    response_headers.append((b"content-type", b"text/plain; charset=utf-8"))
                else:
                    data = orjson.dumps(response_body)
                    response_headers.append((b"content-type", b"application/json"))
                for name, value in (out.get("headers") or {}).items():
                    response_headers.append((str(name).lower().encode(), str(value).encode()))
                return await _answer(send, out.get("status", 200), response_headers, data)

            app.asgi_app = fast
            return app


        serve.create_app = create_app
    """,
    "nobody": """
        import supervisor.http._app as app
        from quart import request

        _read_body = app._body


        async def _body():
            headers = request.headers
            if "content-length" not in headers and "transfer-encoding" not in headers:
                return b""
            return await _read_body()


        app._body = _body
    """,
}

VARIANTS = {
    "stock": (),
    "timer": ("timer",),
    "batch": ("batch",),
    "batch+timer+nobody": ("batch", "timer", "nobody"),
    "batch+timer+fast": ("batch", "timer", "fast"),
}


def launcher(workdir: Path, name: str, patches: tuple[str, ...]) -> Path:
    source = [f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"]
    source += [textwrap.dedent(PATCHES[patch]) for patch in patches]
    source.append("\nfrom supervisor.cli.main import main\n\nsys.exit(main(sys.argv[1:]))\n")
    path = workdir / f"motia_{name.replace('+', '_')}.py"
    path.write_text("\n".join(source), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--langs", default="js,py")
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help="comma-separated, from: " + ", ".join(VARIANTS)
    )
    args = parser.parse_args()
    langs = args.langs.split(",")
    with tempfile.TemporaryDirectory(prefix="motia-exp-") as tmp:
        workdir = Path(tmp)
        (workdir / "bare.py").write_text(BARE_APP, encoding="utf-8")
        port = free_port()
        servers = [Server.spawn("bare", [sys.executable, str(workdir / "bare.py"), str(port)], port)]
        targets: dict[str, tuple[Server, str]] = {"bare": (servers[0], "/hello")}
        for name in args.variants.split(","):
            patches = VARIANTS[name]
            project = write_bench_project(workdir / f"project-{name.replace('+', '_')}")
            port = free_port()
            argv = [sys.executable, str(launcher(workdir, name, patches)), "start", "--project", str(project)]
            server = Server.spawn(name, [*argv, "-p", str(port)], port)
            servers.append(server)
            for lang in langs:
                targets[f"{name}/{lang}"] = (server, f"/{lang}/hello")
        try:
            servers[0].wait_ready("/hello")
            for server in servers[1:]:
                server.wait_ready("/py/hello")
            for server, path in targets.values():
                measure_http(server, path, CONNECTIONS, 2.0, run_wrk)
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
            names = list(targets)
            for index in range(args.rounds):
                order = names[index % len(names) :] + names[: index % len(names)]
                for name in order:
                    server, path = targets[name]
                    result = measure_http(server, path, CONNECTIONS, args.duration, run_wrk)
                    runs[name].append(result)
                    print(
                        f"  round {index + 1} {name:<18} {result['rps']:7.0f} req/s"
                        f"  p50 {result['p50_ms']:6.2f} ms"
                        f"  server {result['server_cpu_us_per_req']:4.0f} us/req",
                        flush=True,
                    )
        finally:
            for server in servers:
                server.stop()
    print(
        f"\nmedians of {args.rounds} interleaved rounds, {CONNECTIONS} connections (ratio: per round vs bare)"
    )
    print(f"  {'variant':<18}{'req/s':>8}{'ratio':>8}{'p50 ms':>8}{'srv us/req':>12}")
    for name, results in runs.items():
        ratio = statistics.median(r["rps"] / b["rps"] for r, b in zip(results, runs["bare"], strict=True))
        print(
            f"  {name:<18}{statistics.median(r['rps'] for r in results):8.0f}{ratio * 100:7.1f}%"
            f"{statistics.median(r['p50_ms'] for r in results):8.2f}"
            f"{statistics.median(r['server_cpu_us_per_req'] for r in results):12.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
