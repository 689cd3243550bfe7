"""Stream access without processes: which authenticate hook the registry picks, and how the runner
policy and the realtime service turn hook results and failures into allow / refuse."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import orjson
import pytest

from supervisor.core import Registry, RunnerAccessPolicy, build_registry
from supervisor.discovery import RunnerKind, SourceFile
from supervisor.protocol import ErrorInfo, InvokeResult, LoadedFile, LoadError, LoadResult, TriggerKind
from supervisor.realtime import AccessDenied, AccessHookFailed, AuthRequest, Identity, Realtime, Room
from supervisor.runners import InvocationTimeout, RunnerDied
from supervisor.streams import MemoryStreamStore, Streams


def _hook(file: str, *exports: str) -> LoadedFile:
    return LoadedFile(file, orjson.dumps({"exports": list(exports)}))


def _stream(file: str, **config: Any) -> LoadedFile:
    return LoadedFile(file, orjson.dumps(config))


def _result(
    streams: tuple[LoadedFile, ...] = (),
    hooks: tuple[LoadedFile, ...] = (),
    errors: tuple[LoadError, ...] = (),
) -> LoadResult:
    return LoadResult(1, (), streams, errors, hooks)


# ---------------------------------------------------------------- which hook the registry picks


def test_the_registry_keeps_each_streams_file_and_the_first_authenticate_hook() -> None:
    results: dict[RunnerKind, LoadResult] = {
        "node": _result(
            streams=(_stream("steps/a.stream.ts", name="a", canAccess="canAccess"),),
            hooks=(_hook("motia.config.ts"), _hook("steps/motia.auth.ts", "authenticate")),
        ),
        "python": _result(streams=(_stream("steps/b_stream.py", name="b"),)),
    }
    hooks = [SourceFile("steps/motia.auth.ts", "node"), SourceFile("motia.config.ts", "node")]
    registry = build_registry(results, hooks)
    assert registry.problems == []  # a motia.config.ts without streamAuth.authenticate is fine
    assert registry.auth_hook == SourceFile("steps/motia.auth.ts", "node")
    assert registry.stream_sources == {
        "a": SourceFile("steps/a.stream.ts", "node"),
        "b": SourceFile("steps/b_stream.py", "python"),
    }
    assert registry.streams["a"].can_access == "canAccess" and registry.streams["b"].can_access is None


def test_a_hook_file_that_failed_to_load_is_still_the_hook_so_authentication_fails() -> None:
    error = LoadError("motia_auth.py", 3, 0, "SyntaxError: invalid syntax", "")
    registry = build_registry({"python": _result(errors=(error,))}, [SourceFile("motia_auth.py", "python")])
    assert registry.auth_hook == SourceFile("motia_auth.py", "python")
    assert [str(problem) for problem in registry.problems] == ["motia_auth.py:3: SyntaxError: invalid syntax"]


def test_two_hooks_or_a_hook_file_without_authenticate_are_problems() -> None:
    results: dict[RunnerKind, LoadResult] = {
        "node": _result(hooks=(_hook("motia.auth.ts", "authenticate"),)),
        "python": _result(hooks=(_hook("motia_auth.py", "authenticate"), _hook("src/motia_auth.py"))),
    }
    hooks = [
        SourceFile("motia.auth.ts", "node"),
        SourceFile("motia_auth.py", "python"),
        SourceFile("src/motia_auth.py", "python"),
    ]
    registry = build_registry(results, hooks)
    assert registry.auth_hook == SourceFile("motia.auth.ts", "node")
    assert sorted(str(problem) for problem in registry.problems) == [
        "motia_auth.py: more than one stream authenticate hook (motia.auth.ts, motia_auth.py); "
        "using motia.auth.ts",
        "src/motia_auth.py: does not export an `authenticate(request)` function",
    ]


# ---------------------------------------------------------------- the runner policy


class FakeRunners:
    """Answers hook invocations from a table, or raises; records what was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[SourceFile, str, TriggerKind, Any, float]] = []
        self.answer: InvokeResult | BaseException = _ok(None)

    async def __call__(
        self, source: SourceFile, label: str, kind: TriggerKind, payload: bytes, timeout: float
    ) -> InvokeResult:
        self.calls.append((source, label, kind, orjson.loads(payload), timeout))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def _ok(value: Any) -> InvokeResult:
    return InvokeResult(1, True, orjson.dumps(value), None)


@pytest.fixture
def registry() -> Registry:
    results: dict[RunnerKind, LoadResult] = {
        "python": _result(
            streams=(
                _stream("steps/secured_stream.py", name="secured", canAccess="can_access"),
                _stream("steps/open_stream.py", name="open"),
            ),
            hooks=(_hook("motia_auth.py", "authenticate"),),
        )
    }
    return build_registry(results, [SourceFile("motia_auth.py", "python")])


async def test_authenticate_and_can_access_run_in_the_files_runner(registry: Registry) -> None:
    runners = FakeRunners()
    policy = RunnerAccessPolicy(lambda: registry, runners, timeout=2.5)
    runners.answer = _ok({"userId": "u1"})
    request = AuthRequest("ws://h/?authToken=t", {"host": "h"}, {"authToken": "t"}, "t")
    assert await policy.authenticate(request) == {"userId": "u1"}
    runners.answer = _ok(True)
    assert await policy.can_access(Room("secured", "u1", "i1"), {"userId": "u1"}) is True
    assert await policy.can_access(Room("open", "g"), None) is True  # no canAccess: nothing runs
    assert runners.calls == [
        (
            SourceFile("motia_auth.py", "python"),
            "authenticate",
            TriggerKind.AUTHENTICATE,
            [
                {
                    "url": "ws://h/?authToken=t",
                    "headers": {"host": "h"},
                    "query": {"authToken": "t"},
                    "token": "t",
                }
            ],
            2.5,
        ),
        (
            SourceFile("steps/secured_stream.py", "python"),
            "secured.canAccess",
            TriggerKind.CAN_ACCESS,
            [{"streamName": "secured", "groupId": "u1", "id": "i1"}, {"userId": "u1"}],
            2.5,
        ),
    ]


async def test_without_a_hook_everyone_is_anonymous() -> None:
    runners = FakeRunners()
    policy = RunnerAccessPolicy(Registry, runners)
    assert await policy.authenticate(AuthRequest("ws://h/")) is None
    assert runners.calls == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            _ok("yes"),
            "canAccess of stream 'secured' (steps/secured_stream.py) returned \"yes\", not a boolean",
        ),
        (_ok(None), "returned null, not a boolean"),
        (_ok(1), "returned 1, not a boolean"),
        (
            InvokeResult(1, False, b"", ErrorInfo("RuntimeError", "no access today", "Traceback...")),
            "secured.canAccess (steps/secured_stream.py) threw RuntimeError: no access today",
        ),
        (InvocationTimeout("slow"), "secured.canAccess (steps/secured_stream.py) did not answer within 10s"),
        (RunnerDied("python-0 exited"), "could not run: python-0 exited"),
    ],
)
async def test_a_can_access_that_fails_or_whose_runner_answers_no_boolean_raises(
    registry: Registry, answer: InvokeResult | BaseException, message: str
) -> None:
    runners = FakeRunners()
    runners.answer = answer
    policy = RunnerAccessPolicy(lambda: registry, runners)
    with pytest.raises(AccessHookFailed, match=re.escape(message)) as raised:
        await policy.can_access(Room("secured", "g"), None)
    if isinstance(answer, InvokeResult) and answer.error is not None:
        assert raised.value.stack == "Traceback..."


# ---------------------------------------------------------------- the realtime service


class ScriptedPolicy:
    def __init__(self, authenticate: Any = None, allowed: Any = True) -> None:
        self._authenticate = authenticate
        self._allowed = allowed

    async def authenticate(self, request: AuthRequest) -> Any:
        if isinstance(self._authenticate, BaseException):
            raise self._authenticate
        return self._authenticate

    async def can_access(self, room: Room, auth_context: Any) -> bool:
        if isinstance(self._allowed, BaseException):
            raise self._allowed
        return bool(self._allowed)


def _realtime(policy: ScriptedPolicy) -> Realtime:
    return Realtime(Streams(MemoryStreamStore()), lambda: {"items"}, policy=policy)


async def test_a_failed_authentication_refuses_every_join_and_keeps_the_token_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    realtime = _realtime(ScriptedPolicy(authenticate=AccessHookFailed("authenticate (motia.auth.ts) threw")))
    identity = await realtime.authenticate(AuthRequest("ws://h/?authToken=secret", token="secret"))
    assert identity.failure == "authenticate (motia.auth.ts) threw"
    assert "motia.auth.ts" in caplog.text and "secret" not in caplog.text
    with pytest.raises(AccessDenied, match="authentication failed"):
        await realtime.check_access(Room("items", "g"), identity)


async def test_can_access_failures_refuse_without_telling_the_client_the_hooks_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, "motia.realtime")
    failing = _realtime(
        ScriptedPolicy(allowed=AccessHookFailed("items.canAccess (x.stream.ts) threw Error: db"))
    )
    with pytest.raises(AccessDenied) as denied:
        await failing.check_access(Room("items", "g"), Identity({"userId": "u1"}))
    assert str(denied.value) == "access to items/g denied: the access check failed"
    assert "items.canAccess (x.stream.ts) threw Error: db" in caplog.text
    with pytest.raises(AccessDenied, match=r"^access to items/g denied$"):
        await _realtime(ScriptedPolicy(allowed=False)).check_access(Room("items", "g"), Identity())
    await _realtime(ScriptedPolicy(allowed=True)).check_access(Room("items", "g"), Identity())


async def test_a_hook_stuck_waiting_for_its_runner_is_bounded_by_the_timeout(registry: Registry) -> None:
    async def never(*_: Any) -> InvokeResult:
        await asyncio.sleep(60)
        raise AssertionError("not reached")

    policy = RunnerAccessPolicy(lambda: registry, never, timeout=0.01)
    with pytest.raises(AccessHookFailed, match=r"authenticate \(motia_auth.py\) did not answer within 0.01s"):
        await policy.authenticate(AuthRequest("ws://h/"))
