"""A request's stream updates in the Endpoints panel when the page's stream socket is lost and joins
again, in Debian's Chromium: each line's value stays under its own time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer
from tests.test_workbench import _drive

# (waiting for the driver's files; a subprocess' env is the server's, handed down to its runners)

pytestmark = pytest.mark.e2e

NOTE_STEPS = {
    "steps/notes.stream.js": """
        exports.config = { name: 'notes', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/note.step.js": """
        exports.config = { type: 'api', name: 'Note', path: '/note', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          const note = await streams.notes.set('board', 'n', { text: 'first' })
          return { status: 201, body: note }
        }
    """,
    "steps/brief.step.js": """
        exports.config = { type: 'api', name: 'Brief', path: '/brief', method: 'POST', emits: ['brief'] }
        exports.handler = async (req, { emit, streams }) => {
          await streams.notes.set('board', 'started', { text: 'the group followed' })
          await emit({ topic: 'brief', data: {} })
          return { status: 202, body: {} }
        }
    """,
    "steps/brief-item.step.js": """
        const { existsSync } = require('node:fs')
        const signalled = async (name) => {
          while (!existsSync(`${process.env.SIGNALS}/${name}`)) await new Promise((done) => setTimeout(done, 50))
        }
        exports.config = { type: 'event', name: 'BriefItem', subscribes: ['brief'], emits: [] }
        exports.handler = async (input, { streams }) => {
          await signalled('create')
          await streams.notes.set('board', 'brief', { text: 'here a moment' })
          await signalled('delete')
          await streams.notes.delete('board', 'brief')
        }
    """,
    "steps/remove.step.js": """
        exports.config = { type: 'api', name: 'Remove', path: '/note/remove', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          await streams.notes.delete('board', 'n')
          return { status: 200, body: {} }
        }
    """,
    "steps/again.step.js": """
        exports.config = { type: 'api', name: 'Again', path: '/note/again', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          await streams.notes.set('board', 'n', { text: 'second' })
          return { status: 200, body: {} }
        }
    """,
}


def test_a_change_missed_while_the_stream_socket_was_lost_shows_at_the_time_it_was_found_not_under_the_earlier_write(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """POST /note sent from the Endpoints panel writes its item ('first'): a "written" line at the
    time of that write. The page's stream socket lost (its server side closed, as a hot reload does)
    and the item set to 'second' by another request meanwhile: the socket joins again and its sync
    has 'second'. The "written" line still shows 'first' (that sync once wrote 'second' into it, a
    later value under the earlier write's time); 'second' shows on a line of its own ("changed"),
    at a time after the socket was lost, marked as not written by this request. Before that, the answer's item and then its group were
    followed on the page's one socket, not closed and opened again between them."""
    project = write_project(tmp_path / "project", NOTE_STEPS)
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(server, chromium, client_packages, "workbench-stream-resync-driver.mjs")

    lines = [line for line in seen["lines"] if line["item"] == "n" and not line["hidden"]]
    assert [(line["kind"], '"first"' in line["text"]) for line in lines] == [
        ("written", True),
        ("changed", False),
    ], seen
    written, changed = lines
    assert written["at"] < seen["lostAt"], seen
    assert '"second"' in changed["text"] and changed["at"] >= seen["lostAt"], seen
    # written by another request (its trace has no write of the item after the written line's)
    assert (written["elsewhere"], changed["elsewhere"]) == (False, True), seen
    # one socket (the answer's item, then its group, followed on it), opened again once
    assert (seen["socketsBeforeLost"], seen["sockets"]) == (1, 2), seen
    assert seen["consoleErrors"] == [], seen


def test_an_item_deleted_while_the_stream_socket_was_lost_gets_a_deleted_line_at_the_time_it_was_found(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """As a change missed (above), a delete missed: POST /note from the Endpoints panel writes its item
    ('first'); the page's stream socket lost, another request (POST /note/remove) deletes the item. The
    socket joins again, its sync without the item: a "deleted" line at a time after the socket was
    lost, marked as not done by this request; the "written" line stays as it was."""
    project = write_project(tmp_path / "project", NOTE_STEPS)
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(server, chromium, client_packages, "workbench-stream-resync-driver.mjs", "/note/remove")

    lines = [line for line in seen["lines"] if line["item"] == "n" and not line["hidden"]]
    assert [(line["kind"], '"first"' in line["text"]) for line in lines] == [
        ("written", True),
        ("deleted", True),
    ], seen
    written, deleted = lines
    assert written["at"] < seen["lostAt"] <= deleted["at"], seen
    assert (written["elsewhere"], deleted["elsewhere"]) == (False, True), seen
    assert seen["sockets"] == 2, seen
    assert seen["consoleErrors"] == [], seen


def test_an_item_created_and_deleted_live_gets_no_deleted_before_the_page_subscribed_line_after_a_resync(
    tmp_path: Path, chromium: str, client_packages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /brief sent from the Endpoints panel: its trace, followed, creates the item board/brief
    and then deletes it, each shown live ("create", "delete"). The page's stream socket lost and
    joined again, its group's sync (without the item) does not add a line saying the request deleted
    it before the page subscribed: the time that line is judged by is the group's first sync, not the
    latest."""
    signals = tmp_path / "signals"
    signals.mkdir()
    monkeypatch.setenv("SIGNALS", str(signals))
    project = write_project(tmp_path / "project", NOTE_STEPS)
    with MotiaServer(project, mode="dev") as server:
        seen = _drive(
            server, chromium, client_packages, "workbench-stream-resync-deleted-driver.mjs", str(signals)
        )

    brief = [line["kind"] for line in seen["lines"] if line["item"] == "brief"]
    assert brief == ["create", "delete"], seen
    assert seen["sockets"] == 2, seen
    assert seen["consoleErrors"] == [], seen
