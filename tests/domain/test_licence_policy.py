"""The grace policy and OVERDUE's boundaries, as pure rules (no server)."""

from __future__ import annotations

import datetime as dt
import pathlib
from types import SimpleNamespace
from typing import Any

import pytest

from aspel.licensing.server.app import build_services
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.licence_policy import GracePolicy, licence_terms
from aspel.licensing.server.domain.signing import generate_key_file
from aspel.licensing.server.domain.subscriptions import current_state
from aspel.licensing.server.settings import Settings, SettingsError
from aspel.licensing.server.store.database import Store
from aspel.licensing.server.store.migrate import migrate

from ..conftest import START

TODAY = dt.date(2026, 11, 23)
DAY = dt.timedelta(days=1)


def row(**fields: Any) -> Any:
    values = {
        "status": "ACTIVE",
        "modality": "SUBSCRIPTION",
        "next_payment_date": TODAY,
        "retire_date": None,
        **fields,
    }
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"next_payment_date": TODAY}, "ACTIVE"),  # due today: paid by the end of the day
        ({"next_payment_date": TODAY - DAY}, "OVERDUE"),  # due yesterday: overdue from today
        ({"next_payment_date": None}, "ACTIVE"),
        ({"modality": "PERPETUAL_LICENSE", "next_payment_date": TODAY - DAY}, "ACTIVE"),
        ({"status": "SUSPENDED", "next_payment_date": TODAY - DAY}, "SUSPENDED"),
        (
            {"status": "SUPERSEDED", "next_payment_date": TODAY - DAY, "retire_date": TODAY},
            "SUPERSEDED",
        ),
        (
            {"status": "SUPERSEDED", "next_payment_date": TODAY - DAY, "retire_date": TODAY - DAY},
            "INACTIVE",
        ),
    ],
)
def test_overdue_is_derived_from_the_payment_date_and_yields_to_other_states(
    fields: dict[str, Any], state: str
) -> None:
    assert current_state(row(**fields), TODAY) == state


def test_grace_per_modality_and_a_superseded_serial_capped_at_its_retire_date() -> None:
    policy = GracePolicy()
    expire = START + 10 * DAY
    common: dict[str, Any] = {"expire_time": expire, "next_payment_date": None, "end_of_day": None}

    subscription = licence_terms(
        policy, state="ACTIVE", modality="SUBSCRIPTION", retire_end=None, **common
    )
    perpetual = licence_terms(
        policy, state="ACTIVE", modality="PERPETUAL_LICENSE", retire_end=None, **common
    )
    superseded = licence_terms(
        policy, state="SUPERSEDED", modality="SUBSCRIPTION", retire_end=expire + DAY, **common
    )

    assert subscription.grace_end_time == expire + 7 * DAY
    assert perpetual.grace_end_time == expire + 30 * DAY
    assert superseded.grace_end_time == expire + DAY
    assert all(t.read_only_access and not t.payment_overdue for t in (subscription, perpetual))


def test_an_overdue_licence_ends_with_the_overdue_grace() -> None:
    policy = GracePolicy(subscription_grace=3 * DAY)
    assert policy.overdue_grace_end_date(TODAY) == TODAY + 3 * DAY
    end = START + 2 * DAY

    terms = licence_terms(
        policy,
        state="OVERDUE",
        modality="SUBSCRIPTION",
        expire_time=START + 30 * DAY,
        next_payment_date=TODAY - DAY,
        retire_end=None,
        end_of_day=end,
    )

    assert (terms.expire_time, terms.grace_end_time) == (end, end)
    assert terms.payment_overdue and terms.read_only_access
    assert not terms.read_only_now(end - dt.timedelta(seconds=1))
    assert terms.read_only_now(end)


def test_the_grace_days_are_settings_with_ranges(tmp_path: pathlib.Path) -> None:
    settings = Settings.from_env(
        {
            "ASPEL_LICENSING_SUBSCRIPTION_GRACE_DAYS": "3",
            "ASPEL_LICENSING_PERPETUAL_GRACE_DAYS": "0",
        }
    )
    assert (settings.subscription_grace_days, settings.perpetual_grace_days) == (3, 0)
    for name, value in (
        ("ASPEL_LICENSING_SUBSCRIPTION_GRACE_DAYS", "91"),
        ("ASPEL_LICENSING_PERPETUAL_GRACE_DAYS", "-1"),
        ("ASPEL_LICENSING_SUBSCRIPTION_GRACE_DAYS", "siete"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})

    keys = tmp_path / "keys.json"
    generate_key_file(keys, START)
    store = Store.from_url("sqlite:///:memory:")
    with store.database.connection_context(), store.connection():
        migrate(store.database)
        wired = build_services(
            Settings(
                database_url="sqlite:///:memory:",
                signing_key_file=str(keys),
                subscription_grace_days=3,
                perpetual_grace_days=0,
            ),
            FixedClock(START),
            store=store,
        )
        assert wired.activation.policy.grace == GracePolicy(3 * DAY, dt.timedelta(0))
    store.close()
