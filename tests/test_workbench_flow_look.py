"""A flow's diagram as Motia's docs describe it, in Debian's Chromium: one edge per topic between two
steps however the source lists it, and the steps' colours by type (api green, event blue, cron
orange: the "Flow View" of the docs' first-app guide, and Motia 0.17's Workbench node icons)."""

from __future__ import annotations

import colorsys
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
ORANGE = "rgb(232, 89, 12)"
#: Motia 0.17's Workbench: a noop step's icon (packages/workbench/.../node-header.tsx)
MAGENTA = "rgb(239, 18, 229)"
PURPLE = "rgb(174, 62, 201)"


def channels(colour: str) -> list[int]:
    """``rgb(r, g, b)`` as read from the computed style."""
    assert colour.startswith("rgb(") and colour.endswith(")"), colour
    return [int(part) for part in colour[4:-1].split(",")]


def is_dark(colour: str) -> bool:
    return max(channels(colour)) < 100


def hue(colour: str) -> float:
    """Degrees around the colour wheel."""
    return colorsys.rgb_to_hls(*(channel / 255 for channel in channels(colour)))[0] * 360


def hues_apart(one: str, other: str) -> float:
    apart = abs(hue(one) - hue(other))
    return min(apart, 360 - apart)


def is_grey(colour: str) -> bool:
    """Light enough to read as grey beside a dark line, and without a hue."""
    rgb = channels(colour)
    return min(rgb) >= 128 and max(rgb) - min(rgb) <= 32


def test_a_topic_both_emitted_and_virtually_emitted_draws_one_solid_edge_and_steps_wear_motias_colours(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """A step that lists a topic in ``emits`` and in ``virtualEmits`` drew two dashed edges to its
    subscriber, one over the other; now one, solid (the real emit wins), the label of the real emit
    (else the virtual one's) and a virtual emit's ``conditional`` kept. A topic only drawn stays
    dashed. A real edge is dark and solid, a virtual one grey and dashed, as Motia's docs say (both were
    grey). An api step's box is green and an event step's blue, as Motia's docs say (they were the
    other way round), the legend saying so; a noop step's magenta, as Motia 0.17's Workbench draws
    it (it was grey, as a virtual edge). The page's accent is none of these colours (it was the
    event steps' blue)."""
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
    strokes = {edge["label"]: (edge.pop("stroke"), edge.pop("arrow")) for edge in seen["edges"]}
    assert sorted(seen["edges"], key=lambda e: e["label"]) == [
        {**edge, "label": "asks?", "conditional": True},
        {**edge, "label": "tells", "conditional": False},
        {**drawn, "label": "ticked", "conditional": False},
    ], seen["edges"]
    # Motia's docs: "Virtual connections show as gray/dashed lines in Workbench. Real connections (from
    # emits and subscribes) show as dark solid lines" (both were the same grey); arrowheads alike
    real, virtual = strokes["tells"], strokes["ticked"]
    assert real[0] == real[1] and virtual[0] == virtual[1], strokes
    assert is_dark(real[0]) and is_grey(virtual[0]) and not is_grey(real[0]), strokes
    assert strokes["asks?"] == (PURPLE, PURPLE), strokes  # a conditional one stays purple
    assert seen["strokes"]["api"] == GREEN and seen["strokes"]["event"] == BLUE, seen["strokes"]
    assert seen["strokes"]["cron"] == ORANGE, seen["strokes"]
    assert seen["strokes"]["noop"] == MAGENTA, seen["strokes"]  # it was grey, as a virtual edge is
    legend = "api (green) · event (blue) · cron (orange) · noop (magenta, dashed)"
    assert legend in seen["legend"], seen["legend"]
    # the page's accent (the tab shown, a link) is no step's colour: it was the event steps' blue
    accent = seen["tab"]
    assert seen["link"] == accent and not is_grey(accent), (accent, seen["link"])
    for step in (GREEN, BLUE, ORANGE, MAGENTA, PURPLE):
        assert hues_apart(accent, step) >= 30, (accent, step)
    assert "— topic (dark, solid) · - - virtual (grey, dashed)" in seen["legend"], seen["legend"]
    assert seen["consoleErrors"] == []
