"""What a customer sees of their serials: state, upgrade availability, lineage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .. import errors
from ..store.catalog import ReleaseRow
from ..store.models import Subscription
from ..store.subscriptions import AnySubscription, SubscriptionRow
from ..store.unit_of_work import UnitOfWork
from . import serials
from .products import product_name, version_key
from .states import ACTIVE, INACTIVE, OVERDUE, SUBSCRIPTION, SUPERSEDED
from .views import view_of


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
    #: The portal's "Plan actualizado", decided once by `plan_offer`.
    plan_status: str


def audit_serial(
    tx: UnitOfWork,
    row: AnySubscription,
    kind: str,
    *,
    actor: str,
    peer: str | None,
    detail: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    """An audit event about the serial `row` (and so about its account), in `tx`."""
    tx.audit.record(
        kind=kind,
        actor=actor,
        peer=peer,
        account_public_id=row.account.public_id,
        serial_number=row.serial_number,
        detail=detail,
        now=now,
    )


class StatedSerial(Protocol):
    """What the state of a serial is derived from: a Subscription, or a plain
    row of the hot reads (store/activations.py SerialRow)."""

    @property
    def status(self) -> str: ...
    @property
    def modality(self) -> str: ...
    @property
    def next_payment_date(self) -> dt.date | None: ...
    @property
    def retire_date(self) -> dt.date | None: ...


def current_state(row: StatedSerial, today: dt.date) -> str:
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


def newest_upgrade(row: AnySubscription, releases: Sequence[ReleaseRow]) -> ReleaseRow | None:
    """The newest release of the serial's product that lists its version as a source."""
    candidates = [
        r
        for r in releases
        if r.product_code == row.product_code
        and version_key(r.version) > version_key(row.version)
        and row.version in r.upgrade_from
    ]
    return max(candidates, key=lambda r: version_key(r.version), default=None)


# What `plan_offer` can say of a serial (the proto's PlanStatus names them).
UP_TO_DATE = "UP_TO_DATE"
UPGRADE_AVAILABLE = "UPGRADE_AVAILABLE"
UPGRADE_REQUIRES_PURCHASE = "UPGRADE_REQUIRES_PURCHASE"
NOT_APPLICABLE = "NOT_APPLICABLE"


@dataclass(frozen=True)
class PlanOffer:
    """Whether a serial's plan is up to date ("Plan actualizado") and, when
    not, the version waiting for it and whether it is free or bought."""

    status: str
    version: str | None


def newest_release_after(row: AnySubscription, releases: Sequence[ReleaseRow]) -> ReleaseRow | None:
    """The newest release of the serial's product above its version, free or not."""
    newer = [
        r
        for r in releases
        if r.product_code == row.product_code and version_key(r.version) > version_key(row.version)
    ]
    return max(newer, key=lambda r: version_key(r.version), default=None)


def plan_offer(
    row: AnySubscription, state: str, releases: Sequence[ReleaseRow], has_successor: bool
) -> PlanOffer:
    """The one rule of "Plan actualizado", behind Subscription.plan_status,
    upgrade_available and available_version, GetUpgradeTerms' refusals and
    the CLI's column. A subscriber moves for free to the newest release that
    lists its version; anyone else (a perpetual licence, or a subscriber
    whose version no release lists) buys the newest release. Only a serial
    with neither is up to date. A serial already replaced, or not ACTIVE,
    has no plan to update (NOT_APPLICABLE), though a suspended one still
    names the version it could move to."""
    if has_successor:
        return PlanOffer(NOT_APPLICABLE, None)
    free = newest_upgrade(row, releases) if row.modality == SUBSCRIPTION else None
    bought = newest_release_after(row, releases)
    target = free or bought
    version = target.version if target is not None else None
    if state != ACTIVE:
        return PlanOffer(NOT_APPLICABLE, version)
    if free is not None:
        return PlanOffer(UPGRADE_AVAILABLE, version)
    if bought is not None:
        return PlanOffer(UPGRADE_REQUIRES_PURCHASE, version)
    return PlanOffer(UP_TO_DATE, None)


def to_view(
    row: AnySubscription,
    today: dt.date,
    releases: Sequence[ReleaseRow],
    successor_serial: str | None,
) -> SubscriptionView:
    state = current_state(row, today)
    offer = plan_offer(row, state, releases, successor_serial is not None)
    return view_of(
        SubscriptionView,
        row,
        product_name=product_name(row.product_code),
        state=state,
        upgrade_available=offer.status == UPGRADE_AVAILABLE,
        available_version=offer.version,
        successor_serial_number=successor_serial,
        plan_status=offer.status,
    )


def views_of(
    tx: UnitOfWork, rows: Sequence[AnySubscription], today: dt.date
) -> list[SubscriptionView]:
    """Views of many rows with two more queries in all (successors, the
    catalog's version; the catalog itself is kept, store/catalog.py). The
    rows may be the portal's SubscriptionRow or peewee's Subscription read
    with its predecessor (same attributes)."""
    if not rows:
        return []
    successors = tx.subscriptions.successor_serials(r.id for r in rows)
    releases = tx.catalog.releases_of(r.product_code for r in rows)
    return [to_view(r, today, releases, successors.get(r.id)) for r in rows]


def find_serial(tx: UnitOfWork, serial_number: str) -> Subscription:
    """Any account's serial (internal callers), or SERIAL_NOT_FOUND."""
    row = tx.subscriptions.find_by_serial(serial_number)
    if row is None:
        raise errors.SerialNotFound(serials.display(serial_number), in_account=False)
    return row


def find_owned_serial(tx: UnitOfWork, account_db_id: int, serial_number: str) -> SubscriptionRow:
    """A serial of that account (the portal's caller), or SERIAL_NOT_FOUND:
    another account's serial is answered as if it did not exist."""
    row = tx.subscriptions.find_for_account(account_db_id, serial_number)
    if row is None:
        raise errors.SerialNotFound(serials.display(serial_number))
    return row
