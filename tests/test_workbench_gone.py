"""The Workbench when what it shows outgrows its line or goes away, in Debian's Chromium: a stream
update's badge beside a message that wraps, and a trace the server no longer has once it is back
from a restart (its traces kept in memory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.test_workbench import _driven_through_restarts

pytestmark = pytest.mark.e2e

NOTES_STEPS = {
    "steps/notes.stream.js": """
        exports.config = { name: 'notes', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/note.step.js": """
        exports.config = { type: 'api', name: 'Note', path: '/notes', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          const note = await streams.notes.set('board', 'long', { message: 'a note that goes on '.repeat(40) })
          return { status: 201, body: note }
        }
    """,
}


def test_a_trace_gone_from_the_server_says_so_in_place_of_the_earlier_error_and_a_sync_badge_keeps_its_height(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The request's stream item, synced with a long message: its badge is one line high beside the
    message's many. The request's trace open, the server stopped: the error line above it says a read
    failed; started again, without the trace (kept in memory): the line says the trace is not found
    (it was cleared, the trace left shown as if all were well), the trace still shown as last read.
    The header's line, the server back, counts its one step and one runner in the singular."""
    project = write_project(tmp_path / "project", NOTES_STEPS, config={"tracing": {"adapter": "memory"}})
    driver = "workbench-gone-driver.mjs"
    with _driven_through_restarts(project, tmp_path / "signals", chromium, client_packages, driver) as run:
        run.restart("trace")
    seen = run.seen

    assert seen["sync"]["message"] > 60  # the message wraps over several lines (px)
    assert seen["sync"]["badge"] < 30, seen["sync"]  # the badge beside it, one line
    assert seen["whileDown"].startswith("Could not load: "), seen["whileDown"]
    assert seen["afterRestart"].startswith("Trace not found: no trace "), seen["afterRestart"]
    assert seen["afterRestart"].endswith("; shown below as last read."), seen["afterRestart"]
    assert seen["traceStillShown"]
    assert seen["healthLine"] == "1 step · 1 runner"  # the header's counts, singular for one
    # the browser's lines for the reads that failed meanwhile (the server down, then the 404s)
    assert all(text.startswith("Failed to load resource: ") for text in seen["expectedErrors"]), seen
    assert seen["consoleErrors"] == []
