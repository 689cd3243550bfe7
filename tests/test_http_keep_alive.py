"""A keep-alive connection survives every answer the server gives, including the ones it gives
without running a step (404, 405), whenever the request's body arrives; an answer after which the
server cannot read another request says so (``connection: close``)."""

from __future__ import annotations

import select
import socket

import h11
import httpx
import pytest

from tests.support.raw_http import read_response
from tests.support.server import MotiaServer


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("PATCH", "/ts/echo/1", 405), ("POST", "/no/such/route", 404)],
    ids=["405", "404"],
)
def test_a_body_that_arrives_after_the_answer_does_not_cost_the_connection(
    conformance_server: MotiaServer, method: str, path: str, status: int
) -> None:
    body = b'{"late": true}'
    headers = [
        ("host", "127.0.0.1"),
        ("content-type", "application/json"),
        ("content-length", str(len(body))),
    ]
    client = h11.Connection(h11.CLIENT)
    with socket.create_connection(("127.0.0.1", conformance_server.port), timeout=15) as sock:
        sock.sendall(client.send(h11.Request(method=method, target=path, headers=headers)))
        # Give the server time to answer from the headers alone, as it may: the body comes after.
        select.select([sock], [], [], 1.0)
        sock.sendall(client.send(h11.Data(data=body)) + client.send(h11.EndOfMessage()))
        assert read_response(client, sock)[0].status_code == status
        client.start_next_cycle()
        sock.sendall(client.send(h11.Request(method="GET", target="/__motia/health", headers=headers[:1])))
        sock.sendall(client.send(h11.EndOfMessage()))
        assert read_response(client, sock)[0].status_code == 200


def test_a_body_over_the_limit_is_answered_with_connection_close(conformance_server: MotiaServer) -> None:
    with httpx.Client(base_url=conformance_server.url, timeout=30) as client:
        response = client.post(
            "/ts/echo/1", content=b"x" * (33 * 1024 * 1024), headers={"content-type": "text/plain"}
        )
        assert response.status_code == 413
        assert response.headers["connection"] == "close"  # the rest of the body was never read
        assert client.get("/__motia/health").status_code == 200  # on a new connection
