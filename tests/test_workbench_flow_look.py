"""A flow's diagram as Motia's docs describe it, in Debian's Chromium: one edge per topic between two
steps however the source lists it, and the steps' colours by type (api green, event blue, cron
orange: the "Flow View" of the docs' first-app guide, and Motia 0.17's Workbench node icons)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer
from tests.test_workbench import _drive

pytestmark = pytest.mark.e2e

LOOK = {
    # 'asked' emitted and drawn: the real emit's label, the virtual one's conditional; 'told' emitted
    # plain and drawn with a label: solid, the label kept
    "steps/ask.step.js": """
        exports.config = {
          type: 'api', name: 'Ask', path: '/ask', method: 'POST', flows: ['look'],
          emits: [{ topic: 'asked', label: 'asks' }, 'told'],
          virtualEmits: [{ topic: 'asked', label: 'drawn', conditional: true }, { topic: 'told', label: 'tells' }],
        }
        exports.handler = async () => ({ status: 200, body: {} })
    """,
    "steps/answer.step.js": """
        exports.config = {
          type: 'event', name: 'Answer', subscribes: ['asked', 'told'], emits: [], flows: ['look'],
        }
        exports.handler = async () => {}
    """,
    # only drawn: dashed, as before
    "steps/tick.step.js": """
        exports.config = {
          type: 'cron', name: 'Tick', cron: '0 0 1 1 *', emits: [], virtualEmits: ['ticked'], flows: ['look'],
        }
        exports.handler = async () => {}
    """,
    "steps/gate.step.js": """
        exports.config = { type: 'noop', name: 'Gate', virtualSubscribes: ['ticked'], virtualEmits: [], flows: ['look'] }
    """,
}

GREEN = "rgb(47, 158, 68)"
BLUE = "rgb(59, 91, 219)"


def test_a_topic_both_emitted_and_virtually_emitted_draws_one_solid_edge_and_steps_wear_motias_colours(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """A step that lists a topic in ``emits`` and in ``virtualEmits`` drew two dashed edges to its
    subscriber, one over the other; now one, solid (the real emit wins), the label of the real emit
    (else the virtual one's) and a virtual emit's ``conditional`` kept. A topic only drawn stays
    dashed. An api step's box is green and an event step's blue, as Motia's docs say (they were the
    other way round), the legend saying so."""
    project = write_project(tmp_path, LOOK)
    with MotiaServer(project) as server:
        flow = server.client.get("/__motia/flows/look").json()
        seen = _drive(server, chromium, client_packages, "workbench-flow-look-driver.mjs", "look")

    assert sorted((e["source"], e["target"], e["topic"], e["virtual"]) for e in flow["edges"]) == [
        ("Ask", "Answer", "asked", False),
        ("Ask", "Answer", "told", False),
        ("Tick", "Gate", "ticked", True),
    ]
    assert len({edge["id"] for edge in flow["edges"]}) == 3
    edge = {"from": "Ask", "to": "Answer", "virtual": False, "dashed": False}
    drawn = {"from": "Tick", "to": "Gate", "virtual": True, "dashed": True}
    assert sorted(seen["edges"], key=lambda e: e["label"]) == [
        {**edge, "label": "asks?", "conditional": True},
        {**edge, "label": "tells", "conditional": False},
        {**drawn, "label": "ticked", "conditional": False},
    ], seen["edges"]
    assert seen["strokes"]["api"] == GREEN and seen["strokes"]["event"] == BLUE, seen["strokes"]
    assert seen["strokes"]["cron"] == "rgb(232, 89, 12)", seen["strokes"]
    assert "api (green) · event (blue) · cron (orange)" in seen["legend"], seen["legend"]
    assert seen["consoleErrors"] == []
