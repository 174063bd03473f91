"""The customer portal: the serials of an account, their upgrade terms, and
accepting an upgrade (the flow of Aspel's "Solicita tu número de serie")."""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from ..store.catalog import Catalog
from ..store.database import Store, retry_on_conflict
from ..store.subscriptions import SubscriptionRow
from ..store.unit_of_work import UnitOfWork
from . import serials
from .auth import Caller, user_actor
from .clock import BusinessCalendar
from .idempotency import RequestKey, Result, once
from .paging import one_page
from .products import DEFAULT_PURCHASE_URL, product_name
from .states import ACTIVE
from .subscriptions import (
    UPGRADE_AVAILABLE,
    UPGRADE_REQUIRES_PURCHASE,
    SubscriptionView,
    current_state,
    find_owned_serial,
    newest_upgrade,
    plan_offer,
    views_of,
)
from .succession import Succession, issue_successor, next_validation_retire_date
from .upgrade_terms import TermsView, render


@dataclass(frozen=True)
class Page:
    subscriptions: list[SubscriptionView]
    next_after_id: int | None


@dataclass(frozen=True)
class UpgradeResult:
    subscription: SubscriptionView
    previous_subscription: SubscriptionView


@dataclass(frozen=True)
class _Prepared:
    """What AcceptUpgrade computed before its transaction, and from what."""

    row: SubscriptionRow
    catalog_version: int
    succession: Succession

    @property
    def basis(self) -> tuple[SubscriptionRow, int]:
        return (self.row, self.catalog_version)


@dataclass(eq=False)
class PortalService:
    store: Store
    calendar: BusinessCalendar
    #: Where what is not free is bought (ASPEL_LICENSING_PURCHASE_URL).
    purchase_url: str = DEFAULT_PURCHASE_URL

    # --- reading -------------------------------------------------------------

    def list_subscriptions(self, caller: Caller, size: int, after_id: int) -> Page:
        """`size` rows after `after_id` (the transport chose the size, see pagination.py)."""
        with self.store.read() as tx:
            read = tx.subscriptions.list_for_account(caller.account_db_id, after_id, size + 1)
            rows, next_after_id = one_page(read, size)
            return Page(views_of(tx, rows, self.calendar.today()), next_after_id)

    def get_subscription(self, caller: Caller, serial_number: str) -> SubscriptionView:
        with self.store.read() as tx:
            row = find_owned_serial(tx, caller.account_db_id, serial_number)
            return views_of(tx, [row], self.calendar.today())[0]

    def get_upgrade_terms(self, caller: Caller, serial_number: str) -> TermsView:
        with self.store.read() as tx:
            row = find_owned_serial(tx, caller.account_db_id, serial_number)
            return self._terms_for(tx, row, tx.catalog.in_force())

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
        today = self.calendar.today()
        # Everything that needs no lock is done before the write transaction
        # (which holds SQLite's single write lock): the terms as shown, their
        # id, the successor's description. Inside, they are reused when what
        # they were computed from (the serial's row and the catalog's
        # version) is unchanged, so the transaction is a few short statements.
        # Nothing is refused here: a refusal is decided inside, after the
        # request_id's claim. A retry of a request still committing elsewhere
        # (PostgreSQL) must wait for it and replay its answer, not see the
        # terms published meanwhile and answer TERMS_OUTDATED for an upgrade
        # that did happen.
        prepared = None
        with self.store.read() as tx:
            try:
                row = find_owned_serial(tx, caller.account_db_id, serial_number)
                catalog = tx.catalog.in_force()
                if current_state(row, today) == ACTIVE:
                    terms = self._terms_for(tx, row, catalog)
                    if terms.terms_id == terms_id:
                        succession = self._succession(caller, row, terms, peer)
                        prepared = _Prepared(row, catalog.version, succession)
            except errors.LicensingError:
                prepared = None
            # else: upgraded already (a retry, a second click: answered as the
            # first inside) or not active (refused inside, as without this).

        def accept(tx: UnitOfWork) -> Result:
            row = find_owned_serial(tx, caller.account_db_id, serial_number)
            if tx.subscriptions.lock(row.id):
                # Read after the lock: a payment committed in between moves the
                # next payment date the successor copies.
                row = find_owned_serial(tx, caller.account_db_id, serial_number)
            successor = tx.subscriptions.find_successor(row.id)
            if successor is None:
                # Checked again inside the write lock: what was shown may have changed.
                catalog = tx.catalog.in_force()
                if prepared is not None and (row, catalog.version) == prepared.basis:
                    succession = prepared.succession
                else:
                    terms = self._terms_for(tx, row, catalog)
                    if terms.terms_id != terms_id:
                        raise errors.TermsOutdated()
                    succession = self._succession(caller, row, terms, peer)
                successor = issue_successor(tx, row, succession, today, now)
            # else: already upgraded (a retry, or a second click): same answer,
            # and no second email.
            return {"subscription_id": successor.id, "previous_id": row.id}

        with self.store.write() as tx:
            result = once(tx, f"account:{caller.account_id}", key, now, accept)
        # The answer is read after the commit: nothing in it needs the lock.
        with self.store.read() as tx:
            return self._result_of(tx, result["subscription_id"], result["previous_id"])

    def _succession(
        self, caller: Caller, old: SubscriptionRow, terms: TermsView, peer: str | None
    ) -> Succession:
        """A subscriber's free upgrade: same modality and billing period, the
        same next payment, the old serial usable until its next validation."""
        name = product_name(old.product_code)
        return Succession(
            to_version=terms.to_version,
            modality=old.modality,
            billing_period=old.billing_period,
            next_payment_date=old.next_payment_date,
            retire_date=next_validation_retire_date(old, self.calendar.today()),
            download_url=terms.download_url,
            what_happened=(
                f"Aceptaste los términos y condiciones para actualizar tu {name} de la "
                f"versión {old.version} a la versión {terms.to_version}, sin costo "
                "adicional por tu suscripción."
            ),
            audit_kind="subscription.upgraded",
            actor=user_actor(caller.username),
            peer=peer,
            accepted_terms_id=terms.terms_id,
            audit_detail={"terms_id": terms.terms_id},
        )

    # --- helpers -------------------------------------------------------------

    def _terms_for(self, tx: UnitOfWork, row: SubscriptionRow, catalog: Catalog) -> TermsView:
        """The terms for an ACTIVE subscription's newest free upgrade, or why there are none."""
        today = self.calendar.today()
        state = current_state(row, today)
        shown = serials.display(row.serial_number)
        if state != ACTIVE:
            successor = tx.subscriptions.successor_serial(row.id)
            raise errors.SerialNotActive(
                shown, state, serials.display(successor) if successor else None
            )
        releases = catalog.releases_of([row.product_code])
        offer = plan_offer(row, state, releases, has_successor=False)
        name = product_name(row.product_code)
        if offer.status == UPGRADE_REQUIRES_PURCHASE:
            raise errors.UpgradeRequiresPurchase(
                shown, name, offer.version or "", self.purchase_url
            )
        release = newest_upgrade(row, releases) if offer.status == UPGRADE_AVAILABLE else None
        text = (
            catalog.current_terms(row.product_code, release.version)
            if release is not None
            else None
        )
        if release is None or text is None:
            raise errors.NoUpgradeAvailable(shown, name, row.version)
        return render(row, row.account, release, text)

    def _result_of(self, tx: UnitOfWork, subscription_id: int, previous_id: int) -> UpgradeResult:
        today = self.calendar.today()
        new_row = tx.subscriptions.get_by_id(subscription_id)
        old_row = tx.subscriptions.get_by_id(previous_id)
        new_view, old_view = views_of(tx, [new_row, old_row], today)
        return UpgradeResult(new_view, old_view)
