"""Shared storage plumbing: the SQLite database, the Redis connection, the JSON encoding every store uses."""

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
from ._redis import RedisConnection, RedisUnavailable, redacted
from ._schema import MIGRATIONS
from ._writer import WriterClosedError

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
