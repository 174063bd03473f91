"""Issuing the serial that succeeds another: the one step shared by a
subscriber's free upgrade (the portal's AcceptUpgrade) and a bought upgrade or
change of modality (AdminService.IssueUpgrade).

Whatever the reason, a succession is the same five things in the caller's
transaction: a new serial linked to the old one (lineage), the old one
SUPERSEDED with its retire date, the upgrade email saying why, and the audit
event. The callers decide only what differs: the version, the modality and
billing period, the retire date, and the words of the email.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..store.models import Subscription
from ..store.subscriptions import AnySubscription, SubscriptionTerms
from ..store.unit_of_work import UnitOfWork
from . import serials
from .billing_cycle import next_payment
from .emails import email_account
from .products import product_name
from .spanish import BILLING_PERIODS_ES, long_date
from .states import PERPETUAL_LICENSE

UPGRADE_EMAIL_KIND = "upgrade_notification"

#: How each modality reads in the email ("de licencia de pago único a suscripción").
MODALITIES_ES = {PERPETUAL_LICENSE: "licencia de pago único", "SUBSCRIPTION": "suscripción"}


def next_validation_retire_date(old: AnySubscription, today: dt.date) -> dt.date:
    """The seed's rule: the old serial works "solamente hasta el vencimiento de
    tu siguiente validación" (its next payment date), or through today when it
    has none (a perpetual licence)."""
    return old.next_payment_date or today


def no_overlap_retire_date(today: dt.date) -> dt.date:
    """No overlap: the old serial reads INACTIVE from today on (a superseded
    serial is usable up to and including its retire date)."""
    return today - dt.timedelta(days=1)


def modality_text(modality: str, billing_period: str | None) -> str:
    name = MODALITIES_ES.get(modality, modality.lower())
    period = BILLING_PERIODS_ES.get(billing_period or "")
    return f"{name} ({period})" if period else name


@dataclass(frozen=True)
class Succession:
    """What the new serial is, and why it was issued (for the email and audit)."""

    to_version: str
    modality: str
    billing_period: str | None
    #: The next payment of the new serial (None for a perpetual licence).
    next_payment_date: dt.date | None
    retire_date: dt.date
    download_url: str
    #: The first paragraph of the email: what the customer did or bought.
    what_happened: str
    audit_kind: str
    actor: str
    peer: str | None
    accepted_terms_id: str | None = None
    audit_detail: Mapping[str, Any] | None = None


def first_payment(modality: str, billing_period: str | None, today: dt.date) -> dt.date | None:
    """A serial sold today is first paid one billing period later (as CreateSubscription)."""
    return None if modality == PERPETUAL_LICENSE else next_payment(today, billing_period, today)


def issue_successor(
    tx: UnitOfWork, old: AnySubscription, succession: Succession, today: dt.date, now: dt.datetime
) -> Subscription:
    """Creates the successor of `old` (locked by the caller, ACTIVE) and retires
    `old` as `succession` says, with its email and audit event, in `tx`."""
    s = succession
    new_serial = serials.generate_unused(tx.subscriptions.serial_exists)
    new = tx.subscriptions.create_subscription(
        serial_number=new_serial,
        account_id=old.account_id,  # type: ignore[union-attr]  # peewee's FK column
        terms=replace(
            SubscriptionTerms.of(old),
            version=s.to_version,
            modality=s.modality,
            billing_period=s.billing_period,
        ),
        activation_date=today,
        next_payment_date=s.next_payment_date,
        predecessor_id=old.id,
        accepted_terms_id=s.accepted_terms_id,
        now=now,
    )
    tx.subscriptions.supersede(old.id, s.retire_date)
    account = old.account
    name = product_name(old.product_code)
    if s.retire_date < today:
        retire_text = (
            f"{name} {old.version} deja de funcionar hoy: desde ahora solo podrás usar el número "
            "de serie nuevo."
        )
    else:
        retire_text = (
            f"Podrás seguir usando {name} {old.version} solamente hasta el "
            f"{long_date(s.retire_date)}. Después de esa fecha quedará inactivo y solo podrás "
            f"usar el número de serie nuevo."
        )
    email = {
        "product_code": old.product_code,
        "product_name": name,
        "from_version": old.version,
        "to_version": s.to_version,
        "old_serial_number": serials.display(old.serial_number),
        "new_serial_number": serials.display(new_serial),
        "retire_date": s.retire_date.isoformat(),
        "retire_date_text": long_date(s.retire_date),
        "retire_text": retire_text,
        "what_happened": s.what_happened,
        "download_url": s.download_url,
    }
    email_account(tx, UPGRADE_EMAIL_KIND, account, email, now)
    tx.audit.record(
        kind=s.audit_kind,
        actor=s.actor,
        peer=s.peer,
        account_public_id=account.public_id,
        serial_number=old.serial_number,
        detail={
            "from_version": old.version,
            "to_version": s.to_version,
            "new_serial_number": new_serial,
            "retire_date": s.retire_date.isoformat(),
            **(s.audit_detail or {}),
        },
        now=now,
    )
    return new
