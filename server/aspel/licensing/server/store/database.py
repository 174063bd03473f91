"""Opening the database named by a URL, and the transaction boundaries.

A `Store` is one database with its units of work: `with store.write() as tx:`
(one transaction) and `with store.read() as tx:` (one connection) hand out the
repositories (`tx.subscriptions`, `tx.audit`, ...). The models reach the
database of the store in use through `binding.py`, so two stores in one
process never rebind each other.

Every use of the database by an RPC (or the mailer, or the health check) runs
inside `Store.connection()`, which turns the ways a database fails to answer
into typed errors: unreachable or busy is `DatabaseUnavailable`, full storage
is `StorageUnavailable` (both UNAVAILABLE: nothing was done, a retry is safe).
So the transport never sees a driver exception for an outage, and an outage is
logged as one rate-limited line per kind of failure, not a traceback per call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import pathlib
import random
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import peewee
import psycopg
from playhouse import db_url
from playhouse.pool import MaxConnectionsExceeded, PooledDatabase, PooledSqliteDatabase

from ..errors import (
    ConcurrentModification,
    DatabaseUnavailable,
    LicensingError,
    StorageUnavailable,
)
from .binding import bound_to, is_bound_to
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

#: How long SQLite waits for its write lock, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Every connection: write-ahead log so readers never wait for the writer,
# FULL sync so a committed upgrade survives a power cut, foreign keys on, and a
# busy timeout so concurrent writers queue instead of failing at once.
SQLITE_PRAGMAS = {
    # First, so that even switching to WAL waits for a concurrent opener.
    "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
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
#: How long a thread waits for a pooled PostgreSQL connection when the URL names no `timeout`.
POOL_WAIT_SECONDS = 5
#: peewee's PooledDatabase default when the URL names no `max_connections`.
POOL_DEFAULT_MAX_CONNECTIONS = 20
#: Threads besides the RPC threads that may hold a connection at once: the
#: validation recorder, the health check, the mailer, reminders, seat reclaim,
#: and a metrics scrape.
BACKGROUND_CONNECTIONS = 6

#: The longest a thread queues for this process's SQLite writer (busy_timeout).
_WRITER_WAIT_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000
#: How this process's next writer polls for the write lock while another
#: process (a worker, the admin CLI) holds it: again after the first wait,
#: doubling up to the longest (SQLite's own busy wait sleeps 1, 2, 5, 10, 15,
#: 20, 25, ... up to 100 ms, and so woke late after most commits of the other
#: worker: ActivateInstallation with 2 workers made 143 a second at a p99 of
#: 0.95 s, against 261 with one; bench/README.md finding 19).
_WRITE_LOCK_FIRST_WAIT = 0.0005
_WRITE_LOCK_LONGEST_WAIT = 0.004

# SQLSTATEs that mean "this transaction lost a race; run it again".
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
# SQLSTATEs that mean "the server cannot take this now": it is shutting down
# (admin_shutdown, crash_shutdown), starting (cannot_connect_now), or full of
# connections; with class 08 (connection_exception) and a driver error that
# carries no SQLSTATE (refused, closed unexpectedly), the database is unreachable.
_UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
_DISK_FULL_SQLSTATE = "53100"
# SQLite's result codes (sqlite3.Error.sqlite_errorcode, extended codes).
_SQLITE_BUSY = 5  # the write lock was not obtained within busy_timeout
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_BUSY_SNAPSHOT = 517  # a reader's snapshot is too old to write: a lost race
# The words of peewee (and its drivers) when the connection under a call is gone.
_CONNECTION_GONE = ("connection not open", "connection is closed", "connection is lost")


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
        options: dict[str, object] = {}
        if parsed.scheme.endswith("+pool") and "timeout" not in urllib.parse.parse_qs(parsed.query):
            # Without it peewee's pool refuses at once when every connection is
            # out (MaxConnectionsExceeded, then DATABASE_UNAVAILABLE); a short
            # wait lets a background thread's brief use end first.
            options["timeout"] = POOL_WAIT_SECONDS
        return db_url.connect(url, autoconnect=False, prefer_psycopg3=True, **options)
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


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps: peewee re-raises a driver error keeping
    the original as `orig`, and a failed rollback in `atomic()` hides the
    statement's error in `__context__`."""
    seen: set[int] = set()
    todo = [error]
    while todo and len(seen) < 16:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "orig", None)
        nested = [a for a in (wrapped, *current.args) if isinstance(a, BaseException)]
        todo.extend(x for x in (*nested, current.__cause__, current.__context__) if x is not None)


def _sqlite_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


def is_retryable_conflict(error: BaseException) -> bool:
    """True for a lost serialization race or deadlock (PostgreSQL), or a SQLite
    snapshot overtaken by another writer. Not for a lock wait that timed out:
    that is the database being busy (`DatabaseUnavailable`), not a race."""
    for candidate in _chain(error):
        if getattr(candidate, "sqlstate", None) in _RETRYABLE_SQLSTATES:
            return True
        if (
            isinstance(candidate, sqlite3.Error)
            and _sqlite_code(candidate) == _SQLITE_BUSY_SNAPSHOT
        ):
            return True
    return False


def _lock_taken(error: BaseException) -> bool:
    """The write lock is held by another connection (SQLITE_BUSY)."""
    return any(
        isinstance(candidate, sqlite3.Error) and _sqlite_code(candidate) == _SQLITE_BUSY
        for candidate in _chain(error)
    )


def _outage_kind(error: BaseException) -> type[DatabaseUnavailable | StorageUnavailable] | None:
    """What one exception of the chain says about the database, if anything."""
    if isinstance(error, MaxConnectionsExceeded):
        return DatabaseUnavailable
    if isinstance(error, sqlite3.Error):
        code = _sqlite_code(error)
        primary = None if code is None else code & 0xFF
        text = str(error)
        if primary == _SQLITE_FULL or "database or disk is full" in text:
            return StorageUnavailable
        if primary == _SQLITE_BUSY or (code is None and "database is locked" in text):
            return DatabaseUnavailable
        if primary == _SQLITE_CANTOPEN or "unable to open database file" in text:
            return DatabaseUnavailable
        return None
    if isinstance(error, psycopg.Error):
        sqlstate = error.sqlstate or ""
        if sqlstate == _DISK_FULL_SQLSTATE:
            return StorageUnavailable
        if sqlstate in _UNREACHABLE_SQLSTATES or sqlstate.startswith("08"):
            return DatabaseUnavailable
        if isinstance(error, psycopg.OperationalError) and not sqlstate:
            return DatabaseUnavailable  # refused, timed out, closed unexpectedly
        return None
    if isinstance(error, peewee.InterfaceError) and any(
        words in str(error) for words in _CONNECTION_GONE
    ):
        return DatabaseUnavailable
    return None


def outage_of(error: BaseException) -> DatabaseUnavailable | StorageUnavailable | None:
    """The typed error for a database that did not answer, or None when
    `error` is something else (a bug, a constraint, a lost race)."""
    if is_retryable_conflict(error):
        return None
    found: tuple[type[DatabaseUnavailable | StorageUnavailable], BaseException] | None = None
    for candidate in _chain(error):
        kind = _outage_kind(candidate)
        if kind is StorageUnavailable:
            found = (kind, candidate)
            break  # full storage explains a connection dropped after it
        if kind is not None and found is None:
            found = (kind, candidate)
    if found is None:
        return None
    kind, cause = found
    outage_log.report(kind.reason, cause)
    return kind()


class OutageLog:
    """One warning per kind of failure at most every `interval` seconds, with
    the number of the same failures left unsaid since the last line.

    During an outage every call fails the same way; a line per call (let
    alone a traceback) would bury the one fact an operator needs.
    """

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        # kind -> (time of its last line, failures since then not logged)
        self._seen: dict[tuple[str, str, str], tuple[float, int]] = {}
        #: Failures reported since this log was made, logged or not.
        self.failures = 0

    def report(self, reason: str, cause: BaseException) -> None:
        sqlstate = getattr(cause, "sqlstate", None) or ""
        key = (reason, type(cause).__name__, sqlstate)
        now = self._clock()
        with self._lock:
            self.failures += 1
            last, suppressed = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.interval:
                self._seen[key] = (last, suppressed + 1)
                return
            self._seen[key] = (now, 0)
        # The driver's first line names the host and the failure; never a
        # password (psycopg leaves it out of its messages).
        detail = (str(cause).splitlines() or [""])[0][:200]
        log.warning(
            "%s: %s%s: %s (%d more like it since the last report)",
            reason,
            type(cause).__name__,
            f" [{sqlstate}]" if sqlstate else "",
            detail,
            suppressed,
        )


outage_log = OutageLog()


def _typed_outage(exc: BaseException | None) -> LicensingError | None:
    """The typed error for `exc` when it says the database does not answer
    (or is full); None for anything else, typed errors included."""
    if exc is None or isinstance(exc, LicensingError) or not isinstance(exc, Exception):
        return None
    return outage_of(exc)


class _outages_typed:
    """A block whose database failures leave it as `DatabaseUnavailable` or
    `StorageUnavailable`. A class rather than a generator context manager,
    like the others every RPC enters (binding.py says why)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        outage = _typed_outage(exc)
        if outage is not None:
            raise outage from exc


class _OnOpenConnection(_outages_typed):
    """`connection()` (and `read()`) inside a block that already holds this
    store's open connection, bound for the models (an RPC's `kept()`): the
    unit of work, with outages typed, and nothing else to do. Stateless, so
    one per store serves every thread and nested block."""

    __slots__ = ("_work",)

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

    def __enter__(self) -> UnitOfWork:  # type: ignore[override]
        return self._work


class _KeptCall:
    """One RPC on the connection its thread keeps (`Store.kept`)."""

    __slots__ = ("_bound", "_store")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._bound = bound_to(store.database)

    def __enter__(self) -> UnitOfWork:
        store = self._store
        self._bound.__enter__()
        try:
            store._open_kept()
        except BaseException:
            self._bound.__exit__(None, None, None)
            raise
        return store._work

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        outage = None
        healthy = False
        try:
            outage = _typed_outage(exc)
            # A connection that met an outage is closed, never kept.
            healthy = outage is None and not isinstance(
                exc, (DatabaseUnavailable, StorageUnavailable)
            )
        finally:
            # Whatever happened above (as the generator's `finally` did).
            try:
                self._store._kept_call_ended(healthy)
            finally:
                self._bound.__exit__(None, None, None)
        if outage is not None:
            raise outage from exc


class Store:
    """One database, with its units of work. Built once in `app.py` and given
    to every domain service; several may live in one process (binding.py).

    - `connection()`: one connection for a block (the mailer, the health
      check); the units of work inside reuse it;
    - `kept()`: the same for an RPC, on a connection its thread keeps for
      its next call (the transport's connection layer);
    - `read() as tx`: reads through `tx`'s repositories, no transaction;
    - `write() as tx`: one transaction that takes the write lock up front
      (`BEGIN IMMEDIATE` on SQLite), so a read-check-write sequence inside it
      can never interleave with another writer.
    """

    def __init__(self, database: peewee.Database) -> None:
        self.database = database
        self._work = UnitOfWork()
        self._on_open_connection = _OnOpenConnection(self._work)
        # SQLite has one write lock per file, and a writer that finds it taken
        # polls for it (busy_timeout: sleeps of 1 ms growing to 100 ms), so
        # under load a write's latency was mostly sleep past the moment the
        # lock came free, and a writer could starve past the timeout
        # (DATABASE_UNAVAILABLE). The threads of one process queue here
        # instead, each woken as the previous transaction ends; only other
        # processes (workers) still meet at SQLite's lock. Reentrant: a write
        # inside a write is a savepoint of the same transaction.
        self._sqlite_writer = threading.RLock()
        # The connections RPC threads keep between their calls (`kept()`):
        # raw connection -> its owner thread's state; `_busy` of them serve a
        # call now. close() ends them all, whichever thread holds them.
        self._kept_lock = threading.Lock()
        self._kept: dict[int, object] = {}
        self._busy = 0
        self._local = threading.local()
        # A pool recycles a connection past its stale_timeout when it is
        # handed back; a kept one is handed back after that long instead.
        stale = getattr(database, "_stale_timeout", None)
        self._keep_seconds = float(stale) if stale else None
        # Each connection to ":memory:" is a database of its own.
        self._keeps = getattr(database, "database", None) != ":memory:"

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(open_database(url, pooled=True))

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.database, peewee.SqliteDatabase)

    def connection(self) -> contextlib.AbstractContextManager[UnitOfWork]:
        """One connection for the duration of one RPC (reused when already open).

        A database that does not answer raises `DatabaseUnavailable` or
        `StorageUnavailable`, here or from the body. A connection that failed
        that way is closed, never handed back to the pool: it may be dead, and
        the next RPC gets a fresh one (or fails fast while the outage lasts).
        The models use this store's database for the block (binding.py).
        """
        if is_bound_to(self.database) and not self.database.is_closed():
            # Inside an RPC's kept() (or another connection block): nothing
            # to open or bind again.
            return self._on_open_connection
        return self._connected()

    @contextlib.contextmanager
    def _connected(self) -> Iterator[UnitOfWork]:
        with bound_to(self.database):
            if not self.database.is_closed():
                with _outages_typed():
                    yield self._work
                return
            with _outages_typed():
                self.database.connect()
            with self._settled_by(self._release) as tx:
                yield tx

    @contextlib.contextmanager
    def _settled_by(self, settle: Callable[[bool], None]) -> Iterator[UnitOfWork]:
        """The block's unit of work on the connection just taken, then
        `settle(healthy)`: healthy is False when the block met an outage, so
        the connection is closed rather than reused."""
        healthy = True
        try:
            with _outages_typed():
                yield self._work
        except (DatabaseUnavailable, StorageUnavailable):
            healthy = False
            raise
        finally:
            settle(healthy)

    def kept(self) -> contextlib.AbstractContextManager[UnitOfWork]:
        """`connection()` for a thread that serves one call after another (the
        RPC threads): the connection stays open in the thread after the block,
        for its next call, instead of going back to the pool and out again.

        Outages as in `connection()`: a connection that failed with one is
        closed, never kept; the thread's next call opens a fresh one. A
        transaction left open is rolled back after the block. A connection
        older than the pool's stale_timeout goes back to the pool (which
        recycles it) after its call. `close()` ends the kept connections.
        """
        if not self._keeps:
            return self.connection()
        # A class, not a generator: every RPC of our services enters it.
        return _KeptCall(self)

    def _open_kept(self) -> None:
        """At a kept call's start: this thread's connection, opened and
        registered when it has none, counted as serving a call."""
        database = self.database
        if database.is_closed():
            with _outages_typed():
                database.connect()
            raw = database.connection()
            local = self._local
            local.raw = raw
            local.until = (
                None if self._keep_seconds is None else time.monotonic() + self._keep_seconds
            )
            with self._kept_lock:
                self._kept[id(raw)] = raw
        with self._kept_lock:
            self._busy += 1

    def _kept_call_ended(self, healthy: bool) -> None:
        with self._kept_lock:
            self._busy -= 1
        self._settle(healthy)

    def _settle(self, healthy: bool) -> None:
        """After a kept connection's call: keep it, or let it go."""
        local = self._local
        raw = getattr(local, "raw", None)
        if raw is None or self.database.is_closed():
            return
        reusable = healthy and _reusable(raw)
        if reusable and (local.until is None or time.monotonic() < local.until):
            return
        with self._kept_lock:
            self._kept.pop(id(raw), None)
        local.raw = None
        self._release(reusable)

    def connections(self) -> tuple[int, int] | None:
        """(serving a call now, open and idle) of a pool and the kept
        connections; None when the database is no pool (nothing to report)."""
        in_use = getattr(self.database, "_in_use", None)
        idle = getattr(self.database, "_connections", None)
        if in_use is None or idle is None:
            return None
        with self._kept_lock:
            kept_idle = len(self._kept) - self._busy
        return len(in_use) - kept_idle, len(idle) + kept_idle

    def read(self) -> contextlib.AbstractContextManager[UnitOfWork]:
        """Reads on one connection, without a transaction of their own."""
        return self.connection()

    def _release(self, healthy: bool) -> None:
        try:
            if not healthy and isinstance(self.database, PooledDatabase):
                self.database.manual_close()
            else:
                self.database.close()
        except Exception as exc:
            # A broken connection may fail to close as well; it is gone either
            # way (peewee forgets it), and that must not fail a finished RPC.
            if outage_of(exc) is None:
                raise

    def ping(self) -> None:
        """One round trip that reads the database (the health check); raises
        `DatabaseUnavailable` or `StorageUnavailable` when it cannot."""
        # SQLite's SELECT 1 would not touch the file: read its schema page.
        query = "SELECT count(*) FROM sqlite_master" if self.is_sqlite else "SELECT 1"
        with self.connection():
            self.database.execute_sql(query).fetchall()

    @contextlib.contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """One transaction. A lost race surfaces as `ConcurrentModification`,
        which `retry_on_conflict` turns into a fresh attempt; a database that
        does not answer (or is full) as `DatabaseUnavailable` /
        `StorageUnavailable` (see `connection()`), which is not retried here:
        the caller retries, after its RetryInfo."""
        with self.connection() as tx:
            try:
                if self.is_sqlite:
                    # Bounded as SQLite's own wait is: a writer of another
                    # process holding the file must not queue this process's
                    # threads without end (each would wait a busy timeout).
                    deadline = time.monotonic() + _WRITER_WAIT_SECONDS
                    if not self._sqlite_writer.acquire(timeout=_WRITER_WAIT_SECONDS):
                        raise DatabaseUnavailable()
                    try:
                        with contextlib.ExitStack() as transaction:
                            self._begin_sqlite_write(transaction, deadline)
                            yield tx
                    finally:
                        self._sqlite_writer.release()
                else:
                    # READ COMMITTED plus explicit row locks and conditional
                    # updates where a rule must hold across processes.
                    with self.database.atomic():
                        yield tx
            except (peewee.OperationalError, peewee.InternalError) as exc:
                if is_retryable_conflict(exc):
                    raise ConcurrentModification() from exc
                raise

    def _begin_sqlite_write(self, transaction: contextlib.ExitStack, deadline: float) -> None:
        """Enters the write transaction (`BEGIN IMMEDIATE`), or its savepoint
        when one is open. The lock is asked for with SQLite's busy wait off
        and polled here instead (`_WRITE_LOCK_FIRST_WAIT`), until `deadline`:
        then the lock wait's own error, which `connection()` answers
        DATABASE_UNAVAILABLE, as SQLite's busy timeout would."""
        if self.database.in_transaction():
            transaction.enter_context(self.database.atomic("IMMEDIATE"))
            return
        raw = self.database.connection()
        raw.execute("PRAGMA busy_timeout = 0")
        wait = _WRITE_LOCK_FIRST_WAIT
        try:
            while True:
                try:
                    transaction.enter_context(self.database.atomic("IMMEDIATE"))
                    return
                except peewee.OperationalError as exc:
                    if not _lock_taken(exc) or time.monotonic() + wait > deadline:
                        raise
                time.sleep(wait)
                wait = min(2 * wait, _WRITE_LOCK_LONGEST_WAIT)
        finally:
            # Every other statement keeps SQLite's own wait (a reader meeting
            # a WAL recovery, a checkpoint).
            raw.execute(f"PRAGMA busy_timeout = {SQLITE_PRAGMAS['busy_timeout']}")

    def secret(self, name: str, size: int, now: dt.datetime) -> bytes:
        """The deployment's secret called `name`, made of `size` random bytes
        the first time (store/server_secrets.py)."""
        with self.read() as tx:
            found = tx.server_secrets.find(name)
        if found is not None:
            return found
        with self.write() as tx:
            return tx.server_secrets.create_once(name, size, now)

    def close(self) -> None:
        """Ends every connection: this thread's, the pool's and the ones RPC
        threads keep (after the server stopped: no call is using them)."""
        if not self.database.is_closed():
            self.database.close()
        with self._kept_lock:
            kept, self._kept = list(self._kept.values()), {}
        for raw in kept:
            with contextlib.suppress(Exception):
                raw.close()  # type: ignore[attr-defined]
        # A pool keeps connections after close(): end them too, so none is
        # inherited across a fork or left behind.
        close_all = getattr(self.database, "close_all", None)
        if close_all is not None:
            close_all()


def _reusable(raw: object) -> bool:
    """False for a connection that is broken; rolls back a transaction left open."""
    try:
        if isinstance(raw, sqlite3.Connection):
            if raw.in_transaction:
                raw.rollback()
            return True
        if isinstance(raw, psycopg.Connection):
            status = raw.info.transaction_status
            if status == psycopg.pq.TransactionStatus.UNKNOWN:
                return False
            if status != psycopg.pq.TransactionStatus.IDLE:
                raw.rollback()
            return True
    except Exception:
        return False
    return True


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
