"""Opening the database named by a URL, and the transaction boundaries.

Models bind to `database_proxy` late, so one process opens exactly one database
(the one in its settings) and tests can point it at a temporary file.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import pathlib
import random
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import peewee
from playhouse import db_url
from playhouse.pool import PooledSqliteDatabase

from ..errors import ConcurrentModification

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

database_proxy = peewee.DatabaseProxy()

# Every connection: write-ahead log so readers never wait for the writer,
# FULL sync so a committed upgrade survives a power cut, foreign keys on, and a
# busy timeout so concurrent writers queue instead of failing at once.
SQLITE_PRAGMAS = {
    # First, so that even switching to WAL waits for a concurrent opener.
    "busy_timeout": 10_000,
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "cache_size": -16_000,
    # Freed and rewritten space is zeroed, so an erased secret (the reset token
    # in an outbox payload, store/outbox.py) leaves no copy in the pages.
    "secure_delete": 1,
}


class UnsupportedDatabaseUrl(ValueError):
    """The URL names an engine or form this service does not support."""


POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+pool", "postgres+pool")

# SQLSTATEs that mean "this transaction lost a race; run it again".
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def open_database(url: str, *, pooled: bool = False) -> peewee.Database:
    """Returns an unconnected database for `url`.

    - `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `sqlite:///:memory:`;
      with `pooled` (the server's `Store`), a file keeps its connections open
      across RPCs (see `_pooled_sqlite`)
    - `postgresql://user:password@host:port/name` (psycopg 3)
    - `postgresql+pool://...?max_connections=20&stale_timeout=300`: a connection pool
      per process, so an RPC does not pay for a new connection.
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "sqlite":
        path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
        if not path:
            raise UnsupportedDatabaseUrl(f"no file in database URL {url!r}")
        if path == ":memory:" or not pooled:
            if path != ":memory:":
                pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
            return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, autoconnect=False)
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
        return _pooled_sqlite(path)
    if parsed.scheme in POSTGRES_SCHEMES:
        return db_url.connect(url, autoconnect=False, prefer_psycopg3=True)
    raise UnsupportedDatabaseUrl(f"unsupported database URL scheme {parsed.scheme!r}")


def _pooled_sqlite(path: str) -> peewee.SqliteDatabase:
    """A file database whose connections outlive the RPC that opened them.

    Found with `make bench --profile` (bench/README.md): opening and closing a
    SQLite connection per RPC (the pragmas, re-reading the schema, a cold page
    cache, and the WAL checkpoint the last close runs) took about 40 % of a
    ListSubscriptions call. The pool hands a closed-by-the-RPC connection to the
    next RPC instead; one thread uses a connection at a time, so it may move
    between threads (`check_same_thread=False`); a transaction left open is
    rolled back before reuse. At most one connection per RPC thread exists.
    """
    return PooledSqliteDatabase(
        path,
        pragmas=SQLITE_PRAGMAS,
        autoconnect=False,
        max_connections=None,
        check_same_thread=False,
    )


def is_retryable_conflict(error: BaseException) -> bool:
    """True for a lost serialization race or deadlock (PostgreSQL), or a write
    lock not obtained within the busy timeout (SQLite)."""
    for candidate in (error, *error.args, error.__cause__, error.__context__):
        if getattr(candidate, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            return True
    return isinstance(error, peewee.OperationalError) and "database is locked" in str(error)


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
        return cls(open_database(url, pooled=True))

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

    @property
    def supports_row_locks(self) -> bool:
        """PostgreSQL locks rows (`SELECT ... FOR UPDATE`); SQLite's write
        transaction already excludes every other writer."""
        return bool(self.database.for_update)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """One transaction. A lost race surfaces as `ConcurrentModification`,
        which `retry_on_conflict` turns into a fresh attempt."""
        with self.connection():
            try:
                if self.is_sqlite:
                    with self.database.atomic("IMMEDIATE"):
                        yield
                else:
                    # READ COMMITTED plus explicit row locks and conditional
                    # updates where a rule must hold across processes.
                    with self.database.atomic():
                        yield
            except (peewee.OperationalError, peewee.InternalError) as exc:
                if is_retryable_conflict(exc):
                    raise ConcurrentModification() from exc
                raise

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()
        # A pool keeps connections after close(): end them too, so none is
        # inherited across a fork or left behind.
        close_all = getattr(self.database, "close_all", None)
        if close_all is not None:
            close_all()


def retry_on_conflict(
    attempts: int = 4, base_delay: float = 0.01
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Runs a unit of work again when its transaction lost a race.

    Only for functions whose whole effect is one `Store.write()` (or several
    that are each safe to repeat): a failed transaction left nothing behind.
    After `attempts` the `ConcurrentModification` reaches the caller (ABORTED).
    """

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            for attempt in range(1, attempts + 1):
                try:
                    return fn(*args, **kwargs)
                except ConcurrentModification:
                    if attempt == attempts:
                        raise
                    log.info("%s lost a race; attempt %d", fn.__qualname__, attempt + 1)
                    # Jittered exponential backoff: losers do not collide again.
                    time.sleep(base_delay * (2**attempt) * random.random())  # noqa: S311
            raise AssertionError("unreachable")

        return wrapper

    return decorate
