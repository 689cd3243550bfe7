"""Shared storage plumbing: the SQLite database, the Redis connection, the JSON encoding every store uses.

The Redis connection is imported on first use: a supervisor on SQLite (and the trace writer process)
never imports the Redis client."""

from typing import TYPE_CHECKING

from supervisor.lazy import lazy_exports

from ._database import SqliteDatabase
from ._json import (
    MAX_JSON_DEPTH,
    MAX_WRITABLE_JSON_DEPTH,
    JsonObject,
    JsonValue,
    NestedTooDeeply,
    check_depth,
    decode_checked_json,
    decode_json,
    encode_json,
)
from ._migrations import Migration, SchemaError
from ._owner import DataDirClaim, DataDirInUse
from ._redis_names import RedisUnavailable, redacted
from ._schema import MIGRATIONS
from ._writer import WriterClosedError

if TYPE_CHECKING:
    from ._redis import RedisConnection

__getattr__ = lazy_exports(__name__, {"RedisConnection": "_redis"})

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_WRITABLE_JSON_DEPTH",
    "MIGRATIONS",
    "DataDirClaim",
    "DataDirInUse",
    "JsonObject",
    "JsonValue",
    "Migration",
    "NestedTooDeeply",
    "RedisConnection",
    "RedisUnavailable",
    "SchemaError",
    "SqliteDatabase",
    "WriterClosedError",
    "check_depth",
    "decode_checked_json",
    "decode_json",
    "encode_json",
    "redacted",
]
