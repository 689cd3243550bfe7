"""W3C Trace Context (``traceparent``): reading the header callers send, and the ids OpenTelemetry uses.

Trace ids made here are UUIDs (``1b4e28ba-2fa1-11d2-883f-0016d3cca427``, what Motia's users see in
``x-trace-id`` and stream groups): their 32 hex digits are the W3C trace id. A request that arrives
with a valid ``traceparent`` runs under the caller's trace id instead, as its 32 hex digits.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

_HEADER = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


class TraceParent(NamedTuple):
    trace_id: str
    parent_span_id: str


def parse_traceparent(header: str | None) -> TraceParent | None:
    """The caller's trace and span, or None for a missing or invalid header (then a new trace starts,
    as the specification says)."""
    if not header:
        return None
    match = _HEADER.fullmatch(header.strip())
    if match is None:
        return None
    version, trace_id, parent, _flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or trace_id == _ZERO_TRACE or parent == _ZERO_SPAN:
        return None
    return TraceParent(trace_id, parent)


def w3c_trace_id(trace_id: str) -> str:
    """Our trace id as 32 hex digits: itself (a caller's), its UUID's digits, or a digest of any other."""
    digits = trace_id.replace("-", "").lower()
    if _HEX32.fullmatch(digits) and digits != _ZERO_TRACE:
        return digits
    return hashlib.blake2b(trace_id.encode(), digest_size=16).hexdigest()
