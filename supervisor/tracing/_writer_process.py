"""The trace writer process: ``python -m supervisor.tracing._writer_process PATH``, started by the
supervisor (``_writer.TraceWriter``), owns the SQLite trace store at PATH.

It reads requests (``_wire``) on stdin and answers on stdout. Writes (``write``, ``recover``, ``prune``)
go to the store in the order they came; a read waits for the writes sent before it, so it sees them.
At EOF on stdin (the supervisor closed the pipe, or died) or a ``close`` request, it finishes what
it was sent, closes the store and exits: it never outlives its supervisor.

Signals: SIGINT and SIGTERM are ignored. The supervisor starts it in a session of its own (Ctrl-C in
a terminal does not reach it), and a service manager that signals every process of the service
(systemd's control group) must not stop it before the supervisor has sent its last batch; the end of
its stdin is what stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import logging
import os
import signal
import sqlite3
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, cast

from . import _wire
from ._pipeline import TracePipeline
from ._rejoin import Rejoiner
from ._sqlite import SqliteTraceStore

#: how often the writer looks for reference cycles, seconds: a full collection, and no other. Its
#: objects (events, spans, trace deltas, rows) are freed by their counts; the few cycles (an
#: exception's traceback, asyncio's) wait this long at most. Python's young collection comes each
#: time 50,000 (the threshold the writer had) more tracked objects are alive than at the last: never
#: while the writer keeps up, but when it falls behind (frames decoded faster than the SQLite thread
#: writes them) each one walked the tens of thousands of events held, 20-77 ms, and freed nothing:
#: ~1.2 µs of CPU per trivial request in bench/writer_cpu.py's frames of 2,000 (bench/RESULTS.md,
#: session 23; at Python's default threshold, 700, ~2-3 µs always: tracing overhead, seventh pass).
GC_EVERY_S = 30.0

#: what the writer reads its requests into at most, bytes (the pipe's size, when it may be set)
READ_BUFFER = 1 << 20

_logger = logging.getLogger(__name__)

#: requests that change the store: run in the order they came
_WRITES = frozenset({"write", "recover", "abandon", "prune"})

#: ``record`` frames are answered at once and kept as they came; they are decoded and applied, and
#: what they changed written (a commit: spans, segments and rows cut and stored), once this many
#: events came since the last commit, COMMIT_AFTER_S after the first of them, or before any other
#: request (a read sees them). Applied as each came (~60 a second), the writer ran cold: between two
#: frames the supervisor, the runners and the load generator had its code and dicts out of the
#: caches: ~7.1-7.6 µs of CPU per trivial request under wrk, against ~2.3 fed frames back to back
#: (bench/writer_cpu.py); kept and applied in one go per commit of 2,000 events ~6.7, of 8,000
#: ~5.3-6.2 (bench/RESULTS.md, session 24: the trace writer's frames applied at the commit). The
#: supervisor sends small frames, so that it does not keep thousands of events' objects until it sends
#: them (each batch's memory freed and faulted in again: bench/RESULTS.md, session 21); cut as often, a
#: request still running at each cut would be stored as rows rather than in a segment (``_rejoin``).
COMMIT_AT = 8000
COMMIT_AFTER_S = 1.0

#: bench-only: a file the writer appends every request it is sent to, as it came (a ``record``
#: frame's payload as it is, any other request encoded again), each after ``TEE_HEAD`` (when it came,
#: ``time.monotonic()``, and the payload's length): what bench/writer_live.py captures under load and
#: bench/writer_cpu.py --frames feeds back. Read once at start: a writer without it runs the plain
#: ``_Session``, no branch per frame.
TEE_ENV = "MOTIA_TRACE_WRITER_TEE"
TEE_HEAD = struct.Struct(">dI")


class _Channel:
    """Answers to the supervisor, written whole (blocking: they are small, and it reads them at once)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]


class _Session:
    def __init__(self, store: SqliteTraceStore, channel: _Channel) -> None:
        self._store = store
        self._channel = channel
        #: once asked to ``assemble``: what turns events into batches
        self._pipeline: TracePipeline | None = None
        self._last_write: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: api requests a frame cut in flight, held until the rest of them comes (``_rejoin``)
        self._rejoiner = Rejoiner()
        #: events applied since the last commit was scheduled, and the timer that schedules the next
        self._uncommitted = 0
        self._commit_timer: asyncio.TimerHandle | None = None
        #: ``record`` frames kept as they came until the commit, and how many events they hold
        self._frames: list[bytes] = []
        self._framed = 0

    def handle(self, request_id: int, op: str, args: list[Any]) -> None:
        try:
            arguments = _wire.ARGUMENTS[op](args)
            if op == "assemble":
                (retention,) = arguments
                self._pipeline = TracePipeline(self._store, None, retention)
                self._channel.send(_wire.answer(request_id, True, None))
                return
            method = self._method(op)
        except Exception as exc:  # an op or arguments this version does not know
            self._channel.send(_wire.answer(request_id, False, f"bad {op!r} request: {exc!r}"))
            return
        if self._frames or self._uncommitted or len(self._rejoiner):  # what came before it is stored first
            self._commit(release=True)
        if op in _WRITES:
            # The task's first step hands the write to the store's writer, which keeps the order.
            task = asyncio.create_task(self._run(request_id, method(*arguments)))
            self._last_write = task
        else:
            task = asyncio.create_task(self._read_after(self._last_write, request_id, method, arguments))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def record_later(self, request_id: int, payload: bytes) -> None:
        """A ``record`` frame: answered now, kept as it came, applied with the others at the commit."""
        if self._pipeline is None:
            self._channel.send(_wire.answer(request_id, False, "'record' came before 'assemble'"))
            return
        self._frames.append(payload)
        self._channel.send(_wire.answer(request_id, True, None))
        # its events are a line each (``record_request``); a frame made otherwise counts as one
        self._framed += payload.count(b"\n") + 1
        if self._framed >= COMMIT_AT:
            self._commit()
        elif self._commit_timer is None:
            self._commit_timer = asyncio.get_running_loop().call_later(COMMIT_AFTER_S, self._commit)

    def _apply_frames(self) -> None:
        """The ``record`` frames kept, decoded and applied in the order they came (with each event's
        JSON: what a segment keeps of a whole trace)."""
        frames, self._frames, self._framed = self._frames, [], 0
        pipeline = self._pipeline
        if pipeline is None:
            return
        for payload in frames:
            try:
                (events,) = _wire.ARGUMENTS["record"](_wire.decode(payload)[2])
                pipeline.apply(*self._rejoiner.join(events, _wire.events_json(payload, len(events))))
            except Exception as exc:  # relayed by the supervisor into its log, as the writer's stderr is
                _logger.error(
                    "could not apply a frame of trace and log events (%d bytes), lost: %s: %s",
                    len(payload),
                    type(exc).__name__,
                    exc,
                )
                continue
            self._uncommitted += len(events)

    def _release(self) -> None:
        """The requests held in flight, applied as they are (a read sees them running)."""
        if self._pipeline is not None and len(self._rejoiner):
            events, encoded = self._rejoiner.release()
            self._pipeline.apply(events, encoded)
            self._uncommitted += len(events)

    def _commit(self, *, release: bool = False) -> None:
        """What the frames applied since the last commit changed, to the store: a write, in order.
        ``release``: with the requests held in flight too (before another request, and at the end)."""
        if self._commit_timer is not None:
            self._commit_timer.cancel()
            self._commit_timer = None
        self._apply_frames()
        if release:
            self._release()
        pipeline, count = self._pipeline, self._uncommitted
        self._uncommitted = 0
        if pipeline is None or not count:
            return
        task = asyncio.create_task(self._committed(pipeline, count))
        self._last_write = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _committed(pipeline: TracePipeline, count: int) -> None:
        try:
            await pipeline.commit()
        except Exception as exc:  # relayed by the supervisor into its log, as the writer's stderr is
            _logger.error("could not write %d trace and log event(s); they are lost: %s", count, exc)

    def _method(self, op: str) -> Any:
        pipeline = self._pipeline
        if op == "latest_spans":
            if pipeline is None:
                raise RuntimeError(f"{op!r} came before 'assemble'")
            return lambda: _now(pipeline.latest_spans)
        if op == "recover" and pipeline is not None:
            return pipeline.recover  # and a first prune
        return getattr(self._store, op)

    async def _read_after(
        self, write: asyncio.Task[None] | None, request_id: int, method: Any, arguments: tuple[Any, ...]
    ) -> None:
        if write is not None:
            await asyncio.wait([write])
        await self._run(request_id, method(*arguments))

    async def _run(self, request_id: int, work: Any) -> None:
        try:
            result = await work
        except Exception as exc:  # the supervisor logs it, with what it concerned
            self._channel.send(_wire.answer(request_id, False, f"{type(exc).__name__}: {exc}"))
        else:
            self._channel.send(_wire.answer(request_id, True, result))

    async def finish(self) -> None:
        self._commit(release=True)
        while self._tasks:
            await asyncio.wait(list(self._tasks))


class _TeeSession(_Session):
    """A ``_Session`` that also appends each request to a file (``TEE_ENV``)."""

    def __init__(self, store: SqliteTraceStore, channel: _Channel, tee: BinaryIO) -> None:
        super().__init__(store, channel)
        self._tee = tee

    def _copy(self, payload: bytes) -> None:
        self._tee.write(TEE_HEAD.pack(time.monotonic(), len(payload)) + payload)

    def handle(self, request_id: int, op: str, args: list[Any]) -> None:
        self._copy(_wire.request(request_id, op, *args)[_wire.HEADER.size :])
        super().handle(request_id, op, args)

    def record_later(self, request_id: int, payload: bytes) -> None:
        self._copy(payload)
        super().record_later(request_id, payload)


async def _now(function: Callable[[], Any]) -> Any:
    return function()


async def serve(path: Path, channel: _Channel, tee: BinaryIO | None = None) -> int:
    try:
        store = await SqliteTraceStore.open(path)
    except Exception as exc:  # a file it cannot open or migrate: the supervisor says why
        channel.send(_wire.answer(_wire.READY_ID, False, f"could not open {path}: {exc}"))
        return 1
    # What start-up made (modules, the store) is left out of every later collection.
    gc.collect()
    gc.freeze()
    gc.disable()
    loop = asyncio.get_running_loop()
    collecting = asyncio.create_task(_collect_every(GC_EVERY_S))
    # A record frame is ~60 KB (256 events) and up to ~1 MB (a batch going whole, BATCH_AT events): a
    # buffer of that much takes it without the reader pausing and resuming the pipe (two epoll_ctl calls
    # and a wake-up each 64 KiB), and a pipe of 1 MiB in fewer reads (bench/RESULTS.md, session 21: the
    # trace writer's CPU per request)
    requests = asyncio.StreamReader(limit=READ_BUFFER)
    with contextlib.suppress(OSError, AttributeError):  # (Linux's; a pipe's size is capped for users)
        fcntl.fcntl(0, fcntl.F_SETPIPE_SZ, READ_BUFFER)
    stdin = os.fdopen(0, "rb", buffering=0, closefd=False)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(requests), stdin)
    channel.send(_wire.answer(_wire.READY_ID, True, os.getpid()))
    session = _Session(store, channel) if tee is None else _TeeSession(store, channel, tee)
    close_id: int | None = None
    try:
        while True:
            try:
                (length,) = _wire.HEADER.unpack(await requests.readexactly(_wire.HEADER.size))
                payload = await requests.readexactly(length)
                record_id = _wire.record_request_id(payload)
                if record_id is not None:
                    session.record_later(record_id, payload)
                    continue
                request_id, op, args = _wire.decode(payload)
            except asyncio.IncompleteReadError:
                break  # the supervisor is done, or gone
            if op == "close":
                close_id = request_id
                break
            session.handle(request_id, op, args)
        await session.finish()
    finally:
        collecting.cancel()
        await store.close()
    if close_id is not None:
        channel.send(_wire.answer(close_id, True, None))
    return 0


async def _collect_every(seconds: float) -> None:
    """A full collection every ``seconds`` (``GC_EVERY_S``), in place of Python's automatic ones."""
    while True:
        await asyncio.sleep(seconds)
        gc.collect()


def bind_directly() -> None:
    """Python's sqlite3 (3.11) binds an int, float, str or bytearray as it is, and sends anything else
    through its adaptation protocol first: a None or a bytes (the writer's blobs and absent fields) is
    looked up among the adapters, then for ``__adapt__`` and ``__conform__``, each miss formatting an
    AttributeError: ~3k instructions a value, more than binding the rest of a row. Adapters for them
    are found at the first look: a bytearray of the bytes (a blob as well), None for None (``{}.get``
    of one argument returns it). For this process only: it binds nothing else (bench/RESULTS.md,
    session 11: trace writer)."""
    sqlite3.register_adapter(bytes, bytearray)
    sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m supervisor.tracing._writer_process TRACES_DB", file=sys.stderr)
        return 2
    bind_directly()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Answers go to a copy of stdout; stdout itself then points at stderr, so that a stray print (a
    # library's warning) cannot corrupt the channel.
    channel = _Channel(os.dup(1))
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    tee_path = os.environ.get(TEE_ENV)
    with open(tee_path, "ab") if tee_path else contextlib.nullcontext() as tee:
        try:
            return asyncio.run(serve(Path(argv[1]), channel, tee))
        except BrokenPipeError:
            return 0  # the supervisor is gone: nobody to answer


if __name__ == "__main__":
    sys.exit(main(sys.argv))
