"""The errors of the client that the commands talking to a running server share
(``supervisor.cli._client``): each class says what happened (nothing answered, another program
answered, motia refused), and every command catches them all as one, ``CannotUseServer``."""

from __future__ import annotations

import pytest

from supervisor.cli._client import (
    CannotUseServer,
    NotMotia,
    ServerAnswered,
    ServerUnreachable,
    call,
    server_events,
)
from tests.support.fixed_answer import NGINX_PAGE, answering
from tests.support.server import free_port

STREAM = "/__motia/logs/stream?after=7"


def test_a_request_motia_refused_is_not_called_unreachable() -> None:
    refusal = b'{"message": "tracing is off"}'
    with answering(404, "application/json", refusal) as port, pytest.raises(CannotUseServer) as raised:
        list(server_events("127.0.0.1", port, STREAM))
    assert type(raised.value) is ServerAnswered
    assert not isinstance(raised.value, ServerUnreachable)
    assert (raised.value.status, raised.value.body) == (404, {"message": "tracing is off"})
    assert str(raised.value) == "tracing is off"  # the command says it (``failed``), as a ``call``'s refusal


@pytest.mark.parametrize("live", [False, True], ids=["json", "stream"])
def test_another_http_server_is_not_called_unreachable(live: bool) -> None:
    with answering(200, "text/html", NGINX_PAGE) as port, pytest.raises(CannotUseServer) as raised:
        if live:
            list(server_events("127.0.0.1", port, STREAM))
        else:
            call("127.0.0.1", port, "GET", "/__motia/traces?limit=5")
    assert type(raised.value) is NotMotia
    assert not isinstance(raised.value, ServerUnreachable)
    asked = "GET /__motia/logs/stream" if live else "GET /__motia/traces"
    expected = "an event stream" if live else "JSON"
    assert f"{asked} answered 200 with text/html, not {expected}" in str(raised.value)


@pytest.mark.parametrize("live", [False, True], ids=["json", "stream"])
def test_a_port_nothing_listens_on_is_unreachable_and_refused(live: bool) -> None:
    port = free_port()
    with pytest.raises(CannotUseServer) as raised:
        if live:
            list(server_events("127.0.0.1", port, STREAM))
        else:
            call("127.0.0.1", port, "GET", "/__motia/traces")
    assert type(raised.value) is ServerUnreachable
    assert raised.value.refused
    assert f"cannot reach a server on 127.0.0.1:{port}" in str(raised.value)
