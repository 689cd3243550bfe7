"""JSON values as the stores keep them: orjson bytes at rest, plain Python objects in use.

Every adapter encodes on the way in, even the in-memory ones, so that a value
that SQLite would refuse is refused everywhere and a caller that mutates what it
passed in (or got back) never changes what is stored.

One depth limit holds for every JSON value the core accepts or keeps (request
bodies, emitted events, state values, stream items): ``MAX_JSON_DEPTH``.
It is checked where a value enters, with ``check_depth``; what is stored or sent
on from there nests at most that deep plus the core's own envelopes.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import orjson

# User data is schemaless (request bodies, event payloads, state values). A recursive
# union would be exact but, dict being invariant, would make every call site cast;
# the encoder below is where JSON-ness is actually enforced.
JsonValue: TypeAlias = Any
JsonObject: TypeAlias = dict[str, Any]

#: How many arrays and objects may nest inside each other in a JSON value the core accepts.
#: orjson writes and jsonschema-rs reads at most 254 levels, and orjson parses 1,024: the limit
#: sits well under the smallest, so the envelopes the core wraps values in (an api request, an event
#: delivery, a stream message, a list of state values) always encode. 128 is also serde_json's.
MAX_JSON_DEPTH = 128
#: the most levels orjson writes: a handler's response body, which the core sends and never keeps,
#: may nest this deep
MAX_WRITABLE_JSON_DEPTH = 254
#: what orjson.loads says past its own limit of 1,024 levels
_ORJSON_DEPTH_ERROR = "depth limit exceeded"
_CONTAINERS = (dict, list)


class NestedTooDeeply(ValueError):
    """A JSON value with more than ``MAX_JSON_DEPTH`` levels of arrays and objects."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} nested too deeply (limit {MAX_JSON_DEPTH})")


def encode_json(value: JsonValue, what: str) -> bytes:
    """Encode ``value``; ``what`` names it in the error (for example "state value trips/t1")."""
    try:
        return orjson.dumps(value)
    except TypeError as exc:
        raise TypeError(f"{what} is not JSON-serializable: {exc}") from None


def decode_json(data: bytes | str) -> JsonValue:
    return orjson.loads(data)


def decode_checked_json(data: bytes | str, what: str) -> JsonValue:
    """Parse JSON that comes from outside (a request body, a runner's arguments): ``NestedTooDeeply``
    past ``MAX_JSON_DEPTH``, ``orjson.JSONDecodeError`` when it is not JSON."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith(_ORJSON_DEPTH_ERROR):
            raise NestedTooDeeply(what) from None
        raise
    check_depth(value, what, data)
    return value


def check_depth(value: JsonValue, what: str, encoded: bytes | str | None = None) -> None:
    """Raise ``NestedTooDeeply`` naming ``what`` when ``value`` nests deeper than ``MAX_JSON_DEPTH``.

    ``encoded`` is JSON that ``value`` is part of: when it has no more brackets than the limit,
    nothing inside it can nest deeper, and the walk (the only cost that grows with the value) is
    skipped. That is nearly every request, event and state value."""
    if encoded is not None and _brackets(encoded) <= MAX_JSON_DEPTH:
        return
    if not isinstance(value, _CONTAINERS):
        return
    level: list[Any] = [value]
    depth = 1
    while level:
        if depth > MAX_JSON_DEPTH:
            raise NestedTooDeeply(what)
        deeper: list[Any] = []
        for container in level:
            children = container.values() if isinstance(container, dict) else container
            deeper.extend(child for child in children if isinstance(child, _CONTAINERS))
        level = deeper
        depth += 1


def _brackets(encoded: bytes | str) -> int:
    if isinstance(encoded, str):
        return encoded.count("[") + encoded.count("{")
    return encoded.count(b"[") + encoded.count(b"{")
