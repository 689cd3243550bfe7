"""A stream's name may hold what a URL must encode ('/', a space, '%', a non-ASCII letter): every
``/__motia/streams`` route (its groups, a group's items, an item, their SSE) takes it encoded as one
part, as the Workbench's Streams panel sends it (``encodeURIComponent``). The real CLI on a temp project."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import orjson
import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

ODD_STREAM = "pets/a b%é"
ODD_GROUP = "g/1 x%é"

PROJECT = {
    "steps/odd.stream.js": f"""
        exports.config = {{ name: {orjson.dumps(ODD_STREAM).decode()}, schema: {{ type: 'object' }},
          baseConfig: {{ storageType: 'default' }} }}
    """,
    "steps/put.step.js": """
        exports.config = { type: 'api', name: 'Put', path: '/put', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          const { stream, group, id } = req.body
          await streams[stream].set(group, id, { by: 'the test' })
          return { status: 200, body: {} }
        }
    """,
}


def encoded(*parts: str) -> str:
    """What ``encodeURIComponent`` makes of each part ('/' as %2F), joined by '/'."""
    return "/".join(quote(part, safe="") for part in parts)


def test_a_stream_named_with_a_slash_a_space_a_percent_and_an_accent_is_read_on_every_route(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path / "project", PROJECT)
    with MotiaServer(project, mode="dev") as server:
        put = {"stream": ODD_STREAM, "group": ODD_GROUP, "id": "x"}
        assert server.client.post("/put", json=put).is_success
        listed = server.client.get("/__motia/streams").json()["streams"]
        assert [stream["name"] for stream in listed] == [ODD_STREAM]
        summary = server.client.get(f"/__motia/streams/{encoded(ODD_STREAM)}")
        assert summary.status_code == 200, summary.text
        assert summary.json()["name"] == ODD_STREAM
        assert summary.json()["groups"] == [{"groupId": ODD_GROUP, "items": 1}]
        items = server.client.get(f"/__motia/streams/{encoded(ODD_STREAM, ODD_GROUP)}")
        assert items.json() == [{"by": "the test", "id": "x"}], items.text
        item = server.client.get(f"/__motia/streams/{encoded(ODD_STREAM, ODD_GROUP, 'x')}")
        assert item.json() == {"by": "the test", "id": "x"}, item.text
        with server.client.stream("GET", f"/__motia/sse/{encoded(ODD_STREAM, ODD_GROUP)}") as events:
            data = next(line for line in events.iter_lines() if line.startswith("data: "))
        assert orjson.loads(data.removeprefix("data: "))["event"] == {
            "type": "sync",
            "data": [{"by": "the test", "id": "x"}],
        }
        # the name's parts one by one are not the stream: no stream 'pets' answers for it
        unknown = server.client.get(f"/__motia/streams/{encoded('pets')}")
        assert unknown.status_code == 404 and "no stream 'pets'" in unknown.json()["message"]
