"""The quart application: internal endpoints under ``/__motia`` (and ``POST /emit``), 404s and 405s.

Requests that match an api step are served by ``ApiStepFront`` in front of quart; every other path is
answered by ``register_error_answers`` as JSON: 405 for an api step's path with another method, else 404.
"""

from __future__ import annotations

import os
import socket
from typing import get_args

from quart import Quart, Response, request

from supervisor.core import new_trace_id
from supervisor.discovery import RunnerKind
from supervisor.http._asgi import MAX_BODY_BYTES, ApiStepFront
from supervisor.http._backend import Backend
from supervisor.http._dead_letters import register_dead_letters
from supervisor.http._emit import answer_emit
from supervisor.http._errors import register_error_answers
from supervisor.http._flow_layout import FlowLayout, register_flow_layout
from supervisor.http._project import register_project, stream_summary
from supervisor.http._quart import json_response, to_quart
from supervisor.http._response import HttpResponse
from supervisor.http._state import register_state
from supervisor.http._traces import register_traces
from supervisor.http._workbench import register_workbench
from supervisor.realtime import register_realtime
from supervisor.storage import RedisUnavailable


def create_app(runtime: Backend, *, workbench: bool = False, layout: FlowLayout | None = None) -> Quart:
    """``workbench``: serve the Workbench page (``/__motia/workbench``, and ``/`` when no step owns it),
    with ``layout``, the node positions the project saved (none when not given)."""
    app = Quart("motia")
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.route("/__motia/health", methods=["GET"])
    async def health() -> Response:
        report = health_report(runtime)
        if report["status"] == "ok":
            return json_response(200, report)
        # A 503 while Redis is lost: a load balancer's health check sends traffic to the others.
        return json_response(503, report, {"retry-after": "1"})

    @app.errorhandler(RedisUnavailable)
    async def storage_unavailable(exc: RedisUnavailable) -> Response:
        # /__motia endpoints that read or write storage while Redis is down: try again later
        return to_quart(HttpResponse.error(503, str(exc), [("retry-after", "1")]))

    @app.route("/__motia/runners", methods=["GET"])
    async def runners() -> Response:
        # which supervisor's runners these are: supervisors sharing a project on Redis each list
        # their own, under the same ids (node-0 on each), told apart by this
        supervisor = {"host": socket.gethostname(), "pid": os.getpid()}
        rows = [row.as_json() for row in runtime.runner_rows()]
        return json_response(200, {"supervisor": supervisor, "runners": rows})

    @app.route("/__motia/emit", methods=["POST"])
    async def emit() -> Response:
        return await _emit_from_request(runtime)

    @app.route("/__motia/cron/<path:name>/run", methods=["POST"])
    async def run_cron(name: str) -> Response:
        trace_id = new_trace_id()
        try:
            task = runtime.trigger_cron(name, trace_id)
        except KeyError:
            crons = sorted(step.name for step in runtime.registry.crons)
            return to_quart(HttpResponse.error(404, f"no cron step named {name!r}", crons=crons))
        if task is None:
            still = f"cron step {name} is still running"
            return to_quart(HttpResponse.error(409, still, status="skipped"))
        if request.args.get("wait") not in ("1", "true"):
            return json_response(202, {"status": "started", "step": name, "traceId": trace_id})
        # waited for: how the run ended, not that it started (a failed handler is a failed request)
        run = await task
        if run is None or run.error is not None:
            why = run.error if run is not None else "it could not be run (see the server's log)"
            message = f"cron step {name} failed: {why}"
            return to_quart(HttpResponse.error(500, message, status="failed", step=name, traceId=trace_id))
        return json_response(200, {"status": "finished", "step": name, "traceId": trace_id})

    @app.before_request
    async def read_the_body() -> None:
        # hypercorn closes a keep-alive connection whose response ended before the request's body
        # was received, without a `connection: close` to say so: the client's next request on it
        # then gets no answer. So every answer waits for the body, even one that never reads it.
        await request.get_data()

    @app.route("/emit", methods=["POST"])  # what `npx motia emit` posts to
    async def npx_emit() -> Response:
        return await _emit_from_request(runtime)

    register_error_answers(app, runtime, MAX_BODY_BYTES)
    register_dead_letters(app, runtime)
    register_traces(
        app,
        runtime.tracing,
        lambda: runtime.registry.steps.keys(),
        lambda: [*get_args(RunnerKind), *(row.runner_id for row in runtime.runner_rows())],
        runtime.runner_ids_to_come,
    )
    register_state(app, runtime.state)
    register_project(app, runtime)
    if workbench:
        # the page asks no trace or log of a server that records none (each refusal a console error)
        # and the files that did not load (a step missing from its flow, said nowhere on the page but
        # in the Logs panel's start-up lines), each with the fix the start-up summary prints under it
        register_workbench(
            app,
            health=lambda: {
                **health_report(runtime),
                "traces": runtime.tracing.stored,
                "problems": [
                    {"error": str(problem).split("\n", 1)[0], "fix": runtime.load_fix(problem)}
                    for problem in runtime.registry.problems
                ],
            },
        )
        register_flow_layout(app, layout or FlowLayout(None))
    register_realtime(app, runtime.realtime, lambda name: stream_summary(runtime, name))
    app.asgi_app = ApiStepFront(app.asgi_app, runtime, emit=runtime.emit)  # type: ignore[method-assign]
    return app


async def _emit_from_request(runtime: Backend) -> Response:
    # The ASGI front answers POST on these paths (``answer_emit``); through quart come only callers of
    # the quart app itself, and the other methods, which get quart's 405 naming POST.
    data = await request.get_data(as_text=False)
    return to_quart(await answer_emit(runtime.emit, data if isinstance(data, bytes) else data.encode()))


def health_report(runtime: Backend) -> dict[str, object]:
    """What ``GET /__motia/health`` answers: ``status`` ok, degraded or stopping (then ``message``
    says why), the count of steps, and each runner pool. Stopping once a shutdown began: a load
    balancer sends no more traffic, the Workbench waits for the next server rather than reopen its
    live streams here."""
    runners = {
        runner: {
            "pids": pool.pids(),
            "restarts": pool.restarts,
            "inFlight": pool.in_flight,
            "processes": [snapshot.as_json() for snapshot in pool.describe()],
            "isolated": _isolated(runtime, runner),
        }
        for runner, pool in runtime.pools.items()
    }
    unavailable = runtime.unavailable
    report: dict[str, object] = {"status": "ok" if unavailable is None else "degraded"}
    if runtime.stopping:
        report["status"] = "stopping"
        unavailable = "shutting down: finishing in-flight work"
    report["steps"] = len(runtime.registry.steps)
    if unavailable is not None:
        report["message"] = unavailable
    report["runners"] = runners
    return report


def _isolated(runtime: Backend, runner: str) -> dict[str, object]:
    """The runner that re-runs alone what was in flight when a runner died (started on demand)."""
    isolated = runtime.isolated.get(runner)
    if isolated is None:
        return {"pids": [], "restarts": 0, "processes": []}
    return {
        "pids": isolated.pids(),
        "restarts": isolated.restarts,
        "processes": [snapshot.as_json() for snapshot in isolated.describe()],
    }
