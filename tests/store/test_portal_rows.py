"""The portal's hot reads come back as plain rows (store/raw.py) holding the
values the models read, joins included, on both engines."""

from __future__ import annotations

import datetime as dt

from aspel.licensing.server.store.accounts import AccountRepository, AccountRow
from aspel.licensing.server.store.models import Account, Session, Subscription
from aspel.licensing.server.store.subscriptions import (
    SubscriptionRepository,
    SubscriptionRow,
    SubscriptionTerms,
)

NOW = dt.datetime(2026, 11, 23, 18, 0, 0, 123456, tzinfo=dt.UTC)


def _demo_rows(username: str) -> list[Subscription]:
    return list(
        Subscription.select()
        .join(Account)
        .where(Account.username == username)
        .order_by(Subscription.id)
    )


def _account_row(account: Account) -> AccountRow:
    return AccountRow(
        account.id,
        account.public_id,
        account.username,
        account.email,
        account.razon_social,
        account.disabled,
    )


def _expected(model: Subscription, predecessor_serial: str | None) -> SubscriptionRow:
    return SubscriptionRow(
        id=model.id,
        account_id=model.account_id,  # type: ignore[attr-defined]
        serial_number=model.serial_number,
        product_code=model.product_code,
        version=model.version,
        users=model.users,
        installations_allowed=model.installations_allowed,
        modality=model.modality,
        billing_period=model.billing_period,
        activation_date=model.activation_date,
        next_payment_date=model.next_payment_date,
        status=model.status,
        retire_date=model.retire_date,
        predecessor_serial_number=predecessor_serial,
        account=_account_row(model.account),
    )


def test_a_page_is_the_models_values_in_id_order_with_each_predecessor(demo) -> None:
    repository = SubscriptionRepository()
    models = _demo_rows("demo")
    first = models[0]
    successor = repository.create_subscription(
        serial_number="0" * 14 + "0", account_id=first.account_id,
        terms=SubscriptionTerms(first.product_code, "8.0", 1, 1, "SUBSCRIPTION", "MONTHLY"),
        activation_date=first.activation_date, next_payment_date=None, now=NOW,
        predecessor_id=first.id,
    )  # fmt: skip
    repository.supersede(first.id, dt.date(2026, 12, 31))
    models = _demo_rows("demo")
    expected = [_expected(m, first.serial_number if m.id == successor.id else None) for m in models]
    assert repository.list_for_account(first.account_id, 0, 100) == expected
    assert expected[0].retire_date == dt.date(2026, 12, 31)
    # Keyset pagination: after an id, at most `limit` rows.
    assert repository.list_for_account(first.account_id, models[0].id, 2) == expected[1:3]
    assert repository.find_for_account(first.account_id, successor.serial_number) == expected[-1]
    assert repository.successor_serials([first.id, successor.id]) == {
        first.id: successor.serial_number
    }
    # Another account's serial is not found (the account is bound, not ignored).
    other = _demo_rows("demo2")[0]
    assert repository.find_for_account(other.account_id, successor.serial_number) is None


def test_a_session_row_holds_its_times_aware_and_its_account(demo) -> None:
    account = Account.get(Account.username == "demo")
    repository = AccountRepository()
    created = repository.create_session(
        account_id=account.id,
        token_hash="h" * 64,
        now=NOW,
        expire_time=NOW + dt.timedelta(hours=12),
    )
    found = repository.find_session("h" * 64)
    assert found is not None
    assert (found.id, found.last_used_time, found.expire_time, found.end_time) == (
        created.id,
        NOW,
        NOW + dt.timedelta(hours=12),
        None,
    )
    assert found.last_used_time.tzinfo is dt.UTC
    assert found.account == _account_row(account)
    repository.end_session(created.id, NOW + dt.timedelta(minutes=5))
    repository.disable_account(account.id)
    ended = repository.find_session("h" * 64)
    assert ended is not None
    assert ended.end_time == Session.get_by_id(created.id).end_time == NOW + dt.timedelta(minutes=5)
    assert ended.account.disabled is True
    assert repository.find_session("x" * 64) is None
