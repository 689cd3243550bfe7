"""The Streams and State panels' addresses in Debian's Chromium: what is open in them is in the
page's address, which opens it again (a link shared, a reload) and which Back returns through."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

#: a group's name with what an address must encode: '/', a space, '%', a non-ASCII letter
ODD_GROUP = "pets/a b%é"

STREAMS_AND_STATE = {
    "steps/pets.stream.js": """
        exports.config = { name: 'pets', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/odd.stream.js": f"""
        exports.config = {{ name: '{ODD_GROUP}', schema: {{ type: 'object' }}, baseConfig: {{ storageType: 'default' }} }}
    """,
    "steps/notes.stream.js": """
        exports.config = { name: 'notes', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/put.step.js": """
        exports.config = { type: 'api', name: 'Put', path: '/put', method: 'POST', emits: [] }
        exports.handler = async (req, { streams, state }) => {
          const { stream, group, id } = req.body
          await streams[stream].set(group, id, { by: 'the test' })
          await state.set(group, id, { by: 'the test' })
          return { status: 200, body: {} }
        }
    """,
}


def test_streams_and_state_open_from_their_address_follow_clicks_and_go_back(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """#/streams/<stream>/<group> and #/state/<group>, opened in a fresh page, show that stream and
    group (live: an item added shows); a click puts what it chose in the address; Back returns to
    the selection before; a stream or group the server does not have is said so by name; a group
    or a stream named with '/', a space, '%' and 'é' goes through the address whole."""
    project = write_project(tmp_path / "project", STREAMS_AND_STATE)
    with MotiaServer(project, mode="dev") as server:
        for stream, group in [("pets", ODD_GROUP), ("pets", "abc"), ("notes", "n1"), (ODD_GROUP, ODD_GROUP)]:
            assert server.client.post("/put", json={"stream": stream, "group": group, "id": "x"}).is_success
        seen = run_driver(client_packages, "workbench-deep-links-driver.mjs", chromium, server.url, ODD_GROUP)
    assert "failure" not in seen, seen["failure"]
    odd = "#/streams/pets/pets%2Fa%20b%25%C3%A9"
    shown = {"stream": "pets", "group": ODD_GROUP, "heading": f"pets / {ODD_GROUP}"}
    assert seen["streamLink"] == {"hash": odd, **shown, "items": ["x"]}, seen
    assert seen["streamLinkLive"] == ["x", "y"], seen
    abc = {
        "hash": "#/streams/pets/abc",
        "stream": "pets",
        "group": "abc",
        "heading": "pets / abc",
        "items": ["x"],
    }
    assert seen["clickedGroup"] == abc, seen
    assert seen["clickedStream"] == {
        "hash": "#/streams/notes",
        "stream": "notes",
        "group": None,
        "heading": None,
        "items": [],
    }
    assert seen["backToGroup"] == abc, seen
    assert seen["backToFirst"] == {"hash": odd, **shown, "items": ["x", "y"]}, seen
    assert seen["clickedNamedGroup"] == {"hash": odd, **shown, "items": ["x", "y"]}, seen
    assert seen["unknownStream"] == "no stream named 'nope'"
    assert seen["unknownGroup"] == "no group named 'no such' in stream 'pets' (items added to it show here)"
    assert seen["streamsBare"]["stream"] == "notes", seen  # the first, its address made
    odd_stream = "#/streams/pets%2Fa%20b%25%C3%A9/pets%2Fa%20b%25%C3%A9"
    assert seen["oddStream"] == {
        **shown,
        "hash": odd_stream,
        "stream": ODD_GROUP,
        "heading": f"{ODD_GROUP} / {ODD_GROUP}",
        "items": ["x"],
    }, seen
    assert seen["oddStreamGroups"] == [ODD_GROUP], seen
    state_odd = {
        "hash": "#/state/pets%2Fa%20b%25%C3%A9",
        "group": ODD_GROUP,
        "title": ODD_GROUP,
        "keys": ["x", "y"],
    }
    assert seen["stateLink"] == state_odd, seen
    assert seen["stateClicked"] == {"hash": "#/state/abc", "group": "abc", "title": "abc", "keys": ["x"]}, (
        seen
    )
    assert seen["stateBack"] == state_odd, seen
    assert seen["unknownState"] == "no state group named 'nope': set a key below to make it"
    assert seen["consoleErrors"] == []
