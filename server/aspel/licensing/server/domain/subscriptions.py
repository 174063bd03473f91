"""What a customer sees of their serials: state, upgrade availability, lineage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..store.models import Release, Subscription
from ..store.unit_of_work import UnitOfWork
from .products import product_name, version_key
from .states import ACTIVE, INACTIVE, OVERDUE, SUBSCRIPTION, SUPERSEDED


@dataclass(frozen=True)
class SubscriptionView:
    serial_number: str
    product_code: str
    product_name: str
    version: str
    users: int
    activation_date: dt.date
    next_payment_date: dt.date | None
    modality: str
    billing_period: str | None
    state: str
    upgrade_available: bool
    available_version: str | None
    successor_serial_number: str | None
    predecessor_serial_number: str | None
    retire_date: dt.date | None
    installations_allowed: int


def current_state(row: Subscription, today: dt.date) -> str:
    """INACTIVE is the passing of a superseded serial's retire date, OVERDUE the
    passing of an active subscription's next payment date (a payment due
    yesterday is overdue from today): no job flips either. A recorded payment
    moves the next payment date, and with it the state, back to ACTIVE.
    SUPERSEDED and SUSPENDED win over OVERDUE: their own rules already limit
    the serial."""
    if row.status == SUPERSEDED and row.retire_date is not None and today > row.retire_date:
        return INACTIVE
    if (
        row.status == ACTIVE
        and row.modality == SUBSCRIPTION
        and row.next_payment_date is not None
        and today > row.next_payment_date
    ):
        return OVERDUE
    return str(row.status)


def newest_upgrade(row: Subscription, releases: Sequence[Release]) -> Release | None:
    """The newest release of the serial's product that lists its version as a source."""
    candidates = [
        r
        for r in releases
        if r.product_code == row.product_code
        and version_key(r.version) > version_key(row.version)
        and row.version in r.upgrade_from
    ]
    return max(candidates, key=lambda r: version_key(r.version), default=None)


def to_view(
    row: Subscription,
    today: dt.date,
    releases: Sequence[Release],
    successor_serial: str | None,
) -> SubscriptionView:
    state = current_state(row, today)
    target = newest_upgrade(row, releases) if successor_serial is None else None
    predecessor = getattr(row, "predecessor_row", None)
    return SubscriptionView(
        serial_number=row.serial_number,
        product_code=row.product_code,
        product_name=product_name(row.product_code),
        version=row.version,
        users=row.users,
        activation_date=row.activation_date,
        next_payment_date=row.next_payment_date,
        modality=row.modality,
        billing_period=row.billing_period,
        state=state,
        upgrade_available=(target is not None and state == ACTIVE and row.modality == SUBSCRIPTION),
        available_version=target.version if target is not None else None,
        successor_serial_number=successor_serial,
        predecessor_serial_number=predecessor.serial_number if predecessor else None,
        retire_date=row.retire_date,
        installations_allowed=row.installations_allowed,
    )


def views_of(
    tx: UnitOfWork, rows: Sequence[Subscription], today: dt.date
) -> list[SubscriptionView]:
    """Views of many rows with two more queries in all (successors, releases)."""
    successors = tx.subscriptions.successor_serials(r.id for r in rows)
    releases = tx.catalog.releases_of(r.product_code for r in rows)
    return [to_view(r, today, releases, successors.get(r.id)) for r in rows]
