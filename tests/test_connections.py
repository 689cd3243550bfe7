"""What a connection costs the server: one a client has closed is let go at once (socket, memory), and
an idle keep-alive connection is closed after ``keepAliveTimeoutSeconds``. One a client reset is let go
at once too: test_uvicorn_server.py."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import h11
import psutil
import pytest

from tests.support.project import write_project
from tests.support.raw_http import read_response, request_once
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

PING = {
    "steps/ping_step.py": """
        config = {"type": "api", "name": "Ping", "path": "/ping", "method": "GET", "emits": []}

        async def handler(req, context):
            return {"status": 200, "body": {"ok": True}}
    """
}
REQUEST = b"GET /ping HTTP/1.1\r\nhost: x\r\n\r\n"
CHURN = 10_000
CLIENTS = 4


def churn(port: int, connections: int) -> None:
    """``connections`` connections of one request each, ``CLIENTS`` at a time, each closed by the
    client once its response is read."""

    def client(count: int) -> None:
        for _ in range(count):
            head, body = request_once(port, REQUEST)
            assert head.status_code == 200, body

    threads = [threading.Thread(target=client, args=(connections // CLIENTS,)) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def fds_once_closed(process: psutil.Process, timeout: float) -> int:
    """The server's open file descriptors once no connection a client closed is still open on its
    side (CLOSE_WAIT); AssertionError naming how many still are after ``timeout`` seconds."""

    def settled() -> int:
        waiting = sum(1 for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_CLOSE_WAIT)
        assert waiting == 0, f"{waiting} connections closed by their clients are still open on the server"
        return process.num_fds()

    fds: int = eventually(settled, timeout=timeout)
    return fds


@pytest.mark.slow  # ~10-25 s: 11,000 connections
def test_connections_closed_by_clients_free_their_socket_and_memory_at_once(tmp_path: Path) -> None:
    write_project(tmp_path, PING)
    with MotiaServer(tmp_path, mode="start") as server:
        supervisor = psutil.Process(server.proc.pid)
        churn(server.port, 1_000)  # allocator pools and caches warm
        fds_before = fds_once_closed(supervisor, timeout=5)
        rss_before = supervisor.memory_info().rss

        churn(server.port, CHURN)
        # hypercorn kept each one open for keepAliveTimeoutSeconds (75 s), ~12 KiB apiece
        fds_after = fds_once_closed(supervisor, timeout=5)
        grown_mib = (supervisor.memory_info().rss - rss_before) / 2**20
    assert fds_after <= fds_before + 5
    assert grown_mib < 16, f"supervisor RSS grew {grown_mib:.1f} MiB over {CHURN:,} closed connections"


def test_an_idle_keep_alive_connection_is_closed_after_the_configured_timeout(tmp_path: Path) -> None:
    write_project(tmp_path, PING, {"keepAliveTimeoutSeconds": 30})
    # the environment wins over motia.config.json
    with MotiaServer(tmp_path, mode="start", env={"MOTIA_KEEP_ALIVE_TIMEOUT_SECONDS": "1"}) as server:
        connection = h11.Connection(h11.CLIENT)
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
            sock.sendall(REQUEST)
            head, _ = read_response(connection, sock)
            assert head.status_code == 200
            answered = time.monotonic()
            assert sock.recv(1) == b""  # the server closed it
            idle = time.monotonic() - answered
    assert 0.5 < idle < 15, f"closed after {idle:.1f} s idle"
