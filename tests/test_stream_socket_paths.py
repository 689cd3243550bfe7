"""Motia's stream socket is a ``ws`` server on the HTTP server with no ``path``: it takes a WebSocket
upgrade on every path. Front ends rely on it (motia-examples' ai-vs-ai-tictactoe-game opens
``ws://host/streams/gameState/games/<id>``): there the socket opens and joins work as on ``/``, rather
than being refused. The real CLI on a temp project, uvicorn and hypercorn."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.raw_socket import RawSocket
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

PROJECT = {
    "steps/game.stream.js": """
        exports.config = { name: 'gameState', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/move.step.js": """
        exports.config = { type: 'api', name: 'Move', path: '/games/:id/move', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          await streams.gameState.set('games', req.pathParams.id, { board: req.body.board })
          return { status: 200, body: {} }
        }
    """,
}


@pytest.mark.parametrize("http_server", ["uvicorn", "hypercorn"])
@pytest.mark.parametrize("path", ["/streams/gameState/games/g1", "/anything?x=1"])
async def test_the_stream_socket_opens_on_any_path_as_motias_does(
    tmp_path: Path, http_server: str, path: str
) -> None:
    project = write_project(tmp_path / "project", PROJECT, {"http": {"server": http_server}})
    with MotiaServer(project, mode="dev") as server:
        server.client.post("/games/g1/move", json={"board": [0]}).raise_for_status()
        client = await RawSocket.open(server.port, target=path)  # refused before: ConnectionError
        try:
            client.join("gameState", "games", "g1")
            synced = await client.next()
            assert synced["event"] == {"type": "sync", "data": {"board": [0], "id": "g1"}}
            server.client.post("/games/g1/move", json={"board": [1]}).raise_for_status()
            updated = await client.next()
            assert updated["event"]["type"] == "update" and updated["event"]["data"]["board"] == [1]
        finally:
            RawSocket.close_all()
