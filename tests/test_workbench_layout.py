"""The node positions Node Motia's Workbench saved in a project's ``motia-workbench.json`` (Motia
0.17's format: ``[{"id": flow, "config": {step file: {"x", "y", ...}}}]``, which every project of
MotiaDev's motia-examples ships): served, saved back as Motia saves them, and drawn by the Flows panel
in Debian's Chromium; a malformed file named at start-up and ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervisor.http._flow_layout import LayoutError, parse_layout
from tests.support.project import write_project
from tests.support.server import MotiaServer
from tests.test_workbench import _drive

pytestmark = pytest.mark.e2e

STEPS = {
    "steps/place.step.js": """
        exports.config = { type: 'api', name: 'Place', path: '/place', method: 'POST', emits: ['placed'], flows: ['orders'] }
        exports.handler = async () => ({ status: 200, body: {} })
    """,
    "steps/check.step.js": """
        exports.config = { type: 'event', name: 'Check', subscribes: ['placed'], emits: ['checked'], flows: ['orders'] }
        exports.handler = async () => {}
    """,
    "steps/ship.step.js": """
        exports.config = { type: 'event', name: 'Ship', subscribes: ['checked'], emits: [], flows: ['orders'] }
        exports.handler = async () => {}
    """,
    # in the flow, named by no saved position: laid out by the page, below those placed
    "steps/audit.step.js": """
        exports.config = { type: 'event', name: 'Audit', subscribes: ['checked'], emits: [], flows: ['orders'] }
        exports.handler = async () => {}
    """,
    # a flow with no saved position at all: drawn as the page lays it out
    "steps/ping.step.js": """
        exports.config = { type: 'api', name: 'Ping', path: '/ping', method: 'GET', emits: ['pinged'], flows: ['other'] }
        exports.handler = async () => ({ status: 200, body: {} })
    """,
    "steps/pong.step.js": """
        exports.config = { type: 'event', name: 'Pong', subscribes: ['pinged'], emits: [], flows: ['other'] }
        exports.handler = async () => {}
    """,
}

#: as Motia writes it: negative coordinates, handle positions, a flow the project no longer has
SAVED = [
    {
        "id": "orders",
        "config": {
            "steps/place.step.js": {"x": -120, "y": -40, "sourceHandlePosition": "bottom"},
            "steps/check.step.js": {"x": 380, "y": 210, "targetHandlePosition": "top"},
            "steps/ship.step.js": {"x": -120, "y": 460},
        },
    },
    {"id": "gone", "config": {"steps/old.step.ts": {"x": 0, "y": 0}}},
]

MARGIN = 24  # workbench.js: the diagram's margin, where the leftmost and highest step sits
NODE_H = 62  # workbench.js: a step's box's height


def test_saved_positions_are_served_and_a_save_rewrites_the_file_in_motias_format(tmp_path: Path) -> None:
    project = write_project(tmp_path, STEPS)
    (project / "motia-workbench.json").write_text(json.dumps(SAVED))
    with MotiaServer(project, mode="dev") as server:
        assert server.client.get("/__motia/workbench/layout").json() == {"flows": SAVED}
        assert server.client.get("/__motia/flows/orders/config").json() == SAVED[0]
        assert server.client.get("/__motia/flows/other/config").json() == {"id": "other", "config": {}}
        assert "motia-workbench.json" not in server.output  # nothing to warn about

        # Motia's Workbench's save (POST /__motia/flows/<id>/config, the flow's whole config)
        moved = {"steps/ping.step.js": {"x": 5, "y": 6}, "steps/pong.step.js": {"x": 5, "y": 200.5}}
        saved = server.client.post("/__motia/flows/other/config", json={"id": "other", "config": moved})
        assert saved.status_code == 200, saved.text
        assert server.client.get("/__motia/flows/other/config").json() == {"id": "other", "config": moved}
        wrong = server.client.post(
            "/__motia/flows/other/config", json={"id": "other", "config": {"a": {"x": "1"}}}
        )
        assert wrong.status_code == 400
        assert wrong.json()["message"] == 'config["a"].x: expected a number, got str "1"'
        elsewhere = server.client.post("/__motia/flows/other/config", json={"id": "orders", "config": {}})
        assert elsewhere.status_code == 400, elsewhere.text

    written = json.loads((project / "motia-workbench.json").read_text())
    assert written == [*SAVED, {"id": "other", "config": moved}]


def test_a_malformed_file_is_named_at_start_up_ignored_and_not_saved_over(tmp_path: Path) -> None:
    project = write_project(tmp_path, STEPS)
    broken = json.dumps([{"id": "orders", "config": {"steps/place.step.js": {"x": 1}}}])
    (project / "motia-workbench.json").write_text(broken)
    with MotiaServer(project, mode="dev") as server:
        [warning] = [line for line in server.lines if "motia-workbench.json" in line]
        assert " WARN " in warning, warning
        assert warning.endswith(
            'motia-workbench.json: [0].config["steps/place.step.js"].y: expected a number, got nothing; '
            "the Workbench lays every flow out itself (fix the file, or delete it)"
        ), warning
        assert server.client.get("/__motia/workbench/layout").json() == {"flows": []}
        assert [flow["id"] for flow in server.client.get("/__motia/flows").json()["flows"]] == [
            "orders",
            "other",
        ]
        refused = server.client.post("/__motia/flows/orders/config", json={"id": "orders", "config": {}})
        assert refused.status_code == 409
        assert "motia-workbench.json is not saved over" in refused.json()["message"]
    assert (project / "motia-workbench.json").read_text() == broken


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"[{", "not JSON"),
        (b'{"flows": 3}', '["flows"]: expected an object of positions by step file, got int 3'),
        (b'[{"config": {}}]', "[0].id: expected the flow's name, got nothing"),
        (
            b'[{"id": "f", "config": []}]',
            "[0].config: expected an object of positions by step file, got list []",
        ),
        (
            b'[{"id": "f", "config": {"s": {"x": true, "y": 1}}}]',
            '[0].config["s"].x: expected a number, got bool true',
        ),
        (b'"x"', "expected a list of flows ({'id', 'config'}), got str \"x\""),
    ],
)
def test_a_malformed_layout_is_refused_naming_where(text: bytes, problem: str) -> None:
    with pytest.raises(LayoutError) as raised:
        parse_layout(text)
    assert str(raised.value).startswith(problem), str(raised.value)


def test_older_motias_object_by_flow_and_an_empty_file_are_read() -> None:
    """One of MotiaDev's examples (research-assistant) still has older Motia's format."""
    old = {"research": {"steps\\a.step.ts": {"x": 1.5, "y": -2}}}
    assert parse_layout(json.dumps(old).encode()) == {"research": {"steps/a.step.ts": {"x": 1.5, "y": -2}}}
    assert parse_layout(b"") == {}


def test_the_flows_panel_draws_the_steps_at_their_saved_positions_and_lays_out_the_rest(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    project = write_project(tmp_path, STEPS)
    (project / "motia-workbench.json").write_text(json.dumps(SAVED))
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(
            server, chromium, client_packages, "workbench-flow-positions-driver.mjs", "orders", "other"
        )
        kept = server.client.get("/__motia/flows/other/config").json()
    orders = seen["saved"]["orders"]["steps"]
    # the saved corners, moved together so that the leftmost and highest sits at the margin
    assert orders["Place"] == [MARGIN, MARGIN], orders
    assert orders["Check"] == [MARGIN + 500, MARGIN + 250], orders
    assert orders["Ship"] == [MARGIN, MARGIN + 500], orders
    # the step no position names: below those that have one
    assert orders["Audit"][1] >= orders["Ship"][1] + NODE_H, orders
    assert seen["saved"]["orders"]["edges"] == 3
    x, y, width, height = seen["saved"]["orders"]["viewBox"]
    for left, top in orders.values():
        assert x <= left and y <= top and left + 204 <= x + width and top + NODE_H <= y + height, (
            orders,
            x,
            y,
        )
    # without the saved positions the page lays the flow out itself (not as saved) ...
    assert seen["none"]["orders"]["steps"] != orders
    # ... and a flow the file does not name is drawn as ever, whether the file names others or not
    assert seen["saved"]["other"] == seen["none"]["other"]

    # a step dragged (Pong, by 150, 90 px): every step of the flow saved where it is drawn, as Node
    # Motia's Workbench saves, and the step drawn where it was let go
    dragged = seen["dragged"]
    assert (dragged["step"], dragged["saved"], dragged["scale"]) == ("Pong", 200, 1), dragged
    before = seen["none"]["other"]["steps"]
    assert dragged["steps"] == {
        "Ping": before["Ping"],
        "Pong": [before["Pong"][0] + 150, before["Pong"][1] + 90],
    }
    assert kept == {
        "id": "other",
        "config": {
            "steps/ping.step.js": dict(zip("xy", before["Ping"], strict=True)),
            "steps/pong.step.js": dict(zip("xy", dragged["steps"]["Pong"], strict=True)),
        },
    }
    assert json.loads((project / "motia-workbench.json").read_text()) == [*SAVED, kept]
    assert seen["consoleErrors"] == []
