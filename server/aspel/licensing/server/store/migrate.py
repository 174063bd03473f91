"""Brings any database up to the current schema, safely from several processes.

Numbered, forward-only files in `migrations/`, applied in order by peewee's
`playhouse.migrations.Runner`, each in its own transaction where the engine
allows, and recorded in the `schema_migration` table. A lock held for the whole
run makes concurrent `migrate` calls wait and then find nothing left to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import pathlib
from collections.abc import Iterator

import peewee
from playhouse.migrations import Runner

MIGRATIONS_DIR = pathlib.Path(__file__).parent / "migrations"
HISTORY_TABLE = "schema_migration"


@contextlib.contextmanager
def _migration_lock(database: peewee.Database) -> Iterator[None]:
    if isinstance(database, peewee.SqliteDatabase):
        if database.database == ":memory:":
            yield
            return
        # SQLite's migrator toggles pragmas that only work outside a
        # transaction, so the lock is a file lock beside the database.
        lock_path = pathlib.Path(f"{database.database}.migrate-lock")
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    raise NotImplementedError(f"no migration lock for {type(database).__name__}")


def _runner(database: peewee.Database) -> Runner:
    return Runner(database, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE)


def migrate(database: peewee.Database) -> list[str]:
    """Applies every pending migration; returns the names applied."""
    with database.connection_context(), _migration_lock(database):
        return list(_runner(database).up())


def pending(database: peewee.Database) -> list[str]:
    """The migrations not yet applied (the server refuses to start with any)."""
    with database.connection_context():
        return [m.name for m in _runner(database).status() if not m.applied]


def latest_name() -> str:
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))[-1]
