"""Every command that talks to a running server (``motia emit|cron run|traces|logs|state|dlq|runners``)
pointed at a port where motia is not: nothing listens, or another HTTP server does. The command says which, and how to point it at the right server, instead of
a bare "connection refused" or the other server's HTML page."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.support.fixed_answer import NGINX_PAGE, answering
from tests.support.server import REPO_ROOT, free_port, motia_argv

COMMANDS = [
    ("emit", "--topic", "pet.created"),
    ("cron", "run", "Nightly"),
    ("cron", "run", "Nightly", "--wait"),
    ("traces",),
    ("traces", "0b6f1234"),
    ("logs",),
    ("logs", "-n", "0", "--follow"),  # the live stream alone
    ("state", "ls"),
    ("state", "ls", "pets"),
    ("state", "list"),
    ("state", "get", "pets", "1"),
    ("state", "set", "pets", "1", "{}"),
    ("state", "delete", "pets", "1"),
    ("dlq", "list"),
    ("dlq", "replay", "1"),
    ("dlq", "replay", "--all"),
    ("dlq", "purge", "1"),
    ("dlq", "purge", "--all"),
    ("runners",),
]


@pytest.fixture(scope="module")
def other_server() -> Iterator[int]:
    """An HTTP server that is not motia: an HTML page for every request."""
    with answering(200, "text/html", NGINX_PAGE) as port:
        yield port


def motia(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        motia_argv(*args, "-p", str(port)), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_port_nothing_listens_on_is_named_with_how_to_choose_another(command: tuple[str, ...]) -> None:
    port = free_port()
    done = motia(port, *command)
    assert done.returncode == 1
    assert f"cannot reach a server on 127.0.0.1:{port}" in done.stderr
    assert "is `motia dev` or `motia start` running there? Another port: -p PORT" in done.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_another_http_server_on_the_port_is_named_not_printed(
    other_server: int, command: tuple[str, ...]
) -> None:
    done = motia(other_server, *command)
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"the server on 127.0.0.1:{other_server} does not answer as motia does" in done.stderr
    expected = "an event stream" if "--follow" in command and "0" in command else "JSON"
    assert f"answered 200 with text/html, not {expected}" in done.stderr
    assert "Another port: -p PORT" in done.stderr
    assert "Welcome to nginx" not in done.stderr


@pytest.mark.parametrize("command", [c for c in COMMANDS if c[0] in ("cron", "state", "dlq")], ids=" ".join)
def test_the_port_and_host_given_before_a_groups_action_are_the_ones_used(
    command: tuple[str, ...],
) -> None:
    """``motia state -p 3001 ls``, as one writes it after ``motia dev -p 3001``: the port is used, not
    read as the action ("invalid choice: '3001'"), and not overwritten by the action's default."""
    port = free_port()
    group, *action = command
    done = subprocess.run(
        motia_argv(group, "-p", str(port), "-H", "127.0.0.1", *action),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert f"cannot reach a server on 127.0.0.1:{port}" in done.stderr
