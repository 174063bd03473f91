"""A transaction that loses a race is recognised, retried a bounded number of
times, and then surfaces as ConcurrentModification (ABORTED)."""

from __future__ import annotations

import threading
import time

import peewee
import pytest

from aspel.licensing.server.errors import ConcurrentModification
from aspel.licensing.server.store.database import (
    Store,
    is_retryable_conflict,
    open_database,
    retry_on_conflict,
)


def test_retry_runs_the_work_again_after_a_lost_race() -> None:
    calls = []

    @retry_on_conflict(attempts=3, base_delay=0)
    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConcurrentModification()
        return "done"

    assert work() == "done"
    assert len(calls) == 3


def test_retry_gives_up_after_the_bound() -> None:
    calls = []

    @retry_on_conflict(attempts=4, base_delay=0)
    def work() -> None:
        calls.append(1)
        raise ConcurrentModification()

    with pytest.raises(ConcurrentModification):
        work()
    assert len(calls) == 4


def test_other_errors_are_not_retried() -> None:
    calls = []

    @retry_on_conflict(attempts=4, base_delay=0)
    def work() -> None:
        calls.append(1)
        raise ValueError("not a race")

    with pytest.raises(ValueError):
        work()
    assert len(calls) == 1


@pytest.fixture
def pg_url(postgres_cluster) -> str:  # type: ignore[no-untyped-def]
    url = postgres_cluster.url(postgres_cluster.create_database())
    setup = open_database(url)
    with setup.connection_context():
        setup.execute_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
        setup.execute_sql("INSERT INTO t VALUES (1, 0), (2, 0)")
    return str(url)


def test_postgres_serialization_failure_is_recognised(pg_url: str) -> None:
    first, second = open_database(pg_url), open_database(pg_url)
    with first.connection_context(), second.connection_context():
        first.execute_sql("BEGIN ISOLATION LEVEL SERIALIZABLE")
        first.execute_sql("SELECT v FROM t").fetchall()
        second.execute_sql("UPDATE t SET v = 1 WHERE id = 1")
        with pytest.raises(peewee.DatabaseError) as lost:
            first.execute_sql("UPDATE t SET v = 2 WHERE id = 1")
        first.execute_sql("ROLLBACK")
    assert is_retryable_conflict(lost.value)


def test_postgres_deadlock_inside_a_write_becomes_concurrent_modification(pg_url: str) -> None:
    store = Store(open_database(pg_url))
    other = open_database(pg_url)
    first_locked, second_locked = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def store_side() -> None:
        try:
            with store.write():
                store.database.execute_sql("SELECT v FROM t WHERE id = 1 FOR UPDATE")
                first_locked.set()
                second_locked.wait(10)
                store.database.execute_sql("SELECT v FROM t WHERE id = 2 FOR UPDATE")
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=store_side)
    thread.start()
    with other.connection_context():
        other.execute_sql("BEGIN")
        other.execute_sql("SELECT v FROM t WHERE id = 2 FOR UPDATE")
        first_locked.wait(10)
        second_locked.set()
        time.sleep(0.2)  # let the store side wait first: it then detects the deadlock
        try:
            other.execute_sql("SELECT v FROM t WHERE id = 1 FOR UPDATE")
        except peewee.DatabaseError as exc:
            outcome.append(exc)
        other.execute_sql("ROLLBACK")
    thread.join(30)
    # The side that waited first runs the deadlock check and is the one aborted.
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConcurrentModification)
    assert is_retryable_conflict(outcome[0].__cause__)  # type: ignore[arg-type]
