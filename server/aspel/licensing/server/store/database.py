"""Opening the database named by a URL, and the transaction boundaries.

Models bind to `database_proxy` late, so one process opens exactly one database
(the one in its settings) and tests can point it at a temporary file.
"""

from __future__ import annotations

import contextlib
import pathlib
import urllib.parse
from collections.abc import Iterator

import peewee

database_proxy = peewee.DatabaseProxy()

# Every connection: write-ahead log so readers never wait for the writer,
# FULL sync so a committed upgrade survives a power cut, foreign keys on, and a
# busy timeout so concurrent writers queue instead of failing at once.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "cache_size": -16_000,
}


class UnsupportedDatabaseUrl(ValueError):
    """The URL names an engine or form this service does not support."""


def open_database(url: str) -> peewee.Database:
    """Returns an unconnected database for `url` (`sqlite:///path` or `sqlite:///:memory:`)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "sqlite":
        path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
        if not path:
            raise UnsupportedDatabaseUrl(f"no file in database URL {url!r}")
        if path != ":memory:":
            pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, autoconnect=False)
    raise UnsupportedDatabaseUrl(f"unsupported database URL scheme {parsed.scheme!r}")


class Store:
    """The database of one process, with its transaction boundaries.

    `write()` is one transaction that takes the write lock up front
    (`BEGIN IMMEDIATE` on SQLite), so a read-check-write sequence inside it can
    never interleave with another writer.
    """

    def __init__(self, database: peewee.Database) -> None:
        self.database = database
        database_proxy.initialize(database)

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(open_database(url))

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.database, peewee.SqliteDatabase)

    @contextlib.contextmanager
    def connection(self) -> Iterator[None]:
        """One connection for the duration of one RPC (reused when already open)."""
        if not self.database.is_closed():
            yield
            return
        with self.database.connection_context():
            yield

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self.connection():
            if self.is_sqlite:
                with self.database.atomic("IMMEDIATE"):
                    yield
            else:
                with self.database.atomic():
                    yield

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()
