"""Prepared SELECTs (the hot reads) build their SQL once and return the same
rows, joins included, as the plain peewee query, on both engines."""

from __future__ import annotations

import peewee
import pytest

from aspel.licensing.server.store.database import Store, open_database
from aspel.licensing.server.store.models import Account, Subscription
from aspel.licensing.server.store.prepared import PreparedSelect


def _demo_rows(username: str) -> list[Subscription]:
    return list(
        Subscription.select()
        .join(Account)
        .where(Account.username == username)
        .order_by(Subscription.id)
    )


def test_the_query_is_built_once_and_bound_anew_on_each_call(demo) -> None:
    built = []

    def build(account_id: int, after_id: int, limit: int) -> peewee.ModelSelect:
        built.append((account_id, after_id, limit))
        return (
            Subscription.select()
            .where((Subscription.account == account_id) & (Subscription.id > after_id))
            .order_by(Subscription.id)
            .limit(limit)
        )

    prepared = PreparedSelect(build)
    rows = _demo_rows("demo")
    account_id = rows[0].account_id
    assert [r.id for r in prepared.rows(account_id, 0, 10)] == [r.id for r in rows]
    assert [r.id for r in prepared.rows(account_id, rows[0].id, 2)] == [r.id for r in rows[1:3]]
    other = _demo_rows("demo2")
    assert [r.id for r in prepared.rows(other[0].account_id, 0, 10)] == [r.id for r in other]
    assert len(built) == 1  # once, with stand-ins, never with the real values


def test_in_lists_of_different_lengths_each_get_their_own_sql(demo) -> None:
    prepared = PreparedSelect(
        lambda *ids: Subscription.select().where(Subscription.id.in_(list(ids)))
    )
    ids = [r.id for r in _demo_rows("demo")]
    assert {r.id for r in prepared.rows(*ids[:1])} == set(ids[:1])
    assert {r.id for r in prepared.rows(*ids)} == set(ids)


def test_arguments_must_be_ints_or_strings(demo) -> None:
    prepared = PreparedSelect(lambda when: Subscription.select().where(Subscription.id == when))
    with pytest.raises(TypeError):
        prepared.rows(1.5)


def test_the_sql_follows_the_engine_of_the_bound_database(database_url, tmp_path) -> None:
    """A prepared query compiled for one engine is not reused on another."""
    prepared = PreparedSelect(lambda username: Account.select().where(Account.username == username))
    sqlite_url = f"sqlite:///{tmp_path / 'other.db'}"
    from aspel.licensing.server.store.migrate import migrate

    migrate(open_database(sqlite_url))
    for url in (database_url, sqlite_url):
        store = Store.from_url(url)
        with store.connection():
            assert prepared.rows("nobody") == []
        store.close()
