"""Trace ids: every HTTP request, emitted event chain and cron tick carries one."""

from __future__ import annotations

import random
import time


def new_trace_id() -> str:
    """A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    Any UUID would do for users (an opaque string, as in Motia); a time-ordered one lets the trace
    store's indexes grow at their end instead of at a random page for every new trace, which is most
    of what recording a trace costs on disk (bench/RESULTS.md, tracing overhead). The random bits
    need to be unique, not secret: Python's generator (seeded from the OS, again in a forked child)
    rather than a system call on every request, which also lets go of the GIL for the SQLite writer
    thread to take it.
    """
    random_bits = random.getrandbits(80)
    value = (
        (time.time_ns() // 1_000_000) << 80
        | 0x7 << 76
        | (random_bits >> 68) << 64
        | 0b10 << 62
        | random_bits & 0x3FFF_FFFF_FFFF_FFFF
    )
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
