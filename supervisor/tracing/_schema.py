"""The schema of the traces file (``.motia/traces.db``), as one ordered list of migrations.

Its version 1 is the tables ``.motia/motia.db`` got in its migration 3, before traces moved to a file
of their own (there they stay, empty: a released migration is never edited). Append new migrations
here; never edit a released one.
"""

from __future__ import annotations

from supervisor.storage import MIGRATIONS, Migration

_IN_MOTIA_DB = next(migration for migration in MIGRATIONS if migration.version == 3)

TRACE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(version=1, description=_IN_MOTIA_DB.description, statements=_IN_MOTIA_DB.statements),
)
