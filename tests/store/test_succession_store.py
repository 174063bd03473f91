"""A succession's writes (store/subscriptions.py, store/outbox.py: the successor
serial, the old one superseded, the upgrade email) are raw SQL; they store what
peewee's own insert and update stored, and refuse as before, on both engines.
Both rows are read back as the portal's plain rows."""

from __future__ import annotations

import datetime as dt

import pytest

from aspel.licensing.server.domain.states import (
    ACTIVE,
    PENDING,
    PERPETUAL_LICENSE,
    SUBSCRIPTION,
    SUPERSEDED,
)
from aspel.licensing.server.errors import ConcurrentModification
from aspel.licensing.server.store.models import Account, OutboxMessage, Subscription
from aspel.licensing.server.store.outbox import OutboxRepository
from aspel.licensing.server.store.subscriptions import SubscriptionRepository, SubscriptionTerms

from ..support.queries import counting_queries
from ..support.stored import stored_row

# Not UTC, with microseconds: stored as naive UTC, as UtcDateTimeField writes it.
_LOCAL = dt.datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
_REPOSITORY = SubscriptionRepository()
_TERMS = SubscriptionTerms("SAE", "8.0", 3, 2, SUBSCRIPTION, "MONTHLY")
_PERPETUAL = SubscriptionTerms("COI", "10.0", 1, 1, PERPETUAL_LICENSE, None)


def _serials(username: str) -> list[Subscription]:
    return list(
        Subscription.select()
        .join(Account)
        .where(Account.username == username)
        .order_by(Subscription.id)
    )


def _successor_values(old: Subscription, serial_number: str, **changes: object) -> dict:
    """What the repository is given for a successor of `old`."""
    return {
        "serial_number": serial_number,
        "account_id": old.account_id,  # type: ignore[attr-defined]
        "terms": _TERMS,
        "activation_date": dt.date(2026, 12, 3),
        "next_payment_date": dt.date(2027, 1, 3),
        "predecessor_id": old.id,
        "accepted_terms_id": "terms_Ñ1",
        "now": _LOCAL,
        **changes,
    }


def _as_create_takes(values: dict) -> dict:
    """The same row as `Subscription.create`'s keywords (it fills the default status)."""
    terms = values["terms"]
    return {
        "serial_number": values["serial_number"],
        "account": values["account_id"],
        **{name: getattr(terms, name) for name in SubscriptionTerms.__dataclass_fields__},
        "activation_date": values["activation_date"],
        "next_payment_date": values["next_payment_date"],
        "predecessor": values["predecessor_id"],
        "accepted_terms_id": values["accepted_terms_id"],
        "create_time": values["now"],
    }


@pytest.mark.parametrize(
    "changes",
    [{}, {"terms": _PERPETUAL, "next_payment_date": None, "accepted_terms_id": None}],
    ids=["subscription", "perpetual"],
)
def test_a_successor_stores_what_subscription_create_stores(demo, changes) -> None:
    first, second = _serials("demo")[:2]
    by_peewee = _successor_values(first, "P" * 15, **changes)
    by_raw = _successor_values(second, "R" * 15, **changes)
    with demo.store.write():
        peewee_id = Subscription.create(**_as_create_takes(by_peewee)).id
        answered = _REPOSITORY.create_subscription(**by_raw)
    unique = ("serial_number", "predecessor_id")
    assert stored_row("subscription", answered.id, *unique) == stored_row(
        "subscription", peewee_id, *unique
    )
    back = Subscription.get_by_id(answered.id)
    # Answered as Model.create would: the values given (not the NULL columns), the id.
    assert answered.__data__ == {k: back.__data__[k] for k in answered.__data__}
    assert (back.status, back.predecessor_id, back.create_time) == (ACTIVE, second.id, _LOCAL)
    assert back.create_time.tzinfo is dt.UTC


def test_a_refused_successor_is_a_concurrent_modification_and_the_transaction_goes_on(
    demo,
) -> None:
    first, second = _serials("demo")[:2]
    with demo.store.write():
        made = _REPOSITORY.create_subscription(**_successor_values(first, "A" * 15))
        with pytest.raises(ConcurrentModification):  # first has its successor already
            _REPOSITORY.create_subscription(**_successor_values(first, "B" * 15))
        with pytest.raises(ConcurrentModification):  # the serial is taken
            _REPOSITORY.create_subscription(**_successor_values(second, "A" * 15))
        after = _REPOSITORY.create_subscription(**_successor_values(second, "C" * 15))
    successors = {row.predecessor_id: row.id for row in Subscription.select() if row.predecessor_id}
    assert successors == {first.id: made.id, second.id: after.id}


def test_only_postgresql_takes_a_savepoint_for_a_successor(demo) -> None:
    first = _serials("demo")[0]
    with demo.store.write(), counting_queries(control=True) as statements:
        _REPOSITORY.create_subscription(**_successor_values(first, "S" * 15))
    savepoints = [s for s in statements if s.lstrip().upper().startswith("SAVEPOINT")]
    assert len(savepoints) == (0 if demo.store.is_sqlite else 1), statements


def test_superseding_retires_an_active_serial_once(demo) -> None:
    first, second = _serials("demo")[:2]
    with demo.store.write():
        Subscription.update(status=SUPERSEDED, retire_date=dt.date(2026, 12, 31)).where(
            Subscription.id == second.id
        ).execute()
        _REPOSITORY.supersede(first.id, dt.date(2026, 12, 31))
        with pytest.raises(ConcurrentModification):  # not ACTIVE any more
            _REPOSITORY.supersede(first.id, dt.date(2027, 1, 31))
    by_peewee, by_raw = stored_row("subscription", second.id), stored_row("subscription", first.id)
    assert (by_raw["status"], by_raw["retire_date"]) == (
        by_peewee["status"],
        by_peewee["retire_date"],
    )
    back = Subscription.get_by_id(first.id)
    assert (back.status, back.retire_date) == (SUPERSEDED, dt.date(2026, 12, 31))


def test_an_email_is_queued_as_outbox_message_create_queued_it(demo) -> None:
    payload = {"z": "Ñandú", "username": "demo", "a": {"b": [1, 2]}}
    with demo.store.write() as tx:
        by_peewee = OutboxMessage.create(
            message_id="<peewee@example.com>",
            kind="upgrade_notification",
            recipient="demo@example.com",
            payload=payload,
            next_attempt_time=_LOCAL,
            create_time=_LOCAL,
        )
        answered = OutboxRepository().enqueue(
            kind="upgrade_notification", recipient="demo@example.com", payload=payload, now=_LOCAL
        )
    assert stored_row("outbox_message", answered.id, "message_id") == stored_row(
        "outbox_message", by_peewee.id, "message_id"
    )
    back = OutboxMessage.get_by_id(answered.id)
    assert answered.__data__ == {k: back.__data__[k] for k in answered.__data__}
    assert (back.state, back.attempts, back.payload) == (PENDING, 0, payload)
    with demo.store.write() as tx:
        claimed = tx.outbox.claim_next(now=_LOCAL, claim_for=dt.timedelta(minutes=1))
    assert claimed is not None and claimed.id == by_peewee.id  # the older of the two


def test_a_serial_by_id_is_the_portals_row_of_it(demo) -> None:
    first = _serials("demo")[0]
    with demo.store.write():
        successor = _REPOSITORY.create_subscription(**_successor_values(first, "N" * 15))
        _REPOSITORY.supersede(first.id, dt.date(2026, 12, 31))
    for row_id, serial_number in ((first.id, first.serial_number), (successor.id, "N" * 15)):
        row = _REPOSITORY.get_by_id(row_id)
        assert row == _REPOSITORY.find_for_account(row.account_id, serial_number)
    assert _REPOSITORY.get_by_id(successor.id).predecessor_serial_number == first.serial_number
    assert _REPOSITORY.get_by_id(first.id).status == SUPERSEDED
    with pytest.raises(LookupError):
        _REPOSITORY.get_by_id(successor.id + 1000)
