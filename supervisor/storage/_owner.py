"""One supervisor per embedded store: a second ``motia dev``/``start`` on the same ``.motia/`` refuses.

Two supervisors sharing one SQLite queue would both deliver every event and both fire every cron
tick; the queue's claims are held in each process's memory, not in the file. The claim is a POSIX
``flock`` on ``.motia/supervisor.lock``, so the kernel lets it go when its holder dies, however it
dies (a SIGKILLed supervisor leaves nothing stale behind). The file says who holds it, for the
refusal's message. Where ``fcntl`` does not exist (Windows) there is no claim.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import IO

LOCK_NAME = "supervisor.lock"


class DataDirInUse(RuntimeError):
    """Another live process holds the claim on this data folder."""

    def __init__(self, data_dir: Path, holder: str) -> None:
        self.data_dir = data_dir
        self.holder = holder
        who = f"another motia ({holder})" if holder else "another motia"
        super().__init__(
            f"{who} is running this project on its embedded store ({data_dir}): two would deliver every "
            "event and fire every cron tick twice. Stop the other one, or share the work between several "
            "supervisors on Redis"
        )


class DataDirClaim:
    """Held for as long as this process serves the project; ``release()`` (or exit) gives it up."""

    def __init__(self, data_dir: Path, description: str) -> None:
        self.data_dir = data_dir
        self._handle: IO[str] | None = None
        try:
            import fcntl
        except ImportError:  # Windows: no claim
            return
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(data_dir / LOCK_NAME, "a+")  # noqa: SIM115 -- held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise DataDirInUse(data_dir, holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, {description}")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file gives up the flock
            self._handle = None

    def __enter__(self) -> DataDirClaim:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
