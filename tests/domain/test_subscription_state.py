"""State is derived from the clock: a superseded serial goes INACTIVE the day
after its retire date, with no job to flip it."""

from __future__ import annotations

import datetime as dt

import pytest

from aspel.licensing.server.app import Services
from aspel.licensing.server.domain.auth import Caller
from aspel.licensing.server.store.models import Account, Subscription


def caller_for(services: Services, username: str) -> Caller:
    account = Account.get(Account.username == username)
    return Caller(account.id, account.public_id, 0, username)


def demo_serial(product: str, username: str = "demo") -> Subscription:
    return (
        Subscription.select()
        .join(Account)
        .where((Account.username == username) & (Subscription.product_code == product))
        .get()
    )


def upgrade(services: Services, caller: Caller, serial: str):  # type: ignore[no-untyped-def]
    terms = services.portal.get_upgrade_terms(caller, serial)
    return services.portal.accept_upgrade(caller, serial, terms.terms_id, None, "test")


def local_noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 18, 0, tzinfo=dt.UTC)


def test_superseded_serial_reads_inactive_the_day_after_its_retire_date(demo, clock) -> None:
    caller = caller_for(demo, "demo")
    sae = demo_serial("SAE")
    result = upgrade(demo, caller, sae.serial_number)
    retire = result.previous_subscription.retire_date
    assert retire == sae.next_payment_date

    clock.set(local_noon(retire))
    assert demo.portal.get_subscription(caller, sae.serial_number).state == "SUPERSEDED"

    clock.set(local_noon(retire + dt.timedelta(days=1)))
    assert demo.portal.get_subscription(caller, sae.serial_number).state == "INACTIVE"
    # The new serial's payment fell on the same day, unpaid: overdue, not inactive.
    assert demo.portal.get_subscription(caller, result.subscription.serial_number).state == (
        "OVERDUE"
    )


def test_retire_day_ends_at_midnight_in_the_business_time_zone(demo, clock) -> None:
    caller = caller_for(demo, "demo")
    result = upgrade(demo, caller, demo_serial("SAE").serial_number)
    retire = result.previous_subscription.retire_date
    # 23:30 in Mexico City on the retire date is 05:30 UTC the next day: still usable.
    late_evening = dt.datetime(retire.year, retire.month, retire.day, 23, 30)
    clock.set((late_evening + dt.timedelta(hours=6)).replace(tzinfo=dt.UTC))
    assert demo.portal.get_subscription(
        caller, result.previous_subscription.serial_number
    ).state == ("SUPERSEDED")


def test_new_serial_keeps_users_modality_period_and_next_payment(demo) -> None:
    caller = caller_for(demo, "demo")
    caja = demo_serial("CAJA")
    result = upgrade(demo, caller, caja.serial_number)
    new = result.subscription
    assert (new.version, new.users, new.modality, new.billing_period) == (
        "5.0",
        caja.users,
        caja.modality,
        caja.billing_period,
    )
    assert new.next_payment_date == caja.next_payment_date
    assert new.predecessor_serial_number == caja.serial_number
    assert result.previous_subscription.successor_serial_number == new.serial_number


@pytest.mark.parametrize(
    ("product", "upgrade_available", "available_version"),
    [("SAE", True, "8.0"), ("CAJA", True, "5.0"), ("COI", False, "10.0"), ("NOI", False, None)],
)
def test_plan_column_tells_which_serials_can_upgrade_for_free(
    demo, product: str, upgrade_available: bool, available_version: str | None
) -> None:
    view = demo.portal.get_subscription(
        caller_for(demo, "demo"), demo_serial(product).serial_number
    )
    assert view.upgrade_available is upgrade_available
    assert view.available_version == available_version


def test_upgraded_serial_no_longer_offers_an_upgrade(demo) -> None:
    caller = caller_for(demo, "demo")
    result = upgrade(demo, caller, demo_serial("SAE").serial_number)
    assert result.previous_subscription.upgrade_available is False
    assert result.previous_subscription.available_version is None
    assert result.subscription.upgrade_available is False
