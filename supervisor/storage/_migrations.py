"""Schema versioning: an ordered list of migrations, applied once each.

The applied version lives in SQLite's own ``PRAGMA user_version``, so there is no
bookkeeping table to get out of step with the schema it describes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


class SchemaError(RuntimeError):
    """The database file does not match the migrations this code knows."""


def check_migrations(migrations: Sequence[Migration]) -> None:
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise SchemaError(
                f"migration {migration.description!r} has version {migration.version}, expected {expected}: "
                "versions must be 1, 2, 3... in list order"
            )


def apply_migrations(conn: sqlite3.Connection, migrations: Sequence[Migration], path: str) -> int:
    """Bring the schema up to date; returns the version now applied.

    ``conn`` must be in autocommit mode (isolation_level=None): each migration runs
    in its own transaction together with the version bump, so a crash halfway
    leaves the previous version intact.
    """
    check_migrations(migrations)
    current: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(migrations):
        raise SchemaError(
            f"{path} has schema version {current} but this motia-supervisor knows only up to "
            f"{len(migrations)}: it was written by a newer version; upgrade, "
            "or delete the file to start fresh"
        )
    for migration in migrations[current:]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                conn.execute(statement)
            # PRAGMA takes no bound parameters; the version is an int we control.
            conn.execute(f"PRAGMA user_version = {int(migration.version)}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return len(migrations)
