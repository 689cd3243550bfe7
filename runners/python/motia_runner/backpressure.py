"""Backpressure: while the supervisor does not read what the runner sends, the runner reads no new input.

Both channels' writers never block a sender: what the channel cannot take now waits in the writer.
Without a bound, a supervisor that sends faster than it reads (or stopped reading) would have the
runner take every request and keep every result in memory. So the writer counts the bytes waiting
in it, and past ``HIGH_WATER`` the reader stops reading (over stdio: the loop stops watching the
pipe; over gRPC: the stream's thread takes no next message, so HTTP/2's flow control pushes back on
the supervisor) until the writer is down to ``LOW_WATER``. The node runner does the same, with the
same bounds, over both channels (runners/node/src/backpressure.ts). In both runners and over both
channels a byte counts until the channel took it: over stdio, written into the pipe; over gRPC, let
go by HTTP/2's flow control (here: grpc asks for the next message; in node: grpc-js calls the write
back, with its retry buffer off). And in both, what the read in progress already holds is still
handed over: over stdio the rest of a read (up to 64 KiB of frames), over gRPC one message.

A paused runner still sees its call end when the supervisor cancels it or the connection goes (grpc
ends the call at once: here ``release`` lets the reader see it; node's stream reports it whether or
not it is read): it then exits like any runner whose session ended. A status the supervisor sends
instead comes after every message it sent before, which the paused runner does not read (grpc-js
reports a failed status once it arrived, but it leaves the supervisor only after what was sent before
it; this grpc hands a status over only once every message before it was read). So a supervisor that
stops reading a runner and then ends its call with a status can leave it waiting, until the
connection goes or the supervisor's listener stops (which cancels its calls). No runner can tell that
end from a supervisor only slow to read. Ours ends a session with a status (supervisor/runners/
_grpc.py), neither cancelling the call nor reading the runner on, and yet a runner paused with its
messages unread saw it in every run so far (test_attached_runners.py: ..._sees_the_end_of_a_session_
the_supervisor_ends, with 32 and 256 MiB waiting in the runner); probably because the supervisor's
grpc, probing the bandwidth, grants a far wider window than the harness of test_runners.py, which
probes nothing and does leave the runner waiting. Tested as well: a paused runner whose call is
cancelled, or whose connection is cut (test_runners.py, test_attached_runners.py).

Only new input stops; what handlers already running send (results, context calls, log lines, Pongs)
is still queued, and no sender ever waits here. That is what keeps this free of deadlock: the
writer drains as the supervisor reads, and the supervisor reads the runner whatever the runner does
with its input (its writes to the runner are buffered, never awaited by its reader). So a handler
awaiting a context-call reply that arrived behind the pause gets it once the supervisor has read
the runner down to the low mark (test_runners.py: test_a_runner_whose_output_is_not_read_...).
Blocking senders instead would hold the event loop (which reads the stdio channel and answers
Pings) or a handler thread in the middle of its work, while the reply that would let it go on
waits unread behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: Bytes waiting in the writer past which the runner reads no new input: one pipe's capacity (the
#: kernel's pipe buffer, full already when anything waits here, holds as much again), node's default
#: high-water mark since Node 22. Each read that follows a pause could add a read's worth of new
#: work; a bound in bytes rather than frames keeps what waits in memory bounded for large results.
HIGH_WATER = 64 * 1024
#: ...and resumes once the writer is down to this: hysteresis, so that a runner near the mark does
#: not stop and resume reading with every frame, while the pipe still holds plenty to be read.
LOW_WATER = 16 * 1024


class Backpressure:
    """The bytes a writer holds and has not handed to its channel yet, and whether input may be read.

    Guarded by the writer's ``lock``: the writer adds bytes while it holds it (as it queues them, so
    a queued frame costs no second lock) and removes them from any thread without it. The reader
    checks ``full`` before each read (and registers ``on_drained`` to be told when to read again), or
    waits in ``wait_while_full`` on a thread of its own. ``on_drained`` is called without the lock.
    """

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._drained = threading.Condition(lock)
        self._waiting = 0
        #: above the high mark, and not yet back down to the low mark
        self.full = False
        #: the channel is gone: nothing will drain, and nothing must wait for it any more
        self._released = False
        #: called when ``full`` turns False (from the thread that removed the bytes)
        self.on_drained: Callable[[], None] | None = None

    @property
    def waiting(self) -> int:
        """Bytes queued and not yet handed to the channel."""
        return self._waiting

    def add(self, size: int) -> None:
        """Bytes queued (call with the lock held)."""
        self._waiting += size
        if self._waiting > HIGH_WATER and not self._released:
            self.full = True

    def remove(self, size: int) -> None:
        """Bytes handed to the channel (call without the lock)."""
        with self._lock:
            self._waiting -= size
            if not self.full or self._waiting > LOW_WATER:
                return
            self.full = False
            self._drained.notify_all()
        if self.on_drained is not None:
            self.on_drained()

    def release(self) -> None:
        """The channel will take nothing more: let the reader read (and see the end) from now on."""
        with self._lock:
            self._released = True
            was_full, self.full = self.full, False
            self._drained.notify_all()
        if was_full and self.on_drained is not None:
            self.on_drained()

    def wait_while_full(self) -> None:
        """Return once the writer is down to the low mark (at once when it is not full)."""
        with self._lock:
            while self.full:
                self._drained.wait()
