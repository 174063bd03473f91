"""The threads of one process take turns at SQLite's write lock in the Store
(store/database.py) instead of meeting at it: with SQLite's own wait turned
off, concurrent write transactions still all commit."""

from __future__ import annotations

import contextlib
import pathlib
import threading
from collections.abc import Iterator

import pytest

from aspel.licensing.server.errors import DatabaseUnavailable
from aspel.licensing.server.store import database
from aspel.licensing.server.store.database import Store


@contextlib.contextmanager
def write_held(store: Store, sql: str | None = None) -> Iterator[None]:
    """A write transaction of `store` (running `sql`) held open by another
    thread for the block, committed after it."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.write():
            if sql is not None:
                store.database.execute_sql(sql)
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(30)
        yield
    finally:
        release.set()
        thread.join()


def test_concurrent_writers_of_one_process_queue_for_the_write_lock(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No busy wait at all: a BEGIN IMMEDIATE that meets another writer fails.
    monkeypatch.setitem(database.SQLITE_PRAGMAS, "busy_timeout", 0)
    store = Store.from_url(f"sqlite:///{tmp_path / 'writers.db'}")
    with store.write():
        store.database.execute_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, thread INTEGER)")
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(number: int) -> None:
        start.wait()
        for _ in range(20):
            try:
                with store.write():
                    store.database.execute_sql("INSERT INTO t (thread) VALUES (?)", (number,))
            except Exception as error:  # counted: the assertion names them
                failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.read():
        (count,) = store.database.execute_sql("SELECT count(*) FROM t").fetchone()
    store.close()
    assert failures == []
    assert count == 160


def test_a_writer_queued_past_the_busy_timeout_is_answered_unavailable(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As SQLite's own wait would end: the thread is freed, nothing was written.
    monkeypatch.setattr(database, "_WRITER_WAIT_SECONDS", 0.05)
    store = Store.from_url(f"sqlite:///{tmp_path / 'writers.db'}")
    with write_held(store), pytest.raises(DatabaseUnavailable), store.write():
        pytest.fail("the write lock was held by the other thread")
    with store.write():  # free again
        pass
    store.close()


def _two_stores(path: pathlib.Path) -> tuple[Store, Store]:
    """Two stores on one file: each has its own writer queue, so they meet at
    SQLite's write lock as two worker processes do."""
    first = Store.from_url(f"sqlite:///{path}")
    with first.write():
        first.database.execute_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
    return first, Store.from_url(f"sqlite:///{path}")


def _write_as(store: Store, who: str) -> None:
    with store.write():
        store.database.execute_sql("INSERT INTO t (who) VALUES (?)", (who,))


def _busy_timeout(store: Store) -> int:
    with store.connection():
        return int(store.database.execute_sql("PRAGMA busy_timeout").fetchone()[0])


def test_a_writer_polls_for_the_lock_another_process_holds_then_commits_after_it(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, waiter = _two_stores(tmp_path / "writers.db")
    waits: list[float] = []
    sleep = database.time.sleep

    def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        sleep(seconds)

    monkeypatch.setattr(database.time, "sleep", recorded_sleep)
    waiting = threading.Thread(target=_write_as, args=(waiter, "waiter"))
    with write_held(holder, "INSERT INTO t (who) VALUES ('holder')"):
        waiting.start()
        for _ in range(30_000):  # until it met the lock and polls for it
            if waits:
                break
            sleep(0.001)
    waiting.join()
    with waiter.connection():
        order = [r[0] for r in waiter.database.execute_sql("SELECT who FROM t ORDER BY id")]
    assert order == ["holder", "waiter"]
    # It waited in its own steps, none longer than the longest, not in SQLite's.
    assert waits and max(waits) <= database._WRITE_LOCK_LONGEST_WAIT
    assert waits[0] == database._WRITE_LOCK_FIRST_WAIT
    # Every other statement keeps SQLite's own wait.
    assert _busy_timeout(waiter) == database.SQLITE_BUSY_TIMEOUT_MS
    holder.close()
    waiter.close()


def test_a_lock_held_elsewhere_past_the_wait_is_answered_unavailable(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "_WRITER_WAIT_SECONDS", 0.05)
    holder, waiter = _two_stores(tmp_path / "writers.db")
    with write_held(holder), pytest.raises(DatabaseUnavailable), waiter.write():
        pytest.fail("the write lock was held by the other store")
    assert _busy_timeout(waiter) == database.SQLITE_BUSY_TIMEOUT_MS
    with waiter.write():  # free again
        waiter.database.execute_sql("INSERT INTO t (who) VALUES ('waiter')")
    holder.close()
    waiter.close()
