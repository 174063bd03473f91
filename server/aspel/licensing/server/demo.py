"""Demo data for `make run` (never for production): two accounts, the catalog
of the vendor's tutorials, and a serial in each interesting situation."""

from __future__ import annotations

from dataclasses import dataclass

from .domain import serials
from .domain.billing_cycle import add_months, next_payment
from .domain.clock import BusinessCalendar
from .domain.credentials import PasswordHasher, new_public_id
from .domain.states import PERPETUAL_LICENSE, SUBSCRIPTION
from .domain.upgrade_terms import DEFAULT_CLAUSES, DEFAULT_TITLE
from .store.database import Store
from .store.subscriptions import SubscriptionTerms

DOWNLOAD_CENTER = "https://www.aspel.com.mx/descargas"

# (product, version, versions that may move to it for free, terms published)
RELEASES: tuple[tuple[str, str, list[str], bool], ...] = (
    ("SAE", "7.0", [], False),
    ("SAE", "8.0", ["7.0"], True),
    ("CAJA", "4.0", [], False),
    ("CAJA", "5.0", ["4.0"], True),
    ("COI", "9.0", [], False),
    ("COI", "10.0", ["9.0"], True),
    ("NOI", "11.0", [], False),
)


@dataclass(frozen=True)
class DemoSerial:
    terms: SubscriptionTerms
    months_active: int


def _sold(
    product: str, version: str, users: int, modality: str, period: str | None
) -> SubscriptionTerms:
    """A demo serial's terms: one installation, as most are sold."""
    return SubscriptionTerms(product, version, users, 1, modality, period)


DEMO_ACCOUNTS = (
    (
        "demo",
        "demo-aspel-2026",
        "demo@example.com",
        "Comercializadora Demo, S.A. de C.V.",
        (
            DemoSerial(_sold("SAE", "7.0", 1, SUBSCRIPTION, "MONTHLY"), 9),
            DemoSerial(_sold("CAJA", "4.0", 2, SUBSCRIPTION, "ANNUAL"), 8),
            DemoSerial(_sold("COI", "9.0", 3, PERPETUAL_LICENSE, None), 30),
            DemoSerial(_sold("NOI", "11.0", 5, SUBSCRIPTION, "SEMIANNUAL"), 4),
        ),
    ),
    (
        "demo2",
        "demo2-aspel-2026",
        "demo2@example.com",
        "Servicios Contables Ejemplo, S.C.",
        (DemoSerial(_sold("SAE", "7.0", 1, SUBSCRIPTION, "MONTHLY"), 2),),
    ),
)


def seed_demo(store: Store, calendar: BusinessCalendar, hasher: PasswordHasher) -> bool:
    """Seeds into a database with no account; returns False (and writes nothing) otherwise."""
    now = calendar.now()
    today = calendar.today()
    with store.write() as tx:
        if tx.accounts.count_accounts() > 0:
            return False
        for code, version, upgrade_from, has_terms in RELEASES:
            tx.catalog.add_release_once(
                product_code=code,
                version=version,
                upgrade_from=upgrade_from,
                download_url=DOWNLOAD_CENTER,
                now=now,
            )
            if has_terms:
                tx.catalog.add_terms(
                    product_code=code,
                    to_version=version,
                    title=DEFAULT_TITLE,
                    clauses=DEFAULT_CLAUSES,
                    now=now,
                )
        for username, password, email, razon_social, owned in DEMO_ACCOUNTS:
            account = tx.accounts.create_account(
                public_id=new_public_id("acc_"),
                username=username,
                email=email,
                razon_social=razon_social,
                password_hash=hasher.hash(password),
                now=now,
            )
            for item in owned:
                activation = add_months(today, -item.months_active)
                tx.subscriptions.create_subscription(
                    serial_number=serials.generate(),
                    account_id=account.id,
                    terms=item.terms,
                    activation_date=activation,
                    next_payment_date=next_payment(activation, item.terms.billing_period, today),
                    now=now,
                )
    return True
