"""The Workbench's addresses while ``motia dev`` reloads the project under the page, in Debian's
Chromium: a stream the address names that is added later opens once it is there, and a flow the
address names that goes away is followed or said to be gone, the page never reloaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer
from tests.test_workbench import _drive

pytestmark = pytest.mark.e2e

FLOWS = {
    "steps/hello.step.js": """
        exports.config = { type: 'api', name: 'Hello', path: '/hello', method: 'GET', emits: [], flows: ['main'] }
        exports.handler = async () => ({ status: 200, body: {} })
    """,
    "steps/lone.step.js": """
        exports.config = { type: 'event', name: 'Lone', subscribes: ['x'], emits: [], flows: ['side'] }
        exports.handler = async () => {}
    """,
    "steps/extra.step.js": """
        exports.config = { type: 'event', name: 'Extra', subscribes: ['y'], emits: [], flows: ['extra'] }
        exports.handler = async () => {}
    """,
}


def test_an_address_follows_a_stream_added_and_a_flow_moved_or_removed_without_a_reload(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """Streams: a project with no stream yet, one page at #/streams/later/g1 (says 'later' is unknown),
    another at #/streams; a stream 'notes' added opens in the second (its address made), the first
    still naming 'later' unknown; 'later' added opens its group g1 in the first, the address kept.
    Flows: the flow shown (side), its one step selected and moved to flow main, the panel follows the
    step to main (its address replaced, the step still selected); the flow shown (extra), nothing
    selected, its step's file deleted: the panel says the flow is gone, the address still naming it
    (it showed the first flow under extra's address); the file back, the flow is drawn again. A flow
    never there is said so by name. Under #/flows (no flow named), every step file deleted: the panel
    says no step names a flow now; the panel opened again so (no flow at all), a step naming a flow
    written, the flow is drawn (it said there was none until the page was reloaded). The header's
    step count follows each step file added or deleted as the panel draws it (it lagged the panel by
    up to its own next read, 3 s later)."""
    project = write_project(tmp_path, FLOWS)
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(server, chromium, client_packages, "workbench-hot-reload-driver.mjs", str(project))

    before = seen["before"]
    assert before["a"]["unknown"] == "no stream named 'later'", before
    assert before["b"]["none"] == (
        "No stream is defined: a stream file (name.stream.ts, .js or .py) shows here once the server loads it."
    ), before
    added = seen["notesAdded"]
    assert added["b"] == {
        "notReloaded": True,
        "hash": "#/streams/notes",
        "listed": ["notes"],
        "stream": "notes",
        "heading": None,
        "unknown": None,
        "none": None,
    }, added
    assert added["a"]["unknown"] == "no stream named 'later'" and added["a"]["listed"] == ["notes"], added
    assert seen["laterAdded"] == {
        "notReloaded": True,
        "hash": "#/streams/later/g1",
        "listed": ["later", "notes"],
        "stream": "later",
        "heading": "later / g1",
        "unknown": None,
        "none": None,
    }, seen["laterAdded"]

    followed = {"notReloaded": True, "gone": None, "unknown": None, "none": None}
    assert seen["moved"] == {
        **followed,
        "hash": "#/flows/main",
        "tab": "main (2)",
        "nodes": ["Hello", "Lone"],
        "selected": ["Lone"],
        "detail": "Lone",
        "steps": "3 steps",
    }, seen["moved"]
    deleted = seen["deleted"]
    assert {key: deleted[key] for key in ("notReloaded", "hash", "tab", "nodes", "unknown", "steps")} == {
        "notReloaded": True,
        "hash": "#/flows/extra",
        "tab": None,
        "nodes": [],
        "unknown": None,
        "steps": "2 steps",  # the header counts what the panel draws, as it draws it
    }, deleted
    assert deleted["gone"] is not None and deleted["gone"].startswith(
        "Flow 'extra' is no longer in the project"
    ), deleted
    assert seen["back"] == {
        **followed,
        "hash": "#/flows/extra",
        "tab": "extra (1)",
        "nodes": ["Extra"],
        "selected": [],
        "detail": None,
        "steps": "3 steps",
    }, seen["back"]
    assert seen["unknown"]["unknown"] == "no flow named 'nope' (a step naming it in \"flows\" shows here)"
    assert seen["unknown"]["nodes"] == [] and seen["unknown"]["hash"] == "#/flows/nope"
    no_flow = {
        "notReloaded": True,
        "hash": "#/flows",
        "tab": None,
        "nodes": [],
        "selected": [],
        "detail": None,
        "gone": None,
        "unknown": None,
        "none": 'No step names a flow now (the "flows" field of a step config).',
        "steps": "0 steps",
    }
    assert seen["noFlow"] == seen["noFlowOpened"] == no_flow, (seen["noFlow"], seen["noFlowOpened"])
    assert seen["firstFlow"] == {
        **followed,
        "hash": "#/flows",
        "tab": "extra (1)",
        "nodes": ["Extra"],
        "selected": [],
        "detail": None,
        "steps": "1 step",
    }, seen["firstFlow"]
    assert seen["consoleErrors"] == []
