"""The Workbench page, served by ``motia dev`` at ``/__motia/workbench`` (and ``/``), driven in Debian's
Chromium on the running pet app: every panel opens without a console error, a pet created from the
Endpoints panel shows its trace through TypeScript, JavaScript and Python steps (two test-only steps
carry the TS app's event into the other languages) and its stream updates, logs filter by trace,
a state value is edited and a dead letter replayed. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually
from tests.test_pet_app import make_project

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO_ROOT / "test-artifacts"
#: the pet app's flows are one per language; these carry a TS pet's creation into JS and Python, and
#: give the Dead letters panel a letter that goes through once a state switch is set
EXTRA_STEPS = {
    "steps/javascript/workbench-echo.step.js": """
        exports.config = {
          type: 'event', name: 'WorkbenchEcho', subscribes: ['ts.pet.created'], emits: ['workbench.echoed'],
          flows: ['Workbench'],
        }
        exports.handler = async (input, { emit, logger, state, traceId }) => {
          logger.info('echoing a TS pet in JS', { petId: input.petId })
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
    "steps/javascript/workbench-doomed.step.js": """
        exports.config = {
          type: 'event', name: 'WorkbenchDoomed', subscribes: ['workbench.doomed'], emits: [],
          flows: ['Workbench'], infrastructure: { queue: { maxRetries: 0 } },
        }
        exports.handler = async (input, { state }) => {
          if ((await state.get('workbench', 'fixed')) !== true) throw new Error('the switch is not set')
          await state.set('workbench', 'replayed', input)
        }
    """,
}


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
    with MotiaServer(project, mode="start", env={"MOTIA_WORKBENCH": "true"}) as server:
        assert server.client.get("/__motia/workbench").status_code == 200


def test_every_panel_works_in_chromium_on_the_pet_app(
    server: MotiaServer, chromium: str, client_packages: Path
) -> None:
    doomed = server.client.post("/__motia/emit", json={"topic": "workbench.doomed", "data": {"n": 1}})
    assert doomed.status_code == 200
    eventually(lambda: server.client.get("/__motia/dead-letters").json()["deadLetters"])
    server.client.put("/__motia/state/item", params={"groupId": "workbench", "key": "fixed"}, json=False)
    ARTIFACTS.mkdir(exist_ok=True)
    done = subprocess.run(
        ["node", "workbench-driver.mjs", chromium, server.url, str(ARTIFACTS)],
        cwd=client_packages,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    seen: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    assert "failure" not in seen, seen["failure"] + "\n" + server.output[-4000:]
    panels = seen["panels"]

    # Flows: every flow drawn, nodes apart, api/event/cron/noop told apart, virtual edges dashed
    flows = panels["flows"]
    assert {"TsPetManagement", "JsPetManagement", "PyPetManagement", "Workbench"} <= set(flows)
    registry_flows = {flow["id"]: flow for flow in server.client.get("/__motia/flows").json()["flows"]}
    for flow_id, drawn in flows.items():
        assert len(drawn["nodes"]) == len(registry_flows[flow_id]["steps"]), flow_id
        assert drawn["edges"] == len(registry_flows[flow_id]["edges"]), flow_id
        assert drawn["overlaps"] == 0, flow_id
    ts_types = {node["type"] for node in flows["TsPetManagement"]["nodes"]}
    assert {"type-api", "type-event", "type-cron"} <= ts_types
    assert {node["type"] for node in flows["Workbench"]["nodes"]} == {"type-event", "type-noop"}
    assert flows["Workbench"]["virtualEdges"] == 1
    assert "steps/typescript/create-pet.step.ts" in panels["flowDetail"]

    # Endpoints: the form was prefilled from the schema; the pet was created; its stream updates came
    endpoints = panels["endpoints"]
    assert endpoints["count"] == sum(
        1 for s in server.client.get("/__motia/steps").json()["steps"] if s["type"] == "api"
    )
    assert set(json.loads(endpoints["prefilled"])) >= {"name", "species"}
    assert endpoints["status"] == "201"
    created = json.loads(endpoints["body"])
    assert created["pet"]["name"] == "Luna"  # the app answers with its stream item (and its __motia marker)
    assert created["__motia"]["streamName"] == "petCreation"
    # the items of the answer's stream group: in the first sync (a group is synced non-empty only) or
    # as they come, depending on how fast the workflow runs against the page subscribing
    assert endpoints["streamEvents"] and set(endpoints["streamEvents"]) <= {
        "sync",
        "create",
        "update",
        "event",
    }

    # Traces: one trace through all three languages, with operations and log lines
    trace = panels["trace"]
    steps = {span["step"] for span in trace["spans"]}
    assert {"TsCreatePet", "WorkbenchEcho", "WorkbenchPyEcho"} <= steps
    assert {"state", "emit", "stream", "log"} <= set(trace["eventRows"])
    assert trace["bars"] == len(trace["spans"])
    assert "spanId" in trace["selected"] and "ts.pet.created" in trace["selectedEvent"] + json.dumps(trace)

    # Logs: filtered by the trace, lines from the steps of every language; the id opens the trace
    logs = panels["logs"]["lines"]
    assert any("echoing a TS pet in JS" in line for line in logs) and any(
        "echoed in Python" in line for line in logs
    )
    assert panels["logs"]["followedTo"] == f"#/traces/{seen['traceId']}"

    # State edited from the page; the dead letter replayed from the page went through
    assert "workbench" in panels["state"]["groups"]
    assert (
        server.client.get("/__motia/state/item", params={"groupId": "workbench", "key": "fixed"}).json()[
            "value"
        ]
        is True
    )
    assert panels["deadLetters"]["before"] and panels["deadLetters"]["after"] == []
    failure = panels["deadLetters"]["failure"]
    assert "the switch is not set" in failure and "workbench-doomed.step.js:6" in failure
    replayed = eventually(
        lambda: (
            server.client.get("/__motia/state/item", params={"groupId": "workbench", "key": "replayed"})
            .json()
            .get("value")
        )
    )
    assert replayed == {"n": 1}

    assert "petCreation" in panels["streams"]["streams"] and "created" in panels["streams"]["items"]
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
