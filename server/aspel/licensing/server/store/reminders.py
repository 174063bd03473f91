"""Customer reminders: who is due one, and the rows that make each go once."""

from __future__ import annotations

import datetime as dt

import peewee

from ..domain.states import ACTIVE, SUBSCRIPTION
from .models import Account, Activation, ReminderSent, Subscription


class ReminderRepository:
    """The unique (kind, serial, occasion) rows, and the candidates of each kind
    (read in pages by id, so a large installed base is never read at once)."""

    def claim(self, *, kind: str, serial_number: str, occasion: str, now: dt.datetime) -> bool:
        """True for the one transaction that records this reminder first. On
        PostgreSQL a concurrent twin waits on the unique index and then sees
        the conflict; on SQLite write transactions are serial anyway."""
        inserted = (
            ReminderSent.insert(
                kind=kind, serial_number=serial_number, occasion=occasion, create_time=now
            )
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        return bool(inserted == 1)

    def already_sent(self, kind: str, serial_number: str, occasion: str) -> bool:
        return bool(
            ReminderSent.select()
            .where(
                (ReminderSent.kind == kind)
                & (ReminderSent.serial_number == serial_number)
                & (ReminderSent.occasion == occasion)
            )
            .exists()
        )

    def payments_due(
        self, *, first: dt.date, last: dt.date, after_id: int, limit: int
    ) -> list[Subscription]:
        """Active subscriptions of enabled accounts whose next payment falls in
        [first, last], with their account."""
        return self._active_of_enabled_accounts(
            (Subscription.modality == SUBSCRIPTION)
            & (Subscription.next_payment_date >= first)
            & (Subscription.next_payment_date <= last),
            after_id=after_id,
            limit=limit,
        )

    def idle_installations(
        self, *, seen_before: dt.datetime, after_id: int, limit: int
    ) -> list[Activation]:
        """Active installations of active serials whose last validation (or
        activation, when it never validated) is older than `seen_before`, with
        their subscription and its account."""
        # Not COALESCE: a comparison with the column itself converts the
        # instant the way the column stores it (naive UTC) on every engine.
        idle = (Activation.last_validate_time < seen_before) | (
            Activation.last_validate_time.is_null() & (Activation.create_time < seen_before)
        )
        return list(
            Activation.select(Activation, Subscription, Account)
            .join(Subscription)
            .join(Account)
            .where(
                (Activation.id > after_id)
                & Activation.deactivate_time.is_null()
                & idle
                & (Subscription.status == ACTIVE)
                & (Account.disabled == False)  # noqa: E712 - peewee builds SQL
            )
            .order_by(Activation.id)
            .limit(limit)
        )

    def active_subscriptions(self, *, after_id: int, limit: int) -> list[Subscription]:
        """Active serials of enabled accounts, with their account."""
        return self._active_of_enabled_accounts(None, after_id=after_id, limit=limit)

    @staticmethod
    def _active_of_enabled_accounts(
        condition: peewee.Expression | None, *, after_id: int, limit: int
    ) -> list[Subscription]:
        """The page after `after_id` of the active serials of enabled accounts
        (those a reminder may be about) that also meet `condition`, if any."""
        where = (
            (Subscription.id > after_id)
            & (Subscription.status == ACTIVE)
            & (Account.disabled == False)  # noqa: E712 - peewee builds SQL
        )
        if condition is not None:
            where &= condition
        return list(
            Subscription.select(Subscription, Account)
            .join(Account)
            .where(where)
            .order_by(Subscription.id)
            .limit(limit)
        )
