"""Take fds 0 and 1 away from user code so that only frames reach the supervisor.

After :func:`claim_channel`, frames are read from and written to private fds;
fd 1 is a copy of stderr (so ``print``, C extensions and child processes cannot
corrupt the channel) and fd 0 reads ``/dev/null`` (so child processes cannot
steal frames).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    read_fd: int
    write_fd: int


def claim_channel() -> Channel:
    read_fd = os.dup(0)  # os.dup returns non-inheritable fds
    write_fd = os.dup(1)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return Channel(read_fd=read_fd, write_fd=write_fd)
