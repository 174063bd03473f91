"""Activations of serials on machines, and the serial lookups installers need.

Installers have no session, so a serial is found by its number alone; the
checks that stand in for a login (the razón social) are the domain's.
"""

from __future__ import annotations

import datetime as dt

from ..errors import ConcurrentModification
from .models import Activation, Subscription
from .prepared import PreparedSelect, with_its_account
from .shapes import insert_or_raise, newest

# Every ValidateLicense runs these two: their SQL is built once (see prepared.py).
_SUBSCRIPTION_WITH_ACCOUNT = with_its_account(Subscription, Subscription.serial_number)
_ACTIVE = PreparedSelect(
    lambda subscription_id, public_id, machine_fingerprint: (
        Activation.select()
        .where(
            (Activation.subscription == subscription_id)
            & (Activation.public_id == public_id)
            & (Activation.machine_fingerprint == machine_fingerprint)
            & Activation.deactivate_time.is_null()
        )
        .limit(1)
    )
)


class ActivationRepository:
    """Installations activated on a serial."""

    def find_subscription(self, serial_number: str) -> Subscription | None:
        """The serial and its account, in one query."""
        found: Subscription | None = _SUBSCRIPTION_WITH_ACCOUNT.first(serial_number)
        return found

    def serials_of_account(
        self, account_id: int, product_code: str, version: str
    ) -> list[Subscription]:
        """The account's serials of one product and version, newest first."""
        return list(
            Subscription.select()
            .where(
                (Subscription.account == account_id)
                & (Subscription.product_code == product_code)
                & (Subscription.version == version)
            )
            .order_by(Subscription.id.desc())
        )

    def find_active(
        self, subscription_id: int, public_id: str, machine_fingerprint: str
    ) -> Activation | None:
        """The active activation with that id on that machine; None for any mismatch."""
        found: Activation | None = _ACTIVE.first(subscription_id, public_id, machine_fingerprint)
        return found

    def find_active_for_machine(
        self, subscription_id: int, machine_fingerprint: str
    ) -> Activation | None:
        return Activation.get_or_none(
            (Activation.subscription == subscription_id)
            & (Activation.machine_fingerprint == machine_fingerprint)
            & Activation.deactivate_time.is_null()
        )

    def find_by_public_id(self, public_id: str) -> Activation | None:
        return Activation.get_or_none(Activation.public_id == public_id)

    def seats_in_use(self, subscription_id: int) -> set[int]:
        """The seat numbers held by the subscription's active activations."""
        rows = Activation.select(Activation.seat).where(
            (Activation.subscription == subscription_id) & Activation.deactivate_time.is_null()
        )
        return {row.seat for row in rows}

    def count_active(self, subscription_id: int) -> int:
        return int(
            Activation.select()
            .where(
                (Activation.subscription == subscription_id) & Activation.deactivate_time.is_null()
            )
            .count()
        )

    def create_activation(
        self,
        *,
        public_id: str,
        subscription_id: int,
        machine_fingerprint: str,
        hostname: str,
        product_code: str,
        version: str,
        seat: int,
        now: dt.datetime,
        last_validate_time: dt.datetime | None = None,
    ) -> Activation:
        """Inserts an active activation. A concurrent one that took the same machine
        or seat (the partial unique indexes) ends in CONCURRENT_MODIFICATION."""
        return insert_or_raise(
            Activation,
            ConcurrentModification,
            public_id=public_id,
            subscription=subscription_id,
            machine_fingerprint=machine_fingerprint,
            hostname=hostname,
            product_code=product_code,
            version=version,
            seat=seat,
            create_time=now,
            last_validate_time=last_validate_time or now,
        )

    def record_validation(
        self, activation_id: int, now: dt.datetime, *, older_than: dt.datetime
    ) -> None:
        """Records a validation unless one since `older_than` is already recorded."""
        Activation.update(last_validate_time=now).where(
            (Activation.id == activation_id)
            & (
                Activation.last_validate_time.is_null()
                | (Activation.last_validate_time < older_than)
            )
        ).execute()

    def deactivate(self, activation_id: int, now: dt.datetime) -> Activation:
        updated = (
            Activation.update(deactivate_time=now)
            .where((Activation.id == activation_id) & Activation.deactivate_time.is_null())
            .execute()
        )
        if updated != 1:
            raise ConcurrentModification()
        return Activation.get_by_id(activation_id)

    def latest_of_subscription(self, subscription_id: int, limit: int) -> list[Activation]:
        """A serial's activations, deactivated ones included, newest first."""
        return newest(Activation, Activation.subscription == subscription_id, limit)
