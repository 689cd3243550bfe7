"""The Workbench page, served by ``motia dev`` at ``/__motia/workbench`` (and ``/``), driven in Debian's
Chromium on the running pet app: every panel opens without a console error, a pet created from the
Endpoints panel shows its trace through TypeScript, JavaScript and Python steps (the app's own: the
shelter's Python intake and JavaScript board take in the TS pet) and its stream updates, logs filter
by trace,
a state value is edited and a dead letter replayed; a request each panel makes, failed on purpose,
shows its error where the user acted, and a refresh leaves what the user points at in place.
Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import json
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from supervisor.cli._runners import _duration as runners_uptime
from supervisor.cli._traces import _duration as trace_duration
from supervisor.cli._traces import _offset as trace_offset
from supervisor.cli._traces import _operation as trace_operation
from supervisor.tracing import Batch, Span, SqliteTraceStore, TraceDelta
from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.redis_server import RedisServer, redis_server_binary
from tests.support.server import REPO_ROOT, MotiaServer, eventually
from tests.test_pet_app import make_project
from tests.test_trace_store_contract import log_line

pytestmark = pytest.mark.e2e

#: a full store: as many traces as the default retention keeps (tracing.maxTraces)
MANY_TRACES = 10_000

ARTIFACTS = REPO_ROOT / "test-artifacts"
#: test-only steps: a flow of their own drawing a conditional emit, a virtual edge and a noop step
#: (nothing emits its first topic: the pet app's traces are the app's own), an endpoint with a query
#: parameter and a response schema, the Streams panel a second stream and
#: groups updated on request (POST or DELETE an item, ?group=,
#: workbench-live by default, ?stream=, petCreation by default), and the Dead letters panel a letter
#: that goes through once a state switch is set
EXTRA_STEPS = {
    "steps/javascript/workbench-echo.step.js": """
        exports.config = {
          type: 'event', name: 'WorkbenchEcho', subscribes: ['workbench.echo'],
          emits: [{ topic: 'workbench.echoed', label: 'echo to Python', conditional: true }],
          flows: ['Workbench'],
        }
        exports.handler = async (input, { emit, logger, state, traceId }) => {
          logger.info('echoing in JS', { petId: input.petId })
          await state.set('workbench', `echo-${traceId}`, { petId: input.petId })
          await emit({ topic: 'workbench.echoed', data: { petId: input.petId } })
        }
    """,
    "steps/python/workbench_echo_step.py": """
        config = {
            "type": "event", "name": "WorkbenchPyEcho", "subscribes": ["workbench.echoed"], "emits": [],
            "flows": ["Workbench"], "virtualEmits": [{"topic": "workbench.audited", "label": "audit"}],
        }

        async def handler(input, ctx):
            ctx.logger.info("echoed in Python", {"petId": input.get("petId")})
    """,
    "steps/typescript/workbench-audit.step.ts": """
        export const config = {
          type: 'noop', name: 'WorkbenchAudit', virtualSubscribes: ['workbench.audited'], virtualEmits: [],
          flows: ['Workbench'],
        }
    """,
    "steps/javascript/workbench-live.step.js": """
        exports.config = { type: 'api', name: 'WorkbenchLive', path: '/workbench/live/:item', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          const group = req.queryParams.group || 'workbench-live'
          await streams[req.queryParams.stream || 'petCreation'].set(group, req.pathParams.item, { message: 'live' })
          return { status: 200, body: {} }
        }
    """,
    "steps/javascript/workbench-unlive.step.js": """
        exports.config = { type: 'api', name: 'WorkbenchUnlive', path: '/workbench/live/:item', method: 'DELETE', emits: [] }
        exports.handler = async (req, { streams }) => {
          const group = req.queryParams.group || 'workbench-live'
          await streams[req.queryParams.stream || 'petCreation'].delete(group, req.pathParams.item)
          return { status: 204 }
        }
    """,
    "steps/javascript/workbench-query.step.js": """
        const { z } = require('zod')
        exports.config = {
          type: 'api', name: 'WorkbenchQuery', path: '/workbench/query/:kind', method: 'GET', emits: [],
          queryParams: [{ name: 'limit', description: 'how many to list' }],
          responseSchema: { 200: z.object({ kind: z.string(), limit: z.string() }) },
        }
        exports.handler = async (req) => ({ status: 200, body: { kind: req.pathParams.kind, limit: req.queryParams.limit } })
    """,
    "steps/javascript/workbench-board.stream.js": """
        const { z } = require('zod')
        exports.config = { name: 'workbenchBoard', schema: z.looseObject({ message: z.string() }), baseConfig: { storageType: 'default' } }
    """,
    # a request whose trace writes to a stream only when its dead letter is replayed (once the
    # state switch workbench/later is set), long after the trace stopped running
    "steps/javascript/workbench-later.step.js": """
        exports.config = { type: 'api', name: 'WorkbenchLater', path: '/workbench/later', method: 'POST', emits: ['workbench.later'] }
        exports.handler = async (req, { emit }) => {
          await emit({ topic: 'workbench.later', data: {} })
          return { status: 202, body: {} }
        }
    """,
    "steps/javascript/workbench-later-write.step.js": """
        exports.config = {
          type: 'event', name: 'WorkbenchLaterWrite', subscribes: ['workbench.later'], emits: [],
          infrastructure: { queue: { maxRetries: 0 } },
        }
        exports.handler = async (input, { state, streams, traceId }) => {
          if ((await state.get('workbench', 'later')) !== true) throw new Error('the switch is not set')
          await streams.petCreation.set(`later-${traceId}`, 'late', { message: 'late' })
        }
    """,
    # a request whose trace runs for seconds writing nothing (its event step waits), then writes a
    # stream item and emits to a step that runs only then (a flow of their own)
    "steps/javascript/workbench-slow.step.js": """
        exports.config = {
          type: 'api', name: 'WorkbenchSlow', path: '/workbench/slow', method: 'POST', emits: ['workbench.slow'],
          flows: ['WorkbenchSlow'],
        }
        exports.handler = async (req, { emit }) => {
          await emit({ topic: 'workbench.slow', data: {} })
          return { status: 202, body: {} }
        }
    """,
    "steps/javascript/workbench-slow-write.step.js": """
        exports.config = {
          type: 'event', name: 'WorkbenchSlowWrite', subscribes: ['workbench.slow'], emits: ['workbench.slow.done'],
          flows: ['WorkbenchSlow'],
        }
        exports.handler = async (input, { emit, streams, traceId }) => {
          await new Promise((resolve) => setTimeout(resolve, 3500))
          await streams.petCreation.set(`slow-${traceId}`, 'slow', { message: 'slow' })
          await emit({ topic: 'workbench.slow.done', data: {} })
        }
    """,
    "steps/javascript/workbench-slow-done.step.js": """
        exports.config = {
          type: 'event', name: 'WorkbenchSlowDone', subscribes: ['workbench.slow.done'], emits: [],
          flows: ['WorkbenchSlow'],
        }
        exports.handler = async (input, { logger }) => {
          logger.info('the slow write is done')
        }
    """,
    "steps/javascript/workbench-doomed.step.js": """
        exports.config = {
          type: 'event', name: 'WorkbenchDoomed', subscribes: ['workbench.doomed'], emits: [],
          flows: ['Workbench'], infrastructure: { queue: { maxRetries: 0 } },
        }
        exports.handler = async (input, { state }) => {
          const fixed = await state.get('workbench', 'fixed')
          if (fixed !== true) throw new Error('the switch is not set', { cause: new Error(`fixed is ${fixed}`) })
          await state.set('workbench', 'replayed', input)
        }
    """,
}


def _drive(
    server: MotiaServer, chromium: str, client_packages: Path, driver: str, *args: str
) -> dict[str, Any]:
    """What ``driver`` (tests/clients/workbench-*driver.mjs) saw in Chromium on ``server``'s Workbench,
    given ``args`` after the browser, the server's URL and the screenshots' folder: the JSON of its
    RESULT line, once it has run to the end without a failure."""
    ARTIFACTS.mkdir(exist_ok=True)
    seen: dict[str, Any] = run_driver(client_packages, driver, chromium, server.url, str(ARTIFACTS), *args)
    assert "failure" not in seen, seen["failure"] + "\n" + server.output[-4000:]
    return seen


def _signalled(path: Path, driven: concurrent.futures.Future[Any]) -> None:
    """Once the driver ``driven`` has written ``path`` (its failure raised if it stopped first)."""
    eventually(lambda: path.exists() or driven.done(), timeout=120)
    if driven.done():
        driven.result()
        raise AssertionError(f"the driver ended before {path.name}")


class _Restarts:
    """A Workbench driver at work on a ``motia dev`` server that the test stops and starts again on its
    port (see ``_driven_through_restarts``)."""

    def __init__(self, project: Path, signals: Path, server: MotiaServer) -> None:
        self.project = project
        self.signals = signals
        self.server = server
        self.driven: concurrent.futures.Future[dict[str, Any]] | None = None
        self.seen: dict[str, Any] = {}

    def signalled(self, name: str) -> None:
        """Once the driver has said ``name`` (a file in the signals folder)."""
        assert self.driven is not None
        _signalled(self.signals / name, self.driven)

    def restart(
        self,
        name: str,
        while_down: Callable[[], object] = lambda: None,
        once_back: Callable[[MotiaServer], object] = lambda server: None,
    ) -> None:
        """The test's side of workbench-page.mjs's ``serverRestarted``: the server stopped once the
        driver says ``name``-open (and the driver told ``name``-stopped), started again on its port
        once it says ``name``-watched (``while_down`` done first), ``once_back`` done on it, and the
        driver told ``name``-back."""
        self.signalled(f"{name}-open")
        self.server.stop()
        (self.signals / f"{name}-stopped").touch()
        self.signalled(f"{name}-watched")
        while_down()
        self.server = MotiaServer(self.project, mode="dev", port=self.server.port).wait_ready()
        once_back(self.server)
        (self.signals / f"{name}-back").touch()


@contextlib.contextmanager
def _driven_through_restarts(
    project: Path,
    signals: Path,
    chromium: str,
    client_packages: Path,
    driver: str,
    before: Callable[[MotiaServer], object] = lambda server: None,
) -> Iterator[_Restarts]:
    """``driver`` in Chromium on ``motia dev`` serving ``project`` (``before`` done on the server
    first), given the folder ``signals`` (made here) to tell the test when to stop and start the
    server: the block restarts it (``_Restarts.restart``) and, on its end, the driver's RESULT is
    in ``seen``; the server is stopped in any case."""
    signals.mkdir()
    run = _Restarts(project, signals, MotiaServer(project, mode="dev").wait_ready())
    try:
        before(run.server)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            run.driven = pool.submit(_drive, run.server, chromium, client_packages, driver, str(signals))
            yield run
            run.seen = run.driven.result()
    finally:
        run.server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = write_project(make_project(tmp_path_factory.mktemp("workbench")), EXTRA_STEPS)
    env = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": "", "OPENAI_MODEL": ""}  # the agents' fallback rules
    with MotiaServer(project, mode="dev", env=env) as running:
        yield running


def test_the_page_and_its_assets_are_served_by_the_package(server: MotiaServer) -> None:
    page = server.client.get("/__motia/workbench")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" in page.text and "http" not in page.text.replace("http-equiv", "")  # no CDN
    assert server.client.get("/").text == page.text  # no step owns GET /
    script = server.client.get("/__motia/workbench/assets/workbench.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert server.client.get("/__motia/workbench/assets/workbench.css").status_code == 200
    assert server.client.get("/__motia/workbench/assets/..%2Fsettings.py").status_code == 404


def test_motia_start_serves_it_only_when_asked(tmp_path: Path) -> None:
    project = write_project(
        tmp_path, {"steps/hello.step.js": EXTRA_STEPS["steps/javascript/workbench-echo.step.js"]}
    )
    with MotiaServer(project, mode="start") as server:
        assert server.client.get("/__motia/workbench").status_code == 404
        assert "/__motia/workbench" not in server.output
    with MotiaServer(project, mode="start", env={"MOTIA_WORKBENCH": "true"}) as server:
        assert server.client.get("/__motia/workbench").status_code == 200
        assert f"Workbench: http://127.0.0.1:{server.port}/__motia/workbench" in server.output


def test_motia_dev_says_where_the_workbench_is_as_it_starts(server: MotiaServer) -> None:
    lines = server.output.splitlines()
    ready = next(i for i, line in enumerate(lines) if "motia dev ready on http" in line)
    assert lines[ready + 1].endswith(f"INFO  Workbench: http://127.0.0.1:{server.port}/__motia/workbench")


def test_every_panel_works_in_chromium_on_the_pet_app(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    doomed = server.client.post("/__motia/emit", json={"topic": "workbench.doomed", "data": {"n": 1}})
    assert doomed.status_code == 200
    eventually(lambda: server.client.get("/__motia/dead-letters").json()["deadLetters"])
    server.client.put("/__motia/state/item", params={"groupId": "workbench", "key": "fixed"}, json=False)
    seen = _drive(server, chromium, client_packages, "workbench-driver.mjs")
    panels = seen["panels"]

    # Flows: every flow drawn, nodes apart, api/event/cron/noop told apart, virtual edges dashed
    flows = panels["flows"]
    assert {"TsPetManagement", "JsPetManagement", "PyPetManagement", "PetShelter", "Workbench"} <= set(flows)
    registry_flows = {flow["id"]: flow for flow in server.client.get("/__motia/flows").json()["flows"]}
    for flow_id, drawn in flows.items():
        assert len(drawn["nodes"]) == len(registry_flows[flow_id]["steps"]), flow_id
        assert drawn["edges"] == len(registry_flows[flow_id]["edges"]), flow_id
        assert drawn["overlaps"] == 0, flow_id
    # readable: no two edges cross, no edge runs across a step it does not connect, and the entry
    # points sit beside what they feed rather than in one wide row
    layout = {
        flow_id: (drawn["crossings"], drawn["edgesOverNodes"], drawn["widestRow"] <= 5)
        for flow_id, drawn in flows.items()
    }
    assert layout == dict.fromkeys(flows, (0, 0, True))
    # the shelter's flow: where the languages meet, every desk's CreatePet feeding the Python intake,
    # which feeds the JavaScript board
    shelter = registry_flows["PetShelter"]
    assert {step["name"]: step["language"] for step in shelter["steps"]} == {
        "TsCreatePet": "typescript",
        "JsCreatePet": "javascript",
        "PyCreatePet": "python",
        "ShelterIntake": "python",
        "ShelterBoard": "javascript",
    }
    assert sorted((edge["source"], edge["target"]) for edge in shelter["edges"]) == [
        ("JsCreatePet", "ShelterIntake"),
        ("PyCreatePet", "ShelterIntake"),
        ("ShelterIntake", "ShelterBoard"),
        ("TsCreatePet", "ShelterIntake"),
    ]
    assert flows["PetShelter"]["edges"] == 4
    ts_types = {node["type"] for node in flows["TsPetManagement"]["nodes"]}
    assert {"type-api", "type-event", "type-cron"} <= ts_types
    assert {node["type"] for node in flows["Workbench"]["nodes"]} == {"type-event", "type-noop"}
    assert flows["Workbench"]["virtualEdges"] == 1
    # a conditional emit is drawn as configured: its label, marked conditional
    assert [edge["label"] for edge in flows["Workbench"]["conditionalEdges"]] == ["echo to Python?"]
    assert all(not drawn["conditionalEdges"] for flow_id, drawn in flows.items() if flow_id != "Workbench")
    assert "steps/typescript/create-pet.step.ts" in panels["flowDetail"]
    steps_by_name = {step["name"]: step for step in server.client.get("/__motia/steps").json()["steps"]}
    assert panels["flowSchemas"] == {
        "TsCreatePet": {"bodySchema": steps_by_name["TsCreatePet"]["bodySchema"]},
        "TsAiProfileEnrichment": {"input": steps_by_name["TsAiProfileEnrichment"]["input"]},
    }

    # Endpoints: the form was prefilled from the schema; the pet was created; its stream updates came
    endpoints = panels["endpoints"]
    assert endpoints["count"] == sum(
        1 for s in server.client.get("/__motia/steps").json()["steps"] if s["type"] == "api"
    )
    assert endpoints["cutOff"] == []  # every route's method, path and name readable whole
    assert set(json.loads(endpoints["prefilled"])) >= {"name", "species"}
    assert endpoints["status"] == "201"
    created = json.loads(endpoints["body"])
    assert created["pet"]["name"] == "Luna"  # the app answers with its stream item (and its __motia marker)
    assert created["__motia"]["streamName"] == "petCreation"
    # the items the request's steps wrote: there when the page subscribed (written) or as they come,
    # depending on how fast the workflow runs against the page following its trace
    assert endpoints["streamEvents"] and set(endpoints["streamEvents"]) <= {
        "written",
        "create",
        "update",
        "delete",
        "event",
    }
    _assert_the_streams_the_trace_wrote_are_followed(server, seen["traceId"], endpoints)
    assert endpoints["tallestBadge"] < 30  # one line of badge (px), however long the message beside it
    # an answer that points at no stream item, whose trace wrote to no stream: nothing followed
    assert endpoints["quietUpdates"] == []
    assert endpoints["quietRooms"] == "0"
    assert endpoints["quietFollowing"] == "This request wrote to no stream."
    # an item the request deleted before the page subscribed to its group: a line at the delete's time
    deleted = endpoints["deleted"]
    [delete] = [
        event
        for event in server.client.get(f"/__motia/traces/{deleted['traceId']}").json()["events"]
        if event["name"] == "streams.delete"
    ]
    assert deleted["lines"] == [
        {"kind": "deleted", "group": "wb-deleted", "id": "wb-gone", "at": _done_at(delete)}
    ]
    # a group the request's trace wrote to long after it stopped running (its dead letter replayed):
    # followed then, its item shown as written by it
    later = endpoints["later"]
    assert later["followed"] == f"petCreation/later-{later['traceId']} (written by this request)", later
    assert later["lines"] == [{"kind": "written", "id": "late"}], later
    # a declared query parameter: named with its description, sent with the path parameter; the
    # response schema shown, per status
    assert endpoints["query"]["label"] == "limit · how many to list"
    assert endpoints["query"]["status"] == "200"
    assert json.loads(endpoints["query"]["body"]) == {"kind": "cats", "limit": "5"}
    assert endpoints["query"]["schemas"] == ["Response schema"]
    assert "200" in json.loads(endpoints["query"]["responseSchema"])

    # Traces: the app's own trace through all three languages (the TS pet taken in by the shelter's
    # Python intake, posted by its JavaScript board), with operations and log lines
    trace = panels["trace"]
    assert trace["status"] == "ok"
    steps = {span["step"] for span in trace["spans"]}
    assert {"TsCreatePet", "TsAiProfileEnrichment", "ShelterIntake", "ShelterBoard"} <= steps
    assert not any(step.startswith("Workbench") for step in steps)  # no test-only step in it
    languages = {span["step"]: span["text"] for span in trace["spans"]}
    assert ("TS" in languages["TsCreatePet"], "PY" in languages["ShelterIntake"]) == (True, True), languages
    assert "JS" in languages["ShelterBoard"], languages
    assert {"state", "emit", "stream", "log"} <= set(trace["eventRows"])
    assert trace["bars"] == len(trace["spans"])
    assert "spanId" in trace["selected"] and "ts.pet.created" in trace["selectedEvent"] + json.dumps(trace)

    # Logs: filtered by the trace, lines from the steps of every language; the id opens the trace
    logs = panels["logs"]["lines"]
    assert {"🐾 Pet created", "🏠 Shelter intake recorded", "📋 Shelter board updated"} <= set(logs), logs
    assert panels["logs"]["followedTo"] == f"#/traces/{seen['traceId']}"
    # Back from there: the lines as they were filtered, the filter in the address
    assert panels["logs"]["back"] == {"hash": f"#/logs?traceId={seen['traceId']}", "filter": seen["traceId"]}
    # the step filter (a step's whole name) offers the names; filters no line matches say so
    # (a noop step never runs: no trace or line names it, and no filter offers it)
    running = [name for name, step in steps_by_name.items() if step["type"] != "noop"]
    assert "WorkbenchAudit" in steps_by_name and "WorkbenchAudit" not in running
    assert panels["logs"]["stepNames"] == running
    assert panels["traces"]["stepNames"] == running
    assert panels["logs"]["noLines"]["lines"] == 0
    assert panels["logs"]["noLines"]["shown"].startswith("No log line matches these filters yet")
    assert panels["logs"]["readsOnLeaving"] == []  # the focus leaving the trace filter reloads nothing
    # every panel closed its live streams when the next one opened (on the runners panel, none is
    # left), the logs panel too, whose trace filter fires a change as the trace link takes the focus
    assert seen["streamsLeftOpen"] == []
    # ... the endpoints panel too, left while a request's stream subscriptions were being set up: its
    # read of the streams' names, held, was cancelled
    assert endpoints["leftWhileSettingUp"] == "net::ERR_ABORTED"

    # State edited from the page; the dead letter replayed from the page went through
    assert "workbench" in panels["state"]["groups"]
    # a refresh kept what was being typed in the add form (and its focus) and the unchanged rows and
    # groups; the value changed meanwhile was updated in its row (the same row); the add then worked
    assert panels["state"]["afterRefresh"] == {
        "typed": ["typed", '{"by": "hand"}'],
        "focused": "new value",
        "kept": [True, True, True],
    }
    assert panels["state"]["added"] == {"value": {"by": "hand"}, "inputs": ["", ""]}
    # a Delete the server failed showed its error in the row (no unhandled rejection); the next one
    # deleted it
    assert panels["state"]["failedDelete"] == {"shown": "the state store is down", "rowKept": True}
    gone = server.client.get("/__motia/state/item", params={"groupId": "workbench", "key": "gone"})
    assert gone.status_code == 404
    added = server.client.get("/__motia/state/item", params={"groupId": "workbench", "key": "typed"})
    assert added.json()["value"] == {"by": "hand"}
    assert (
        server.client.get("/__motia/state/item", params={"groupId": "workbench", "key": "fixed"}).json()[
            "value"
        ]
        is True
    )
    assert panels["deadLetters"]["before"] and panels["deadLetters"]["after"] == []
    failure = panels["deadLetters"]["failure"]
    assert "the switch is not set" in failure and "workbench-doomed.step.js:7" in failure
    replayed = eventually(
        lambda: (
            server.client.get("/__motia/state/item", params={"groupId": "workbench", "key": "replayed"})
            .json()
            .get("value")
        )
    )
    assert replayed == {"n": 1}
    # the replay's message linked the letter's trace, which showed the failed attempt and the new one
    followed = panels["deadLetters"]["followed"]
    assert followed["hash"] == followed["trace"]
    assert followed["attempts"] == ["error", "ok"]

    streams = panels["streams"]
    assert "petCreation" in streams["streams"] and "created" in streams["items"]
    # a group's failed read showed its error; the stream's read pending when the panel was left (its
    # refresh) was cancelled
    assert streams["failedGroup"] == "Could not load: the stream store is down"
    assert streams["leftWhileReading"] == "net::ERR_ABORTED"
    assert len(panels["runners"]) >= 2
    assert "steps" in seen["health"]
    assert seen["consoleErrors"] == []
    for name in (
        "flows",
        "endpoints",
        "traces",
        "trace",
        "logs",
        "state",
        "dead-letters",
        "streams",
        "runners",
    ):
        assert (ARTIFACTS / f"workbench-{name}.png").stat().st_size > 10_000, name
        # each shot, for the README, as large as the window it was taken in, grown to the content
        assert _png_size(ARTIFACTS / f"workbench-{name}.png") == tuple(seen["shots"][name].values()), name
    # the endpoints' list is longer than the 900 px window: its shot shows it to its end
    assert seen["shots"]["endpoints"]["height"] >= endpoints["listEnds"] > 900


def _png_size(png: Path) -> tuple[int, int]:
    """The width and height of the image in ``png`` (its header's IHDR chunk)."""
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR", png
    return int.from_bytes(header[16:20]), int.from_bytes(header[20:24])


def _assert_the_streams_the_trace_wrote_are_followed(
    server: MotiaServer, trace_id: str, endpoints: dict[str, Any]
) -> None:
    """POST /ts/pets's stream updates: each (stream, group) its trace wrote to is followed, named as
    written by this request (the JS step ShelterBoard's shelterBoard/intake among them, no group named
    by the trace id in a stream it did not write to); each item there when the page subscribed is shown
    at the time the trace recorded its write, in that order; other pets' intakes on the shared board
    are not shown as this request's."""
    trace = server.client.get(f"/__motia/traces/{trace_id}").json()
    writes: dict[tuple[str, str, str], list[float]] = {}
    for event in trace["events"]:
        if event["type"] == "stream" and event["name"] in ("streams.set", "streams.delete", "streams.send"):
            writes.setdefault((event["stream"], event["group"], event["itemId"] or ""), []).append(
                _done_at(event)
            )
    groups = {(stream, group) for stream, group, _ in writes}
    assert ("shelterBoard", "intake") in groups and ("petCreation", trace_id) in groups, groups
    following = endpoints["following"]
    for stream, group in groups:
        assert f"{stream}/{group} (written by this request)" in following, following
    assert f"shelterBoard/{trace_id}" not in following, following
    shown = [line for line in endpoints["streamLines"] if not line["hidden"]]
    pet_id = json.loads(endpoints["body"])["pet"]["id"]
    board = [line for line in shown if line["stream"] == "shelterBoard"]
    assert [(line["group"], line["id"], line["elsewhere"]) for line in board] == [
        ("intake", pet_id, False)
    ], board
    written = [line for line in shown if line["kind"] == "written"]
    assert written and {line["stream"] for line in shown} == {"petCreation", "shelterBoard"}, shown
    for line in written:
        times = writes[(line["stream"], line["group"], line["id"])]
        assert line["at"] in times, (line, times)  # the time its write was recorded done
        assert line["shownAt"].endswith(f".{int(line['at']) % 1000:03d}"), line
    # the lines in the order they were written, or came
    assert [line["at"] for line in shown] == sorted(line["at"] for line in shown)
    # each item this request wrote shows; no item shown that it did not write
    assert {(line["stream"], line["group"], line["id"]) for line in shown} == set(writes), (shown, writes)


def _done_at(operation: dict[str, Any]) -> float:
    """When a trace's ``operation`` was done (epoch ms): its start and duration, as recorded."""
    return float(operation["time"] + operation["durationMs"])


def test_a_failed_request_shows_its_error_where_the_user_acted(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """Each panel, its requests answered with a 500 (page.route): the server's message is shown where
    the user acted, the rows shown stay, no promise is left rejected unhandled (a console error); a
    double click on Replay replays once; a read or request still in flight when its view is left is
    cancelled; a refresh that never answers fails as no answer and the refreshes go on; the header's health line follows the server going away and coming back, and the panel
    open meanwhile stops re-reading a server known unreachable until it answers again."""
    server.client.put("/__motia/state/item", params={"groupId": "workbench", "key": "fixed"}, json=False)
    for n in (2, 3):
        emitted = server.client.post("/__motia/emit", json={"topic": "workbench.doomed", "data": {"n": n}})
        assert emitted.status_code == 200

    def doomed_letters() -> list[int]:
        listed = server.client.get("/__motia/dead-letters").json()["deadLetters"]
        ids = sorted(letter["id"] for letter in listed if letter["topic"] == "workbench.doomed")
        return ids[-2:] if len(ids) >= 2 else []

    letters = eventually(doomed_letters)
    for group, key, value in (("wb-fail", "a", 1), ("wb-fail", "b", 2), ("wb-other", "c", 3)):
        server.client.put("/__motia/state/item", params={"groupId": group, "key": key}, json=value)
    letter_a, letter_b = (str(letter) for letter in letters)
    try:
        seen = _drive(server, chromium, client_packages, "workbench-failures-driver.mjs", letter_a, letter_b)
    finally:
        server.client.delete("/__motia/dead-letters")  # the letters left fail for good

    # Dead letters: each failure in its row or above the table; the rows stayed
    assert seen["failedReplay"] == {
        "shown": "the queue is down",
        "message": f"Could not replay {letter_a}: the queue is down",
        "rowKept": True,
    }
    assert seen["failedPurge"] == {"shown": "the queue is down", "rowKept": True}
    assert seen["failedReplayAll"] == "Could not replay: the queue is down"
    assert seen["failedRefresh"]["shown"] == "Could not load: the queue is down", seen["failedRefresh"]
    assert {letter_a, letter_b} <= set(seen["failedRefresh"]["rows"])
    # one replay for a double click; the button stayed disabled (the same one) through a refresh
    double = seen["doubleClick"]
    assert len(double["replays"]) == 1, double["replays"]
    assert double["button"] == {"disabled": True, "same": True}
    assert double["message"].startswith(f"replayed {letter_a} as delivery ")
    assert double["inspectedLeft"] == 0  # its detail, open, went with it
    # a letter purged elsewhere as its Replay went out: the 404's message shown, the list read again
    # (at once, the refresh held) without it
    assert seen["goneReplay"] == {
        "status": 404,
        "message": f"Could not replay {letter_b}: no dead letter with id '{letter_b}'",
    }

    # A running trace refreshed: the bar, tick, row, failure and label shown before are the same
    # elements after two refreshes that added log lines; a click on the bar selected its span
    refreshed = seen["traceRefreshed"]
    assert refreshed["kept"] == [True] * 5
    assert refreshed["added"] >= 2 and refreshed["selected"] == "WorkbenchDoomed (attempt 1)"
    # read whole again as the row's updatedAt moved, its changes not (an older supervisor's batches)
    assert refreshed["olderSupervisor"] is True, refreshed["olderSupervisor"]
    assert refreshed["failed"] == "Could not load: the trace store is down"

    # State: a group's failed read, then a Save's failed reading back; the value saved shown after
    assert seen["failedGroup"] == {
        "shown": "Could not load: the state store is down",
        "title": "wb-other",
        "rows": [],
    }
    assert seen["failedReload"] == "Could not load: the state store is down"
    assert seen["deletesForDoubleClick"] == 1  # the 5 saved from the page, deleted with a double click
    # a row shown deleted from its own group while another was read; that read's late failure showed
    # nothing over the group chosen after it
    assert seen["deletedFrom"] == "wb-fail"
    gone = server.client.get("/__motia/state/item", params={"groupId": "wb-fail", "key": "b"})
    assert gone.status_code == 404
    assert seen["staleFailure"] == {"shown": "", "title": "wb-fail"}
    # Endpoints: a read of the request's trace (for the streams it writes to) that failed, said so
    assert seen["failedStreams"] == (
        "Could not read the request's trace for the streams it writes to: the trace store is down"
    )
    # a request to the endpoint still in flight when the panel was left was cancelled
    assert seen["leftWhileRequesting"] == "net::ERR_ABORTED"
    # Streams: an item created in the group shown kept the item shown before and the text selected in it
    assert seen["streamItems"] == {"same": True, "selected": True}
    # the stream's groups, read again while a group was shown: a count went up in its row (the same
    # row), a new group appeared with its count, the stream's count of groups in the list followed;
    # the group shown stayed chosen with its items; choosing another group cancelled the read pending
    assert seen["streamGroups"]["same"] and seen["streamGroups"]["chosen"] == ["workbench-live"]
    assert seen["streamGroups"]["newCount"] == "1"
    assert seen["streamGroups"]["listed"] == f"{seen['streamGroups']['rows']} groups"
    assert seen["streamGroups"]["items"] == ["first", "second", "third"]
    assert seen["streamGroups"]["replacedGroupRead"] == "net::ERR_ABORTED"

    # Logs and runners
    assert seen["failedLogs"] == {"shown": "Could not load: the log store is down", "lines": 0}
    assert seen["failedRunners"]["shown"] == "Could not load: the supervisor is down"
    assert seen["failedRunners"]["rows"] >= 2
    # a refresh that never answered failed as no answer; the refreshes went on and cleared it
    assert seen["unansweredRunners"] == {
        "shown": "Could not load: no answer in 10 s",
        "clearedBy": "the next refresh",
    }
    # a refresh that changed a runner's uptime kept its row and the pid a user had selected
    uptime = seen["runnersRefreshed"].pop("uptime")
    assert seen["runnersRefreshed"] == {"same": True, "selected": True}
    # as motia runners writes it (test_a_rule_the_workbench_shares_with_the_cli_reads_the_same_in_both[uptime])
    assert re.fullmatch(r"\d+s|\d+m\d\ds|\d+h\d\dm", uptime), uptime
    # the health line, read again: the server not answering, then answering again
    assert seen["health"]["down"].startswith("server unreachable since ")
    assert seen["health"]["back"].endswith(" runners") and "steps" in seen["health"]["back"]
    # the Runners panel, open meanwhile: the one read that found the server gone, its error shown
    assert seen["health"]["whileDown"]["runnerReadsFailed"] == 1, seen["health"]["whileDown"]
    assert seen["health"]["whileDown"]["shown"].startswith("Could not load: ")
    assert seen["consoleErrors"] == []


def test_replay_all_is_offered_only_while_there_are_dead_letters(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """With no dead letter, Replay all is disabled and its title says why (it was enabled, and said
    'replayed 0'); a letter listed by the panel's refresh enables it; its message counts the letters."""
    server.client.delete("/__motia/dead-letters")
    server.client.put("/__motia/state/item", params={"groupId": "workbench", "key": "fixed"}, json=False)
    try:
        seen = _drive(
            server, chromium, client_packages, "workbench-replay-all-driver.mjs", "workbench.doomed"
        )
    finally:
        server.client.delete("/__motia/dead-letters")  # the replayed letter fails again, for good

    assert seen["empty"] == {"disabled": True, "title": "No dead letters to replay"}
    assert seen["withLetter"] == {"disabled": False, "title": "Replay the 1 dead letter listed"}
    assert seen["replayed"] == "replayed 1 dead letter"
    assert seen["consoleErrors"] == []


@contextlib.contextmanager
def _one_dead_letter(server: MotiaServer, n: str) -> Iterator[dict[str, Any]]:
    """The one dead letter of the server, made by an event (``{"n": n}``) that fails for good (the
    doomed step, its switch off); purged with any other once done."""
    server.client.delete("/__motia/dead-letters")
    server.client.put("/__motia/state/item", params={"groupId": "workbench", "key": "fixed"}, json=False)
    doomed = server.client.post("/__motia/emit", json={"topic": "workbench.doomed", "data": {"n": n}})
    assert doomed.status_code == 200
    try:
        [letter] = eventually(lambda: server.client.get("/__motia/dead-letters").json()["deadLetters"])
        yield letter
    finally:
        server.client.delete("/__motia/dead-letters")


def test_a_dead_letter_row_says_when_it_failed(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """Letters of one step read alike but for when they failed, which `motia dlq list` prints and the
    panel left out (a user found two letters of a Motia example's step told apart by their traces
    only): a column says it, the time as the other panels write times, the instant in UTC in its title.
    The last error, cut at 120 characters, is whole in its title."""
    with _one_dead_letter(server, "when") as letter:
        seen = _drive(server, chromium, client_packages, "workbench-dead-letter-time-driver.mjs")

    assert seen["columns"] == ["id", "topic", "step", "attempts", "last error", "failed at", "trace", ""]
    # the error whole in its cell's title (a long one is cut in the cell, its cause at the end with it)
    assert seen["rows"][str(letter["id"])]["last error"]["title"] == letter["error"]
    failed_at = seen["rows"][str(letter["id"])]["failed at"]
    from datetime import UTC, datetime  # here: a test below imports the module datetime by that name

    instant = datetime.fromtimestamp(letter["failedAt"], tz=UTC)
    assert failed_at["title"] == instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # the time alone (a date before it only when the page is read on another day than the failure's)
    assert re.fullmatch(r"(\S+ )?\d\d:\d\d:\d\d\.\d{3}", failed_at["text"]), failed_at
    assert seen["consoleErrors"] == []


def test_a_log_lines_stack_shows_as_its_language_printed_it(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """A failed handler's log line carries its stack in its metadata, which the Logs panel showed only
    inside the line's JSON, one string of "\\n    at ..." escapes (a Motia example's "fetch failed" and
    its cause read so): opened, the line shows the stack above its JSON, line by line."""
    with _one_dead_letter(server, "stack") as letter:
        logs = server.client.get("/__motia/logs", params={"traceId": letter["traceId"]}).json()["logs"]
        [failed] = [line for line in logs if line["message"].startswith("handler failed")]
        seen = _drive(
            server,
            chromium,
            client_packages,
            "workbench-log-stack-driver.mjs",
            letter["traceId"],
            "handler failed",
        )
    stack: str = failed["meta"]["stack"]
    assert "\n    at " in stack and "workbench-doomed.step.js" in stack
    assert seen["stacks"] == [stack]  # its lines as they are (a path in the project shown as it came)
    assert seen["consoleErrors"] == []


def test_a_failures_heading_names_its_innermost_cause_as_its_dead_letter_does(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """Node's "fetch failed" says what failed only in its cause: the trace's failure heading showed
    the message alone (the cause only in the stack below it). It ends with the innermost cause, the
    line its dead letter keeps (``motia dlq list``, the Dead letters panel)."""
    with _one_dead_letter(server, "cause") as letter:
        seen = _drive(
            server, chromium, client_packages, "workbench-failure-heading-driver.mjs", letter["traceId"]
        )
    said = "Error: the switch is not set (caused by Error: fixed is false)"
    assert letter["error"] == f"HandlerFailed: {said}"
    assert seen["headings"] == [f"WorkbenchDoomed failed (attempt 1): {said} · dead-lettered"]
    assert seen["consoleErrors"] == []


def _answered_404_400_and_201(server: MotiaServer, pet: dict[str, Any]) -> dict[str, str]:
    """The trace ids of three requests, by the status each was answered with: a pet no one stored
    (404 by its step), a body its schema refuses (400 before its step ran), ``pet`` created (201)."""
    answers = {
        "404": server.client.get("/ts/pets/no-such-pet"),
        "400": server.client.post("/ts/pets", json={"name": 5}),
        "201": server.client.post("/ts/pets", json=pet),
    }
    assert {status: str(answer.status_code) for status, answer in answers.items()} == {s: s for s in answers}
    return {status: answer.headers["x-trace-id"] for status, answer in answers.items()}


def test_a_requests_trace_shows_the_status_it_was_answered_with(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """A request answered 404 by its step, or 400 before its step ran, was listed 'ok' like any other
    (its step did not fail) with nothing telling it apart: its row's entry shows the status it was
    answered with, marked failed from 400 up, and so does the line under the trace's heading; its
    span in the timeline shows the status too, and 'not run' for a step the core answered for."""
    ids = _answered_404_400_and_201(server, {"name": "Ada", "species": "cat", "ageMonths": 2})
    seen = _drive(server, chromium, client_packages, "workbench-answers-driver.mjs", *ids.values())

    assert seen["rows"] == {
        ids["404"]: {"entry": "GET /ts/pets/no-such-pet 404", "status": "404", "failed": True},
        ids["400"]: {"entry": "POST /ts/pets 400", "status": "400", "failed": True},
        ids["201"]: {"entry": "POST /ts/pets 201", "status": "201", "failed": False},
    }
    assert seen["summary"].startswith("GET /ts/pets/no-such-pet answered 404 · started ")
    # in the timeline, the request's own span carries its answer; one whose step never ran says so
    # (it ended 'ok' on no runner: drawn as 'ok', it read as a step that ran)
    entry_spans = {status: seen["spans"][ids[status]][0] for status in ids}
    assert entry_spans == {
        "404": {"step": "TsGetPet", "badge": "ok", "status": "404", "bar": "bar ok"},
        "400": {"step": "TsCreatePet", "badge": "not run", "status": "400", "bar": "bar skipped"},
        "201": {"step": "TsCreatePet", "badge": "ok", "status": "201", "bar": "bar ok"},
    }
    assert seen["consoleErrors"] == []


def test_the_traces_panel_lists_the_requests_that_failed_by_the_status_they_were_answered_with(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """A request answered 400 before its step ran, or 404 by its step, is 'ok' (its steps did not
    fail): neither the status filter nor the text found it. The answered filter does: "failed (4xx,
    5xx)" lists them and not a request answered 201, kept in the address; an address naming a code of
    its own (answered=404) shows it as chosen, and one no request was answered with says none matches."""
    ids = _answered_404_400_and_201(server, {"name": "Bo", "species": "dog", "ageMonths": 3})
    seen = _drive(server, chromium, client_packages, "workbench-answered-filter-driver.mjs", *ids.values())

    assert seen["options"] == [
        ["", "any answer"],
        ["4xx,5xx", "failed (4xx, 5xx)"],
        ["2xx", "answered 2xx"],
        ["3xx", "answered 3xx"],
        ["4xx", "answered 4xx"],
        ["5xx", "answered 5xx"],
    ]
    failed = seen["failed"]["rows"]
    assert failed[ids["404"]] == "404" and failed[ids["400"]] == "400" and ids["201"] not in failed
    assert all(status is not None and int(status) >= 400 for status in failed.values()), failed
    assert seen["failed"]["hash"] == "#/traces?answered=4xx%2C5xx"
    assert seen["code"]["value"] == "404" and seen["code"]["label"] == "answered 404"
    assert set(seen["code"]["rows"].values()) == {"404"} and ids["404"] in seen["code"]["rows"]
    assert seen["none"] == "No trace matches these filters."
    assert seen["consoleErrors"] == []


def test_the_part_of_a_trace_id_the_workbench_shows_filters_the_logs_to_that_trace(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """The Workbench shows a trace's id by its last 8 characters (a log line's link, the Traces list):
    typed in the Logs panel's trace filter they showed no line (it took whole ids only). Now the lines
    of the one trace whose id contains what is typed show; a part of several traces' ids says so."""
    pets = [
        server.client.post("/ts/pets", json={"name": name, "species": "dog", "ageMonths": 4})
        for name in ("Ida", "Ivo")
    ]
    ids = [pet.headers["x-trace-id"] for pet in pets]
    # time-ordered ids: made together, they begin alike
    shared = "".join(
        a for a, _ in itertools.takewhile(lambda pair: pair[0] == pair[1], zip(*ids, strict=True))
    )
    assert len(shared) >= 4, ids
    seen = _drive(
        server, chromium, client_packages, "workbench-log-trace-part-driver.mjs", ids[0][-8:], shared
    )

    shown = seen[ids[0][-8:]]
    assert shown["traces"] == [ids[0]] and "🐾 Pet created" in shown["messages"], shown
    assert shown["status"] == "live"
    assert seen[shared] == {
        "traces": [],
        "messages": [],
        "status": f"live · several traces' ids contain '{shared}': type more of one",
        "noLines": True,
    }
    assert seen["consoleErrors"] == []


#: the reads of a trace's row (noteTraceReads in workbench-page.mjs): by its id, or in a listing of the
#: newest traces
ROW_READS = ("row", "listing")


def _whole_reads_follow_changed_rows(reads: list[dict[str, Any]]) -> None:
    """Each read of the trace whole but the first came right after a read of its row (by its id, or in
    a listing) whose ``changes`` differed from those of the trace as last read whole."""
    known: object = None
    for n, read in enumerate(reads):
        if read["kind"] != "whole":
            continue
        if n:
            assert reads[n - 1]["kind"] in ROW_READS and reads[n - 1]["changes"] != known, reads[: n + 1]
        known = read["changes"]


def test_the_endpoints_panel_follows_a_requests_trace_by_its_row_reading_it_whole_only_when_it_changed(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """While a request's trace runs (a step waiting seconds, writing nothing), the Endpoints panel reads
    its row (a listing by its whole id, a look-up of its key) every second, and the whole trace only
    when the row's ``changes`` moved; settled, it watches the row, and a dead letter of the trace
    replayed later moves it: the trace is read again and the group the replay wrote to followed."""
    seen = _drive(server, chromium, client_packages, "workbench-trace-follow-driver.mjs")
    slow = seen["slow"]
    reads = slow["reads"]
    assert reads[0]["kind"] == "whole", reads
    running_rows = [read for read in reads if read["kind"] == "row" and read["status"] == "running"]
    assert len(running_rows) >= 2, reads  # the step waited 3.5 s
    _whole_reads_follow_changed_rows(reads)
    wholes = [read for read in reads if read["kind"] == "whole"]
    assert len(wholes) <= 1 + len({read["changes"] for read in reads if read["kind"] == "row"}), reads
    assert slow["lines"] == [{"kind": "written", "id": "slow"}]

    later = seen["later"]
    reads = later["reads"]
    _whole_reads_follow_changed_rows(reads)
    after = [read for read in reads if read["replayed"]]
    assert after and after[0]["kind"] == "row", reads  # settled: its row watched
    assert any(read["kind"] == "whole" for read in after), reads
    assert later["lines"] == [{"kind": "written", "id": "late"}], later
    assert seen["consoleErrors"] == []


def _followed_by_its_row(reads: list[dict[str, Any]]) -> None:
    """``reads`` of a trace that ran seconds (its step waiting, writing nothing) read its row every
    second while it ran, and the trace whole only when the row's ``changes`` moved."""
    running_rows = [read for read in reads if read["kind"] in ROW_READS and read["status"] == "running"]
    assert len(running_rows) >= 2, reads  # the step waited 3.5 s
    _whole_reads_follow_changed_rows(reads)
    wholes = [read for read in reads if read["kind"] == "whole"]
    assert len(wholes) <= 1 + len({read["changes"] for read in reads if read["kind"] in ROW_READS}), reads


def test_the_traces_timeline_and_the_flows_lighting_follow_a_running_trace_by_its_row(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """While a trace runs (a step waiting seconds, then writing a stream item and emitting to a step
    that runs only then), the Traces panel's timeline of it reads its row every second and the whole
    trace only when the row's ``changes`` moved, as the Flows panel's lighting does (the rows of the
    newest traces' listing, which it reads each second anyway); both still show what came later: the
    timeline every span, ended, and the write, the diagram each step lit in turn."""
    seen = _drive(server, chromium, client_packages, "workbench-trace-rows-driver.mjs")
    steps = ["WorkbenchSlow", "WorkbenchSlowWrite", "WorkbenchSlowDone"]

    traces = seen["traces"]
    assert traces["reads"][0]["kind"] == "whole", traces["reads"]
    _followed_by_its_row(traces["reads"])
    assert traces["status"] == "ok"
    assert traces["spans"] == [{"step": step, "status": "ok"} for step in steps]
    assert "stream" in traces["ticks"] and "emit" in traces["ticks"], traces["ticks"]

    flows = seen["flows"]
    _followed_by_its_row(flows["reads"])
    assert flows["lit"] == steps
    assert seen["consoleErrors"] == []


def test_the_flows_lighting_and_the_traces_timeline_follow_a_running_trace_by_its_row_on_redis(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """As above with the traces in Redis (``MOTIA_REDIS_URL``): the rows the Flows panel's lighting and
    the timeline read each second carry the ``changes`` the store's write script adds up, and the
    trace, read whole only when they moved, lights each of its steps in turn."""
    slow = {path: source for path, source in EXTRA_STEPS.items() if "/workbench-slow" in path}
    project = write_project(make_project(tmp_path / "project"), slow)
    redis = RedisServer(tmp_path / "redis", redis_server_binary())
    try:
        with MotiaServer(project, mode="dev", env={"MOTIA_REDIS_URL": redis.url}) as server:
            seen = _drive(server, chromium, client_packages, "workbench-trace-rows-driver.mjs")
            for traced in (seen["traces"]["traceId"], seen["flows"]["traceId"]):
                held = subprocess.run(
                    ["redis-cli", "-p", str(redis.port), "--scan", "--pattern", f"*t:tr:{traced}"],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                assert len(held) == 1, (traced, held)  # the trace's hash: Redis's, not a file's
    finally:
        redis.stop()
    steps = ["WorkbenchSlow", "WorkbenchSlowWrite", "WorkbenchSlowDone"]

    flows = seen["flows"]
    _followed_by_its_row(flows["reads"])
    assert flows["lit"] == steps
    traces = seen["traces"]
    _followed_by_its_row(traces["reads"])
    assert traces["spans"] == [{"step": step, "status": "ok"} for step in steps]
    assert seen["consoleErrors"] == []


@pytest.mark.parametrize(
    ("flow_id", "path", "ran"),
    [
        ("TsPetManagement", "/ts/pets", None),
        # where the languages meet: the JS desk's pet, taken in in Python, posted in JavaScript
        ("PetShelter", "/js/pets", ["JsCreatePet", "ShelterIntake", "ShelterBoard"]),
    ],
    ids=["ts-flow", "shelter-flow"],
)
def test_a_flows_nodes_light_up_one_after_another_as_a_trace_runs_through_them(
    server: MotiaServer, chromium: str, client_packages: Path, flow_id: str, path: str, ran: list[str] | None
) -> None:
    """A pet created while a flow's diagram is open: each step its trace ran in the flow lights
    up once, in the order its span started, a moment after the one before (though the trace went
    through them faster than the page looks), then goes out."""
    pet = json.dumps({"name": "Nova", "species": "dog", "ageMonths": 2})
    seen = _drive(server, chromium, client_packages, "workbench-flows-driver.mjs", flow_id, "POST", path, pet)

    assert seen["status"] == 201
    trace = server.client.get(f"/__motia/traces/{seen['traceId']}").json()
    flow = next(f for f in server.client.get("/__motia/flows").json()["flows"] if f["id"] == flow_id)
    in_flow = {step["name"] for step in flow["steps"]}
    spans = sorted((s for s in trace["spans"] if s["step"] in in_flow), key=lambda span: span["startedAt"])
    if ran is not None:
        assert [span["step"] for span in spans] == ran
    assert len(spans) >= 3
    assert [step for _, step in seen["lightings"]] == [span["step"] for span in spans]
    moments = [at for at, _ in seen["lightings"]]
    assert all(later - earlier >= 200 for earlier, later in itertools.pairwise(moments)), moments
    assert {step for _, step in seen["outs"]} >= {span["step"] for span in spans}  # and all went out
    assert seen["consoleErrors"] == []


def test_an_endpoints_form_is_not_sent_with_a_path_parameter_left_empty(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """Sent with its path parameter empty, the form asked for GET /ts/pets/ (a route of no step: a 404
    naming the path, not the parameter); the browser now asks for the parameter, the form sent once it
    is filled in."""
    seen = _drive(
        server, chromium, client_packages, "workbench-path-params-driver.mjs", "GET /ts/pets/:id", "nope"
    )
    assert seen["empty"]["sent"] == []
    assert seen["empty"]["messages"]["id"]  # the browser's own "Please fill out this field."
    assert seen["filled"] == {"sent": ["GET /ts/pets/nope"], "status": 404}
    # Chromium's own line for the user's request answered 404, which the page cannot keep it from
    # logging (workbench-page.mjs, openPage): that one only, for that request; no other console error
    assert seen["userRequestErrors"] == [
        {
            "request": "/ts/pets/nope",
            "line": "Failed to load resource: the server responded with a status of 404 (Not Found)",
        }
    ]
    assert seen["consoleErrors"] == []


def test_a_narrow_window_keeps_every_tab_filter_and_chosen_endpoint_in_view_and_stream_items_apart(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """At 800 px wide: every tab wholly in the window on every panel (wrapped onto a second row, not
    clipped behind the health line), no filter's placeholder cut, the Traces' filters on one row, none
    sticking out or overlapping another (at 1280 px too; the text filter wrapped below the others at
    800), the longest step name chosen in the Traces' and Logs' step filters said whole in the
    filter's tooltip, the filter in its row (at 1280 px too), log messages on the whole row beneath their time, level, step and trace (a third of the
    line beside them), and an endpoint chosen in the list, which then stands above the form, shows its form's heading in the window. A pet created there:
    its stream updates one item a line, the sync of the request's group (the items its steps had
    written by then) too, each with its item's id, its JSON as wide as the line, each item once
    (the answer's own item followed with its group, a change repeated after the sync); in its trace's
    timeline, each step's name whole."""
    seen = _drive(server, chromium, client_packages, "workbench-narrow-driver.mjs", "TsCreatePet")

    assert seen["unreachableTabs"] == {}
    assert seen["cutPlaceholders"] == {}
    for width, filters in seen["traceFilters"].items():  # 800 px, and 1280 px
        assert filters["rows"] == dict.fromkeys(["step", "status", "answered", "text"], 1), (width, filters)
        assert filters["outside"] == filters["overlapping"] == [], (width, filters)
    # the longest step name chosen in the Traces' step menu and the Logs' step field: the closed
    # control says it whole as its tooltip, and stays in its row; the name shown whole, but in the
    # Traces' menu at 800 px, which gives way to the text filter (what the tooltip is for)
    longest = max((step["name"] for step in server.client.get("/__motia/steps").json()["steps"]), key=len)
    for panel, widths in seen["stepFilters"].items():
        for width, shown in widths.items():
            assert (shown["name"], shown["title"], shown["outside"]) == (longest, longest, False), (
                panel,
                width,
                shown,
            )
    cut = {
        (panel, width)
        for panel, widths in seen["stepFilters"].items()
        for width, shown in widths.items()
        if shown["cut"]
    }
    assert cut <= {("traces", "800")}, seen["stepFilters"]
    assert seen["logMessageShare"] > 0.9  # a log line's message on the whole row beneath the rest
    assert seen["chosenHeading"] == {"text": "POST /ts/pets TS", "inWindow": True}
    lines = seen["streamLines"]
    # the answer's item followed with its group (it was synced and updated twice: in its own
    # subscription and in its group's), one subscription per group the trace wrote to (the pet's
    # petCreation group, the shelter's board); the first item's change repeated after the sync not
    # shown again
    assert seen["rooms"] == 2
    assert seen["repeated"] == "created"
    assert [line["id"] for line in lines].count("created") == 1, lines
    assert all(line["oneItem"] and line["id"] for line in lines), lines
    assert {line["stream"] for line in lines} == {"petCreation", "shelterBoard"}, lines
    assert all(line["widthShare"] > 0.9 for line in lines), lines
    assert seen["badgesAlone"] == []  # in the Traces list, each step's language beside its name
    assert seen["cutStepNames"] == []  # in its trace's timeline, each step's name whole
    assert seen["consoleErrors"] == []


def test_the_logs_and_traces_text_filters_apply_as_they_are_typed_and_say_when_nothing_matches(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """Text typed in the Logs' filter, without Enter, the focus kept there: the lines are filtered
    once the typing pauses (as the Traces' filter does), the filter kept in the address; the Traces'
    filter matching no trace says so, rather than that there is no trace yet. A trace of minutes
    says its duration in minutes."""
    server.client.get("/ts/pets")  # a trace, and its log lines
    seen = _drive(
        server, chromium, client_packages, "workbench-typed-filters-driver.mjs", "no line says this"
    )

    assert seen["logs"] == {
        "noLinesShown": True,
        "lines": 0,
        "focused": "text",
        "address": "#/logs?q=no+line+says+this",
    }
    assert seen["traces"] == {"shown": "No trace matches these filters."}
    assert seen["longDuration"] == "18 min 16 s"  # not "1095.57 s"
    assert seen["consoleErrors"] == []


def test_a_step_that_failed_alike_on_every_attempt_shows_one_failure_and_each_attempt_number(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """A TS pet-created event without its pet: the enrichment step fails the same way on each of its
    four attempts. Its trace shows one failure naming the four attempts and that its event was
    dead-lettered, its stack once (four cards
    of the same stack filled the page) with the paths in the project relative to it, and each span's language and attempt number in full beside
    the step's long name (the attempt number was cut to "#"). Its last operation clicked in the table
    shows its payload beneath it; its operations in the order they happened; its bars within the
    timeline's axis, at its ends too, and its ticks; its dead letter, inspected, shows in a window too short for the
    list and the letter."""
    emitted = server.client.post("/__motia/emit", json={"topic": "ts.pet.created", "data": None})
    trace_id = emitted.json()["traceId"]

    def letters() -> list[int]:
        listed = server.client.get("/__motia/dead-letters").json()["deadLetters"]
        return [item["id"] for item in listed if item["traceId"] == trace_id]

    try:
        trace = eventually(
            lambda: (
                (traced := server.client.get(f"/__motia/traces/{trace_id}").json())["status"] != "running"
                and letters()
                and traced
            ),
            timeout=30,
        )
        spans = str(len(trace["spans"]))
        seen = _drive(server, chromium, client_packages, "workbench-retries-driver.mjs", trace_id, spans)
    finally:
        for ident in letters():  # the event fails for good in each subscriber (the shelter's intake too)
            server.client.delete(f"/__motia/dead-letters/{ident}")

    enrichment = [card for card in seen["failures"] if card["heading"].startswith("TsAiProfileEnrichment")]
    assert enrichment == [
        {
            "heading": "TsAiProfileEnrichment failed (attempts 1, 2, 3, 4): TypeError: "
            "Cannot destructure property 'petId' of 'input' as it is null. · dead-lettered",
            "stacks": 1,
        }
    ]
    # the stacks show the user's files relative to the project, as the location above them, each
    # one's absolute path in its tooltip (the server's folder, a temporary one here, was shown whole)
    project = str(server.project.resolve())
    assert seen["stacks"] and all(project not in stack["text"] for stack in seen["stacks"]), seen["stacks"]
    shown = [path for stack in seen["stacks"] for path in stack["paths"]]
    enriching = [
        (relative, title) for relative, title in shown if relative.endswith("ai-profile-enrichment.step.ts")
    ]
    assert enriching and all(title == f"{project}/{relative}" for relative, title in enriching), shown
    assert seen["cutLabels"] == []
    # the last operation clicked: its payload beneath its row, in the window (it was shown above the
    # table, out of sight); a second click closes it
    payload = seen["lastRowPayload"]
    assert payload["inWindow"] and '"type": "delivery"' in payload["text"], payload
    assert seen["closedAgain"]
    # its operations in the order they happened, as the server lists them
    since = [_offset_ms(text) for text in seen["sinceStart"]]
    assert len(since) > 10 and since == sorted(since), seen["sinceStart"]
    # bars over all of the axis, of no time at either end, over its second half: each within the
    # axis (the one at the end starting earlier for its least width; bars ran 3 px past the end)
    bars = seen["barsOnAxis"]
    assert all(bar["left"] >= -0.5 and bar["right"] >= -0.5 and bar["width"] >= 2.5 for bar in bars), bars
    assert [round(bars[n]["right"]) for n in (0, 1, 3)] == [0, 0, 0], bars  # at the axis's end
    assert round(bars[2]["left"]) == 0 and round(bars[1]["width"]) == 3, bars
    # ticks at its start, middle and end: each within the axis (centred on their moment, the last
    # stuck out 2 px past the end), the middle one centred on it
    ticks = seen["ticksOnAxis"]
    assert len(ticks) == 3 and all(tick["left"] >= -0.5 and tick["right"] >= -0.5 for tick in ticks), ticks
    assert (round(ticks[0]["left"]), round(ticks[2]["right"])) == (0, 0), ticks
    assert abs(ticks[1]["left"] + ticks[1]["width"] / 2 - ticks[1]["axis"] / 2) <= 0.5, ticks
    # its dead letter inspected below the fold of a short window: scrolled into it
    inspected = seen["inspected"]
    assert inspected["inWindow"] and inspected["letter"] == inspected["wanted"], inspected
    assert seen["consoleErrors"] == []


def _offset_ms(text: str) -> float:
    """An offset as the trace view writes it (``OFFSETS``: +12.3 ms, +432.674 s) in ms."""
    number, unit = text.removeprefix("+").split(" ")
    return float(number) * {"ms": 1, "s": 1000}[unit]


def test_a_state_value_is_edited_in_a_box_as_tall_as_it_and_the_edit_can_be_cancelled(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """A pet-sized value (20 lines of JSON) opened for editing: every line shows in the box (it was 6
    rows high whatever the value); Cancel puts the value back as stored, nothing saved. A group the
    store does not have is opened from the page and its first item added there."""
    value = {f"field{n}": n for n in range(18)}
    server.client.put("/__motia/state/item", params={"groupId": "wb-edit", "key": "pet"}, json=value)
    seen = _drive(
        server, chromium, client_packages, "workbench-state-edit-driver.mjs", "wb-edit", "pet", "wb-seeded"
    )

    assert seen["box"] == {"lines": 20, "rows": 20, "scrolls": False}
    assert seen["cancelled"] == {"box": False, "shown": value}
    stored = server.client.get("/__motia/state/item", params={"groupId": "wb-edit", "key": "pet"})
    assert stored.json()["value"] == value
    # a group opened from the page, its first item added there (an empty store had no way to add one)
    assert "wb-seeded" in seen["newGroup"]["groups"]
    assert seen["newGroup"]["selected"] == "wb-seeded" and seen["newGroup"]["keys"] == ["first"]
    seeded = server.client.get("/__motia/state/item", params={"groupId": "wb-seeded", "key": "first"})
    assert seeded.json()["value"] == {"seeded": True}
    assert seen["consoleErrors"] == []


def test_the_streams_panel_follows_every_stream_and_a_group_whose_items_go(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """While one stream is shown, a group added to another stream shows in that stream's count of
    groups; a chosen group whose items are all deleted while its live stream misses it (held, as while
    it reconnects) is said to be gone, its items no longer shown, and shows its items again once it
    has some."""
    seen = _drive(server, chromium, client_packages, "workbench-streams-driver.mjs")

    before = int(seen["otherStream"]["before"].split()[0])
    assert seen["otherStream"]["after"] == (f"{before + 1} groups" if before else "1 group")
    assert seen["groupGone"]["heldStreams"] == 1  # the live stream never delivered the delete
    assert seen["groupGone"]["items"] == []
    assert "the group is gone" in seen["groupGone"]["shown"]
    assert seen["groupBack"] == ["y"]
    assert seen["consoleErrors"] == []


def test_a_degraded_server_shows_in_the_health_line_and_its_panels_wait_for_it_quietly(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """Redis lost while the State panel is open: ``/__motia/health`` answers 503 (for load balancers),
    the Workbench's form of it a 200 with the same report; the header's line, read every 3 s, says
    degraded and why. The panel's read that found the store down shows its error (the browser's one
    failed load), and the panel reads no more while the line says degraded, though it re-reads every
    3 s: no failed load every few seconds. Redis back, the panel reads again and shows what was set."""
    binary = redis_server_binary()
    redis = RedisServer(tmp_path / "redis", binary)
    project = write_project(tmp_path / "project", HELLO_STEPS)
    signals = tmp_path / "signals"
    signals.mkdir()
    try:
        with (
            MotiaServer(project, mode="dev", env={"MOTIA_REDIS_URL": redis.url}) as server,
            concurrent.futures.ThreadPoolExecutor(1) as pool,
        ):
            driven = pool.submit(
                _drive, server, chromium, client_packages, "workbench-health-driver.mjs", str(signals)
            )
            _signalled(signals / "open", driven)
            redis.stop()
            public = eventually(
                lambda: (r := server.client.get("/__motia/health")).status_code == 503 and r, timeout=30
            )
            page = server.client.get("/__motia/workbench/health")
            assert page.status_code == 200
            assert page.json()["status"] == public.json()["status"] == "degraded"
            assert page.json()["message"] == public.json()["message"]
            _signalled(signals / "watched", driven)
            redis = RedisServer(tmp_path / "redis", binary, port=redis.port)
            back = {"groupId": "back", "key": "k"}
            eventually(lambda: server.client.put("/__motia/state/item", params=back, json=1).is_success, 30)
            seen = driven.result()
    finally:
        redis.stop()

    assert seen["line"].startswith("2 steps · ") and " · degraded: Redis at redis://127.0.0.1" in seen["line"]
    assert seen["reads"] >= 3
    assert seen["shown"].startswith("Could not load: ")
    # the read that found the store down, at most: none again while the line said degraded
    assert seen["failedWhileDown"] == 1 and [path for path, _ in seen["failed"]] == ["/__motia/state"], seen
    assert all(error.startswith("Failed to load resource: ") for error in seen["consoleErrors"])
    assert len(seen["consoleErrors"]) == len(seen["failed"])
    assert seen["shownBack"] == ""


OUTAGE_STEPS = {
    "steps/say.step.js": """
        exports.config = { type: 'api', name: 'Say', path: '/say', method: 'GET', emits: [], flows: ['outage'] }
        exports.handler = async (req, { logger }) => {
          logger.info(`said ${req.queryParams.word}`)
          return { status: 200, body: {} }
        }
    """,
    "steps/board.stream.js": """
        exports.config = { name: 'board', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/pin.step.js": """
        exports.config = { type: 'api', name: 'Pin', path: '/board/:id', method: 'POST', emits: [], flows: ['outage'] }
        exports.handler = async (req, { streams }) => {
          await streams.board.set('g', req.pathParams.id, { pinned: req.pathParams.id })
          return { status: 200, body: {} }
        }
    """,
    # removed while the server is down, the last time, with the traces file (its "[CREATED]" line)
    "steps/idle.step.js": """
        exports.config = { type: 'event', name: 'Idle', subscribes: ['never'], emits: [] }
        exports.handler = async () => {}
    """,
}


def test_live_panels_wait_quietly_while_the_server_is_down_and_catch_up_when_it_is_back(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The server stopped and started again on its port while the Logs panel follows its lines, then
    while the Streams panel follows a group, then while the Flows panel is open. Meanwhile, the
    page's failed loads (each a console error, but those the page cancelled) are the health line's
    reads, every 3 s, and, for a panel that polls, the one read that found the server gone (of its
    two polls): its live streams do not try again every few seconds, and reconnect once the line
    sees the server back, showing what changed meanwhile (a line logged, an item set before they
    reconnected) and what changes after. Before the server is back the third time, its port listens
    without answering (as a server starting listens before it answers) until a health read has
    waited out its 5 s and the page has cancelled it. Last, the Logs panel follows a step that the
    server, back, no longer has: its live stream refused, the panel says why and asks no more."""
    project = write_project(tmp_path / "project", OUTAGE_STEPS)

    def before(server: MotiaServer) -> None:
        server.client.get("/say", params={"word": "before"}).raise_for_status()
        server.client.post("/board/a").raise_for_status()

    with _driven_through_restarts(
        project, tmp_path / "signals", chromium, client_packages, "workbench-outage-driver.mjs", before
    ) as run:

        def listening_unanswered() -> None:
            with socket.create_server(("127.0.0.1", run.server.port)):
                run.signalled("flows-health-cancelled")  # its 5 s out

        missed = {"word": "missed"}  # logged before the panel follows again
        run.restart(
            "logs", once_back=lambda server: server.client.get("/say", params=missed).raise_for_status()
        )
        run.restart("streams", once_back=lambda server: server.client.post("/board/b").raise_for_status())
        run.restart("flows", while_down=listening_unanswered)

        def idle_gone() -> None:  # from the project and from what it recorded (its "[CREATED]" line)
            (project / "steps/idle.step.js").unlink()
            for recorded in (project / ".motia").glob("traces.db*"):
                recorded.unlink()

        run.restart("logs-refused", while_down=idle_gone)
    seen = run.seen
    refused = seen["panels"].pop("refused")

    health = "/__motia/workbench/health"
    live = {"logs": "/__motia/logs/stream", "streams": "/__motia/sse/board/g", "flows": None}
    for panel, outage in seen["panels"].items():
        failed = [path for path, _ in outage["failed"]]
        reads = [path for path in failed if path != health]
        # the live stream's, ended as the server went away (the health line then says it is stopping),
        # and not tried again; a poll's, the one that found the server gone, one of the panel's two
        assert reads.count(live[panel]) <= 1, (panel, outage)
        assert len([path for path in reads if path != live[panel]]) <= (panel != "logs"), (panel, outage)
        assert failed.count(health) >= 2, (panel, outage)  # it was down a while
        # each failed load is the browser's console error, but a read the page cancelled, its answer
        # overdue (net::ERR_ABORTED, which Chromium does not log): the server starting again listens
        # on its port before it answers, and a health read sent then may wait its 5 s out
        logged = sorted(path for path, error in outage["failed"] if error != "net::ERR_ABORTED")
        assert sorted(path for _, path in outage["errors"]) == logged, (panel, outage)
        assert all(text.startswith("Failed to load resource: ") for text, _ in outage["errors"]), outage
    assert ("/__motia/workbench/health", "net::ERR_ABORTED") in map(tuple, seen["panels"]["flows"]["failed"])
    assert seen["panels"]["logs"]["lines"] == ["said before", "said missed", "said after"]
    assert seen["panels"]["logs"]["status"] == "live"
    assert seen["panels"]["streams"]["items"] == ["a", "b", "c"]
    # the Logs panel's live stream, its step filter refused once the server is back without the step:
    # the server's message said, and not asked again (the stream reopened once, its refusal read once)
    said = "no step named 'Idle', in the project or in what it recorded; the steps: Pin, Say"
    assert refused["status"] == f"Could not load: {said}", refused
    assert [search.partition("&after=")[0] for search in refused["streams"]] == ["?level=info&step=Idle"] * 2
    assert refused["streamsOnceRefused"] == 0, refused
    assert seen["consoleErrors"] == []


def test_a_step_added_or_changed_in_motia_dev_shows_in_flows_and_endpoints_without_a_reload(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The Flows panel open on a flow, a step selected: a step added to the flow's project is drawn
    with its edge once ``motia dev`` has loaded it, the page not reloaded, the selection kept; the
    Endpoints panel lists an api step added, the form shown left as it was; the endpoint shown
    changed in its file, its form is drawn anew keeping what the user typed where it still fits."""
    project = write_project(
        tmp_path,
        {
            "steps/hello.step.js": """
                exports.config = {
                  type: 'api', name: 'Hello', path: '/hello', method: 'GET', emits: ['said'], flows: ['greeting'],
                }
                exports.handler = async () => ({ status: 200, body: {} })
            """,
            "steps/audit.step.js": """
                exports.config = { type: 'event', name: 'Audit', subscribes: ['said'], emits: [], flows: ['greeting'] }
                exports.handler = async () => {}
            """,
            "steps/greet.step.js": """
                exports.config = {
                  type: 'api', name: 'Greet', path: '/greet/:who', method: 'POST', emits: [],
                  queryParams: [{ name: 'tone' }, { name: 'old' }],
                  bodySchema: { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'] },
                }
                exports.handler = async (req) => ({ status: 200, body: { who: req.pathParams.who } })
            """,
        },
    )
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(server, chromium, client_packages, "workbench-reload-driver.mjs", str(project))

    assert seen["after"] == {
        "notReloaded": True,
        "nodes": ["Audit", "Hello", "Notify"],
        "edges": ["Hello->Audit", "Hello->Notify"],
        "selected": ["Audit"],
        "detail": "Audit",
        "tab": "greeting (3)",
    }
    # the Endpoints panel lists an api step added, the endpoint chosen and its form as they were
    assert seen["endpoints"] == {
        "notReloaded": True,
        "listed": ["GET /bye", "POST /greet/:who", "GET /hello"],
        "selected": ["POST /greet/:who"],
        "typed": "x-typed: kept",
    }
    # the endpoint shown changed in its file: its form follows, without a reload, what was typed kept
    # in the fields still there, the body (untouched) prefilled from the new schema, the cursor kept
    assert seen["changed"] == {
        "notReloaded": True,
        "queryParams": ["tone", "lang"],
        "values": {"who": "Ada", "tone": "warm", "lang": "", "headers": "x-typed: kept"},
        "body": ["greeting", "name"],
        "focused": "query:tone",
    }
    assert seen["consoleErrors"] == []


def test_the_step_and_endpoint_shown_follow_their_step_renamed_and_say_when_it_is_gone(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The Flows panel's step selected, renamed in its file, stays selected, its detail shown. The
    Endpoints panel showing Greet's form, something typed in it: Greet renamed in its file is
    followed (its address, its row chosen, what was typed kept); its file deleted, the panel says the
    endpoint is gone in place of a form that sent to a route nothing answered any more (it stayed,
    as if the step were there); the file written back, the form returns with what was typed. Found
    on MotiaDev's ugc-workflow, its ImageUploadAPI renamed while shown."""
    project = write_project(
        tmp_path,
        {
            "steps/greet.step.js": """
                exports.config = {
                  type: 'api', name: 'Greet', path: '/greet/:who', method: 'POST', emits: [], flows: ['greeting'],
                }
                exports.handler = async (req) => ({ status: 200, body: { who: req.pathParams.who } })
            """,
            "steps/hello.step.js": """
                exports.config = { type: 'api', name: 'Hello', path: '/hello', method: 'GET', emits: [], flows: ['greeting'] }
                exports.handler = async () => ({ status: 200, body: {} })
            """,
        },
    )
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(server, chromium, client_packages, "workbench-endpoint-gone-driver.mjs", str(project))

    # the Flows panel, Hello selected and renamed Hi in its file: its detail follows (it went blank)
    assert seen["flows"] == {"notReloaded": True, "selected": ["Hi"], "detail": "Hi"}
    shown = {"notReloaded": True, "gone": None, "send": True, "who": "Ada", "headers": "x-typed: kept"}
    both = ["POST /greet/:who", "GET /hello"]
    assert seen["renamed"] == {
        **shown,
        "hash": "#/endpoints/Salute",
        "listed": both,
        "selected": ["POST /greet/:who"],
    }
    gone = seen["deleted"]
    assert {key: gone[key] for key in ("notReloaded", "listed", "selected", "send", "who")} == {
        "notReloaded": True,
        "listed": ["GET /hello"],
        "selected": [],
        "send": False,
        "who": None,
    }
    assert gone["gone"] is not None and "Salute is no longer in the project" in gone["gone"]
    assert "steps/greet.step.js" in gone["gone"]
    # written back as it was, named Greet again: the same file's new step, followed as a rename
    assert seen["back"] == {
        **shown,
        "hash": "#/endpoints/Greet",
        "listed": both,
        "selected": ["POST /greet/:who"],
    }
    assert seen["consoleErrors"] == []


UNTRACED_NOTE_STEPS = {
    "steps/notes.stream.js": """
        exports.config = { name: 'notes', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/note.step.js": """
        exports.config = { type: 'api', name: 'Note', path: '/notes', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => ({ status: 201, body: await streams.notes.set('board', 'long', { n: 1 }) })
    """,
}


def test_a_server_that_records_no_trace_is_asked_for_none(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """Tracing off: the header says so, the Flows panel does not look for traces to light its nodes,
    the Traces and Logs panels say why they are empty, the Endpoints panel follows the stream item an
    answer returned without reading a trace for the streams the request wrote, its item shown as
    there when the page subscribed (no trace says who wrote it); no request refused, so no console
    error."""
    project = write_project(tmp_path, {**HELLO_STEPS, **UNTRACED_NOTE_STEPS})
    with MotiaServer(project, mode="dev", env={"MOTIA_TRACING": "false"}) as server:
        assert server.client.get("/__motia/traces").status_code == 404
        assert server.client.get("/__motia/workbench/health").json()["traces"] is False
        seen = _drive(server, chromium, client_packages, "workbench-untraced-driver.mjs")

    assert seen["health"].endswith(" · traces off")
    assert seen["asked"] == []
    assert seen["note"] == {
        "kinds": ["there"],
        "following": "following notes/board/long (the answer's item)",
    }, seen["note"]
    for panel in ("traces", "logs"):
        assert seen[panel].startswith("Traces and logs are not recorded"), seen[panel]
    assert seen["consoleErrors"] == []


def test_the_state_panel_of_an_app_that_stored_nothing_says_where_state_comes_from(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """A new user's first look at State, before any step has set a key: the card beside the (empty)
    groups says why it is empty and what to do (it was an empty box); a group opened by hand shows its
    table and form instead."""
    with MotiaServer(write_project(tmp_path, HELLO_STEPS), mode="dev") as server:
        seen = _drive(server, chromium, client_packages, "workbench-empty-state-driver.mjs", "notes")

    assert seen["empty"]["card"] == (
        "The steps have stored nothing yet: call an endpoint (a step sets state as it runs), or open a "
        "new group on the left to set a key by hand."
    )
    assert seen["opened"]["card"].startswith("notes\n") and "stored nothing" not in seen["opened"]["card"]
    assert seen["consoleErrors"] == []


HELLO_STEPS = {
    "steps/hello.step.ts": """
        export const config = { type: 'api', name: 'Hello', path: '/hello', method: 'GET', emits: ['said'] }
        export const handler = async () => ({ status: 200, body: { ok: true } })
    """,
    "steps/audit.step.js": """
        exports.config = { type: 'event', name: 'Audit', subscribes: ['said'], emits: [] }
        exports.handler = async () => {}
    """,
}


def _fill_trace_store(database: Path, count: int, audited: set[int]) -> list[str]:
    """``count`` finished api traces of step Hello (GET /hello), one a tenth of a second apart up to
    now, written through the SQLite trace store as the recorder writes them; those in ``audited`` came
    by POST /hello/audit and also ran Audit (in JavaScript). Returns the trace ids, oldest first."""
    now = time.time()
    batch = Batch()
    ids = []
    for index in range(count):
        started = now - (count - index) * 0.1
        trace_id = f"{int(started * 1000):012x}-{index:020x}"
        ids.append(trace_id)
        spans = [
            Span(trace_id, f"{index:015x}a", "Hello", "api", "typescript", "steps/hello.step.ts", started)
        ]
        if index in audited:
            spans.append(
                Span(
                    trace_id, f"{index:015x}b", "Audit", "event", "javascript", "steps/audit.step.js", started
                )
            )
        for span in spans:
            span.ended_at = started + 0.004
            span.status = "ok"
            batch.spans.append(span)
        method, path = ("POST", "/hello/audit") if index in audited else ("GET", "/hello")
        delta = TraceDelta(started, started + 0.004, "api", "Hello", method, path, 200, spans=len(spans))
        batch.traces[trace_id] = delta
    _write_trace_store(database, batch)
    return ids


def test_the_traces_panel_pages_through_a_full_store(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """With 10,000 traces stored the panel shows one page of them, pages back on demand, and finds
    (server-side) one trace by a part of its id or all of it, the few of an endpoint by its name in
    the text box, and the few a step ran in by the step filter."""
    project = write_project(tmp_path, HELLO_STEPS)
    audited = {17, 5_000, 9_990}
    ids = _fill_trace_store(project / ".motia" / "traces.db", MANY_TRACES, audited)
    wanted = ids[1_234]  # far past the first pages
    with MotiaServer(project, mode="dev") as server:
        listed = server.client.get("/__motia/traces", params={"limit": 1}).json()
        assert listed["traces"][0]["traceId"] == ids[-1] and listed["nextCursor"]
        seen = _drive(
            server, chromium, client_packages, "workbench-traces-driver.mjs", wanted, "Audit", "post /HELLO/a"
        )

    newest_first = ids[::-1]
    assert seen["firstPage"] == newest_first[:50]  # one page, not 10,000 rows
    assert seen["olderShown"]
    # paging back failed once: its error shown by the button, the first page kept; then a double
    # click paged back once
    assert seen["olderFailed"] == {
        "shown": "Could not load older traces: the trace store is down",
        "rows": 50,
    }
    assert seen["olderRequests"] == 1
    assert seen["twoPages"] == newest_first[:100]
    assert seen["searchFailed"] == "Could not load: the trace store is down"
    assert seen["byId"] == [wanted]
    assert seen["byWholeId"] == [wanted]
    audits = [ids[index] for index in sorted(audited, reverse=True)]
    assert seen["byName"] == audits
    assert seen["byNameShown"] == ["POST /hello/audit 200"] * len(audited)  # with its answer's status
    assert seen["byNameHash"] == "#/traces?text=post+%2FHELLO%2Fa"
    assert seen["byStep"] == audits
    assert seen["opened"] == f"#/traces/{ids[max(audited)]}"
    # back to the list from there: as it was filtered, the filter in the address
    assert seen["backToList"] == {"hash": "#/traces?step=Audit", "step": "Audit", "rows": seen["byStep"]}
    assert seen["consoleErrors"] == []


LIVE_ERROR = "live error line"
LIVE_CRITICAL = "live critical line"
FAILING_STEP = {
    "steps/fail.step.js": f"""
        exports.config = {{ type: 'api', name: 'Fail', path: '/fail', method: 'GET', emits: [] }}
        exports.handler = async (_req, {{ logger }}) => {{
          logger.error('{LIVE_ERROR}')
          logger.critical('{LIVE_CRITICAL}')
          return {{ status: 200, body: {{}} }}
        }}
    """,
}


#: a step for a python runner to run beside the node one, which logs nothing
QUIET_PYTHON_STEP = """
config = {"type": "api", "name": "Quiet", "path": "/quiet", "method": "GET", "emits": []}
async def handler(req, context):
    return {"status": 200, "body": {}}
"""


def _store_log_lines(database: Path, lines: list[tuple[str, str]]) -> None:
    """``lines`` (level, message), oldest first, a millisecond apart ending a minute ago, written
    through the SQLite trace store as the recorder writes them."""
    start = time.time() - 60 - len(lines) / 1000
    logs = [
        log_line(start + index / 1000, message, level=level) for index, (level, message) in enumerate(lines)
    ]
    _write_trace_store(database, Batch(logs=logs))


def _write_trace_store(database: Path, batch: Batch) -> None:
    """``batch`` written through the SQLite trace store at ``database``, as the recorder writes it."""

    async def write() -> None:
        store = await SqliteTraceStore.open(database)
        try:
            await store.write(batch)
        finally:
            await store.close()

    asyncio.run(write())


def test_the_logs_panel_shows_critical_and_fatal_lines_alone(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The level filter offers Motia's levels and critical; critical shows the critical and fatal
    lines only, asking the server for them (one page, and a live stream of them), though errors newer
    than them fill more than a page, and when an error line arrives live; error then shows them all.
    The runner filter, as typed, keeps the lines of a runner kind (or id), asked of the server too."""
    project = write_project(tmp_path, {**FAILING_STEP, "steps/quiet_step.py": QUIET_PYTHON_STEP})
    severe = [("critical", "disk full"), ("fatal", "gave up")]
    newer_errors = [("error", f"failed {n}") for n in range(1_500)]
    stored = [("debug", "a detail"), ("info", "noted"), ("warn", "slow"), *severe, *newer_errors]
    _store_log_lines(project / ".motia" / "traces.db", stored)
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(
            server, chromium, client_packages, "workbench-logs-driver.mjs", "/fail", LIVE_ERROR, LIVE_CRITICAL
        )

    assert seen["levels"] == ["debug", "info", "warn", "error", "critical"]
    assert seen["linkedWarning"] == "warn"  # #/logs?level=warning, as the API takes it
    shown_severe = [{"level": level, "message": message} for level, message in severe]
    assert seen["critical"] == shown_severe  # oldest at the top, as every log view
    # the server filters, read back and live: one page, no paging back through errors
    assert seen["criticalRequests"] == [
        "/__motia/logs?level=critical&limit=200",
        f"/__motia/logs/stream?level=critical&after={seen['newestCritical']}",
    ]
    assert seen["liveStatus"] == 200
    # the error line was logged before the critical one, which the page had when this was read
    assert seen["criticalAfterLive"] == [*shown_severe, {"level": "critical", "message": LIVE_CRITICAL}]
    errors = [entry["message"] for entry in seen["error"]]
    assert errors[-3:] == ["failed 1499", LIVE_ERROR, LIVE_CRITICAL], errors[-4:]
    # the runner filter: the kinds and the runners running offered; a kind keeps the lines of its
    # runners (the stored ones came from no runner), shown with their step and runner as `motia dev`
    # prints them, asked of the server (read back and live) and kept in the address
    assert seen["runnerChoices"] == ["node", "python", "node-0", "python-0"]
    assert seen["python"] == {"lines": [], "hash": "#/logs?level=error&runner=python"}
    live = [{"level": "error", "message": LIVE_ERROR}, {"level": "critical", "message": LIVE_CRITICAL}]
    assert seen["node"] == {
        "lines": live,
        "from": ["Fail (node-0)", "Fail (node-0)"],
        "hash": "#/logs?level=error&runner=node",
    }
    assert seen["runnerRequests"] == [
        "/__motia/logs?level=error&runner=python&limit=200",
        "/__motia/logs/stream?level=error&runner=python",  # none read: from now on
        "/__motia/logs?level=error&runner=node&limit=200",
        f"/__motia/logs/stream?level=error&runner=node&after={seen['liveCriticalId']}",
    ]
    assert seen["consoleErrors"] == []


def _answered_with_headers_then_stalled(listening: socket.socket) -> None:
    """Answers the first request on ``listening`` with the headers of a 100-byte body and one byte of
    it, then sends nothing more (the connection open until ``listening`` closes)."""
    listening.settimeout(60)
    with contextlib.suppress(OSError):
        connection, _ = listening.accept()
        with connection:
            connection.settimeout(60)
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"
            )
            connection.recv(65536)  # until the driver gives up and closes it


@pytest.mark.parametrize(
    ("server_does", "reason"),
    [
        (None, "no answer in 1.5 s"),
        (_answered_with_headers_then_stalled, "answered 200, then its body stopped: not whole in 1.5 s"),
    ],
    ids=["no-headers", "body-stalled"],
)
def test_a_drivers_own_request_left_unanswered_fails_in_time_naming_its_url(
    chromium: str,
    client_packages: Path,
    server_does: Callable[[socket.socket], None] | None,
    reason: str,
) -> None:
    """A driver's own request (not the page's) to a port that listens and never answers, or answers
    the headers and then stops sending the body, fails once its time is out, naming its method and
    URL, rather than waiting Node's 300 s for the headers (or for ever for the body) and then saying
    only "fetch failed" (a CI run hung silent in a driver)."""
    with (
        socket.create_server(("127.0.0.1", 0)) as listening,
        concurrent.futures.ThreadPoolExecutor(1) as server,
    ):
        if server_does is not None:
            server.submit(server_does, listening)
        url = f"http://127.0.0.1:{listening.getsockname()[1]}/never"
        seen = run_driver(
            client_packages, "workbench-unanswered-driver.mjs", chromium, url, str(ARTIFACTS), url, "1500"
        )

    assert f"the driver's POST {url}: {reason}" in seen["failure"]
    assert 1500 <= seen["waitedMs"] < 10_000


def test_a_drivers_one_time_routes_each_catch_their_request_however_soon_the_next_is_set(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """Route after route of one request each (``{ times: 1 }``), each set as soon as the page had the
    answer of the one before, as a driver fails a read on purpose and then holds the next: every
    request is the route's. The route used up made Playwright (1.56) drop the page's interception
    without waiting, a route set meanwhile was left without it and never called (the Streams
    panel's refresh "not held in 30 s" in test_every_panel_works_in_chromium_on_the_pet_app, about
    1 run in 14 on a loaded machine); openPage keeps a route of its own that lets every request
    through, so the interception is never dropped."""
    seen = _drive(server, chromium, client_packages, "workbench-routes-driver.mjs", "40")
    assert seen["missed"] == []


def _code_run_in_a_page(source: str) -> str:
    """``source`` without the functions a driver hands to a page to run there (``.evaluate(...)``,
    ``.waitForFunction(...)``, ``.$eval``/``.$$eval(...)``): a ``fetch`` in them is the page's own."""
    kept = []
    position = 0
    for opened in re.finditer(r"\.(?:evaluate|waitForFunction|\$\$?eval)\(", source):
        if opened.start() < position:
            continue
        depth = 0
        end = opened.end() - 1
        for end in range(opened.end() - 1, len(source)):
            depth += {"(": 1, ")": -1}.get(source[end], 0)
            if depth == 0:
                break
        kept.append(source[position : opened.start()])
        kept.append("\n" * source.count("\n", opened.start(), end + 1))  # line numbers stay
        position = end + 1
    return "".join(kept) + source[position:]


def test_every_driver_asks_the_app_through_the_timed_fetch() -> None:
    """Every Node client of tests/clients (the Workbench drivers, the stream clients' scenario, the
    debugger's CDP client) makes its own requests through timed-fetch.mjs's ``timedFetch`` (the test
    above), none through Node's bare ``fetch``, whose only timeout is 300 s for the headers; a
    ``fetch`` run in a page the driver drives is the page's (cors-driver.mjs's, what it tests)."""
    bare = re.compile(r"(?<![.\w])fetch\(")
    clients = sorted((REPO_ROOT / "tests" / "clients").glob("*.mjs"))
    the_timed_fetch = REPO_ROOT / "tests" / "clients" / "timed-fetch.mjs"
    untimed = [
        f"{client.name}:{number}"
        for client in clients
        if client != the_timed_fetch
        for number, line in enumerate(_code_run_in_a_page(client.read_text()).splitlines(), 1)
        if bare.search(line)
    ]
    assert the_timed_fetch in clients and len(clients) > 20 and untimed == []


def test_the_pet_apps_create_forms_are_prefilled_with_a_pet_that_a_first_send_creates(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """The Endpoints form of each language's POST /<lang>/pets, as first shown: its body is a pet
    from the schema's examples (the name "Luna", not "string"), the first of the species, and it
    passes the schema: a first Send creates the pet."""
    created = [f"POST /{lang}/pets" for lang in ("ts", "js", "py")]
    seen = _drive(server, chromium, client_packages, "workbench-prefill-driver.mjs", *created)

    pet = {"name": "Luna", "species": "dog", "ageMonths": 8}
    shown = {endpoint: json.loads(form["prefilled"]) for endpoint, form in seen["endpoints"].items()}
    assert shown == dict.fromkeys(created, pet)
    assert {endpoint: form["status"] for endpoint, form in seen["endpoints"].items()} == dict.fromkeys(
        created, "201"
    ), seen["endpoints"]
    assert all(json.loads(form["body"])["pet"]["name"] == "Luna" for form in seen["endpoints"].values())
    assert seen["consoleErrors"] == []


PREFILL_STEPS = {
    "steps/offered.step.js": """
        exports.config = {
          type: 'api', name: 'Offered', path: '/offered', method: 'POST', emits: [],
          bodySchema: {
            type: 'object',
            required: ['examples', 'example', 'default', 'const', 'enum', 'described', 'unfit', 'phone', 'tags', 'count'],
            properties: {
              examples: { type: 'string', examples: ['first', 'second'], example: 'e', default: 'd' },
              example: { type: 'integer', example: 7, default: 3 },
              default: { type: 'boolean', default: true, enum: [false, true] },
              const: { const: 'v1', enum: ['v0', 'v1'] },
              enum: { type: 'string', enum: ['small', 'large'] },
              described: { type: 'string', description: 'your nickname' },
              unfit: { type: 'string', description: 'two words', pattern: '^\\\\S+$' },
              phone: { type: 'string', description: 'E.164', pattern: '^\\\\+[1-9]\\\\d{1,14}$' },
              tags: { type: 'array', minItems: 2, items: { type: 'string', examples: ['red'] } },
              count: { type: 'number', exclusiveMinimum: 0 },
              optional: { type: 'string', examples: ['left out'] },
            },
          },
        }
        exports.handler = async (req) => ({ status: 200, body: req.body })
    """,
    "steps/owned_step.py": """
        from pydantic import BaseModel, Field

        class Owner(BaseModel):
            name: str = Field(examples=["Ada"])

        class Body(BaseModel):
            owner: Owner
            country: str = Field(pattern=r"^[A-Z]{2}$")
            note: str | None = None

        config = {"type": "api", "name": "Owned", "path": "/owned", "method": "POST", "emits": [], "bodySchema": Body}

        async def handler(req, ctx):
            return {"status": 200, "body": Body.model_validate(req["body"]).model_dump()}
    """,
}


def test_a_request_body_is_prefilled_from_its_schemas_examples_then_its_types(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """A body's prefilled JSON takes each property's first of examples, else its example, default,
    const, first of enum; else one of its type that its constraints accept (a string its
    description, as Motia's Workbench does, when it fits, else one its pattern matches: an E.164
    phone, a pydantic field's ISO code, which a first Send answered 400 to as "string"); a required
    property only; a pydantic model's nested model (a $ref to its $defs) as that model's example.
    Each passes its schema."""
    project = write_project(tmp_path, PREFILL_STEPS, config={"api": {"validateBody": True}})
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(
            server, chromium, client_packages, "workbench-prefill-driver.mjs", "POST /offered", "POST /owned"
        )

    offered, owned = seen["endpoints"]["POST /offered"], seen["endpoints"]["POST /owned"]
    assert json.loads(offered["prefilled"]) == {
        "examples": "first",
        "example": 7,
        "default": True,
        "const": "v1",
        "enum": "small",
        "described": "your nickname",
        "unfit": "string",
        "phone": "+10",
        "tags": ["red", "red"],
        "count": 1,
    }
    assert json.loads(owned["prefilled"]) == {"owner": {"name": "Ada"}, "country": "AB"}
    assert (offered["status"], owned["status"]) == ("200", "200"), seen["endpoints"]
    assert seen["consoleErrors"] == []


def test_a_state_value_is_deleted_only_once_the_user_says_yes_in_its_row(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """A state value's Delete asks first, in its row (no browser dialog): "Delete key X?" with Yes
    and Cancel, the focus on Cancel (a double click on Delete only asks); Cancel or Escape keeps the
    value, the focus back on Delete; Yes deletes it. The keyboard alone reaches Delete, asks, and
    answers Yes."""
    for key in ("kept", "gone"):
        server.client.put("/__motia/state/item", params={"groupId": "wb-delete", "key": key}, json={"k": key})
    seen = _drive(
        server, chromium, client_packages, "workbench-state-delete-driver.mjs", "wb-delete", "kept", "gone"
    )

    assert seen["asked"] == {"row": True, "asked": "Delete key kept?", "focused": "Cancel", "deletes": []}
    assert seen["cancelled"] == {"row": True, "asked": None, "focused": "Delete"}
    assert seen["escaped"] == {"row": True, "asked": None, "focused": "Delete", "deletes": []}
    assert seen["keyboardAsked"] == {
        "row": True,
        "asked": "Delete key gone?",
        "focused": "Cancel",
        "deletes": [],
    }
    assert seen["deletes"] == ["gone"]
    assert seen["dialogs"] == []
    state = {
        key: server.client.get("/__motia/state/item", params={"groupId": "wb-delete", "key": key}).status_code
        for key in ("kept", "gone")
    }
    assert state == {"kept": 200, "gone": 404}
    assert seen["consoleErrors"] == []


def test_every_panels_lists_end_in_the_window_under_a_header_of_any_height(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    """At 800 px wide the header's tabs take two rows; at 1400, one: on every panel, in a window
    700 px tall, the lists, the log lines, the diagram and what is chosen beside a list take the
    height left under the header and scroll in themselves: none ends below the window (they did by
    the header's second row)."""
    server.client.get("/ts/pets")  # a trace and its log lines, in the pet app's long lists
    seen = _drive(server, chromium, client_packages, "workbench-heights-driver.mjs", "800,1400")

    assert seen["800"]["header"] > seen["1400"]["header"]  # the taller header this is about
    for width in ("800", "1400"):
        overflowing = {panel: bottoms for panel, bottoms in seen[width]["panels"].items() if bottoms}
        assert len(seen[width]["panels"]) == 8 and overflowing == {}, width
    assert seen["consoleErrors"] == []


def _crowded_flow() -> dict[str, str]:
    """The flow "crowd": four api steps each emitting two topics to one hub, which emits three topics
    to one step and one to each of two more."""
    files = {}
    for n in range(4):
        files[f"steps/source{n}.step.js"] = f"""
            exports.config = {{
              type: 'api', name: 'Source{n}', path: '/source/{n}', method: 'POST', flows: ['crowd'],
              emits: ['source{n}.asked_for_review', 'source{n}.ready_for_adoption'],
            }}
            exports.handler = async () => ({{ status: 200, body: {{}} }})
        """
    subscribes = [
        f"source{n}.{topic}" for n in range(4) for topic in ("asked_for_review", "ready_for_adoption")
    ]
    treatment = ["hub.treatment.required", "hub.treatment.completed", "hub.treatment.cancelled"]
    files["steps/hub.step.js"] = f"""
        exports.config = {{
          type: 'event', name: 'Hub', subscribes: {subscribes!r}, flows: ['crowd'],
          emits: {[*treatment, "hub.adoption", "hub.audit"]!r},
        }}
        exports.handler = async () => {{}}
    """
    for name, topics in (("Treat", treatment), ("Adopt", ["hub.adoption"]), ("Audit", ["hub.audit"])):
        files[f"steps/{name.lower()}.step.js"] = f"""
            exports.config = {{ type: 'event', name: '{name}', subscribes: {topics!r}, emits: [], flows: ['crowd'] }}
            exports.handler = async () => {{}}
        """
    return files


def _skipping_flow() -> dict[str, str]:
    """The flow "skip", shaped as Motia's human-in-the-loop example (motia-examples,
    foundational/workflow-patterns/human-in-the-loop): an api step, an event step that either
    completes the order itself or (virtually) asks a noop gate, whose decision an api webhook takes
    on to the same completing step, two layers further down than the event step."""
    steps = {
        "submit": "type: 'api', name: 'Submit', path: '/skip/orders', method: 'POST', emits: ['order.submitted']",
        "analyze": "type: 'event', name: 'Analyze', subscribes: ['order.submitted'], emits: ['order.auto_approved'], virtualEmits: [{ topic: 'approval.required', label: 'Requires human approval' }]",
        "gate": "type: 'noop', name: 'Gate', virtualSubscribes: ['approval.required'], virtualEmits: ['human.decision']",
        "webhook": "type: 'api', name: 'Webhook', path: '/skip/orders/:id/approve', method: 'POST', virtualSubscribes: ['human.decision'], emits: ['order.approved']",
        "complete": "type: 'event', name: 'Complete', subscribes: ['order.approved', 'order.auto_approved'], emits: []",
    }
    handler = "async () => ({ status: 200, body: {} })"
    return {
        f"steps/skip/{name}.step.js": f"exports.config = {{ {config}, flows: ['skip'] }}\nexports.handler = {handler}\n"
        for name, config in steps.items()
    }


def _fanning_flow() -> dict[str, str]:
    """The flow "fan", shaped as MotiaDev's property-search-agent (motia-examples,
    rag-and-search/rag-applications/property-search-agent): an api step emitting four topics with long
    labels, three of them conditional, each to its own event step, and an api step alone. The label
    of the second edge, nudged down off the first's, covered the arrow into its step."""
    emits = [
        ("property.scrape", "Scrape Properties", False),
        ("property.enrich", "Enrich Property Data (if costly)", True),
        ("market.analyze", "Analyze Market (conditional)", True),
        ("neighborhood.analyze", "Analyze Neighborhoods (if any)", True),
    ]
    listed = ", ".join(
        f"{{ topic: '{topic}', label: '{label}'{', conditional: true' if conditional else ''} }}"
        for topic, label, conditional in emits
    )
    files = {
        "steps/fan/start.step.js": f"""
            exports.config = {{
              type: 'api', name: 'StartPropertySearch', path: '/fan/search', method: 'POST',
              flows: ['fan'], emits: [{listed}],
            }}
            exports.handler = async () => ({{ status: 200, body: {{}} }})
        """,
        "steps/fan/results.step.js": """
            exports.config = {
              type: 'api', name: 'GetPropertyResults', path: '/fan/search/:searchId', method: 'GET',
              flows: ['fan'], emits: [],
            }
            exports.handler = async () => ({ status: 200, body: {} })
        """,
    }
    names = [
        "PropertySearchProcessor",
        "PropertyEnrichmentProcessor",
        "MarketAnalysisProcessor",
        "NeighborhoodAnalysisProcessor",
    ]
    for (topic, _, _), name in zip(emits, names, strict=True):
        files[f"steps/fan/{name.lower()}.step.js"] = f"""
            exports.config = {{ type: 'event', name: '{name}', subscribes: ['{topic}'], emits: [], flows: ['fan'] }}
            exports.handler = async () => {{}}
        """
    return files


def test_a_flows_edge_labels_sit_on_their_edges_clear_of_each_other_and_of_every_step(
    server: MotiaServer, tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The pet app's flows, whose orchestrator step has many topics in and out, and a flow more
    crowded still (eight topics into one step, three of its topics to one step), each edge labelled:
    every label on its own edge (a second edge between two steps had its label stacked off it, onto
    the other edge), its box and text clear of every other label and of every step's box, in the pet
    app's flows 3 px apart at least (the labels of two edges out of JsAdoptionReviewAgent were placed
    2 px apart and read as overlapping), its text inside its box (as wide as the page's font draws
    it, not as guessed from its length); the edges
    into (and out of) a step spread along its side, not met in one point (the orchestrator's six
    incoming edges and their labels were crowded into its top centre); none put where it covers the
    least (no clear place found: squeezed), none cut short (ts.pet.status.update.reques…). Each api
    step's route shown whole on its node (cut at 32 characters: POST /ts/pets/:id/adoption-revi…),
    every step's text inside its box, and what each step answers (route, cron, every topic it
    subscribes to) named in its tooltip. No edge drawn through a step it does not connect (in Motia's
    human-in-the-loop example, the edge from the risk analysis to the completing step, past the
    approval gate and webhook between them, ran straight through both), no label past the diagram's
    sides, none over an edge's arrowhead (in MotiaDev's property-search-agent a label nudged down
    off its neighbour's covered the arrow into its step)."""
    flows = ["TsPetManagement", "JsPetManagement", "PyPetManagement", "PetShelter", "Workbench"]
    seen = _drive(server, chromium, client_packages, "workbench-edge-labels-driver.mjs", *flows)
    project = write_project(tmp_path, _crowded_flow() | _skipping_flow() | _fanning_flow())
    with MotiaServer(project, mode="dev") as crowded:
        in_crowd = _drive(
            crowded, chromium, client_packages, "workbench-edge-labels-driver.mjs", "crowd", "skip", "fan"
        )
    assert seen.pop("consoleErrors") == in_crowd.pop("consoleErrors") == []
    seen |= in_crowd

    assert seen["TsPetManagement"]["labels"] > 10 and seen["crowd"]["labels"] == 13
    assert seen["skip"]["labels"] == 5 and seen["fan"]["labels"] == 4
    labelled = [*flows, "crowd", "skip", "fan"]
    # near one another (less than 3 px apart, read as overlapping) only in a crowd of edges (three
    # between two steps a layer apart) built to test squeezing
    tight = {"crowd", "skip"}
    crowding = {
        flow: {
            k: v
            for k, v in seen[flow].items()
            if k != "labels" and v and (k != "closeLabels" or flow not in tight)
        }
        for flow in labelled
    }
    assert {flow: crowd for flow, crowd in crowding.items() if crowd} == {}


#: a runner's uptime in seconds, as both the Workbench's Runners panel and ``motia runners`` write it
UPTIMES = {0: "0s", 5: "5s", 59.9: "59s", 61: "1m01s", 3599: "59m59s", 3725: "1h02m", 2 * 86400: "48h00m"}


#: the page's module of the rules it shares with the CLI (how long, how long after)
DURATIONS_JS = REPO_ROOT / "supervisor" / "http" / "workbench" / "durations.js"


def _page_rule(name: str, inputs: list[Any], module: Path = DURATIONS_JS) -> list[Any]:
    """What the function ``name`` of one of the page's modules (its durations module unless told)
    makes of each input: the module run by Node as the browser imports it."""
    script = (
        f"import({json.dumps(module.as_uri())}).then((rules) => "
        f"console.log(JSON.stringify({json.dumps(inputs)}.map((x) => rules.{name}(x) ?? null))))"
    )
    ran = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    made: list[Any] = json.loads(ran.stdout)
    return made


#: how long after its trace's start an operation or log line came (ms), as both the Workbench's trace
#: view and ``motia traces ID`` write it: in seconds from one on (a dead letter replayed minutes
#: later read +432674.3 on the page); exact ties (12.25, 1062.5) rounded away from zero in both
OFFSETS = {
    0: "+0.0 ms",
    12.3: "+12.3 ms",
    12.25: "+12.3 ms",
    999.94: "+999.9 ms",
    999.96: "+1.000 s",
    1000: "+1.000 s",
    1062.5: "+1.063 s",
    432674.3: "+432.674 s",
}


#: how long a trace or a step took (ms), as both the Workbench and ``motia traces`` write it: from a
#: minute on in minutes (a trace a replay spread over minutes read "474.45 s" in the CLI and "7 min
#: 54 s" on the page), the unit going by the rounded figure; exact ties (0.125, 12.25, 3599.5 s)
#: rounded away from zero in both; a trace or step still running has no duration yet (None)
DURATIONS: dict[float | None, str] = {
    None: "…",
    0.004: "0.00 ms",
    0.125: "0.13 ms",
    0.996: "1.0 ms",
    3.5: "3.5 ms",
    12.25: "12.3 ms",
    999.96: "1.00 s",
    1500: "1.50 s",
    59994: "59.99 s",
    59996: "1 min 0 s",
    474450: "7 min 54 s",
    1095570: "18 min 16 s",
    3599500: "1 h 0 min",
    7500000: "2 h 5 min",
}


#: the rules the page shares with the CLI, each written twice (the page is JavaScript, the CLI
#: Python): the page's function, the CLI's, the examples pinning both, and a call of it on the page
#: (the page's own formatting in its place would pass the examples and still read otherwise)
SHARED_RULES = [
    # the Runners panel's uptime cell, motia runners' UPTIME
    pytest.param("durationText", runners_uptime, UPTIMES, "durationText(runner.uptimeSeconds)", id="uptime"),
    # the trace view's events table, the lines of motia traces ID
    pytest.param("offsetText", trace_offset, OFFSETS, "offsetText(event.time - start)", id="offset"),
    # the traces list's duration cell (a running trace's too), motia traces' DURATION
    pytest.param("tookText", trace_duration, DURATIONS, "tookText(trace.durationMs)", id="duration"),
]


@pytest.mark.parametrize(("page_rule", "cli_rule", "examples", "call"), SHARED_RULES)
def test_a_rule_the_workbench_shares_with_the_cli_reads_the_same_in_both(
    page_rule: str, cli_rule: Callable[[Any], str], examples: dict[Any, str], call: str
) -> None:
    """One rule written twice, the page's run as the browser imports it, pinned by the same examples."""
    assert dict(zip(examples, _page_rule(page_rule, list(examples)), strict=True)) == examples
    assert {value: cli_rule(value) for value in examples} == examples
    page = (DURATIONS_JS.parent / "workbench.js").read_text()
    assert call in page


#: the page's module that writes a trace's state and stream operations as the CLI does
OPERATIONS_JS = DURATIONS_JS.parent / "operations.js"

#: a state or stream operation of a trace (as the server lists it) -> the line the trace view's table
#: and ``motia traces ID`` write of it (the CLI after the step's name): a stream write's size, which
#: the page left out (a Motia example's chat stream writes read with no size on the page only)
OPERATIONS: list[tuple[dict[str, Any], str]] = [
    (
        {"type": "state", "name": "state.set", "group": "orders", "key": "o-1", "size": 141},
        "state.set orders/o-1 (141 B)",
    ),
    ({"type": "state", "name": "state.get", "group": "orders", "key": "o-2"}, "state.get orders/o-2"),
    (
        {"type": "state", "name": "state.getGroup", "group": "orders", "key": None, "size": 0},
        "state.getGroup orders",
    ),
    ({"type": "state", "name": "state.clear", "group": "orders", "key": ""}, "state.clear orders"),
    (
        {
            "type": "stream",
            "name": "streams.set",
            "stream": "chat",
            "group": "room-1",
            "itemId": "m-2",
            "size": 96,
        },
        "streams.set chat/room-1/m-2 (96 B)",
    ),
    (
        {
            "type": "stream",
            "name": "streams.send",
            "stream": "chat",
            "group": "room-1",
            "itemId": None,
            "size": 12,
        },
        "streams.send chat/room-1 (12 B)",
    ),
    (
        {"type": "stream", "name": "streams.getGroup", "stream": "chat", "group": "room-1"},
        "streams.getGroup chat/room-1",
    ),
]


def test_the_trace_view_writes_an_operation_as_motia_traces_does() -> None:
    """One rule written twice, the page's run as the browser imports it, pinned by the same examples;
    the trace view's table writes its state and stream rows with it."""
    events = [event for event, _ in OPERATIONS]
    expected = [text for _, text in OPERATIONS]
    assert _page_rule("operationText", events, OPERATIONS_JS) == expected
    assert [trace_operation(event) for event in events] == expected
    page = (DURATIONS_JS.parent / "workbench.js").read_text()
    assert "return operationText(event)" in page


#: the page's modules that make the Endpoints form's prefilled body
PREFILL_JS = DURATIONS_JS.parent / "prefill.js"
MATCHING_JS = DURATIONS_JS.parent / "matching.js"

#: a pattern users write on a string field (and zod's own) -> the string the prefill makes of it; None:
#: one the generator does not read (\p{...}), where the form keeps its description or "string"
PATTERNS: dict[str, str | None] = {
    r"^\+[1-9]\d{1,14}$": "+10",  # E.164 phone
    r"^[a-z0-9-]+$": "a",  # slug
    r"^[A-Z]{2}$": "AB",  # ISO country code
    r"^\d{5}(-\d{4})?$": "01234",  # US ZIP code
    r"^#[0-9a-fA-F]{6}$": "#abcdef",  # hex colour
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "a@a.a",
    r"^v\d+\.\d+\.\d+(-[a-z]+)?$": "v0.0.0",
    r"^\-?\d+$": "0",  # an escape the u flag refuses, which Rust's and Python's regexes read
    r"^[\w.-]+$": "a",
    r"^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?$": "00:00",  # zod 4's z.iso.time()
    r"^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$": "0abcdefghjkmnpqrstvwxyz012",  # zod 4's z.ulid()
    r"^[cC][^\s-]{8,}$": "cabcdefgh",  # zod 3's cuid
    r"^(?:[0-9A-F]{2}:){5}[0-9A-F]{2}$|^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$": "01:01:01:01:01:01",  # zod's z.mac()
    r"^$|^(?:[0-9a-zA-Z+/]{4})*(?:(?:[0-9a-zA-Z+/]{2}==)|(?:[0-9a-zA-Z+/]{3}=))?$": "abcd",  # not ""
    r"^(?=.{1,253}\.?$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-0-9a-zA-Z]{0,61}[0-9a-zA-Z])?)*\.?$": "a",
    r"^P(?:(\d+W)|(?!.*W)(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+([.,]\d+)?S)?)?)$": "P0W",
    r"^(a|b)c\1$": "aca",
    r"^(?<pair>ab)+?x{2,3}$": "abxx",
    r"^[^A-Z]*$": "a",
    r"^\u00e9\x41\t.$": "éA\ta",
    "mid": "mid",
    r"^\p{Lu}+$": None,
}


def _refusal(schema: dict[str, Any], value: Any) -> str:
    """What the server's validator (the one of request bodies) says against ``value``: "" if nothing."""
    from supervisor.core._schemas import compile_schema, describe_errors

    validator = compile_schema(schema)
    assert validator is not None
    return describe_errors(validator.errors(value))


def test_a_pattern_is_prefilled_with_a_string_it_and_the_servers_validator_accept() -> None:
    """The Endpoints form's string for a field with a ``pattern`` and no example: one the pattern
    accepts as the server reads it (a first Send of "string" answered 400 for these)."""
    made = dict(zip(PATTERNS, _page_rule("matchingString", list(PATTERNS), MATCHING_JS), strict=True))
    assert made == PATTERNS
    refused = {
        pattern: refusal
        for pattern, text in made.items()
        if text is not None and (refusal := _refusal({"type": "string", "pattern": pattern}, text))
    }
    assert refused == {}


#: zod 4's z.toJSONSchema of a body of each string format it writes (2020-12: the server checks
#: their patterns, not their formats), as the node runner makes it
ZOD4_FORMATS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "email": {
            "type": "string",
            "format": "email",
            "pattern": r"^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$",
        },
        "uuid": {
            "type": "string",
            "format": "uuid",
            "pattern": r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$",
        },
        "at": {
            "type": "string",
            "format": "date-time",
            "pattern": r"^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z))$",
        },
        "time": {"type": "string", "pattern": r"^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?$"},
        "ipv4": {
            "type": "string",
            "format": "ipv4",
            "pattern": r"^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$",
        },
        "cidr": {
            "type": "string",
            "format": "cidrv4",
            "pattern": r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\/([0-9]|[1-2][0-9]|3[0-2])$",
        },
        "phone": {"type": "string", "format": "e164", "pattern": r"^\+[1-9]\d{6,14}$"},
        "host": {
            "type": "string",
            "format": "hostname",
            "pattern": r"^(?=.{1,253}\.?$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-0-9a-zA-Z]{0,61}[0-9a-zA-Z])?)*\.?$",
        },
        "b64": {
            "type": "string",
            "format": "base64",
            "contentEncoding": "base64",
            "pattern": r"^$|^(?:[0-9a-zA-Z+/]{4})*(?:(?:[0-9a-zA-Z+/]{2}==)|(?:[0-9a-zA-Z+/]{3}=))?$",
        },
        "nano": {"type": "string", "format": "nanoid", "pattern": r"^[a-zA-Z0-9_-]{21}$"},
        "emoji": {
            "type": "string",
            "format": "emoji",
            "pattern": r"^(?=[\s\S]*[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3])[\p{Extended_Pictographic}\p{Emoji_Component}]+$",
        },
        "affixed": {
            "type": "string",
            "format": "ends_with",
            "allOf": [{"pattern": "^ab.*"}, {"pattern": ".*yz$"}],
        },
        "lower": {"type": "string", "format": "lowercase", "pattern": "^[^A-Z]*$"},
        "price": {"type": "number", "minimum": 0.05, "multipleOf": 0.01},
        "debt": {"type": "number", "exclusiveMaximum": 0},
        "rating": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
    },
}

#: zod-to-json-schema's (zod 3) draft-07, whose formats the server checks
ZOD3_FORMATS: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{
            name: {"type": "string", "format": name}
            for name in ("email", "uri", "uuid", "date-time", "date", "time", "duration", "ipv4", "ipv6")
        },
        "ip": {"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
        "affixed": {"type": "string", "allOf": [{"pattern": "^ab"}, {"pattern": "yz$"}]},
        "includes": {"type": "string", "pattern": "mid"},
        "ulid": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$"},
        "half": {"type": "number", "multipleOf": 0.5, "exclusiveMinimum": 1, "exclusiveMaximum": 2},
        "positive": {"type": "integer", "exclusiveMinimum": 0},
    },
}

#: schemas as users write them: a body's each field is one the prefill got wrong before
PREFILLED: dict[str, dict[str, Any]] = {
    "zod 4 formats": ZOD4_FORMATS,
    "zod 3 formats": ZOD3_FORMATS,
    "json schema formats (draft 7)": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            name: {"type": "string", "format": name}
            for name in (
                *("hostname", "idn-hostname", "idn-email", "iri", "iri-reference", "uri-reference"),
                *("uri-template", "json-pointer", "relative-json-pointer", "regex"),
            )
        },
    },
    "patterns and lengths": {
        "type": "object",
        "properties": {
            "phone": {"type": "string", "pattern": r"^\+[1-9]\d{1,14}$", "description": "your phone"},
            "slug": {"type": "string", "pattern": "^[a-z0-9-]+$", "minLength": 3, "maxLength": 5},
            "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "zip": {"type": "string", "pattern": r"^\d{5}(-\d{4})?$", "minLength": 10},
            "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            "word": {"type": "string", "pattern": "^[a-z]+$", "minLength": 8},
            "short": {"type": "string", "maxLength": 3},
            "negative": {"type": "string", "pattern": r"^\-\d+$"},
        },
    },
    "numbers": {
        "type": "object",
        "properties": {
            "tenth": {"type": "number", "multipleOf": 0.1, "minimum": 0.25},
            "between": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.5},
            "below": {"type": "integer", "exclusiveMaximum": -3},
            "fives": {"type": "integer", "minimum": -7.5, "multipleOf": 5},
            "bounded": {"type": "integer", "minimum": 5, "maximum": 10, "multipleOf": 4},
        },
    },
    "draft 4's boolean exclusive bounds": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "above": {"type": "integer", "minimum": 3, "exclusiveMinimum": True},
            "under": {"type": "number", "maximum": 0, "exclusiveMaximum": True},
        },
    },
}


def test_a_prefilled_body_passes_the_servers_validation_of_its_schema() -> None:
    """The Endpoints form's prefilled body for each schema (zod 4's and zod 3's JSON Schema of every
    string format they write; patterns with lengths; numbers with multipleOf and exclusive bounds)
    is one the server's validator accepts: a first Send reaches the handler."""
    bodies = dict(zip(PREFILLED, _page_rule("exampleOf", list(PREFILLED.values()), PREFILL_JS), strict=True))
    refused = {name: refusal for name, body in bodies.items() if (refusal := _refusal(PREFILLED[name], body))}
    assert refused == {}
    assert all(set(body) == set(PREFILLED[name]["properties"]) for name, body in bodies.items())
    assert bodies["patterns and lengths"]["phone"] == "+10"  # not its description, which it refuses


def test_a_pydantic_bodys_prefill_is_one_pydantic_reads() -> None:
    """pydantic's schema (no $schema: the server checks patterns and formats but dates, times and
    uuids) of the types whose
    format the prefill knows: the prefilled body is one the model validates, as a handler does."""
    import datetime
    import ipaddress
    import uuid

    from pydantic import UUID1, UUID3, UUID5, Base64Bytes, BaseModel, Field, HttpUrl, IPvAnyNetwork, Json

    class Body(BaseModel):
        site: HttpUrl
        id: uuid.UUID
        v1: UUID1
        v3: UUID3
        v5: UUID5
        at: datetime.datetime
        day: datetime.date
        time: datetime.time
        wait: datetime.timedelta
        ipv4: ipaddress.IPv4Address
        ipv6: ipaddress.IPv6Address
        network: IPvAnyNetwork
        interface: ipaddress.IPv6Interface
        data: Base64Bytes
        config: Json[dict[str, int]]
        code: str = Field(pattern=r"^[A-Z]{3}-\d{3}$")
        amount: float = Field(gt=0, lt=1, multiple_of=0.25)

    (body,) = _page_rule("exampleOf", [Body.model_json_schema()], PREFILL_JS)
    Body.model_validate(body)
    assert body["code"] == "ABC-012" and body["amount"] == 0.25
