"""Who may watch what: the project's ``authenticate`` hook and each stream's ``canAccess``.

Both are user functions that live in runner processes; the core sees them through an
``AccessPolicy`` (``supervisor.core.RunnerAccessPolicy`` in a running server).
``authenticate`` runs once per WebSocket connection (once per SSE/GET request) and turns the
request into an auth context (any JSON; None means anonymous). ``canAccess`` runs per subscription
with that context. A stream without ``canAccess`` is open to everyone.

Failures close, never open: a connection whose ``authenticate`` failed (threw, timed out, could not
run) has every subscription refused, and a ``canAccess`` that fails refuses that subscription.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from supervisor.storage import JsonObject, JsonValue

from ._wire import Room

# Motia's clients pass ``protocols: ['Authorization', token]`` to ``new WebSocket``: the token
# travels as the second offered subprotocol, and the server must pick one the client offered.
AUTH_SUBPROTOCOL = "Authorization"
TOKEN_QUERY_PARAMS = ("authToken", "token")


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """What ``authenticate(request)`` sees: headers (lower-case names), the URL, its query, the token."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    token: str | None = None

    def as_json(self) -> JsonObject:
        headers: JsonObject = dict(self.headers)
        query: JsonObject = dict(self.query)
        return {"url": self.url, "headers": headers, "query": query, "token": self.token}


@dataclass(frozen=True, slots=True)
class Identity:
    """What ``authenticate`` made of a connection: its auth context, or why authentication failed."""

    context: JsonValue = None
    #: set when authentication failed: every subscription of the connection is then refused
    failure: str | None = None


class AccessHookFailed(Exception):
    """A user hook threw, timed out, returned the wrong type or could not run.

    The message names the hook and its file, for the log; ``stack`` is the user's stack, if any.
    """

    def __init__(self, message: str, stack: str = "") -> None:
        super().__init__(message)
        self.stack = stack


class AccessPolicy(Protocol):
    async def authenticate(self, request: AuthRequest) -> JsonValue:
        """The auth context for a request; None for an anonymous one. Raises ``AccessHookFailed``."""
        ...

    async def can_access(self, room: Room, auth_context: JsonValue) -> bool:
        """Whether ``room`` may be watched with ``auth_context``. Raises ``AccessHookFailed``."""
        ...


class OpenAccess:
    """No hooks: everyone is anonymous and every stream is open."""

    async def authenticate(self, request: AuthRequest) -> JsonValue:
        return None

    async def can_access(self, room: Room, auth_context: JsonValue) -> bool:
        return True


def find_token(
    subprotocols: Iterable[str], headers: Mapping[str, str], query: Mapping[str, str]
) -> str | None:
    """The client's token: the subprotocol after 'Authorization', ``?authToken=``/``?token=``, or a Bearer."""
    offered = [protocol.strip() for protocol in subprotocols]
    if AUTH_SUBPROTOCOL in offered:
        position = offered.index(AUTH_SUBPROTOCOL)
        if position + 1 < len(offered) and offered[position + 1]:
            return offered[position + 1]
    for name in TOKEN_QUERY_PARAMS:
        if query.get(name):
            return query[name]
    authorization = headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def choose_subprotocol(subprotocols: Iterable[str]) -> str | None:
    """The subprotocol to accept: a client that offers any fails the handshake if none is chosen."""
    offered = [protocol.strip() for protocol in subprotocols]
    if AUTH_SUBPROTOCOL in offered:
        return AUTH_SUBPROTOCOL
    return offered[0] if offered else None
