"""Billing's upgrades: a new version bought for a serial (a perpetual licence,
most often) or a change of modality (perpetual to subscription and back).

The successor is issued by the same step as a subscriber's free upgrade
(domain/succession.py): lineage, retire date, email, audit. What billing adds
is the order: an order reference issues one successor, whoever sends it and
however often.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ... import errors
from ...store.database import Store, retry_on_conflict
from ...store.unit_of_work import UnitOfWork
from .. import serials
from ..clock import BusinessCalendar
from ..idempotency import RequestKey, Result, digest, once
from ..products import product_name, version_key
from ..service_keys import Actor
from ..states import ACTIVE, PERPETUAL_LICENSE, SUBSCRIPTION
from ..subscriptions import SubscriptionView, current_state, views_of
from ..succession import (
    Succession,
    first_payment,
    issue_successor,
    modality_text,
    next_validation_retire_date,
    no_overlap_retire_date,
)
from .billing import find_serial_locked

PURCHASED_UPGRADE = "PURCHASED_UPGRADE"
MODALITY_CHANGE = "MODALITY_CHANGE"
KINDS = (PURCHASED_UPGRADE, MODALITY_CHANGE)

# How long the old serial keeps working (the proto's UpgradeOverlap).
OVERLAP_NONE = "NONE"
OVERLAP_UNTIL_DATE = "UNTIL_DATE"
OVERLAP_NEXT_VALIDATION = "NEXT_VALIDATION"
OVERLAPS = (OVERLAP_NONE, OVERLAP_UNTIL_DATE, OVERLAP_NEXT_VALIDATION)
#: The latest retire date an order may give, counted from today: an overlap
#: is a transition, not a second licence.
MAX_OVERLAP_DAYS = 366

#: Where order references are remembered: shared by every service key, so an
#: order issues one upgrade whoever sends it.
ORDER_REFERENCE_SCOPE = "upgrade_order"


@dataclass(frozen=True)
class UpgradeOrder:
    """What billing sold: validated field by field by the transport."""

    serial_number: str
    kind: str
    #: The version of the new serial; "" keeps the serial's (MODALITY_CHANGE only).
    to_version: str
    modality: str
    billing_period: str | None
    order_reference: str
    overlap: str
    overlap_end_date: dt.date | None

    def fingerprint(self) -> str:
        """Everything the order decides: the same reference with anything else is refused."""
        return digest(
            self.serial_number,
            self.kind,
            self.to_version,
            self.modality,
            self.billing_period or "",
            self.overlap,
            self.overlap_end_date.isoformat() if self.overlap_end_date else "",
        )


@dataclass(frozen=True)
class IssuedUpgrade:
    subscription: SubscriptionView
    previous_subscription: SubscriptionView


def _check_order(order: UpgradeOrder, today: dt.date) -> None:
    """The rules that need no row: each broken one is a BadRequest violation."""
    violations: list[tuple[str, str]] = []
    if order.kind == PURCHASED_UPGRADE and not order.to_version:
        violations.append(("to_version", "Una actualización comprada necesita su versión."))
    if order.modality == SUBSCRIPTION and order.billing_period is None:
        violations.append(("billing_period", "Una suscripción necesita su periodicidad."))
    if order.modality == PERPETUAL_LICENSE and order.billing_period is not None:
        violations.append(("billing_period", "Una licencia de pago único no tiene periodicidad."))
    if order.overlap == OVERLAP_UNTIL_DATE:
        last = today + dt.timedelta(days=MAX_OVERLAP_DAYS)
        if order.overlap_end_date is None:
            violations.append(
                ("overlap_end_date", "Indica hasta qué día se puede usar el número de serie.")
            )
        elif not today <= order.overlap_end_date <= last:
            violations.append(
                (
                    "overlap_end_date",
                    f"El último día de uso va de hoy ({today.isoformat()}) al {last.isoformat()}.",
                )
            )
    elif order.overlap_end_date is not None:
        violations.append(
            ("overlap_end_date", "La fecha solo se indica con el traslape UNTIL_DATE.")
        )
    if violations:
        raise errors.InvalidArgument(field_violations=violations)


@dataclass(eq=False)
class UpgradeAdmin:
    store: Store
    calendar: BusinessCalendar

    @retry_on_conflict()
    def issue_upgrade(
        self, actor: Actor, order: UpgradeOrder, *, key: RequestKey | None
    ) -> IssuedUpgrade:
        today = self.calendar.today()
        _check_order(order, today)
        now = self.calendar.now()

        def issue(tx: UnitOfWork) -> Result:
            old = find_serial_locked(tx, order.serial_number)
            shown = serials.display(old.serial_number)
            account = old.account
            if account.disabled:
                raise errors.AccountNotActive(account.public_id)
            state = current_state(old, today)
            if state != ACTIVE:
                successor = tx.subscriptions.successor_serial(old.id)
                raise errors.SerialNotActive(
                    shown, state, serials.display(successor) if successor else None
                )
            to_version = order.to_version or old.version
            name = product_name(old.product_code)
            violations = []
            if order.kind == PURCHASED_UPGRADE and version_key(to_version) <= version_key(
                old.version
            ):
                violations.append(
                    (
                        "to_version",
                        f"La versión {to_version} no es posterior a la {old.version} del "
                        f"número de serie {shown}.",
                    )
                )
            if order.kind == MODALITY_CHANGE:
                if order.modality == old.modality:
                    violations.append(
                        (
                            "new_modality",
                            f"El número de serie {shown} ya es "
                            f"{modality_text(old.modality, None)}.",
                        )
                    )
                if version_key(to_version) < version_key(old.version):
                    violations.append(
                        (
                            "to_version",
                            f"La versión {to_version} es anterior a la {old.version} del "
                            f"número de serie {shown}.",
                        )
                    )
            if violations:
                raise errors.InvalidArgument(field_violations=violations)
            release = tx.catalog.find_release(old.product_code, to_version)
            if release is None:
                raise errors.ReleaseNotPublished(name, to_version)
            if order.overlap == OVERLAP_NONE:
                retire_date = no_overlap_retire_date(today)
            elif order.overlap == OVERLAP_UNTIL_DATE and order.overlap_end_date is not None:
                retire_date = order.overlap_end_date
            else:
                retire_date = next_validation_retire_date(old, today)
            bought = modality_text(order.modality, order.billing_period)
            if order.kind == PURCHASED_UPGRADE:
                what_happened = (
                    f"Compraste {name} {to_version} en {bought} (pedido «{order.order_reference}»)"
                    f" para reemplazar tu {name} {old.version}."
                )
                audit_kind = "subscription.upgrade_purchased"
            else:
                with_version = f", con la versión {to_version}" if to_version != old.version else ""
                what_happened = (
                    f"Cambiaste la modalidad de tu {name} {old.version} de "
                    f"{modality_text(old.modality, old.billing_period)} a {bought}"
                    f"{with_version} (pedido «{order.order_reference}»)."
                )
                audit_kind = "subscription.modality_changed"
            new = issue_successor(
                tx,
                old,
                Succession(
                    to_version=to_version,
                    modality=order.modality,
                    billing_period=order.billing_period,
                    next_payment_date=first_payment(order.modality, order.billing_period, today),
                    retire_date=retire_date,
                    download_url=release.download_url,
                    what_happened=what_happened,
                    audit_kind=audit_kind,
                    actor=actor.audit_name,
                    peer=actor.peer,
                    audit_detail={
                        "kind": order.kind,
                        "order_reference": order.order_reference,
                        "from_modality": old.modality,
                        "modality": order.modality,
                        "billing_period": order.billing_period,
                        "overlap": order.overlap,
                    },
                ),
                today,
                now,
            )
            return {
                "subscription_id": new.id,
                "previous_id": old.id,
                "serial_number": old.serial_number,
                "successor_serial_number": new.serial_number,
            }

        def issue_once_per_order(tx: UnitOfWork) -> Result:
            reference = RequestKey(order.order_reference, "IssueUpgrade", order.fingerprint())
            return once(
                tx,
                ORDER_REFERENCE_SCOPE,
                reference,
                now,
                issue,
                reused=lambda earlier: errors.OrderReferenceReused(
                    order.order_reference,
                    serials.display(earlier["serial_number"]),
                    serials.display(earlier["successor_serial_number"]),
                ),
            )

        with self.store.write() as tx:
            # The request_id first, then the order (as RecordPayment: one order
            # of claims, so two calls never wait on each other in a circle).
            result = once(tx, actor.idempotency_scope, key, now, issue_once_per_order)
            new_row = tx.subscriptions.get_by_id(result["subscription_id"])
            old_row = tx.subscriptions.get_by_id(result["previous_id"])
            new_view, old_view = views_of(tx, [new_row, old_row], self.calendar.today())
            return IssuedUpgrade(new_view, old_view)
