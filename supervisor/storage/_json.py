"""JSON values as the stores keep them: orjson bytes at rest, plain Python objects in use.

Every adapter encodes on the way in, even the in-memory ones, so that a value
that SQLite would refuse is refused everywhere and a caller that mutates what it
passed in (or got back) never changes what is stored.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import orjson

# User data is schemaless (request bodies, event payloads, state values). A recursive
# union would be exact but, dict being invariant, would make every call site cast;
# the encoder below is where JSON-ness is actually enforced.
JsonValue: TypeAlias = Any
JsonObject: TypeAlias = dict[str, Any]


def encode_json(value: JsonValue, what: str) -> bytes:
    """Encode ``value``; ``what`` names it in the error (for example "state value trips/t1")."""
    try:
        return orjson.dumps(value)
    except TypeError as exc:
        raise TypeError(f"{what} is not JSON-serializable: {exc}") from None


def decode_json(data: bytes) -> JsonValue:
    return orjson.loads(data)
