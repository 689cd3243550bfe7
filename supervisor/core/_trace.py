"""Trace ids: every HTTP request, emitted event chain and cron tick carries one."""

from __future__ import annotations

import uuid


def new_trace_id() -> str:
    return str(uuid.uuid4())
