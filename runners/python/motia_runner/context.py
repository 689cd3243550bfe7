"""The ``context`` handed to handlers: emit, logger, state, streams, trace_id, flows.

Works with attribute access (``context.emit``), ``getattr(context, "traceId")``
and dict access (``context["logger"]``, ``context.get("emit")``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from motia_runner.calls import CallClient, PendingCall
from motia_runner.current import InvocationInfo
from motia_runner.logs import LogSink, meta_json


class _CallScope:
    """What every context member needs to start a call for one invocation."""

    def __init__(self, client: CallClient, info: InvocationInfo) -> None:
        self.client = client
        self.info = info
        self.started: list[PendingCall] = []

    def call(self, method: str, *args: Any) -> PendingCall:
        pending = self.client.start(self.info, method, list(args))
        self.started.append(pending)
        return pending


class Logger:
    def __init__(self, sink: LogSink, info: InvocationInfo) -> None:
        self._sink = sink
        self._info = info

    def _log(self, level: str, message: Any, meta: Any, extra: dict[str, Any]) -> None:
        if self._sink.enabled(level):
            self._sink.log(level, message, meta_json(meta, extra), self._info)

    def info(self, message: Any = "", meta: Any = None, **extra: Any) -> None:
        self._log("info", message, meta, extra)

    def warn(self, message: Any = "", meta: Any = None, **extra: Any) -> None:
        self._log("warn", message, meta, extra)

    warning = warn

    def error(self, message: Any = "", meta: Any = None, **extra: Any) -> None:
        self._log("error", message, meta, extra)

    exception = error

    def critical(self, message: Any = "", meta: Any = None, **extra: Any) -> None:
        """Above error, as ``logging.CRITICAL``: the supervisor keeps it as its own level, ``critical``."""
        self._log("critical", message, meta, extra)

    def debug(self, message: Any = "", meta: Any = None, **extra: Any) -> None:
        self._log("debug", message, meta, extra)

    def log(self, level: str, message: Any = "", meta: Any = None, **extra: Any) -> None:
        self._log(level, message, meta, extra)


class State:
    def __init__(self, scope: _CallScope) -> None:
        self._scope = scope

    def get(self, group_id: str, key: str) -> PendingCall:
        return self._scope.call("state.get", group_id, key)

    def set(self, group_id: str, key: str, value: Any) -> PendingCall:
        return self._scope.call("state.set", group_id, key, value)

    def delete(self, group_id: str, key: str) -> PendingCall:
        return self._scope.call("state.delete", group_id, key)

    def get_group(self, group_id: str) -> PendingCall:
        return self._scope.call("state.getGroup", group_id)

    getGroup = get_group

    def clear(self, group_id: str) -> PendingCall:
        return self._scope.call("state.clear", group_id)


class Stream:
    def __init__(self, scope: _CallScope, name: str) -> None:
        self._scope = scope
        self.name = name

    def __repr__(self) -> str:
        return f"<Stream {self.name!r}>"

    def set(self, group_id: str, id: str, data: Any) -> PendingCall:
        return self._scope.call("streams.set", self.name, group_id, id, data)

    def get(self, group_id: str, id: str) -> PendingCall:
        return self._scope.call("streams.get", self.name, group_id, id)

    def delete(self, group_id: str, id: str) -> PendingCall:
        return self._scope.call("streams.delete", self.name, group_id, id)

    def get_group(self, group_id: str) -> PendingCall:
        return self._scope.call("streams.getGroup", self.name, group_id)

    getGroup = get_group

    def send(self, channel: dict[str, Any], event: dict[str, Any]) -> PendingCall:
        return self._scope.call("streams.send", self.name, channel, event)


class Streams:
    """``context.streams.<name>`` / ``context.streams["name"]``; any name is accepted."""

    def __init__(self, scope: _CallScope, names: frozenset[str]) -> None:
        self._scope = scope
        self._names = names
        self._cache: dict[str, Stream] = {}

    def __getattr__(self, name: str) -> Stream:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Stream:
        stream = self._cache.get(name)
        if stream is None:
            stream = self._cache[name] = Stream(self._scope, name)
        return stream

    def get(self, name: str, default: Any = None) -> Stream:
        return self[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names))

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._names]


class _Dates:
    @staticmethod
    def now() -> datetime.datetime:
        return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 - keeps 3.10 working


class _Utils:
    dates = _Dates()


class Context:
    _KEYS = ("emit", "logger", "state", "streams", "trace_id", "traceId", "flows", "utils")

    def __init__(
        self,
        client: CallClient,
        sink: LogSink,
        info: InvocationInfo,
        streams: frozenset[str],
        flows: list[str] | None = None,
    ) -> None:
        self._scope = _CallScope(client, info)
        self.info = info
        self.logger = Logger(sink, info)
        self.state = State(self._scope)
        self.streams = Streams(self._scope, streams)
        self.trace_id = info.trace_id
        self.traceId = info.trace_id
        #: the step config's ``flows`` (as in Motia's Python runner: [] when absent)
        self.flows = list(flows or [])
        self.utils = _Utils()

    @property
    def started_calls(self) -> list[PendingCall]:
        return self._scope.started

    def runner_call(self, method: str, *args: Any) -> PendingCall:
        """A context call the runner itself makes for this invocation (``api.validateBody``)."""
        return self._scope.call(method, *args)

    def emit(self, event: dict[str, Any] | str | None = None, data: Any = None, **fields: Any) -> PendingCall:
        """``emit({"topic", "data", "messageGroupId"?})``; also ``emit(topic, data)`` and keywords."""
        if isinstance(event, str):
            payload: dict[str, Any] = {"topic": event, "data": data}
        elif event is None:
            payload = {}
        elif isinstance(event, dict):
            payload = dict(event)
        elif hasattr(event, "model_dump"):
            payload = event.model_dump()
        else:
            raise TypeError(f"emit() takes a dict {{'topic', 'data'}}, not {type(event).__name__}")
        if "message_group_id" in fields:
            fields["messageGroupId"] = fields.pop("message_group_id")
        payload.update(fields)
        if not isinstance(payload.get("topic"), str) or not payload["topic"]:
            # older Motia named the topic "type", as some of MotiaDev's examples still do
            old = payload.get("type")
            hint = f", got {{'type': {old!r}}}: name it 'topic'" if isinstance(old, str) else ""
            raise TypeError(f"emit() needs a 'topic' string{hint}")
        return self._scope.call("emit", payload)

    # dict-style access
    def __getitem__(self, key: str) -> Any:
        if key not in self._KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default) if key in self._KEYS else default

    def __contains__(self, key: object) -> bool:
        return key in self._KEYS

    def keys(self) -> tuple[str, ...]:
        return self._KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<Context step={self.info.step_name!r} trace_id={self.info.trace_id!r}>"
