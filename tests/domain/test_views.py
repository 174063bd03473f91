"""Views and terms read from rows by field name (domain/views.py, store/subscriptions.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, dataclass
from types import SimpleNamespace

import pytest

from aspel.licensing.server.domain.views import view_of
from aspel.licensing.server.store.accounts import AccountRow
from aspel.licensing.server.store.subscriptions import SubscriptionRow, SubscriptionTerms


@dataclass(frozen=True)
class _View:
    name: str
    size: int
    tags: tuple[str, ...]


def test_a_view_copies_the_same_named_attributes_and_takes_the_given_ones() -> None:
    row = SimpleNamespace(name="a", size=3, tags=["x"], other="ignored")
    assert view_of(_View, row, tags=tuple(row.tags)) == _View("a", 3, ("x",))


def test_a_field_the_row_lacks_must_be_given() -> None:
    with pytest.raises(AttributeError):
        view_of(_View, SimpleNamespace(name="a", size=3))


def test_the_terms_of_a_portal_row_are_plain_terms_without_its_other_columns() -> None:
    # create_subscription inserts the terms' fields: a row passed as terms
    # must not bring its id, serial or account along.
    terms = SubscriptionTerms("SAE", "8.0", 2, 3, "SUBSCRIPTION", "MONTHLY")
    row = SubscriptionRow(
        *astuple(terms),
        id=7,
        account_id=1,
        serial_number="ABCDE12345FGH7K",
        activation_date=dt.date(2026, 1, 5),
        next_payment_date=None,
        status="ACTIVE",
        retire_date=None,
        predecessor_serial_number=None,
        account=AccountRow(1, "acc_1", "demo", "demo@example.com", "Demo", False),
    )
    assert SubscriptionTerms.of(row) == terms
    assert type(SubscriptionTerms.of(row)) is SubscriptionTerms
