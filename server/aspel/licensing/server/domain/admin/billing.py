"""Billing: selling serials, recording payments, suspending and reinstating,
changing seats."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from ... import errors
from ...store.database import Store, retry_on_conflict
from ...store.models import Account, Subscription
from ...store.subscriptions import SubscriptionTerms
from ...store.unit_of_work import UnitOfWork
from .. import serials
from ..billing_cycle import following_payment, next_payment
from ..clock import BusinessCalendar
from ..idempotency import RequestKey, Result, digest, once
from ..products import product_name
from ..service_keys import Actor
from ..states import (
    ACTIVE,
    INACTIVE,
    OVERDUE,
    PERPETUAL_LICENSE,
    SUBSCRIPTION,
    SUPERSEDED,
    SUSPENDED,
)
from ..subscriptions import SubscriptionView, current_state, find_serial, views_of
from .accounts import find_account
from .common import record

MAX_USERS = 999
MAX_INSTALLATIONS = 100
EARLIEST_ACTIVATION = dt.date(2000, 1, 1)
#: Where payment references are remembered: shared by every service key, so an
#: invoice counts once whoever records it.
PAYMENT_REFERENCE_SCOPE = "payment_reference"


@dataclass(frozen=True)
class PaymentResult:
    subscription: SubscriptionView
    previous_next_payment_date: dt.date | None


def check_seats(users: int | None, installations_allowed: int | None) -> None:
    violations = []
    if users is not None and not 1 <= users <= MAX_USERS:
        violations.append(("users", f"Los usuarios van de 1 a {MAX_USERS}."))
    if installations_allowed is not None and not 1 <= installations_allowed <= MAX_INSTALLATIONS:
        violations.append(
            ("installations_allowed", f"Las instalaciones van de 1 a {MAX_INSTALLATIONS}.")
        )
    if violations:
        raise errors.InvalidArgument(field_violations=violations)


def period_violations(modality: str, billing_period: str | None) -> list[tuple[str, str]]:
    """A subscription is paid every period; a perpetual licence has none."""
    if modality == SUBSCRIPTION and billing_period is None:
        return [("billing_period", "Una suscripción necesita su periodicidad.")]
    if modality == PERPETUAL_LICENSE and billing_period is not None:
        return [("billing_period", "Una licencia de pago único no tiene periodicidad.")]
    return []


def account_for_new_serial(
    tx: UnitOfWork, account_id: str, product_code: str, version: str
) -> Account:
    """The account a new serial of `product_code` `version` is created in
    (sold or imported): it exists and is enabled, and the release is published."""
    account = find_account(tx, account_id, None)
    if account.disabled:
        raise errors.AccountNotActive(account.public_id)
    if tx.catalog.find_release(product_code, version) is None:
        raise errors.ReleaseNotPublished(product_name(product_code), version)
    return account


def find_serial_locked(tx: UnitOfWork, serial_number: str) -> Subscription:
    """`find_serial`, holding the row until the transaction ends and read after
    the lock, so concurrent changes of one serial run one after the other."""
    tx.subscriptions.lock(find_serial(tx, serial_number).id)
    return find_serial(tx, serial_number)


def _cycle_anchor_day(tx: UnitOfWork, row: Subscription) -> int:
    """The day of the month the payments of a line of serials fall on: the
    activation day of the first serial, before any upgrade."""
    return int(tx.subscriptions.lineage(row.id)[0].activation_date.day)


@dataclass(eq=False)
class BillingAdmin:
    store: Store
    calendar: BusinessCalendar

    def _view(self, tx: UnitOfWork, serial_number: str) -> SubscriptionView:
        return views_of(tx, [find_serial(tx, serial_number)], self.calendar.today())[0]

    @retry_on_conflict()
    def create_subscription(
        self,
        actor: Actor,
        *,
        account_id: str,
        terms: SubscriptionTerms,
        activation_date: dt.date | None,
        key: RequestKey | None,
    ) -> SubscriptionView:
        today = self.calendar.today()
        start = activation_date or today
        violations = period_violations(terms.modality, terms.billing_period)
        if not EARLIEST_ACTIVATION <= start <= today:
            violations.append(
                ("activation_date", "La fecha de activación debe ser hoy o una fecha pasada.")
            )
        if violations:
            raise errors.InvalidArgument(field_violations=violations)
        check_seats(terms.users, terms.installations_allowed)
        now = self.calendar.now()

        def create(tx: UnitOfWork) -> Result:
            account = account_for_new_serial(tx, account_id, terms.product_code, terms.version)
            serial = serials.generate_unused(tx.subscriptions.serial_exists)
            due = next_payment(start, terms.billing_period, today)
            tx.subscriptions.create_subscription(
                serial_number=serial,
                account_id=account.id,
                terms=terms,
                activation_date=start,
                next_payment_date=due,
                now=now,
            )
            record(
                tx,
                actor,
                "subscription.created",
                now,
                account_id=account.public_id,
                serial_number=serial,
                detail={
                    **asdict(SubscriptionTerms.of(terms)),  # never a row's other columns
                    "activation_date": start.isoformat(),
                    "next_payment_date": due.isoformat() if due else None,
                },
            )
            return {"serial_number": serial}

        with self.store.write() as tx:
            result = once(tx, actor.idempotency_scope, key, now, create)
            return self._view(tx, result["serial_number"])

    @retry_on_conflict()
    def record_payment(
        self, actor: Actor, serial_number: str, *, key: RequestKey, payment_reference: str
    ) -> PaymentResult:
        """Counts a payment once per request_id and, when it has one, once per
        payment reference, whoever sends it and however often: the invoice is
        what was paid. The same reference for another serial is refused."""
        now = self.calendar.now()
        today = self.calendar.today()

        def pay(tx: UnitOfWork) -> Result:
            row = find_serial_locked(tx, serial_number)
            shown = serials.display(row.serial_number)
            if row.modality == PERPETUAL_LICENSE or row.billing_period is None:
                raise errors.PerpetualLicenseNotBilled(shown)
            state = current_state(row, today)
            if state in (SUPERSEDED, INACTIVE):
                successor = tx.subscriptions.successor_serial(row.id)
                raise errors.SerialNotActive(
                    shown, state, serials.display(successor) if successor else None
                )
            previous_due: dt.date | None = row.next_payment_date
            if previous_due is None:
                first_due = next_payment(row.activation_date, row.billing_period, today)
                if first_due is None:  # only a serial without a billing period
                    raise errors.PerpetualLicenseNotBilled(shown)
                due = first_due
            else:
                due = following_payment(
                    previous_due, row.billing_period, _cycle_anchor_day(tx, row)
                )
            tx.subscriptions.set_next_payment_date(row.id, due)
            record(
                tx,
                actor,
                "payment.recorded",
                now,
                account_id=row.account.public_id,
                serial_number=row.serial_number,
                detail={
                    "payment_reference": payment_reference,
                    "billing_period": row.billing_period,
                    "previous_next_payment_date": (
                        previous_due.isoformat() if previous_due else None
                    ),
                    "next_payment_date": due.isoformat(),
                },
            )
            return {
                "serial_number": row.serial_number,
                "previous_next_payment_date": previous_due.isoformat() if previous_due else None,
            }

        def pay_once_per_reference(tx: UnitOfWork) -> Result:
            if not payment_reference:
                return pay(tx)
            # The reference is the payment's own key, in a scope no caller
            # shares with anything else; its fingerprint is the serial paid.
            reference = RequestKey(payment_reference, "RecordPayment", digest(serial_number))
            return once(
                tx,
                PAYMENT_REFERENCE_SCOPE,
                reference,
                now,
                pay,
                reused=lambda earlier: errors.PaymentReferenceReused(
                    payment_reference, serials.display(earlier["serial_number"])
                ),
            )

        with self.store.write() as tx:
            # The request_id first, then the reference: every payment claims
            # its keys in this order, so two payments never wait on each other
            # in a circle.
            result = once(tx, actor.idempotency_scope, key, now, pay_once_per_reference)
            previous = result["previous_next_payment_date"]
            return PaymentResult(
                self._view(tx, serial_number), dt.date.fromisoformat(previous) if previous else None
            )

    def suspend(
        self, actor: Actor, serial_number: str, *, reason: str, key: RequestKey | None
    ) -> SubscriptionView:
        # An overdue serial is stored ACTIVE: it is suspended like one.
        return self._transition(actor, serial_number, ACTIVE, SUSPENDED, reason, key, (OVERDUE,))

    def reinstate(
        self, actor: Actor, serial_number: str, *, reason: str, key: RequestKey | None
    ) -> SubscriptionView:
        return self._transition(actor, serial_number, SUSPENDED, ACTIVE, reason, key)

    @retry_on_conflict()
    def _transition(
        self,
        actor: Actor,
        serial_number: str,
        from_state: str,
        to_state: str,
        reason: str,
        key: RequestKey | None,
        also_from: tuple[str, ...] = (),
    ) -> SubscriptionView:
        now = self.calendar.now()

        def transition(tx: UnitOfWork) -> Result:
            row = find_serial_locked(tx, serial_number)
            state = current_state(row, self.calendar.today())
            if state != from_state and state not in also_from:
                raise errors.InvalidStateTransition(
                    f"el número de serie {serials.display(row.serial_number)}",
                    state,
                    to_state,
                )
            tx.subscriptions.change_status(row.id, from_state, to_state)
            record(
                tx,
                actor,
                "subscription.suspended" if to_state == SUSPENDED else "subscription.reinstated",
                now,
                account_id=row.account.public_id,
                serial_number=row.serial_number,
                detail={"reason": reason, "from_state": state, "to_state": to_state},
            )
            return {}

        with self.store.write() as tx:
            once(tx, actor.idempotency_scope, key, now, transition)
            return self._view(tx, serial_number)

    @retry_on_conflict()
    def change_seats(
        self,
        actor: Actor,
        serial_number: str,
        *,
        users: int | None,
        installations_allowed: int | None,
        key: RequestKey | None,
    ) -> SubscriptionView:
        if users is None and installations_allowed is None:
            raise errors.InvalidArgument(
                field_violations=[("users", "Indica los usuarios, las instalaciones o ambos.")]
            )
        check_seats(users, installations_allowed)
        now = self.calendar.now()

        def change(tx: UnitOfWork) -> Result:
            row = find_serial_locked(tx, serial_number)
            state = current_state(row, self.calendar.today())
            if state not in (ACTIVE, OVERDUE, SUSPENDED):
                successor = tx.subscriptions.successor_serial(row.id)
                raise errors.SerialNotActive(
                    serials.display(row.serial_number),
                    state,
                    serials.display(successor) if successor else None,
                )
            before = {"users": row.users, "installations_allowed": row.installations_allowed}
            after = {
                "users": row.users if users is None else users,
                "installations_allowed": (
                    row.installations_allowed
                    if installations_allowed is None
                    else installations_allowed
                ),
            }
            if after != before:
                tx.subscriptions.set_seats(row.id, after["users"], after["installations_allowed"])
                record(
                    tx,
                    actor,
                    "subscription.seats_changed",
                    now,
                    account_id=row.account.public_id,
                    serial_number=row.serial_number,
                    detail={"before": before, "after": after},
                )
            return {}

        with self.store.write() as tx:
            once(tx, actor.idempotency_scope, key, now, change)
            return self._view(tx, serial_number)
