"""Answers the context calls handlers make: emit, state.*, streams.*, and the runner's own
api.validateBody (body validation after an api step's middleware chain).

Runners send these as ContextCall messages; this module turns each into a call
on the state store, the streams service or the event bus, and records it in the call's trace.

Most calls need no waiting on the embedded stores (a state read is a lookup on the loop's thread, the
first write of a loop turn commits there, a stream set's subscribers only get its message queued), so a
call is answered with its result when its method's coroutine finishes in its first step, and only a call
that must wait (a write behind another of the same loop turn, a read in a worker thread, Redis) gives an
awaitable, which the runner connection awaits in a task of its own: of the pet app's ~22 context calls
per pet, ~17 go without a task and a loop turn each (bench/RESULTS.md, branch petflow).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import orjson

from supervisor.config import ApiStepConfig
from supervisor.core._registry import Registry
from supervisor.core._schemas import body_rejection, describe_errors
from supervisor.eager import Resumed
from supervisor.protocol import ContextCall
from supervisor.queue import MissingMessageGroup
from supervisor.runners import ContextCallError, calling_runner
from supervisor.state import StateStore
from supervisor.storage import JsonObject, NestedTooDeeply, RedisUnavailable, check_depth
from supervisor.streams import Streams
from supervisor.tracing import Recorder

_logger = logging.getLogger("motia.events")
#: the core's lines about a request it refused (as ``Runtime.record_rejection``'s)
_logger_api = logging.getLogger("motia.core")


class Emitter(Protocol):
    def __call__(
        self,
        topic: str,
        data: Any,
        trace_id: str,
        message_group_id: str | None = None,
        *,
        step: str | None = None,
    ) -> Awaitable[int]: ...


_Method = Callable[[ContextCall, list[Any]], Coroutine[Any, Any, Any]]


#: what Motia adds to every stream item it hands a handler (never to what stream clients receive): where
#: the item lives, so that an API answering with an item lets its caller subscribe to it (Motia's
#: Workbench does, and a front end can: ``useStreamItem(body.__motia)``).
STREAM_MARKER = "__motia"


def _marked(stream: str, group: str, item: JsonObject | None) -> JsonObject | None:
    if item is None:
        return None
    marker: JsonObject = {
        "type": "state-stream",
        "streamName": stream,
        "groupId": group,
        "id": item.get("id"),
    }
    return {**item, STREAM_MARKER: marker}


def _arg(args: list[Any], index: int, name: str, method: str) -> Any:
    if index >= len(args):
        raise ContextCallError(f"{method}: missing argument '{name}'")
    return args[index]


def _within_depth(call: ContextCall, value: Any, name: str) -> Any:
    """``value`` (an argument of ``call``) unless it nests deeper than the core accepts any JSON."""
    try:
        check_depth(value, f"{call.method}: {name}", call.args_json)
    except NestedTooDeeply as exc:
        raise ContextCallError(str(exc)) from None
    return value


def _key(args: list[Any], index: int, name: str, method: str) -> str:
    value = _arg(args, index, name, method)
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ContextCallError(f"{method}: '{name}' must be a string (got {type(value).__name__})")
    return str(value)


class ContextCalls:
    def __init__(
        self,
        registry: Callable[[], Registry],
        state: StateStore,
        streams: Streams,
        emit: Emitter,
        recorder: Recorder,
        *,
        inline: bool = True,
    ) -> None:
        self._registry = registry
        self._recorder = recorder
        #: a call whose method finishes without waiting is answered at once, outside any task. Off when a
        #: store is on Redis: its client registers the task awaiting a command, to cancel it when Redis
        #: stops answering, so its commands must start inside that task.
        self._inline = inline
        self._state = state
        self._streams = streams
        self._emit = emit
        self._methods: dict[str, _Method] = {
            "emit": self._do_emit,
            "state.get": self._state_get,
            "state.set": self._state_set,
            "state.delete": self._state_delete,
            "state.getGroup": self._state_get_group,
            "state.clear": self._state_clear,
            "streams.set": self._streams_set,
            "streams.get": self._streams_get,
            "streams.getGroup": self._streams_get_group,
            "streams.delete": self._streams_delete,
            "streams.send": self._streams_send,
            "api.validateBody": self._validate_body,
        }

    def __call__(self, call: ContextCall) -> Any:
        """The call's result (a JSON value), or an awaitable of it when the call must wait for I/O.

        A call that fails raises ``ContextCallError`` (its message is the handler's) or the exception
        of the store, here or from the awaitable; either way the call is recorded in its trace."""
        method = self._methods.get(call.method)
        if method is None:
            raise ContextCallError(f"unknown context method {call.method!r}")
        try:
            args = orjson.loads(call.args_json) if call.args_json else []
        except orjson.JSONDecodeError:  # runners send valid JSON: this is past orjson's 1,024 levels
            raise ContextCallError(str(NestedTooDeeply(f"{call.method}: arguments"))) from None
        if not isinstance(args, list):
            raise ContextCallError(f"{call.method}: arguments must be a JSON array")
        started = time.time() if self._recorder.enabled else 0.0
        running = method(call, args)
        if not self._inline:
            return self._finish(call, args, started, running)
        try:
            waiting_on = running.send(None)
        except StopIteration as done:
            if self._recorder.enabled:
                # recorded in the loop's next callback, after the reply has left with the others of its
                # read: the runner waits for the reply, not for the record (~4-10 µs)
                asyncio.get_running_loop().call_soon(
                    self._recorder.context_call, call, args, done.value, started, None, time.time()
                )
            return done.value
        except Exception as exc:
            error = self._failed(call, args, started, exc)
            if error is exc:
                raise
            raise error from None
        return self._finish(call, args, started, Resumed(running, waiting_on))

    async def _finish(
        self, call: ContextCall, args: list[Any], started: float, running: Awaitable[Any]
    ) -> Any:
        try:
            result = await running
        except Exception as exc:
            error = self._failed(call, args, started, exc)
            if error is exc:
                raise
            raise error from None
        if self._recorder.enabled:
            self._recorder.context_call(call, args, result, started, None)
        return result

    def _failed(self, call: ContextCall, args: list[Any], started: float, exc: Exception) -> Exception:
        """What a failed call raises, recorded in its trace: Redis's outage as the handler's error (the
        connection reports the outage itself), anything else as it is."""
        error = ContextCallError(f"{call.method}: {exc}") if isinstance(exc, RedisUnavailable) else exc
        if self._recorder.enabled:
            self._recorder.context_call(call, args, None, started, str(error) or type(error).__name__)
        return error

    # ---------------------------------------------------------------- emit

    async def _do_emit(self, call: ContextCall, args: list[Any]) -> None:
        event = _arg(args, 0, "event", "emit")
        if not isinstance(event, dict) or not isinstance(event.get("topic"), str) or not event["topic"]:
            raise ContextCallError("emit: expected {topic: string, data: any, messageGroupId?: string}")
        topic: str = event["topic"]
        step = self._registry().steps.get(call.step_name)
        # Motia's rule (isAllowedToEmit): an empty or absent `emits` allows every topic; only a
        # non-empty list restricts.
        declared_topics = step.config.emit_topics if step is not None else frozenset()
        if declared_topics and topic not in declared_topics:
            declared = sorted(declared_topics)
            _logger.warning(
                "step %s emitted topic %r, which is not in its emits %s; the event is not delivered",
                call.step_name,
                topic,
                declared,
                extra={
                    "step": call.step_name,
                    "trace_id": call.trace_id,
                    "meta": {"topic": topic, "emits": declared},
                },
            )
            self._recorder.emitted(
                call.trace_id,
                call.step_name,
                topic,
                event.get("data"),
                None,
                (),
                dropped=f"not in the emits of step {call.step_name}",
            )
            return
        group = event.get("messageGroupId")
        try:
            await self._emit(
                topic,
                _within_depth(call, event.get("data"), "data"),
                call.trace_id,
                group if isinstance(group, str) else None,
                step=call.step_name,
            )
        except MissingMessageGroup as exc:
            got = "" if group is None else f" (got {group!r})"
            raise ContextCallError(f"emit: {exc}{got}") from None

    # ---------------------------------------------------------------- state

    async def _state_get(self, call: ContextCall, args: list[Any]) -> Any:
        return await self._state.get(_key(args, 0, "groupId", call.method), _key(args, 1, "key", call.method))

    async def _state_set(self, call: ContextCall, args: list[Any]) -> Any:
        group, key = _key(args, 0, "groupId", call.method), _key(args, 1, "key", call.method)
        value = _within_depth(call, args[2] if len(args) > 2 else None, "value")
        return await self._state.set(group, key, value)

    async def _state_delete(self, call: ContextCall, args: list[Any]) -> Any:
        return await self._state.delete(
            _key(args, 0, "groupId", call.method), _key(args, 1, "key", call.method)
        )

    async def _state_get_group(self, call: ContextCall, args: list[Any]) -> Any:
        return await self._state.get_group(_key(args, 0, "groupId", call.method))

    async def _state_clear(self, call: ContextCall, args: list[Any]) -> None:
        await self._state.clear(_key(args, 0, "groupId", call.method))

    # ---------------------------------------------------------------- streams

    def _stream(self, call: ContextCall, args: list[Any]) -> str:
        name = _key(args, 0, "stream", call.method)
        if name not in self._registry().streams:
            known = ", ".join(sorted(self._registry().streams)) or "none"
            raise ContextCallError(f"{call.method}: no stream named {name!r} (streams: {known})")
        return name

    async def _streams_set(self, call: ContextCall, args: list[Any]) -> Any:
        stream = self._stream(call, args)
        group, item = _key(args, 1, "groupId", call.method), _key(args, 2, "id", call.method)
        data = _within_depth(call, _arg(args, 3, "data", call.method), "data")
        if isinstance(data, dict) and STREAM_MARKER in data:  # an item read back and written again
            data = {key: value for key, value in data.items() if key != STREAM_MARKER}
        try:
            # published after the reply: a handler awaits its set, not its subscribers' WebSocket writes
            item_set = await self._streams.set(stream, group, item, data, publish_later=True)
            return _marked(stream, group, item_set)
        except ValueError as exc:
            raise ContextCallError(str(exc)) from exc

    async def _streams_get(self, call: ContextCall, args: list[Any]) -> Any:
        stream = self._stream(call, args)
        group = _key(args, 1, "groupId", call.method)
        return _marked(
            stream, group, await self._streams.get(stream, group, _key(args, 2, "id", call.method))
        )

    async def _streams_get_group(self, call: ContextCall, args: list[Any]) -> Any:
        stream = self._stream(call, args)
        group = _key(args, 1, "groupId", call.method)
        return [_marked(stream, group, item) for item in await self._streams.get_group(stream, group)]

    async def _streams_delete(self, call: ContextCall, args: list[Any]) -> Any:
        stream = self._stream(call, args)
        group = _key(args, 1, "groupId", call.method)
        removed = await self._streams.delete(stream, group, _key(args, 2, "id", call.method))
        return _marked(stream, group, removed)

    async def _streams_send(self, call: ContextCall, args: list[Any]) -> None:
        stream = self._stream(call, args)
        channel, event = _arg(args, 1, "channel", call.method), _arg(args, 2, "event", call.method)
        if not isinstance(channel, dict) or "groupId" not in channel:
            raise ContextCallError(f"{call.method}: channel must be {{groupId, id?}}")
        if not isinstance(event, dict) or "type" not in event:
            raise ContextCallError(f"{call.method}: event must be {{type, data}}")
        await self._streams.send(stream, channel, _within_depth(call, event, "event"))

    # ---------------------------------------------------------------- api

    async def _validate_body(self, call: ContextCall, args: list[Any]) -> Any:
        """The body as the middleware chain left it, checked against the step's ``bodySchema``:
        ``null`` when it passes, else the 400 response the runner answers instead of the handler."""
        body = _within_depth(call, _arg(args, 0, "body", call.method), "body")
        step = self._registry().steps.get(call.step_name)
        validator = step.body_validator if step is not None else None
        if validator is None:
            return None
        errors = validator.errors(body)
        if not errors:
            return None
        rejection = body_rejection(errors)
        config = step.config if step is not None else None
        route = f"{config.method} {config.path} " if isinstance(config, ApiStepConfig) else ""
        # the runner answers the 400 the core made: said here, or nothing would say why (the line is
        # the core's, tagged with the runner that ran the chain and asked, as that runner's lines are)
        _logger_api.warning(
            "%srefused by the core after the middleware chain, before the handler ran (400): %s: %s",
            route,
            rejection["message"],
            describe_errors(errors),
            extra={"step": call.step_name, "trace_id": call.trace_id, "runner": calling_runner.get()},
        )
        return {"status": 400, "body": rejection}
