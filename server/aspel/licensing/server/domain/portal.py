"""The customer portal: the serials of an account, their upgrade terms, and
accepting an upgrade (the flow of Aspel's "Solicita tu número de serie")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import errors
from ..store.database import Store, retry_on_conflict
from ..store.models import Account, Subscription
from ..store.unit_of_work import UnitOfWork
from . import serials
from .auth import Caller, user_actor
from .clock import BusinessCalendar
from .emails import email_account
from .idempotency import RequestKey, Result, once
from .paging import one_page
from .products import product_name
from .spanish import long_date
from .states import ACTIVE, PERPETUAL_LICENSE
from .subscriptions import SubscriptionView, current_state, newest_upgrade, views_of
from .upgrade_terms import TermsView, render

UPGRADE_EMAIL_KIND = "upgrade_notification"


@dataclass(frozen=True)
class Page:
    subscriptions: list[SubscriptionView]
    next_after_id: int | None


@dataclass(frozen=True)
class UpgradeResult:
    subscription: SubscriptionView
    previous_subscription: SubscriptionView


class PortalService:
    def __init__(self, store: Store, calendar: BusinessCalendar) -> None:
        self.store = store
        self.calendar = calendar

    # --- reading -------------------------------------------------------------

    def list_subscriptions(self, caller: Caller, size: int, after_id: int) -> Page:
        """`size` rows after `after_id` (the transport chose the size, see pagination.py)."""
        with self.store.read() as tx:
            read = tx.subscriptions.list_for_account(caller.account_db_id, after_id, size + 1)
            rows, next_after_id = one_page(read, size)
            return Page(views_of(tx, rows, self.calendar.today()), next_after_id)

    def get_subscription(self, caller: Caller, serial_number: str) -> SubscriptionView:
        with self.store.read() as tx:
            row = self._owned(tx, caller, serial_number)
            return views_of(tx, [row], self.calendar.today())[0]

    def get_upgrade_terms(self, caller: Caller, serial_number: str) -> TermsView:
        with self.store.read() as tx:
            row = self._owned(tx, caller, serial_number)
            return self._terms_for(tx, row)

    # --- accepting -------------------------------------------------------------

    @retry_on_conflict()
    def accept_upgrade(
        self,
        caller: Caller,
        serial_number: str,
        terms_id: str,
        key: RequestKey | None,
        peer: str | None,
    ) -> UpgradeResult:
        now = self.calendar.now()

        def accept(tx: UnitOfWork) -> Result:
            row = self._owned(tx, caller, serial_number)
            tx.subscriptions.lock(row.id)
            successor = tx.subscriptions.find_successor(row.id)
            if successor is None:
                # Checked again inside the write lock: what was shown may have changed.
                terms = self._terms_for(tx, row)
                if terms.terms_id != terms_id:
                    raise errors.TermsOutdated()
                successor = self._issue_successor(tx, caller, row, terms, now, peer)
            # else: already upgraded (a retry, or a second click): same answer,
            # and no second email.
            return {"subscription_id": successor.id, "previous_id": row.id}

        with self.store.write() as tx:
            result = once(tx, f"account:{caller.account_id}", key, now, accept)
            return self._result_of(tx, result["subscription_id"], result["previous_id"])

    def _issue_successor(
        self,
        tx: UnitOfWork,
        caller: Caller,
        old: Subscription,
        terms: TermsView,
        now: dt.datetime,
        peer: str | None,
    ) -> Subscription:
        today = self.calendar.today()
        retire_date = old.next_payment_date or today
        new_serial = serials.generate_unused(tx.subscriptions.serial_exists)
        new = tx.subscriptions.create_subscription(
            serial_number=new_serial,
            account_id=caller.account_db_id,
            product_code=old.product_code,
            version=terms.to_version,
            users=old.users,
            installations_allowed=old.installations_allowed,
            modality=old.modality,
            billing_period=old.billing_period,
            activation_date=today,
            next_payment_date=old.next_payment_date,
            predecessor_id=old.id,
            accepted_terms_id=terms.terms_id,
            now=now,
        )
        tx.subscriptions.supersede(old.id, retire_date)
        account: Account = old.account
        upgrade = {
            "product_code": old.product_code,
            "product_name": product_name(old.product_code),
            "from_version": old.version,
            "to_version": terms.to_version,
            "old_serial_number": serials.display(old.serial_number),
            "new_serial_number": serials.display(new_serial),
            "retire_date": retire_date.isoformat(),
            "retire_date_text": long_date(retire_date),
            "download_url": terms.download_url,
        }
        email_account(tx, UPGRADE_EMAIL_KIND, account, upgrade, now)
        tx.audit.record(
            kind="subscription.upgraded",
            actor=user_actor(caller.username),
            peer=peer,
            account_public_id=caller.account_id,
            serial_number=old.serial_number,
            detail={
                "from_version": old.version,
                "to_version": terms.to_version,
                "new_serial_number": new_serial,
                "terms_id": terms.terms_id,
                "retire_date": retire_date.isoformat(),
            },
            now=now,
        )
        return new

    # --- helpers -------------------------------------------------------------

    def _owned(self, tx: UnitOfWork, caller: Caller, serial_number: str) -> Subscription:
        row = tx.subscriptions.find_for_account(caller.account_db_id, serial_number)
        if row is None:
            raise errors.SerialNotFound(serials.display(serial_number))
        return row

    def _terms_for(self, tx: UnitOfWork, row: Subscription) -> TermsView:
        """The terms for an ACTIVE subscription's newest free upgrade, or why there are none."""
        today = self.calendar.today()
        state = current_state(row, today)
        shown = serials.display(row.serial_number)
        if state != ACTIVE:
            successor = tx.subscriptions.successor_serial(row.id)
            raise errors.SerialNotActive(
                shown, state, serials.display(successor) if successor else None
            )
        release = newest_upgrade(row, tx.catalog.releases_of([row.product_code]))
        text = (
            tx.catalog.current_terms(row.product_code, release.version)
            if release is not None
            else None
        )
        if release is None or text is None:
            raise errors.NoUpgradeAvailable(shown, product_name(row.product_code), row.version)
        if row.modality == PERPETUAL_LICENSE:
            raise errors.UpgradeRequiresPurchase(
                shown, product_name(row.product_code), release.version
            )
        return render(row, row.account, release, text)

    def _result_of(self, tx: UnitOfWork, subscription_id: int, previous_id: int) -> UpgradeResult:
        today = self.calendar.today()
        new_row = tx.subscriptions.get_by_id(subscription_id)
        old_row = tx.subscriptions.get_by_id(previous_id)
        new_view, old_view = views_of(tx, [new_row, old_row], today)
        return UpgradeResult(new_view, old_view)
