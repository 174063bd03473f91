"""Two stores in one process each keep their own database: building or using
one never rebinds the models of the other, in one thread or in two."""

from __future__ import annotations

import datetime as dt
import pathlib
import threading
from collections.abc import Iterator

import pytest

from aspel.licensing.server.store.binding import NoStoreInUse
from aspel.licensing.server.store.database import Store, open_database
from aspel.licensing.server.store.migrate import migrate
from aspel.licensing.server.store.models import AuditEvent

from ..support.postgres import PostgresCluster

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


def _second_url(engine: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest) -> str:
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'second.db'}"
        migrate(open_database(url))
        return url
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    template: str = request.getfixturevalue("postgres_template")
    return cluster.url(cluster.create_database(template=template))


@pytest.fixture
def stores(
    database_url: str, engine: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Store, Store]]:
    first = Store.from_url(database_url)
    second = Store.from_url(_second_url(engine, tmp_path, request))  # built last
    yield first, second
    first.close()
    second.close()


def _record(store: Store, kind: str) -> None:
    with store.write() as tx:
        tx.audit.record(kind=kind, actor="test", now=NOW)


def _kinds(store: Store) -> list[str]:
    with store.read() as tx:
        return [e.kind for e in tx.audit.find_events(after_id=0, limit=1000)]


def test_two_stores_used_alternately_write_to_their_own_database(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    for i in range(3):
        _record(first, f"first.{i}")
        _record(second, f"second.{i}")
    assert _kinds(first) == ["first.0", "first.1", "first.2"]
    assert _kinds(second) == ["second.0", "second.1", "second.2"]


def test_a_store_used_inside_another_gives_the_models_back_after(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    _record(first, "first")
    _record(second, "second")
    with first.read():
        assert [e.kind for e in AuditEvent.select()] == ["first"]
        with second.read():
            assert [e.kind for e in AuditEvent.select()] == ["second"]
        assert [e.kind for e in AuditEvent.select()] == ["first"]


def test_two_threads_each_use_their_own_store(stores: tuple[Store, Store]) -> None:
    first, second = stores
    rounds = 20
    # Each thread writes, then waits for the other: the writes interleave.
    turn = threading.Barrier(2, timeout=10)
    failures: list[BaseException] = []

    def work(store: Store, name: str) -> None:
        try:
            for i in range(rounds):
                _record(store, f"{name}.{i}")
                turn.wait()
        except BaseException as exc:  # reported by the test below
            failures.append(exc)
            turn.abort()

    threads = [
        threading.Thread(target=work, args=(first, "first")),
        threading.Thread(target=work, args=(second, "second")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert failures == []
    assert _kinds(first) == [f"first.{i}" for i in range(rounds)]
    assert _kinds(second) == [f"second.{i}" for i in range(rounds)]


def test_a_model_outside_every_store_has_no_database(stores: tuple[Store, Store]) -> None:
    with pytest.raises(NoStoreInUse):
        AuditEvent.select().count()
