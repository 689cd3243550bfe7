"""Stream access in a running project: the project's ``authenticate`` hook and each stream's
``canAccess``, run in the runner that loaded their file.

Nothing is cached: ``authenticate`` runs once per WebSocket connection (per SSE/JSON request), and
``canAccess`` once per join. Its answer is read as the runners read it, with the language's own truth
test (``Boolean(...)`` in Node, ``bool(...)`` in Python), as Motia does. A hook that throws, times out or
cannot run (its runner is down, its file failed to load) raises ``AccessHookFailed``, which the realtime
service logs and turns into a refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from supervisor.core._registry import Registry
from supervisor.discovery import SourceFile
from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.realtime import AccessHookFailed, AuthRequest, Room
from supervisor.runners import InvocationTimeout, RunnerUnavailable
from supervisor.storage import JsonObject, JsonValue

#: how long a hook may take before the join (or the connection's authentication) is refused
HOOK_TIMEOUT_S = 10.0

#: runs a function of a hook or stream file: (file, label for logs, kind, payload_json, timeout)
HookInvoker = Callable[[SourceFile, str, TriggerKind, bytes, float], Awaitable[InvokeResult]]


class RunnerAccessPolicy:
    def __init__(
        self, registry: Callable[[], Registry], invoke: HookInvoker, timeout: float = HOOK_TIMEOUT_S
    ) -> None:
        self._registry = registry
        self._invoke = invoke
        self._timeout = timeout

    async def authenticate(self, request: AuthRequest) -> JsonValue:
        hook = self._registry().auth_hook
        if hook is None:
            return None
        return await self._run(hook, "authenticate", TriggerKind.AUTHENTICATE, [request.as_json()])

    async def can_access(self, room: Room, auth_context: JsonValue) -> bool:
        registry = self._registry()
        config = registry.streams.get(room.stream)
        source = registry.stream_sources.get(room.stream)
        if config is None or config.can_access is None or source is None:
            return True
        subscription: JsonObject = {"streamName": room.stream, "groupId": room.group_id}
        if room.item_id is not None:
            subscription["id"] = room.item_id
        label = f"{room.stream}.canAccess"
        allowed = await self._run(source, label, TriggerKind.CAN_ACCESS, [subscription, auth_context])
        if not isinstance(allowed, bool):  # the runners coerce; anything else is a runner bug
            raise AccessHookFailed(
                f"canAccess of stream {room.stream!r} ({source.path}) returned {_describe(allowed)}, "
                "not a boolean"
            )
        return allowed

    async def _run(self, source: SourceFile, label: str, kind: TriggerKind, args: list[Any]) -> JsonValue:
        what = f"{label} ({source.path})"
        try:
            # The runner cancels the hook at the timeout; the outer bound also covers waiting for a
            # restarting runner, which the pool would otherwise wait for on its own, longer, clock.
            async with asyncio.timeout(self._timeout + 1.0):
                result = await self._invoke(source, label, kind, orjson.dumps(args), self._timeout)
        except (InvocationTimeout, TimeoutError):
            raise AccessHookFailed(f"{what} did not answer within {self._timeout:g}s") from None
        except RunnerUnavailable as exc:
            raise AccessHookFailed(f"{what} could not run: {exc}") from None
        if not result.ok:
            error = result.error
            message = str(error) if error else "unknown error"
            raise AccessHookFailed(f"{what} threw {message}", error.stack if error else "")
        value: JsonValue = orjson.loads(result.result_json) if result.result_json else None
        return value


def _describe(value: JsonValue) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."
