"""``motia logs --follow`` gives up at once, after one connection, when asking again would change
nothing: nothing listens on the port at the first try, another HTTP server answers there, or motia
refuses the request. (Reconnecting is for a server that was reached and went away: up to
``RECONNECT_FOR_S`` of tries.) The connections are counted in the command's own process, by an audit
hook on ``socket.connect``: a return of the retries fails on the count, not on a clock."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.fixed_answer import NGINX_PAGE, answering
from tests.support.server import REPO_ROOT, free_port

#: ``motia ARGS``, its connections to the port it is given counted and said on stderr at its exit
COUNTING = """
import atexit, sys
port, args = int(sys.argv[1]), sys.argv[2:]
attempts = 0
def count(event, arguments):
    global attempts
    if event == "socket.connect" and isinstance(arguments[1], tuple) and arguments[1][1] == port:
        attempts += 1
sys.addaudithook(count)
atexit.register(lambda: print(f"connections: {attempts}", file=sys.stderr))
sys.argv = ["motia", *args, "-p", str(port)]
from supervisor.cli.main import main
sys.exit(main())
"""

REFUSAL = b'{"message": "tracing is off (tracing.enabled is false)"}'
#: what is on the port: (status, content type, body) of every answer, None for nothing listening
PORTS = {
    "nothing listens": None,
    "another server's page": (200, "text/html", NGINX_PAGE),
    "another server's 404 page": (404, "text/html", NGINX_PAGE),
    "motia refusing": (404, "application/json", REFUSAL),
}
SAID = {
    "nothing listens": "cannot reach a server on 127.0.0.1:{port}",
    "another server's page": "the server on 127.0.0.1:{port} does not answer as motia does",
    "another server's 404 page": "the server on 127.0.0.1:{port} does not answer as motia does",
    "motia refusing": "motia logs: tracing is off (tracing.enabled is false)\n",  # as `motia logs` says it
}


@contextlib.contextmanager
def _port(what: str) -> Iterator[int]:
    answer = PORTS[what]
    if answer is None:
        yield free_port()
    else:
        with answering(*answer) as port:
            yield port


@pytest.mark.parametrize("what", list(PORTS))
def test_logs_follow_gives_up_after_one_connection_when_asking_again_changes_nothing(what: str) -> None:
    # -n 0: the live stream alone, the first request it makes (past lines would be asked for first)
    with _port(what) as port:
        done = subprocess.run(
            [sys.executable, "-c", COUNTING, str(port), "logs", "-n", "0", "--follow"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert SAID[what].format(port=port) in done.stderr
    assert done.stderr.rstrip().endswith("connections: 1"), done.stderr
