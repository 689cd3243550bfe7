"""Shared SQLite plumbing and the JSON encoding every store uses."""

from ._database import SqliteDatabase
from ._json import JsonObject, JsonValue, decode_json, encode_json
from ._migrations import Migration, SchemaError
from ._schema import MIGRATIONS
from ._writer import WriterClosedError

__all__ = [
    "MIGRATIONS",
    "JsonObject",
    "JsonValue",
    "Migration",
    "SchemaError",
    "SqliteDatabase",
    "WriterClosedError",
    "decode_json",
    "encode_json",
]
