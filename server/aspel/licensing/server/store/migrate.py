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
# Any fixed 64-bit number, the same in every process: "aspel-licensing migrate".
ADVISORY_LOCK_KEY = 0x61736C6D6967


@contextlib.contextmanager
def _locked_connection(database: peewee.Database) -> Iterator[None]:
    """A connection that alone may migrate until the block ends."""
    if isinstance(database, peewee.SqliteDatabase):
        if database.database == ":memory:":
            with database.connection_context():
                yield
            return
        # SQLite's migrator toggles pragmas that only work outside a
        # transaction, so the lock is a file lock beside the database, taken
        # before connecting (connecting already switches the journal to WAL).
        lock_path = pathlib.Path(f"{database.database}.migrate-lock")
        with lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                with database.connection_context():
                    yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    # PostgreSQL: a session-level advisory lock, held by this connection until
    # released, whatever transactions the migrations open and close.
    with database.connection_context():
        database.execute_sql("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            yield
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def _runner(database: peewee.Database) -> Runner:
    return Runner(database, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE)


def migrate(database: peewee.Database) -> list[str]:
    """Applies every pending migration; returns the names applied."""
    with _locked_connection(database):
        return list(_runner(database).up())


def pending(database: peewee.Database) -> list[str]:
    """The migrations not yet applied (the server refuses to start with any)."""
    with database.connection_context():
        return [m.name for m in _runner(database).status() if not m.applied]
