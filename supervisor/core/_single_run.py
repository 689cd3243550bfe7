"""One handler run once, alone (``motia invoke``): no HTTP server, no queue, no cron.

The project is loaded as ``motia dev`` loads it, into fresh runners (one of each kind); the step's
handler runs once with the input given; everything it does through its context is answered as in a
served project and reported as it happens (``on_operation``): state and streams live in memory (state
seeded from a file, if given), and emits are recorded, never delivered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from supervisor.config import ApiStepConfig, CronStepConfig, EventStepConfig
from supervisor.core._context_calls import ContextCalls
from supervisor.core._loading import LoadedCode, load_code, one_runner_each
from supervisor.core._registry import Registry, Step
from supervisor.core._timeouts import handler_timeout
from supervisor.core._trace import new_trace_id
from supervisor.protocol import ContextCall, InvokeResult, TriggerKind
from supervisor.runners import ContextCallError
from supervisor.settings import Settings
from supervisor.state import MemoryStateStore
from supervisor.streams import MemoryStreamStore, Streams
from supervisor.tracing import Recorder, Retention


class SingleRunError(Exception):
    """The run cannot happen as asked (unknown step, input of the wrong shape); says what to do."""


@dataclasses.dataclass(frozen=True)
class Operation:
    """One context call the handler made, with its answer (or the error it got)."""

    step: str
    trace_id: str
    method: str
    args: list[Any]
    result: Any = None
    error: str | None = None
    #: an emit is recorded, never delivered
    delivered: bool = True

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"method": self.method, "args": self.args}
        if self.error is not None:
            entry["error"] = self.error
        elif self.method != "emit":
            entry["result"] = self.result
        return entry


@dataclasses.dataclass(frozen=True)
class SingleRun:
    step: Step
    result: InvokeResult
    operations: list[Operation]

    @property
    def response(self) -> Any:
        """What the handler returned (an api step: its ``{status, body, headers}``)."""
        if not self.result.ok:
            return None
        value = orjson.loads(self.result.result_json) if self.result.result_json else None
        if self.result.body is not None and isinstance(value, dict):
            value["body"] = self.result.body.decode(errors="replace")
        return value


def _payload(step: Step, input_json: Any, request: dict[str, Any] | None) -> tuple[TriggerKind, bytes, str]:
    """How the step is triggered: its kind, the payload its handler gets, the topic (events)."""
    config = step.config
    if isinstance(config, ApiStepConfig):
        request = dict(request or {})
        if input_json is not None:
            request.setdefault("body", input_json)
        unknown = set(request) - {"body", "headers", "pathParams", "queryParams"}
        if unknown:
            raise SingleRunError(
                f"--request: unknown field(s) {', '.join(sorted(unknown))}; "
                "expected body, headers, pathParams, queryParams"
            )
        body = request.get("body")
        headers = {str(name).lower(): value for name, value in (request.get("headers") or {}).items()}
        if body is not None:
            headers.setdefault("content-type", "application/json")
        payload = {
            "body": body,
            "rawBody": "" if body is None else orjson.dumps(body).decode(),
            "headers": headers,
            "pathParams": request.get("pathParams") or {},
            "queryParams": request.get("queryParams") or {},
        }
        return TriggerKind.API, orjson.dumps(payload), ""
    if request is not None:
        raise SingleRunError(f"--request is for api steps; step {step.name} is not one (use --input)")
    if isinstance(config, EventStepConfig):
        return TriggerKind.EVENT, orjson.dumps(input_json), next(iter(config.subscribes), "")
    if isinstance(config, CronStepConfig):
        return TriggerKind.CRON, b"null", ""
    raise SingleRunError(f"step {step.name} is a noop step: it has no handler to run")


def find_step(registry: Registry, name: str) -> Step:
    step = registry.steps.get(name)
    if step is None:
        known = ", ".join(sorted(registry.steps)) or "none"
        problems = "".join(f"\n  - {problem}" for problem in registry.problems)
        hint = f"; what failed to load:{problems}" if problems else ""
        raise SingleRunError(f"no step named {name!r} is loaded (steps: {known}){hint}")
    return step


async def _seed(state: MemoryStateStore, seed: dict[str, Any]) -> None:
    for group, items in seed.items():
        if not isinstance(items, dict):
            raise SingleRunError(
                f"--state-from: group {group!r} must be an object of key: value (got {type(items).__name__})"
            )
        for key, value in items.items():
            await state.set(group, key, value)


async def run_once(
    settings: Settings,
    step_name: str,
    input_json: Any = None,
    request: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    on_operation: Callable[[Operation], None] = lambda _: None,
) -> SingleRun:
    """Load the project, run ``step_name``'s handler once, stop the runners. Raises
    ``SingleRunError`` when it cannot run as asked (nothing has run then)."""
    store = MemoryStateStore()
    await _seed(store, state or {})
    streams = Streams(MemoryStreamStore())
    operations: list[Operation] = []
    registry = Registry()

    async def record_emit(
        topic: str, data: Any, trace_id: str, message_group_id: str | None = None, *, step: str | None = None
    ) -> int:
        return 0

    # A single run prints its operations itself: nothing is traced.
    untraced = Recorder(None, Retention(1, 1, 1.0), Path("."))
    calls = ContextCalls(lambda: registry, store, streams, record_emit, untraced)

    async def on_call(call: ContextCall) -> object:
        args = orjson.loads(call.args_json) if call.args_json else []
        args = args if isinstance(args, list) else [args]
        try:
            result = calls(call)  # the result, or an awaitable of it for a call that must wait
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            error = str(exc) if isinstance(exc, ContextCallError) else f"{call.method} failed: {exc}"
            operation = Operation(call.step_name, call.trace_id, call.method, args, error=error)
            raise
        else:
            delivered = call.method != "emit"
            operation = Operation(
                call.step_name, call.trace_id, call.method, args, result, delivered=delivered
            )
            return result
        finally:
            if call.method != "api.validateBody":
                operations.append(operation)
                on_operation(operation)

    loaded: LoadedCode = await load_code(one_runner_each(settings), on_call)
    try:
        registry = loaded.registry
        step = find_step(registry, step_name)
        if step.runner not in loaded.pools:
            cause = next((f.cause for f in loaded.failures if f.runner == step.runner), "it did not start")
            raise SingleRunError(f"the {step.runner} runner for step {step.name} could not start: {cause}")
        kind, payload, topic = _payload(step, input_json, request)
        result = await loaded.pools[step.runner].invoke(
            step.file, step.name, kind, payload, new_trace_id(), topic, handler_timeout(settings, step)
        )
        return SingleRun(step, result, operations)
    finally:
        await asyncio.gather(*(pool.stop(1.0) for pool in loaded.pools.values()), return_exceptions=True)
        await streams.close()
