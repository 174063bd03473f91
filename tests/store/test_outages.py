"""A database that does not answer becomes a typed error where it is touched:
an exhausted pool or a lock wait that ran out is DATABASE_UNAVAILABLE (not a
lost race), a full disk is STORAGE_UNAVAILABLE with nothing half-written, and
each kind of outage is logged once per interval, not once per call."""

from __future__ import annotations

import logging
import pathlib
import sqlite3
import threading
from collections.abc import Iterator

import peewee
import psycopg
import pytest
from playhouse.pool import MaxConnectionsExceeded, PooledSqliteDatabase

from aspel.licensing.server.errors import (
    DatabaseUnavailable,
    StorageUnavailable,
)
from aspel.licensing.server.store import database
from aspel.licensing.server.store.database import (
    SQLITE_PRAGMAS,
    OutageLog,
    Store,
    is_retryable_conflict,
    open_database,
    outage_of,
    retry_on_conflict,
)

from ..support.postgres import PostgresCluster


@pytest.fixture(autouse=True)
def fresh_outage_log(monkeypatch: pytest.MonkeyPatch) -> OutageLog:
    """A log of its own per test, so one test's lines do not silence another's."""
    fresh = OutageLog()
    monkeypatch.setattr(database, "outage_log", fresh)
    return fresh


def _table(db: peewee.Database) -> None:
    with db.connection_context():
        db.execute_sql("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")


@pytest.fixture
def small_pool(engine: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest) -> Store:
    """A store whose pool holds a single connection, on the engine under test."""
    if engine == "sqlite":
        db: peewee.Database = PooledSqliteDatabase(
            str(tmp_path / "pool.db"),
            pragmas=SQLITE_PRAGMAS,
            autoconnect=False,
            max_connections=1,
            check_same_thread=False,
        )
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        url = cluster.url(cluster.create_database()).replace("postgresql:", "postgresql+pool:")
        db = open_database(f"{url}?max_connections=1")
    return Store(db)


def test_an_exhausted_pool_is_database_unavailable(small_pool: Store) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with small_pool.connection():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(DatabaseUnavailable) as refused, small_pool.connection():
            pass
        assert refused.value.retry_delay.total_seconds() > 0
    finally:
        release.set()
        holder.join(10)
    small_pool.ping()  # the connection came back: the next call is served
    small_pool.close()


@pytest.fixture
def sqlite_path(tmp_path: pathlib.Path) -> str:
    path = str(tmp_path / "locks.db")
    _table(peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS))
    return path


def test_a_lock_wait_that_runs_out_is_database_unavailable_not_a_lost_race(
    sqlite_path: str,
) -> None:
    # A short busy timeout keeps the test brief; the server waits 10 s.
    store = Store(
        peewee.SqliteDatabase(sqlite_path, pragmas={**SQLITE_PRAGMAS, "busy_timeout": 50})
    )
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    attempts = []

    @retry_on_conflict(attempts=4, base_delay=0)
    def write() -> None:
        attempts.append(1)
        with store.write():
            store.database.execute_sql("INSERT INTO t (v) VALUES ('x')")

    try:
        with pytest.raises(DatabaseUnavailable):
            write()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(attempts) == 1  # nothing was done and nothing lost: not run again here
    write()  # the lock is free: it works
    with store.connection():
        assert store.database.execute_sql("SELECT count(*) FROM t").fetchone() == (1,)


class _FullDiskCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: object = (), /) -> sqlite3.Cursor:
        faults: _Faults = self.connection.faults  # type: ignore[attr-defined]
        verb = sql.lstrip().split(None, 1)[0].upper()
        if faults.at == verb:
            if verb == "COMMIT":
                # What SQLite does when the disk fills during COMMIT: it rolls
                # the transaction back itself, so peewee's own ROLLBACK fails.
                super().execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, parameters)  # type: ignore[arg-type]


class _Faults:
    """Which statement fails as on a full disk ("COMMIT", "INSERT"), or none."""

    at: str | None = None


def full_disk_database(path: str, faults: _Faults) -> PooledSqliteDatabase:
    """The server's pooled SQLite database, on connections that fail as a full disk would."""

    class Connection(sqlite3.Connection):
        def cursor(self, factory: type = _FullDiskCursor) -> sqlite3.Cursor:  # type: ignore[override]
            return super().cursor(factory)

    Connection.faults = faults  # type: ignore[attr-defined]
    return PooledSqliteDatabase(
        path,
        pragmas=SQLITE_PRAGMAS,
        autoconnect=False,
        max_connections=None,
        check_same_thread=False,
        factory=Connection,
    )


@pytest.fixture
def faults() -> Iterator[_Faults]:
    yield _Faults()


@pytest.mark.parametrize("at", ["COMMIT", "INSERT"])
def test_a_full_disk_is_storage_unavailable_and_nothing_is_half_written(
    sqlite_path: str, faults: _Faults, at: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(full_disk_database(sqlite_path, faults))
    faults.at = at
    with pytest.raises(StorageUnavailable), store.write():
        store.database.execute_sql("INSERT INTO t (v) VALUES ('first')")
        store.database.execute_sql("INSERT INTO t (v) VALUES ('second')")
    with store.connection():  # reads keep working
        assert store.database.execute_sql("SELECT count(*) FROM t").fetchone() == (0,)
    faults.at = None
    with store.write():
        store.database.execute_sql("INSERT INTO t (v) VALUES ('later')")
    with store.connection():
        assert store.database.execute_sql("SELECT v FROM t").fetchall() == [("later",)]
    assert not [r for r in caplog.records if r.exc_info]
    store.close()


def _wrapped(error: Exception) -> peewee.OperationalError:
    """As peewee raises a driver's error."""
    return peewee.OperationalError(error)


def _kind(error: BaseException) -> str | None:
    found = outage_of(error)
    return None if found is None else found.reason


def test_what_each_driver_error_means() -> None:
    snapshot = sqlite3.OperationalError("database is locked")
    snapshot.sqlite_errorcode = 517  # type: ignore[attr-defined]  # SQLITE_BUSY_SNAPSHOT
    # Lost races stay lost races (ConcurrentModification, retried), bugs stay bugs.
    assert is_retryable_conflict(_wrapped(snapshot)) and _kind(_wrapped(snapshot)) is None
    assert _kind(_wrapped(psycopg.errors.SerializationFailure())) is None
    assert _kind(_wrapped(psycopg.errors.DeadlockDetected())) is None
    assert _kind(peewee.IntegrityError(psycopg.errors.UniqueViolation())) is None
    assert _kind(_wrapped(sqlite3.OperationalError("no such table: t"))) is None
    assert _kind(ValueError("a bug")) is None
    # The database not answering, or full.
    for unreachable in (
        psycopg.OperationalError("connection failed: Connection refused"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.errors.AdminShutdown(),
        psycopg.errors.CannotConnectNow(),
        psycopg.errors.TooManyConnections(),
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("unable to open database file"),
    ):
        assert _kind(_wrapped(unreachable)) == "DATABASE_UNAVAILABLE", unreachable
    assert _kind(MaxConnectionsExceeded("Exceeded maximum connections.")) == (
        "DATABASE_UNAVAILABLE"
    )
    assert _kind(peewee.InterfaceError("Cannot commit, database connection not open.")) == (
        "DATABASE_UNAVAILABLE"
    )
    assert _kind(_wrapped(psycopg.errors.DiskFull())) == "STORAGE_UNAVAILABLE"
    # peewee's failed ROLLBACK hides the full disk in __context__; it is found.
    try:
        try:
            raise _wrapped(sqlite3.OperationalError("database or disk is full"))
        except peewee.OperationalError:
            # As atomic().__exit__ does: implicitly chained, in __context__.
            raise _wrapped(sqlite3.OperationalError("cannot rollback - no transaction is active"))  # noqa: B904
    except peewee.OperationalError as masked:
        assert _kind(masked) == "STORAGE_UNAVAILABLE"


def test_an_outage_is_logged_once_per_interval_with_the_count_left_unsaid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    outages = OutageLog(interval=10, clock=lambda: now[0])
    refused = OSError("connection refused")
    full = sqlite3.OperationalError("database or disk is full")
    with caplog.at_level(logging.WARNING, logger=database.log.name):
        for _ in range(50):
            outages.report("DATABASE_UNAVAILABLE", refused)
            outages.report("STORAGE_UNAVAILABLE", full)
        now[0] = 10.5
        outages.report("DATABASE_UNAVAILABLE", refused)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert "49 more" in lines[2]
    assert outages.failures == 101
    assert not [r for r in caplog.records if r.exc_info]
