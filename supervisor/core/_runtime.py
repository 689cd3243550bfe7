"""The running application: discovery, runners, registry, storage, event bus, cron.

Everything the HTTP layer and the CLI need goes through ``Runtime``; it is the
one place that knows how the parts are wired together.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from supervisor.config import ApiStepConfig, CronStepConfig, EventStepConfig
from supervisor.core._announce import announce_load, announce_reload
from supervisor.core._blame import attempt_lost_to
from supervisor.core._context_calls import ContextCalls
from supervisor.core._hooks import RunnerAccessPolicy
from supervisor.core._load_summary import load_fix, summarize
from supervisor.core._loading import LoadedCode, load_code, new_pool
from supervisor.core._registry import LoadProblem, Registry, Step, keep_unloaded
from supervisor.core._runner_rows import runner_ids_to_come, runner_rows
from supervisor.core._schemas import SchemaValidator, describe_errors
from supervisor.core._timeouts import handler_timeout, log_timed_out
from supervisor.core._trace import new_trace_id
from supervisor.cron import CronExpression, CronJob, CronRun, CronScheduler
from supervisor.discovery import SourceFile
from supervisor.protocol import InvokeResult, TriggerKind
from supervisor.queue import (
    DeadLetter,
    Delivery,
    EventBus,
    EventQueue,
    MemoryEventQueue,
    Outcome,
    PermanentFailure,
    QueuePolicy,
    SqliteEventQueue,
    attempt_runner,
    repeats_last_error,
)
from supervisor.realtime import STREAM_END_TIMEOUT_S, Realtime
from supervisor.reload import ProjectChanges
from supervisor.routing import Router
from supervisor.runners import (
    AttachedRunners,
    AttachTarget,
    InvocationTimeout,
    IsolatedRunner,
    RunnerDied,
    RunnerPool,
    RunnerSnapshot,
    RunnerUnavailable,
    runner_files,
)
from supervisor.settings import CorsSettings, Settings
from supervisor.state import MemoryStateStore, SqliteStateStore, StateStore
from supervisor.storage import SqliteDatabase
from supervisor.streams import MemoryStreamStore, SqliteStreamStore, Streams, StreamStore
from supervisor.tracing import (
    MemoryTraceStore,
    OtelUnavailable,
    Recorder,
    Retention,
    TraceStore,
    TraceWriter,
    move_earlier_traces,
    otel_exporter,
    otlp_endpoint,
)

if TYPE_CHECKING:
    from supervisor.storage import RedisConnection
    from supervisor.tracing import RedisTraceStore

_logger = logging.getLogger("motia.core")
# A request's span when the core answered it without running its step.
_NOT_RUN = InvokeResult(0, True, b"", None)
_step_logger = logging.getLogger("motia.step")


def _describe(changes: ProjectChanges | None) -> str:
    if changes is None:
        return "reload asked for"
    paths = sorted(changes.paths)
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    return f"{shown} changed"


class StartupError(Exception):
    """``motia start`` refuses to run a project with load or config errors; lists them all."""

    def __init__(self, problems: list[LoadProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} problem(s) in the project:\n{lines}")


class HandlerFailed(Exception):
    """An event or cron handler threw; the event bus retries it."""


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry()
        self.pools: dict[str, RunnerPool] = {}
        #: per runner, where event deliveries that were in flight at a runner death re-run alone
        self.isolated: dict[str, IsolatedRunner] = {}
        self._database: SqliteDatabase | None = None
        self._redis: RedisConnection | None = None
        self.state: StateStore
        self.streams: Streams
        self.realtime: Realtime
        self._queue: EventQueue
        self.bus: EventBus
        self.cron = CronScheduler(self._fire_cron)
        #: the server is shutting down (``shutdown_begins``)
        self.stopping = False
        #: traces and logs (replaced by the configured one at start)
        self.tracing = Recorder(None, Retention(1, 1, 1.0), settings.project_root)
        #: the store the recorder writes into, when the runtime must close it (SQLite, Redis)
        self._trace_store: TraceStore | None = None
        self._calls: ContextCalls
        #: runners started by hand that dialled in (``motia dev --runner-listen``)
        self.attached = AttachedRunners(
            settings.project_root,
            lambda: self.settings.runner_log_level,
            lambda call: self._calls(call),
            self._attach_target,
        )
        #: the last load of the project's code (files found, runners, failures), for the start-up summary
        self.loaded: LoadedCode | None = None
        #: each subscriber's queue policy, for the registry and settings they were built from
        self._policies: dict[str, QueuePolicy] = {}
        self._policies_from: tuple[Registry, Settings] | None = None
        self._reload_lock = asyncio.Lock()
        self._started = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        settings = self.settings
        config = settings.config
        # traces kept in SQLite have a file of their own (traces.db): motia.db only for the others
        if "sqlite" in config.embedded_adapters(tracing=False):
            self._database = await SqliteDatabase.open(settings.data_dir / "motia.db")
        if config.uses_redis and config.redis.url is not None:
            # the Redis client is imported only when Redis is configured (in this method and in
            # those that make the Redis stores): a supervisor on SQLite starts without it
            from supervisor.cron import RedisTickLocks
            from supervisor.storage import RedisConnection

            # RedisUnavailable (unreachable, refused, too old) says where and why
            self._redis = await RedisConnection.open(config.redis.url, config.redis.prefix)
            self.cron = CronScheduler(
                self._fire_cron, RedisTickLocks(self._redis, config.redis.consumer_timeout_s)
            )
        self.tracing = self._recorder()
        self.tracing.listen()
        # The trace writer (a process: ~0.3 s to start) starts while the project's code loads.
        tracing_started = asyncio.create_task(self._start_tracing(), name="tracing-start")
        try:
            await self._load()
        except BaseException:
            tracing_started.cancel()
            with contextlib.suppress(BaseException):
                await tracing_started
            raise
        await tracing_started
        announce_load(self.registry)

        self.bus = EventBus(
            self._queue,
            self._deliver,
            self._policy_for,
            concurrency=config.events.concurrency,
            observer=self._observe_delivery,
        )
        await self.bus.start()
        self.cron.start(self._cron_jobs(self.registry))
        self._started = True

    async def _load(self) -> None:
        """The stores the steps use, then the steps (their runners started, their files loaded)."""
        settings = self.settings
        self.state = self._state_store()
        stream_store = self._stream_store()
        self.streams = Streams(stream_store)
        await self.streams.listening()
        # Subscribes to every stream change; the registry is looked up late, it is built below.
        self.realtime = Realtime(
            self.streams,
            lambda: self.registry.streams,
            policy=RunnerAccessPolicy(lambda: self.registry, self.invoke_hook),
        )
        self._queue = self._event_queue()
        config = settings.config
        stores = (config.state.adapter, config.streams.adapter, config.events.adapter)
        self._calls = ContextCalls(
            lambda: self.registry,
            self.state,
            self.streams,
            self.emit,
            self.tracing,
            inline="redis" not in stores,
        )
        self.loaded = loaded = await load_code(settings, self._calls)
        self.pools = self._with_attached(loaded.pools)
        self.isolated = self._isolated(loaded, loaded.pools)
        self.registry = loaded.registry
        if self.registry.problems and settings.mode == "start":
            await self._close_runners(self.pools, self.isolated, 0)
            raise StartupError(self.registry.problems)

    def _state_store(self) -> StateStore:
        adapter = self.settings.config.state.adapter
        if adapter == "sqlite" and self._database:
            return SqliteStateStore(self._database)
        if adapter == "redis" and self._redis:
            from supervisor.state import RedisStateStore

            return RedisStateStore(self._redis)
        return MemoryStateStore()

    def _stream_store(self) -> StreamStore:
        adapter = self.settings.config.streams.adapter
        if adapter == "sqlite" and self._database:
            return SqliteStreamStore(self._database)
        if adapter == "redis" and self._redis:
            from supervisor.streams import RedisStreamStore

            return RedisStreamStore(self._redis)
        return MemoryStreamStore()

    def _event_queue(self) -> EventQueue:
        config = self.settings.config
        if config.events.adapter == "sqlite" and self._database:
            return SqliteEventQueue(self._database)
        if config.events.adapter == "redis" and self._redis:
            from supervisor.queue import RedisEventQueue

            return RedisEventQueue(self._redis, config.redis.consumer_timeout_s)
        return MemoryEventQueue()

    @property
    def unavailable(self) -> str | None:
        """Why storage the steps need cannot be reached now (Redis down), or None."""
        return None if self._redis is None else self._redis.outage

    async def reload(self, changes: ProjectChanges | None = None, settings: Settings | None = None) -> None:
        """Load what ``changes`` touched again (``motia dev``) and swap it in; everything when None.

        Only the runners of the languages whose files changed start again (a helper module: the
        language that imports it); a new ``.env`` or new ``settings`` restart every runner. New
        runners load the files next to the old ones; once they are up, requests, events and cron go
        to them, and the old runners finish what they had in flight. Runners are replaced rather
        than asked to re-import, so helper modules a step imports are fresh too. A step file that
        no longer loads is removed (404, no deliveries) until it is fixed, as in Motia.
        """
        async with self._reload_lock:
            if settings is not None:
                self.settings = settings
            everything = changes is None or changes.env or settings is not None
            began = time.monotonic()
            loaded = await load_code(
                self.settings,
                self._calls,
                previous=None if everything else self.loaded,
                changed=changes.runners if changes is not None else (),
            )
            self.loaded = loaded
            old_pools = {r: p for r, p in self.pools.items() if loaded.pools.get(r) is not p}
            if not loaded.started and not old_pools:
                return  # nothing this change concerns runs here (requirements.txt without Python steps)
            old_isolated = {r: i for r, i in self.isolated.items() if r in old_pools or r not in loaded.pools}
            self.pools = self._with_attached(loaded.pools)
            self.isolated = {
                r: i for r, i in self.isolated.items() if r not in old_isolated
            } | self._isolated(loaded, [runner for runner in loaded.started if runner in loaded.pools])
            if loaded.started:
                _logger.info(
                    "reloaded the %s runner%s in %.1fs: %s",
                    " and ".join(loaded.started),
                    "s" if len(loaded.started) > 1 else "",
                    time.monotonic() - began,
                    "settings changed" if settings is not None else _describe(changes),
                )
            for runner in old_pools.keys() - loaded.files.keys():
                _logger.info("stopped the %s runner: none of its files are left", runner)
            old_registry, self.registry = self.registry, loaded.registry
            keep_unloaded(old_registry, self.registry)
            announce_reload(old_registry, self.registry, changes.paths if changes is not None else ())
            summary = summarize(loaded)
            if not summary.ok:
                summary.log(_logger, logging.ERROR)
            self.cron.replace(self._cron_jobs(self.registry))
            for runner in {*loaded.started, *old_pools}:
                await self.attached.reload(runner)
            await self._close_runners(old_pools, old_isolated, self.settings.config.shutdown_grace_s)

    def load_fix(self, problem: LoadProblem) -> str:
        """What to do about a file that did not load, as the start-up summary says ("" if not known)."""
        return load_fix(problem, self.loaded) if self.loaded is not None else ""

    def runner_rows(self) -> list[RunnerSnapshot]:
        """Every runner serving the project now: the pools' own, the isolated ones, those attached by hand."""
        return runner_rows(self.pools, self.isolated, self.attached)

    def runner_ids_to_come(self) -> list[str]:
        return runner_ids_to_come(self.settings.config.runners)

    def _with_attached(self, pools: dict[str, RunnerPool]) -> dict[str, RunnerPool]:
        """The pools, each asking the attached runners first."""
        for pool in pools.values():
            pool.attached = self.attached
        return dict(pools)

    def _attach_target(self, runner: str) -> AttachTarget | None:
        """What an attached runner of ``runner``'s language loads, and which steps it may take."""
        files = self.loaded.files.get(runner) if self.loaded is not None else None
        if files is None or runner not in self.pools:
            return None
        steps, streams, hooks = files
        names = frozenset(step.name for step in self.registry.steps.values() if step.runner == runner)
        return AttachTarget(steps, streams, hooks, names)

    def _isolated(self, loaded: LoadedCode, runners: Iterable[str]) -> dict[str, IsolatedRunner]:
        """Beside each of ``runners``' pool, where deliveries in flight at a runner death re-run alone."""
        return {
            runner: IsolatedRunner(
                functools.partial(
                    new_pool,
                    self.settings,
                    loaded.specs[runner],
                    loaded.files[runner],
                    self._calls,
                    1,
                    f"{runner}-isolated",
                )
            )
            for runner in runners
        }

    @staticmethod
    def _cron_jobs(registry: Registry) -> list[CronJob]:
        return [
            CronJob(step.name, CronExpression.parse(step.config.cron))
            for step in registry.crons
            if isinstance(step.config, CronStepConfig)
        ]

    async def shutdown_begins(self) -> None:
        """The server is stopping: its health says so, and the streams a client keeps open for as
        long as it likes (stream clients over WebSocket and SSE, live log streams) end now, cleanly,
        rather than hold the shutdown for the whole grace and then be cut; those asked for from now on
        end at once. Requests in flight still get the grace. Returns once the stream clients got
        their end (or a stalled one was given up on), before the HTTP server's own shutdown closes
        what is left its way."""
        self.stopping = True
        self.realtime.hub.go_away()
        self.tracing.end_follows()
        await self.realtime.hub.gone(STREAM_END_TIMEOUT_S)

    async def stop(self, grace: float | None = None) -> None:
        grace = self.settings.config.shutdown_grace_s if grace is None else grace
        if self._started:
            await self.cron.stop(grace)
            await self.bus.stop(grace)
        await self.attached.stop(grace)
        await self._close_runners(self.pools, self.isolated, grace)
        await self.tracing.stop()
        if self._trace_store is not None:
            await self._trace_store.close()
            self._trace_store = None
        if self._started:
            await self._queue.close()
            await self.streams.close()
            await self.state.close()
        if self._database is not None:
            await self._database.close()
        if self._redis is not None:
            await self._redis.close()
            self._redis = None
        self._started = False

    def _recorder(self) -> Recorder:
        """Traces and logs as ``tracing`` in motia.config.json says; OpenTelemetry export as the
        environment says (``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
        settings = self.settings
        tracing = settings.config.tracing
        store: TraceStore | None = None
        adapter = settings.config.trace_adapter
        shared: RedisTraceStore | None = None
        if adapter == "sqlite":
            # a file of its own, written with less durability than motia.db (see SqliteTraceStore), by
            # a process of its own (see TraceWriter)
            store = TraceWriter(settings.data_dir / "traces.db")
        elif adapter == "redis" and self._redis is not None:
            from supervisor.tracing import RedisTraceStore

            store = shared = RedisTraceStore(self._redis, settings.config.redis.consumer_timeout_s)
        elif adapter is not None:
            store = MemoryTraceStore()
        try:
            exporter = otel_exporter(os.environ, self._route_of)
        except OtelUnavailable as exc:
            _logger.error("%s", exc)
            exporter = None
        if exporter is not None:
            _logger.info("exporting step executions to OpenTelemetry at %s", otlp_endpoint(os.environ))
        retention = Retention(tracing.max_traces, tracing.max_log_lines, tracing.max_age_hours * 3600)
        files = runner_files()
        recorder = Recorder(store, retention, settings.project_root, (files.node, files.python), exporter)
        if shared is not None:
            shared.listen(recorder.relay)  # the other supervisors' log lines, to this one's followers
        self._trace_store = store
        return recorder

    def _route_of(self, step_name: str) -> tuple[str, str] | None:
        """An api step's method and route, for its exported spans (the registry of the moment: reloads
        included)."""
        step = self.registry.steps.get(step_name)
        config = None if step is None else step.config
        return (config.method, config.path) if isinstance(config, ApiStepConfig) else None

    async def _start_tracing(self) -> None:
        store = self._trace_store
        if isinstance(store, TraceWriter):
            await store.start()  # a traces file it cannot open stops the start, with the reason
            await self._move_earlier_traces(store.path)
        await self.tracing.start()

    async def _move_earlier_traces(self, traces_file: Path) -> None:
        """Traces and logs that versions before ``traces.db`` kept in ``motia.db``, into ``traces.db``."""
        database = self.settings.data_dir / "motia.db"
        try:
            moved = await asyncio.to_thread(move_earlier_traces, database, traces_file)
        except sqlite3.Error as exc:
            _logger.warning(
                "could not move the traces and logs of an earlier version from %s to %s (%s): they stay "
                "there, the next start tries again",
                database,
                traces_file,
                exc,
            )
            return
        if moved.traces or moved.logs:
            _logger.info(
                "moved %d traces and %d log lines of an earlier version from %s to %s",
                moved.traces,
                moved.logs,
                database,
                traces_file,
            )

    @staticmethod
    async def _close_runners(
        pools: dict[str, RunnerPool], isolated: dict[str, IsolatedRunner], grace: float
    ) -> None:
        await asyncio.gather(
            *(pool.stop(grace) for pool in pools.values()),
            *(runner.stop(grace) for runner in isolated.values()),
            return_exceptions=True,
        )

    # ------------------------------------------------------------------ invoking steps

    @property
    def routes(self) -> Router[Step]:
        return self.registry.routes

    @property
    def api_timeout_s(self) -> float:
        return self.settings.config.api_timeout_s

    @property
    def expose_errors(self) -> bool:
        return self.settings.mode == "dev"

    @property
    def cors(self) -> CorsSettings | None:
        return self.settings.config.cors

    async def invoke(
        self,
        step: Step,
        kind: TriggerKind,
        payload: bytes,
        trace_id: str,
        topic: str = "",
        timeout: float | None = None,
        *,
        isolated: bool = False,
        parent_span_id: str | None = None,
        remote_parent: bool = False,
        delivery: Delivery | None = None,
    ) -> InvokeResult:
        """Run one step, as a span of its trace. ``isolated``: alone, in its runner kind's
        ``IsolatedRunner``; ``parent_span_id``: the span it runs under (``remote_parent``: another
        service's, from a ``traceparent`` header); ``delivery``: the event delivery it handles. A
        failed result, or the ``RunnerDied`` raised, names the runner process that ran it."""
        limit = _memory_limit(step)
        span = self.tracing.start_span(
            step.name,
            step.file,
            kind,
            trace_id,
            topic,
            parent_span_id=parent_span_id,
            remote_parent=remote_parent,
            delivery_id=delivery.id if delivery is not None else None,
            attempt=delivery.attempts + 1 if delivery is not None else 1,
        )
        try:
            runner: RunnerPool | IsolatedRunner | None = (
                self.isolated.get(step.runner) if isolated else self.pools.get(step.runner)
            )
            if runner is None:
                raise RunnerUnavailable(f"no {step.runner} runner is running for step {step.name}")
            result = await runner.invoke(
                step.file, step.name, kind, payload, trace_id, topic, timeout, limit, on_runner=span
            )
        except BaseException as exc:
            self.tracing.end_span(span, error=exc)
            raise
        self.tracing.end_span(span, result)
        return result

    def record_response(self, trace_id: str, step: Step, method: str, path: str, status: int) -> None:
        """The answer an api request got (for its trace)."""
        self.tracing.http_response(trace_id, step.name, method, path, status)

    def record_rejection(
        self,
        step: Step,
        trace_id: str,
        method: str,
        path: str,
        status: int,
        reason: str,
        *,
        parent_span_id: str | None = None,
        remote_parent: bool = False,
    ) -> None:
        """A request answered ``status`` before its step ran (its body did not parse, or did not match
        the step's ``bodySchema``): a span of the step that did not run, its answer, and a log line
        saying why, so that the sender finds it in the traces and logs."""
        span = self.tracing.start_span(
            step.name,
            step.file,
            TriggerKind.API,
            trace_id,
            parent_span_id=parent_span_id,
            remote_parent=remote_parent,
        )
        # the client's fault, logged at warning as servers log a refused request: the line that says
        # why shows under the Logs panel's warn filter. No runner took it: the line has none, and
        # says whose refusal it is (a runner's line would name its runner, as motia dev prints it)
        _logger.warning(
            "%s %s refused by the core before the handler ran (%d): %s",
            method,
            path,
            status,
            reason,
            extra={"step": step.name, "trace_id": trace_id},
        )
        self.tracing.end_span(span, _NOT_RUN)
        self.tracing.http_response(trace_id, step.name, method, path, status)

    async def invoke_hook(
        self, source: SourceFile, label: str, kind: TriggerKind, payload: bytes, timeout: float
    ) -> InvokeResult:
        """Run a hook (``authenticate``, a stream's ``canAccess``) in the runner of its file."""
        pool = self.pools.get(source.runner)
        if pool is None:
            raise RunnerUnavailable(f"no {source.runner} runner is running for {source.path}")
        return await pool.invoke(source.path, label, kind, payload, new_trace_id(), "", timeout)

    # ------------------------------------------------------------------ events

    async def emit(
        self,
        topic: str,
        data: Any,
        trace_id: str,
        message_group_id: str | None = None,
        *,
        step: str | None = None,
    ) -> int:
        """Store the event durably for every subscriber; returns how many subscribers it went to.
        ``step``: the step that emitted it (None: it came from outside, and begins its trace)."""
        subscribers = self.registry.subscribers.get(topic, [])
        if not subscribers:
            # its subscriber may be a step file that did not load: the trace says which did not
            unloaded = self.registry.failed_to_load()
            hint = f" ({unloaded})" if unloaded else ""
            _logger.debug("no step subscribes to %s%s", topic, hint, extra={"trace_id": trace_id})
            self.tracing.emitted(trace_id, step, topic, data, message_group_id, (), dropped=unloaded)
            return 0
        names = [subscriber.name for subscriber in subscribers]
        deliveries = await self.bus.publish(topic, data, trace_id, names, message_group_id)
        # Motia's `[Flow Emit] Event emitted` debug line: its docs send a user whose event does not
        # fire to "search logs for emit", so `motia dev -d` shows each emit with who gets it.
        if _logger.isEnabledFor(logging.DEBUG):  # the join is not made on every emit without -d
            _logger.debug(
                "emitted %s to %s", topic, ", ".join(names), extra={"step": step, "trace_id": trace_id}
            )
        self.tracing.emitted(
            trace_id, step, topic, data, message_group_id, [(d.id, d.subscriber) for d in deliveries]
        )
        return len(subscribers)

    def _observe_delivery(
        self, delivery: Delivery, outcome: Outcome, attempt: int, error: str | None, at: float | None
    ) -> None:
        self.tracing.delivery_outcome(
            delivery.trace_id, delivery.id, delivery.subscriber, delivery.topic, outcome, attempt, error, at
        )

    def _policy_for(self, subscriber: str) -> QueuePolicy:
        """A step's queue policy; built once per registry and settings (a reload replaces either),
        since the bus asks on every publish and every attempt."""
        source = self._policies_from
        if source is None or source[0] is not self.registry or source[1] is not self.settings:
            self._policies = {}
            self._policies_from = (self.registry, self.settings)
        policy = self._policies.get(subscriber)
        if policy is None:
            policy = self._policies[subscriber] = self._build_policy(subscriber)
        return policy

    def _build_policy(self, subscriber: str) -> QueuePolicy:
        step = self.registry.steps.get(subscriber)
        events = self.settings.config.events
        base = QueuePolicy(
            backoff_base=events.retry_backoff_ms / 1000, backoff_cap=events.retry_backoff_max_ms / 1000
        )
        if step is None or not isinstance(step.config, EventStepConfig):
            return base
        queue = step.config.infrastructure.queue
        # Only when written in the config: its default (900 s) suits SQS, not a retry delay.
        explicit_visibility = "visibility_timeout" in queue.model_fields_set
        return QueuePolicy(
            max_retries=queue.max_retries,
            fifo=queue.type == "fifo",
            delay_seconds=float(queue.delay_seconds),
            backoff_base=base.backoff_base,
            backoff_cap=base.backoff_cap,
            visibility_timeout=float(queue.visibility_timeout) if explicit_visibility else None,
        )

    async def _deliver(self, delivery: Delivery) -> None:
        step = self.registry.steps.get(delivery.subscriber)
        if step is None or not isinstance(step.config, EventStepConfig):
            raise PermanentFailure(f"no event step named {delivery.subscriber!r} is loaded")
        if step.input_validator is not None:
            self._check_input(step, step.config, step.input_validator, delivery)
        timeout = handler_timeout(self.settings, step)
        try:
            result = await self.invoke(
                step,
                TriggerKind.EVENT,
                orjson.dumps(delivery.data),
                delivery.trace_id,
                delivery.topic,
                timeout=timeout,
                isolated=delivery.isolate,
                delivery=delivery,
            )
        except RunnerDied as died:
            attempt_runner.set(died.runner)  # the bus's lines about this attempt name it too
            raise attempt_lost_to(died) from None
        except InvocationTimeout as timed_out:  # a failed attempt, retried as a failure is
            assert timeout is not None  # only a step with a timeout times out
            attempt_runner.set(timed_out.runner)
            log_timed_out(
                _step_logger,
                "handler",
                step.name,
                delivery.trace_id,
                timeout,
                timed_out,
                delivery.attempts + 1,
            )
            raise
        if not result.ok:
            attempt_runner.set(result.runner)
            error = result.error
            message = str(error) if error else "handler failed"
            failure = HandlerFailed(message)
            attempt, attempts = delivery.attempts + 1, self._policy_for(step.name).max_retries + 1
            fields = {"step": step.name, "trace_id": delivery.trace_id, "runner": result.runner}
            if attempt < attempts and repeats_last_error(delivery, failure):
                # the same failure as the attempt before, whose stack was printed: one line, or a
                # handler failing on each of its attempts prints its stack that many times (the trace
                # and the dead letter keep each attempt's whole error)
                _step_logger.error(
                    "handler failed again (attempt %d of %d, its stack as before): %s",
                    attempt,
                    attempts,
                    message.split("\n", 1)[0],
                    extra=fields,
                )
            else:
                _step_logger.error(
                    "handler failed (attempt %d of %d): %s",
                    attempt,
                    attempts,
                    message,
                    extra=fields | {"meta": {"stack": error.stack if error else ""}},
                )
            raise failure

    def _check_input(
        self, step: Step, config: EventStepConfig, validator: SchemaValidator, delivery: Delivery
    ) -> None:
        """An event failing the step's ``input`` schema: a warning and the handler runs (Motia's way), or,
        in strict mode, a dead letter without running it."""
        errors = validator.errors(delivery.data)
        if not errors:
            return
        detail = describe_errors(errors)
        extra = {
            "step": step.name,
            "trace_id": delivery.trace_id,
            "meta": {"topic": delivery.topic, "errors": [error.as_json() for error in errors]},
        }
        mode = config.validate_input or self.settings.config.events.validate_input
        if mode == "strict":
            _step_logger.error(
                "event %s failed the input schema of step %s: %s; not delivered (validateInput: strict)",
                delivery.topic,
                step.name,
                detail,
                extra=extra,
            )
            raise PermanentFailure(f"input failed validation: {detail}")
        if delivery.attempts == 0:  # once per delivery, not on every retry
            _step_logger.warning(
                "event %s does not match the input schema of step %s: %s; the handler runs anyway",
                delivery.topic,
                step.name,
                detail,
                extra=extra,
            )

    # ------------------------------------------------------------------ dead letters

    async def dead_letters(self, step: str | None = None, limit: int | None = None) -> list[DeadLetter]:
        return await self._queue.dead_letters(step, limit)

    async def dead_letter(self, dead_letter_id: int) -> DeadLetter | None:
        return await self._queue.get_dead_letter(dead_letter_id)

    async def replay_dead_letter(self, dead_letter_id: int) -> Delivery:
        """Raises ``UnknownDeliveryError`` for an id that is not a dead letter."""
        delivery = await self.bus.replay_dead_letter(dead_letter_id)
        self.tracing.replayed(
            delivery.trace_id, delivery.id, delivery.subscriber, delivery.topic, dead_letter_id
        )
        return delivery

    async def replay_dead_letters(self, step: str | None = None) -> int:
        replayed = await self.bus.replay_dead_letters(step)
        for delivery in replayed:
            self.tracing.replayed(delivery.trace_id, delivery.id, delivery.subscriber, delivery.topic)
        return len(replayed)

    async def purge_dead_letter(self, dead_letter_id: int) -> None:
        """Raises ``UnknownDeliveryError`` for an id that is not a dead letter."""
        await self._queue.purge_dead_letter(dead_letter_id)

    async def purge_dead_letters(self, step: str | None = None) -> int:
        return await self._queue.purge_dead_letters(step)

    # ------------------------------------------------------------------ cron

    def trigger_cron(self, name: str, trace_id: str) -> asyncio.Task[CronRun | None] | None:
        step = self.registry.steps.get(name)
        if step is None or not isinstance(step.config, CronStepConfig):
            raise KeyError(name)
        return self.cron.run_now(name, trace_id)

    async def _fire_cron(self, name: str, trace_id: str | None) -> CronRun:
        step = self.registry.steps[name]
        trace_id = trace_id or new_trace_id()
        _logger.debug("cron step %s fired", name, extra={"step": name, "trace_id": trace_id})
        timeout = handler_timeout(self.settings, step)
        try:
            result = await self.invoke(step, TriggerKind.CRON, b"null", trace_id, timeout=timeout)
        except InvocationTimeout as timed_out:
            assert timeout is not None  # only a step with a timeout times out
            return CronRun(
                trace_id, log_timed_out(_step_logger, "cron handler", name, trace_id, timeout, timed_out)
            )
        if result.ok:
            return CronRun(trace_id)
        error = result.error
        message = str(error) if error else "unknown error"
        _step_logger.error(
            "cron handler failed: %s",
            message,
            extra={
                "step": name,
                "trace_id": trace_id,
                "runner": result.runner,
                "meta": {"stack": error.stack if error else ""},
            },
        )
        return CronRun(trace_id, message)


def _memory_limit(step: Step) -> float | None:
    """The step's ``infrastructure.handler.ram``, if it set one."""
    infrastructure = getattr(step.config, "infrastructure", None)
    ram = infrastructure.handler.ram if infrastructure is not None else None
    return float(ram) if ram is not None else None
