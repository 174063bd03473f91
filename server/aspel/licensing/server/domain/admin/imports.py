"""Bringing in the serials Aspel sold before this service: legacy serials
(their own shape, see domain/serials.py) with their dates and known
activations.

A legacy serial is imported once. Its own text is a request key in a scope of
its own, whoever imports it and with whatever request_id (the pattern of
payment references): the same serial with the same data again answers the
first import and changes nothing; with other data it is refused and the
answer names what differs. What happens to the serial afterwards (payments,
seats, activations) does not make a re-run of the same import differ, since
the comparison is with the data first imported, not with the row today.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from ... import errors
from ...store.activations import Installation
from ...store.database import Store, retry_on_conflict
from ...store.subscriptions import SubscriptionTerms
from ...store.unit_of_work import UnitOfWork
from .. import serials
from ..activation import ACTIVATION_ID_PREFIX
from ..billing_cycle import next_payment
from ..clock import BusinessCalendar
from ..credentials import new_public_id
from ..idempotency import RequestKey, Result, digest, once
from ..service_keys import Actor
from ..states import PERPETUAL_LICENSE
from ..subscriptions import SubscriptionView, views_of
from .billing import (
    EARLIEST_ACTIVATION,
    account_for_new_serial,
    check_seats,
    find_serial,
    period_violations,
)
from .common import record

#: The furthest next payment date an import accepts (two years: an annual
#: subscription paid ahead at most once).
LATEST_NEXT_PAYMENT = dt.timedelta(days=731)

#: Where legacy serials are remembered as imported: one scope for every key.
LEGACY_SERIAL_SCOPE = "legacy_serial"
HOSTNAME_MAX_LENGTH = 255


@dataclass(frozen=True)
class KnownActivation:
    hostname: str
    machine_fingerprint: str
    activate_time: dt.datetime


@dataclass(frozen=True)
class LegacySubscription:
    """One serial of the earlier system, as billing knows it."""

    serial_number: str  # canonical legacy form
    account_id: str
    product_code: str
    version: str
    users: int
    modality: str
    billing_period: str | None
    activation_date: dt.date
    next_payment_date: dt.date | None
    installations_allowed: int
    activations: Sequence[KnownActivation] = ()

    def data(self) -> dict[str, object]:
        """What an import is compared on, as JSON."""
        return {
            "account_id": self.account_id,
            "product_code": self.product_code,
            "version": self.version,
            "users": self.users,
            "modality": self.modality,
            "billing_period": self.billing_period,
            "activation_date": self.activation_date.isoformat(),
            "next_payment_date": (
                self.next_payment_date.isoformat() if self.next_payment_date else None
            ),
            "installations_allowed": self.installations_allowed,
            "activations": sorted(
                [a.machine_fingerprint, a.hostname, a.activate_time.isoformat()]
                for a in self.activations
            ),
        }


@dataclass(frozen=True)
class ImportResult:
    subscription: SubscriptionView
    already_imported: bool


class _RolledBack(Exception):
    """Leaves a dry run's transaction, undoing it, with the answer it had."""

    def __init__(self, answer: ImportResult) -> None:
        super().__init__("dry run")
        self.answer = answer


#: The imported fields as the customer-facing text names them.
_FIELD_LABELS = {
    "account_id": "cuenta",
    "product_code": "producto",
    "version": "versión",
    "users": "usuarios",
    "modality": "modalidad",
    "billing_period": "periodicidad",
    "activation_date": "fecha de activación",
    "next_payment_date": "próximo pago",
    "installations_allowed": "instalaciones permitidas",
    "activations": "activaciones",
}


def _differences(earlier: Result, data: dict[str, object]) -> tuple[str, str]:
    """The fields that differ: their names, and their es-MX labels."""
    before = earlier.get("data") or {}
    names = [name for name in data if before.get(name) != data[name]]
    return ", ".join(names), ", ".join(_FIELD_LABELS.get(n, n) for n in names) or "datos"


@dataclass(eq=False)
class ImportAdmin:
    store: Store
    calendar: BusinessCalendar

    def check(self, legacy: LegacySubscription) -> None:
        """The rules that need no store: INVALID_ARGUMENT with every bad field."""
        today = self.calendar.today()
        now = self.calendar.now()
        violations: list[tuple[str, str]] = []
        if serials.normalize_legacy(legacy.serial_number) != legacy.serial_number:
            violations.append(("serial_number", "No es un número de serie de un sistema anterior."))
        violations += period_violations(legacy.modality, legacy.billing_period)
        if legacy.modality == PERPETUAL_LICENSE and legacy.next_payment_date is not None:
            violations.append(
                ("next_payment_date", "Una licencia de pago único no tiene próximo pago.")
            )
        if not EARLIEST_ACTIVATION <= legacy.activation_date <= today:
            violations.append(
                ("activation_date", "La fecha de activación debe ser hoy o una fecha pasada.")
            )
        elif (
            legacy.next_payment_date is not None
            and legacy.next_payment_date < legacy.activation_date
        ):
            violations.append(
                (
                    "next_payment_date",
                    "El próximo pago no puede ser anterior a la fecha de activación.",
                )
            )
        elif (
            legacy.next_payment_date is not None
            and legacy.next_payment_date > today + LATEST_NEXT_PAYMENT
        ):
            # Older systems write 9999-12-31 for "never": that is a perpetual
            # licence, not a subscription paid for millennia.
            violations.append(
                (
                    "next_payment_date",
                    "El próximo pago debe caer dentro de los próximos dos años; una licencia "
                    "sin pagos es de pago único.",
                )
            )
        if len(legacy.activations) > legacy.installations_allowed:
            violations.append(("activations", "Hay más activaciones que instalaciones permitidas."))
        seen: set[str] = set()
        for index, activation in enumerate(legacy.activations):
            if activation.machine_fingerprint in seen:
                violations.append(
                    (f"activations[{index}].machine_fingerprint", "El equipo ya está en la lista.")
                )
            seen.add(activation.machine_fingerprint)
            if activation.activate_time > now:
                violations.append(
                    (
                        f"activations[{index}].activate_time",
                        "La fecha de activación del equipo no puede ser futura.",
                    )
                )
        if violations:
            raise errors.InvalidArgument(field_violations=violations)
        check_seats(legacy.users, legacy.installations_allowed)

    @retry_on_conflict()
    def import_subscription(
        self,
        actor: Actor,
        legacy: LegacySubscription,
        *,
        key: RequestKey | None,
        dry_run: bool = False,
    ) -> ImportResult:
        """Imports `legacy` in one transaction; with `dry_run`, every check and
        the answer, and then the transaction is rolled back."""
        self.check(legacy)
        now = self.calendar.now()
        today = self.calendar.today()
        data = legacy.data()
        serial = legacy.serial_number
        ran: list[bool] = []

        def create(tx: UnitOfWork) -> Result:
            ran.append(True)
            account = account_for_new_serial(
                tx, legacy.account_id, legacy.product_code, legacy.version
            )
            due = legacy.next_payment_date or next_payment(
                legacy.activation_date, legacy.billing_period, today
            )
            row = tx.subscriptions.create_subscription(
                serial_number=serial,
                account_id=account.id,
                terms=SubscriptionTerms.of(legacy),
                activation_date=legacy.activation_date,
                next_payment_date=due,
                now=now,
            )
            for seat, known in enumerate(
                sorted(legacy.activations, key=lambda a: a.activate_time), start=1
            ):
                tx.activations.create_activation(
                    public_id=new_public_id(ACTIVATION_ID_PREFIX),
                    subscription_id=row.id,
                    installation=Installation(
                        known.machine_fingerprint,
                        known.hostname,
                        legacy.product_code,
                        legacy.version,
                    ),
                    seat=seat,
                    now=known.activate_time,
                    # Seen as of the import: the earlier system's record is
                    # all there is, and an idle-installation reminder the
                    # day after the import would tell the customer nothing.
                    last_validate_time=now,
                    # No licence of this server exists for it yet: the earlier
                    # system's licences are outside its reach, and the first
                    # validation here raises the bound (activation.license_bound).
                    license_expire_bound=now,
                )
            record(
                tx,
                actor,
                "subscription.imported",
                now,
                account_id=account.public_id,
                serial_number=serial,
                detail={
                    **{name: value for name, value in data.items() if name != "activations"},
                    "account_id": account.public_id,
                    "next_payment_date": due.isoformat() if due else None,
                    "activations": len(legacy.activations),
                },
            )
            return {"serial_number": serial, "data": data}

        def import_once(tx: UnitOfWork) -> Result:
            fingerprint = digest(json.dumps(data, sort_keys=True))
            result = once(
                tx,
                LEGACY_SERIAL_SCOPE,
                RequestKey(serial, "ImportSubscription", fingerprint),
                now,
                create,
                reused=lambda earlier: errors.SerialAlreadyImported(
                    serial, *_differences(earlier, data)
                ),
            )
            return {"serial_number": result["serial_number"], "already_imported": not ran}

        try:
            with self.store.write() as tx:
                result = once(tx, actor.idempotency_scope, key, now, import_once)
                view = views_of(tx, [find_serial(tx, serial)], today)[0]
                # A replayed request_id answers as its first call did (AIP-155).
                answer = ImportResult(view, bool(result["already_imported"]))
                if dry_run:
                    raise _RolledBack(answer)
                return answer
        except _RolledBack as rolled_back:
            return rolled_back.answer
