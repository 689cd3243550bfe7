"""How soon the supervisor's reply to a context call leaves, and its loop CPU per call, in process: a
``RunnerConnection`` whose runner is a loopback (each reply hands the next call back in the next loop
turn), over the real ``ContextCalls``, a SQLite database, a trace recorder that records (in memory), and
one stream subscriber on the realtime hub whose WebSocket is a socket pair, on uvloop.

"to reply": from the call's read to the reply handed to the pipe (what the runner waits for); "CPU":
the loop thread's CPU per call, the work done after the reply included. ``--baseline-ref REF`` measures
REF's code too (``git archive``), in a process of its own per round, rounds alternating.

``.venv/bin/python bench/context_call_reply.py [--calls 3000] [--rounds 5] [--baseline-ref REF]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

METHODS: dict[str, list[Any]] = {
    "streams.set": ["petCreation", "trace", "item", {"message": "Pet Rex entered quarantine", "petId": "p1"}],
    "state.get": ["pets", "p1"],
}


async def measure(calls_per_round: int) -> dict[str, tuple[float, float]]:
    """{method: (median µs from the call's read to its reply, µs of loop CPU per call)}."""
    import orjson

    from supervisor.config import StreamConfig
    from supervisor.core._context_calls import ContextCalls
    from supervisor.core._registry import Registry
    from supervisor.protocol import encode_frame
    from supervisor.protocol._generated import runner_pb2 as pb
    from supervisor.realtime._hub import Hub
    from supervisor.realtime._wire import Room, ServerMessage
    from supervisor.runners import RunnerConnection
    from supervisor.runners._spec import RunnerSpec
    from supervisor.state import SqliteStateStore
    from supervisor.storage import JsonValue, SqliteDatabase
    from supervisor.streams import SqliteStreamStore, Streams
    from supervisor.tracing import MemoryTraceStore, Recorder, Retention

    class Loopback(RunnerConnection):
        def __init__(self, calls: ContextCalls, method: str, count: int) -> None:
            super().__init__(RunnerSpec("python", ()), "loopback", Path("."), "info", calls)
            self._method, self._left, self._n, self._read_at = method, count, 0, 0.0
            self.to_reply: list[float] = []
            self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def next_call(self) -> None:
            self._n += 1
            args = list(METHODS[self._method])
            if self._method == "streams.set":
                args[2] = f"item{self._n}"  # a new item each time, as the pet flow's
            call = pb.ContextCall(call_id=self._n, invocation_id=1, trace_id="trace", step_name="Step",
                                  method=self._method, args_json=orjson.dumps(args))  # fmt: skip
            frame = encode_frame(pb.RunnerMessage(call=call).SerializeToString())
            self._read_at = time.perf_counter()
            self._read_frames(frame)

        def _send(self, frame: bytes) -> None:
            self.to_reply.append(time.perf_counter() - self._read_at)
            self._left -= 1
            loop = asyncio.get_running_loop()
            loop.call_soon(self.next_call if self._left > 0 else lambda: self.done.set_result(None))

    class SocketSink:
        def __init__(self, sock: socket.socket) -> None:
            self._sock = sock

        def write(self, message: ServerMessage) -> str | None:
            self._sock.send(message.frame)
            return None

        def close(self) -> None:
            return None

        def finish(self) -> None:
            return None  # nothing is ever queued: write sends at once

    with tempfile.TemporaryDirectory(prefix="motia-reply-") as tmp:
        db = await SqliteDatabase.open(Path(tmp) / "motia.db")
        registry = Registry(streams={"petCreation": StreamConfig(name="petCreation")})
        recorder = Recorder(MemoryTraceStore(), Retention(1000, 1000, 3600.0), Path(tmp))
        streams = Streams(SqliteStreamStore(db))

        async def no_snapshot(_: Room) -> JsonValue:
            return []

        hub = Hub(no_snapshot)
        streams.subscribe(hub.publish)
        ours, client = socket.socketpair()
        ours.setblocking(False)
        client.setblocking(False)
        loop = asyncio.get_running_loop()
        loop.add_reader(client.fileno(), lambda: client.recv(1 << 20))
        await hub.join(hub.connect("ws", SocketSink(ours)), "s1", Room("petCreation", "trace"))

        async def emit(*_: Any, **__: Any) -> int:
            return 0

        state = SqliteStateStore(db)
        await state.set("pets", "p1", {"id": "p1", "name": "Rex", "status": "in_quarantine"})
        calls = ContextCalls(lambda: registry, state, streams, emit, recorder)
        out: dict[str, tuple[float, float]] = {}
        for method in METHODS:
            connection = Loopback(calls, method, calls_per_round)
            started = time.thread_time()
            connection.next_call()
            await connection.done
            cpu = (time.thread_time() - started) / calls_per_round * 1e6
            out[method] = (statistics.median(connection.to_reply) * 1e6, cpu)
            await asyncio.sleep(0.05)
        loop.remove_reader(client.fileno())
        ours.close()
        client.close()
        await db.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-ref")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a round, in this process
    args = parser.parse_args()
    if args.one:
        import uvloop

        print(json.dumps(uvloop.run(measure(args.calls))))
        return 0
    from servers import codes_under_test

    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="motia-reply-ab-") as tmp:
        codes = list(codes_under_test(args.baseline_ref, Path(tmp)).items())
        repo = Path(__file__).resolve().parents[1]
        for round_index in range(args.rounds):
            for name, code in codes if round_index % 2 == 0 else codes[::-1]:
                env = {**os.environ, "PYTHONPATH": str(code or repo)}
                done = subprocess.run(
                    [sys.executable, __file__, "--one", "--calls", str(args.calls)],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                for method, row in json.loads(done.stdout.splitlines()[-1]).items():
                    results.setdefault(name, {}).setdefault(method, []).append(tuple(row))
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.rounds} rounds of {args.calls} calls")
    for name, methods in results.items():
        for method, rows in methods.items():
            to_reply = statistics.median(r[0] for r in rows)
            cpu = statistics.median(r[1] for r in rows)
            print(
                f"{name:4} {method:12} to reply {to_reply:6.1f} µs, loop CPU per call {cpu:6.1f} µs"
                f" (rounds: {', '.join(f'{r[0]:.0f}/{r[1]:.0f}' for r in rows)})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
