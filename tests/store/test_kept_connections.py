"""An RPC thread keeps its connection from one call to the next (`Store.kept`),
with the outage rule of `Store.connection`: a connection that failed with an
outage is closed, never kept, and the thread's next call opens a fresh one. A
transaction left open does not survive the call, and `close()` ends the
connections every thread keeps. On SQLite, PostgreSQL and a PostgreSQL pool."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from aspel.licensing.server.errors import DatabaseUnavailable
from aspel.licensing.server.store.database import Store


@pytest.fixture(params=["plain", "pool"])
def store(database_url: str, engine: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "pool":
        if engine == "sqlite":
            pytest.skip("the server's SQLite store is always a pool")
        database_url = database_url.replace("postgresql:", "postgresql+pool:")
    built = Store.from_url(database_url)
    yield built
    built.close()


def _raw(store: Store) -> object:
    return store.database.connection()


def test_the_next_call_on_a_thread_uses_the_connection_of_the_last(store: Store) -> None:
    with store.kept():
        first = _raw(store)
    assert not store.database.is_closed()  # still open between the calls
    with store.kept(), store.read():
        assert _raw(store) is first


def test_a_connection_that_failed_with_an_outage_is_closed_and_the_next_call_gets_a_fresh_one(
    store: Store,
) -> None:
    with pytest.raises(DatabaseUnavailable), store.kept():
        failed = _raw(store)
        raise DatabaseUnavailable()
    assert store.database.is_closed()
    with store.kept():
        assert _raw(store) is not failed
        store.ping()


def test_a_transaction_left_open_is_rolled_back_after_the_call(store: Store) -> None:
    with store.kept():
        store.database.execute_sql("CREATE TABLE kept_probe (v INTEGER)")
    with store.kept():
        store.database.begin()
        store.database.execute_sql("INSERT INTO kept_probe (v) VALUES (1)")
    with store.kept():
        # Same connection: a transaction still open would show the row.
        assert store.database.execute_sql("SELECT count(*) FROM kept_probe").fetchone()[0] == 0


def test_close_ends_the_connections_other_threads_keep(store: Store) -> None:
    kept: list[object] = []

    def call() -> None:
        with store.kept():
            kept.append(_raw(store))

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(10)
    assert kept
    store.close()
    with pytest.raises(Exception):  # noqa: B017 (sqlite3 and psycopg differ)
        kept[0].cursor().execute("SELECT 1")  # type: ignore[attr-defined]


def test_the_connections_report_counts_a_kept_one_as_idle_between_calls(
    store: Store, engine: str
) -> None:
    if store.connections() is None:
        pytest.skip("no pool: nothing to report")
    with store.kept():
        assert store.connections() == (1, 0)
    assert store.connections() == (0, 1)
