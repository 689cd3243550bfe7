"""``TraceWriter``: the SQLite trace store, run in a child process of the supervisor's (the *trace
writer*, ``_writer_process``), so that building rows, SQLite's statements, commits and pruning hold
no GIL the event loop needs (bench/RESULTS.md, tracing overhead).

The supervisor's side is a ``TraceStore``: each call is one request on the child's stdin (a batch is
one pipe write, encoded by ``_wire``), answered on its stdout. Reads are requests too: the child
answers them after the writes sent before them, so a read after a flush sees what was flushed.

Lifecycle: ``start`` spawns the child and waits until its store is open (a file it cannot open or
migrate fails the start, with the child's reason). The child exits at the end of its stdin: when
``close`` has sent it everything (it commits what it was sent first), or when the supervisor dies,
whatever killed it. If the child dies, what it had not answered fails (a batch is logged as lost by
the recorder, never failing a request), and the next call starts a new one, which first ends as errors
the spans the dead one stored as running (``SqliteTraceStore.abandon``: their end would go to a
writer that never saw them start); one that cannot start is tried again after ``RETRY_AFTER_S``, calls
failing at once meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from supervisor.storage import JsonObject

from . import _wire
from ._assembler import LatestSpan
from ._handler import OWN_LOGGER
from ._pipeline import EventSink
from ._records import Batch, LogPage, LogQuery, Pruned, Retention, TracePage, TraceQuery

_logger = logging.getLogger(OWN_LOGGER)

START_TIMEOUT_S = 30.0
CLOSE_TIMEOUT_S = 30.0
RETRY_AFTER_S = 2.0
PROCESS_MODULE = "supervisor.tracing._writer_process"
#: where this ``supervisor`` package was imported from: the child imports the same code
_CODE_ROOT = str(Path(__file__).resolve().parents[2])


class TraceWriterUnavailable(RuntimeError):
    """The trace writer process is gone (it died with the request unanswered) or cannot start."""


class _Child:
    """One trace writer process, and the requests it has not answered yet."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pid = proc.pid
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        # read here, whether or not the start is still awaited (a start cancelled at shutdown)
        self.ready.add_done_callback(lambda ready: ready.cancelled() or ready.exception())
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.alive = True
        self.closing = False
        self._reader = loop.create_task(self._read_answers(), name=f"trace-writer-{self.pid}")
        self._stderr = loop.create_task(self._relay_stderr(), name=f"trace-writer-{self.pid}-stderr")

    @classmethod
    async def spawn(cls, path: Path) -> _Child:
        python_path = os.pathsep.join(filter(None, [_CODE_ROOT, os.environ.get("PYTHONPATH")]))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            # -P: the working directory is not put first on sys.path (as -m does), so a supervisor/
            # folder there (another checkout's) is not what the writer runs
            "-P",
            "-m",
            PROCESS_MODULE,
            str(path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": python_path},
            # Ctrl-C in a terminal signals the foreground process group; the supervisor stops the
            # writer itself, after its last batch (as it does its runners).
            start_new_session=True,
        )
        child = cls(proc)
        try:
            await asyncio.wait_for(asyncio.shield(child.ready), START_TIMEOUT_S)
        except BaseException:
            await child.kill()
            raise
        return child

    def send(self, request_id: int, data: bytes) -> asyncio.Future[Any]:
        """Queue a request; its answer resolves the future (a ``TraceWriterUnavailable`` if the child
        dies first)."""
        if not self.alive:
            raise TraceWriterUnavailable(f"the trace writer (pid {self.pid}) has exited")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        return future

    async def drain(self) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(ConnectionError):  # it died: its reader fails what it did not answer
            await self.proc.stdin.drain()

    async def _read_answers(self) -> None:
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        try:
            while True:
                (length,) = _wire.HEADER.unpack(await stdout.readexactly(_wire.HEADER.size))
                request_id, ok, result = _wire.decode(await stdout.readexactly(length))
                if request_id == _wire.READY_ID:
                    if ok:
                        self.ready.set_result(None)
                    else:
                        self.ready.set_exception(TraceWriterUnavailable(str(result)))
                    continue
                future = self.pending.pop(request_id, None)
                if future is None or future.done():
                    continue
                if ok:
                    future.set_result(result)
                else:
                    future.set_exception(TraceWriterUnavailable(f"the trace writer failed: {result}"))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            # The loop is shutting down without ``close`` (a start refused, a crash): the child sees
            # the end of its stdin when this process exits; waiting for it here would wait forever.
            self._gone(TraceWriterUnavailable("the trace store was not closed"))
            raise
        self.alive = False
        code = await self.proc.wait()
        gone = TraceWriterUnavailable(f"the trace writer (pid {self.pid}) exited with code {code}")
        if self.pending and not self.closing:
            _logger.error("%s with %d request(s) unanswered", gone, len(self.pending))
        elif not self.closing and self.ready.done() and not self.ready.exception():
            _logger.error("%s; a new one starts with the next batch", gone)
        self._gone(gone)

    def _gone(self, reason: TraceWriterUnavailable) -> None:
        self.alive = False
        if not self.ready.done():
            self.ready.set_exception(reason)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(reason)
        self.pending.clear()

    async def _relay_stderr(self) -> None:
        """What the child prints (an interpreter's last words, SQLite's complaints), as our log lines."""
        assert self.proc.stderr is not None
        stderr, rest = self.proc.stderr, b""
        while chunk := await stderr.read(1 << 16):  # not readline: a line may be longer than its limit
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                self._relay(line)
        self._relay(rest)

    def _relay(self, line: bytes) -> None:
        text = line.decode(errors="replace").rstrip()
        if text:
            _logger.warning("trace writer (pid %d): %s", self.pid, text)

    async def close(self, request_id: int) -> None:
        """Send ``close`` (the child finishes what it was sent, closes the store), then the end of
        its stdin; wait for it to exit (killed past CLOSE_TIMEOUT_S)."""
        self.closing = True
        if self.alive:
            with contextlib.suppress(TraceWriterUnavailable, ConnectionError):
                closed = self.send(request_id, _wire.request(request_id, "close"))
                await self.drain()
                await asyncio.wait_for(closed, CLOSE_TIMEOUT_S)
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), CLOSE_TIMEOUT_S)
        except TimeoutError:
            _logger.error("trace writer (pid %d) still busy after %.0f s: killed", self.pid, CLOSE_TIMEOUT_S)
            await self.kill()
        await self._stderr

    async def kill(self) -> None:
        self.closing = True
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._stderr


class TraceWriter:
    """A ``TraceStore``: traces and logs in the SQLite file at ``path``, written by a child process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._child: _Child | None = None
        self._starting: asyncio.Task[_Child] | None = None
        self._ids = itertools.count(1)
        self._closed = False
        #: after a start that failed: no other before this (monotonic), and why it failed
        self._retry_at = 0.0
        self._failure = ""
        #: what each new child is told first once events are sent (``assembling``)
        self._retention: Retention | None = None

    @property
    def pid(self) -> int | None:
        """The running child's pid (None before the first call, or while none runs)."""
        child = self._child
        return child.pid if child is not None and child.alive else None

    async def start(self) -> None:
        """Start the child; raises ``TraceWriterUnavailable`` (with its reason) if it cannot open the
        store."""
        await self._running()

    def assembling(self, retention: Retention) -> EventSink:
        """The recorder's sink: its events assembled into batches in the child, traces beyond
        ``retention`` pruned there (and in every child that replaces it)."""
        return _AssemblingWriter(self, retention)

    async def assemble(self, retention: Retention) -> None:
        self._retention = retention
        await self._call("assemble", retention)

    async def record(self, events: list[tuple[Any, ...]]) -> None:
        child = await self._running()
        await self._send(child, lambda request_id: _wire.record_request(request_id, events))

    def latest_spans(self) -> asyncio.Future[Sequence[LatestSpan]]:
        """``EventSink.latest_spans``: sent now, behind the events sent before (while a child starts,
        once it runs)."""
        child = self._child
        if child is not None and child.alive:
            request_id = next(self._ids)
            answered: asyncio.Future[Sequence[LatestSpan]] = child.send(
                request_id, _wire.request(request_id, "latest_spans")
            )
            return answered
        return asyncio.ensure_future(self._call("latest_spans"))

    # ------------------------------------------------------------------ TraceStore

    async def write(self, batch: Batch) -> None:
        await self._call("write", batch)

    async def recover(self) -> int:
        return int(await self._call("recover"))

    async def traces(self, query: TraceQuery) -> TracePage:
        return _wire.trace_page(await self._read("traces", query))

    async def trace(self, trace_id: str) -> JsonObject | None:
        result: JsonObject | None = await self._read("trace", trace_id)
        return result

    async def logs(self, query: LogQuery) -> LogPage:
        return _wire.log_page(await self._read("logs", query))

    async def prune(self, retention: Retention, now: float) -> Pruned:
        return _wire.pruned(await self._call("prune", retention, now))

    async def close(self) -> None:
        """Wait for the child to write everything it was sent and exit. Idempotent."""
        self._closed = True
        if self._starting is not None:
            with contextlib.suppress(Exception):
                await self._starting
        child, self._child = self._child, None
        if child is not None:
            await child.close(next(self._ids))

    # ------------------------------------------------------------------ requests

    async def _call(self, op: str, *args: Any) -> Any:
        return await self._ask(await self._running(), op, *args)

    async def _read(self, op: str, *args: Any) -> Any:
        """A read is asked again of a new child if the one asked died before answering."""
        try:
            return await self._call(op, *args)
        except TraceWriterUnavailable:
            if self._child is not None and self._child.alive:
                raise  # it answered with an error
            return await self._call(op, *args)

    async def _running(self) -> _Child:
        child = self._child
        if child is not None and child.alive:
            return child
        if self._closed:
            raise TraceWriterUnavailable("the trace store is closed")
        if self._starting is None:
            if time.monotonic() < self._retry_at:
                raise TraceWriterUnavailable(self._failure)
            self._starting = asyncio.get_running_loop().create_task(self._start())
        starting = self._starting
        return await asyncio.shield(starting)

    async def _start(self) -> _Child:
        dead = self._child
        try:
            child = await _Child.spawn(self.path)
            if self._retention is not None:  # a replacement: it assembles as the one before did
                try:
                    await self._ask(child, "assemble", self._retention)
                    if dead is not None:
                        await self._abandon(child, dead.pid)
                except BaseException:
                    await child.kill()
                    raise
        except Exception as exc:
            self._retry_at = time.monotonic() + RETRY_AFTER_S
            self._failure = f"the trace writer could not start: {exc}"
            raise TraceWriterUnavailable(self._failure) from exc
        finally:
            self._starting = None
        self._child = child
        return child

    async def _abandon(self, child: _Child, dead_pid: int) -> None:
        """What the dead child stored as running never ends (the new one never saw it start): ended
        as errors. A failure is logged, and the new child kept: those spans only stay running."""
        reason = (
            f"the trace writer process (pid {dead_pid}) died while this span ran; its end was not recorded"
        )
        try:
            abandoned = await self._ask(child, "abandon", reason)
        except TraceWriterUnavailable as exc:
            if not child.alive:
                raise
            _logger.warning("could not end the spans trace writer %d left running: %s", dead_pid, exc)
            return
        if abandoned:
            _logger.warning(
                "%d span(s) the trace writer (pid %d) stored as running are marked failed: their end was "
                "lost with it",
                abandoned,
                dead_pid,
            )

    async def _ask(self, child: _Child, op: str, *args: Any) -> Any:
        return await self._send(child, lambda request_id: _wire.request(request_id, op, *args))

    async def _send(self, child: _Child, encode: Callable[[int], bytes]) -> Any:
        """The request ``encode`` makes of its id, sent to ``child``; its answer."""
        request_id = next(self._ids)
        # Encoded now, before any await: a batch's spans go on changing (see ``Batch``).
        answered = child.send(request_id, encode(request_id))
        await child.drain()
        return await answered


class _AssemblingWriter:
    """``TraceWriter.assembling``: an ``EventSink``."""

    def __init__(self, writer: TraceWriter, retention: Retention) -> None:
        self._writer = writer
        self._retention = retention

    async def start(self) -> int:
        await self._writer.assemble(self._retention)
        return await self._writer.recover()  # the child's pipeline recovers, then prunes

    async def record(self, events: list[tuple[Any, ...]]) -> None:
        await self._writer.record(events)

    async def traces(self, query: TraceQuery) -> TracePage:
        return await self._writer.traces(query)

    async def trace(self, trace_id: str) -> JsonObject | None:
        return await self._writer.trace(trace_id)

    async def logs(self, query: LogQuery) -> LogPage:
        return await self._writer.logs(query)

    def latest_spans(self) -> asyncio.Future[Sequence[LatestSpan]]:
        return self._writer.latest_spans()

    async def stop(self) -> None:
        pass  # the runtime closes the writer
